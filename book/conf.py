"""Sphinx configuration of the course site (the Jupyter Book 1.x stack: MyST-NB, book theme).

The builder (scripts/site/build_course.py) copies this folder to build/site-src/, stages the
executed notebooks and the pages beside it, and runs Sphinx there; see
scripts/site/coursesite/book.py.
"""

from pathlib import Path

import yaml

SETTINGS = yaml.safe_load((Path(__file__).parent / "site.yml").read_text(encoding="utf-8"))

project = "Explaining a runoff LSTM with SHAP"
author = "The LSTM-SHAP course authors"
copyright = "2026, " + author
html_title = project
language = "en"

extensions = ["myst_nb"]
# The builder executes the notebooks (or checks that their saved outputs are current) before
# Sphinx sees them: Sphinx only renders.
nb_execution_mode = "off"
nb_merge_streams = True  # one block per stream, as Jupyter shows it
myst_enable_extensions = [
    "dollarmath",   # $...$ in the notebooks' Markdown
    "linkify",      # bare https://doi.org/... references become links
    "colon_fence",  # the ::: boxes the builder writes
]
myst_heading_anchors = 3  # [text](#a-heading) links inside a page

# Staged copies for download only, not pages.
exclude_patterns = ["downloads/**", "_build", "**.ipynb_checkpoints"]

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,             # the in-page table of contents on the right
    "use_download_button": True,     # each page's source (.ipynb) from the top bar
    "use_repository_button": bool(SETTINGS["repository"]),
    "repository_url": SETTINGS["repository"] or "",
    "repository_branch": SETTINGS["branch"],
    "use_fullscreen_button": False,
    "navbar_persistent": [],         # search sits in the sidebar; no second search bar on top
}
html_show_copyright = False
html_show_sphinx = False
html_last_updated_fmt = None
# Light by default (the figures have white backgrounds); a reader can switch. Without a default
# the theme's script logs an error on a fresh browser profile.
html_context = {"default_mode": "light"}
