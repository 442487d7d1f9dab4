"""The course site: stage the notebooks and pages beside book/'s configuration, render with Sphinx.

Sphinx with MyST-NB and the sphinx-book-theme is Jupyter Book 1.x's stack, used directly.

The staged source tree (``build/site-src/``) mirrors the repository, so that the READMEs' and
the glossary's relative links work on the site as they do on GitHub::

    conf.py, site.yml, index.md        from book/ (index.md gains the list of notebooks)
    student/index.md                   from book/ (gains the student edition's toctree)
    notebooks/NN_*.ipynb               instructor edition, executed or checked current
    student/NN_*.ipynb                 student edition (solutions removed)
    downloads/...                      the same notebooks without the launch box, to download
    README.md, README.zh-CN.md, docs/*.md, data/README.md, LICENSE.md   pages
    LICENSE, CITATION.cff, helpers/...   files those pages link to (downloads on the site)
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import yaml

from .editions import student_edition
from .outputs import BuildError

# Pages besides the notebooks; every docs/*.md is one too (book/index.md lists docs/* by glob).
PAGES = ["README.md", "README.zh-CN.md", "data/README.md", "LICENSE.md"]
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)#\s]+)")  # a relative Markdown link's target
COLAB = "https://colab.research.google.com"
COLAB_FOLDER = "/content/lstm-shap-course"  # where the set-up cells look for the course


def read_settings(book_dir: Path) -> dict:
    """The site's settings (``book/site.yml``): repository address and branch."""
    return yaml.safe_load((book_dir / "site.yml").read_text(encoding="utf-8"))


def repository_address(url: str | None) -> str | None:
    """The repository's public address as the links need it, or None while it is unset.

    Raises
    ------
    BuildError
        When it is set but is not ``https://github.com/OWNER/NAME`` (Colab opens
        notebooks from GitHub addresses).
    """
    if not (url or "").strip():
        return None
    parts = urlparse(url.strip())
    path = parts.path.strip("/").removesuffix(".git")
    if parts.scheme != "https" or parts.netloc != "github.com" or path.count("/") != 1:
        raise BuildError(f"book/site.yml: repository is {url!r}; write the GitHub address as "
                         "https://github.com/OWNER/NAME (or leave it empty)")
    return f"https://github.com/{path}"


def listed_notebooks(index_md: str) -> list[str]:
    """The entries of the first toctree of the landing page (the instructor edition)."""
    block = re.search(r"```\{toctree\}\n(.*?)```", index_md, flags=re.S)
    if block is None:
        raise BuildError("book/index.md has no toctree: the sidebar needs one")
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith(":")]


def check_toc(index_md: str, notebooks: list[str]) -> None:
    """Every notebook of notebooks/ is listed in the landing page's first toctree, and only those.

    Raises
    ------
    BuildError
        Naming a notebook that is missing from the table of contents, or listed but absent.
    """
    listed = listed_notebooks(index_md)
    wanted = [f"notebooks/{Path(name).stem}" for name in notebooks]
    for entry in wanted:
        if entry not in listed:
            raise BuildError(f"{entry}.ipynb is not in the table of contents: add the line "
                             f"`{entry}` to the first toctree of book/index.md")
    for entry in listed:
        if entry not in wanted:
            raise BuildError(f"book/index.md lists {entry}, but there is no {entry}.ipynb")


def student_toctree(notebooks: list[str]) -> str:
    """The student edition's toctree: the same notebooks, in course order."""
    entries = "\n".join(f"{Path(name).stem}" for name in notebooks)
    return f"```{{toctree}}\n:maxdepth: 1\n\n{entries}\n```\n"


def launch_box(name: str, download: str, repository: str | None, branch: str) -> str:
    """The Markdown box near a notebook page's top: how to run this notebook.

    In Colab a notebook's set-up cell installs the helpers from the course's folder,
    ``/content/lstm-shap-course`` (README: Colab), so the box says how that folder gets there:
    uploaded with the notebook, or cloned from the repository.

    Parameters
    ----------
    name
        The notebook's file name.
    download
        Path of its downloadable copy, relative to the page.
    repository
        ``https://github.com/OWNER/NAME``, or None (unset, or a copy that is not in the
        repository): then the box says how to upload the downloaded notebook to Colab.
    branch
        The repository's branch the links open.
    """
    download_link = f"[Download the notebook](path:{download})"  # path: a download
    readme = "[README: Colab](../README.md#colab)"
    if repository is None:
        steps = [
            f"1. {download_link} ({name}).",
            f"2. Open Colab ({COLAB}), choose *File → Upload notebook* and pick that file. "
            f"Upload the course's folder too, as `{COLAB_FOLDER}` ({readme}). "
            "(Or open the notebook in Jupyter on your machine, set up as the README says.)",
            "3. Run the set-up cell at the top first: it installs the helpers from that folder. "
            "Then run the cells in order.",
        ]
        return ":::{admonition} Run this notebook yourself\n:class: tip\n\n" + \
            "\n".join(steps) + "\n:::\n"
    slug = repository.removeprefix("https://github.com/")
    colab = f"{COLAB}/github/{slug}/blob/{branch}/notebooks/{name}"
    clone = f"!git clone --depth 1 --branch {branch} {repository} {COLAB_FOLDER}"
    return (":::{admonition} Run this notebook yourself\n:class: tip\n\n"
            f"[Open in Colab]({colab}) · {download_link}\n\n"
            "In Colab, first run this in a new cell: it puts the course where the set-up cell "
            f"installs the helpers from ({readme}).\n\n```\n{clone}\n```\n\n"
            "Then run the set-up cell at the top, and the cells in order.\n:::\n")


def with_launch_box(notebook: nbformat.NotebookNode, box: str) -> nbformat.NotebookNode:
    """A copy of the notebook with the launch box right under the title of its first cell."""
    staged = nbformat.from_dict(notebook)
    title, _, rest = staged.cells[0].source.partition("\n")
    staged.cells[0].source = f"{title}\n\n{box}\n{rest}"
    return staged


def notebook_list(notebooks: dict[str, nbformat.NotebookNode]) -> str:
    """The landing page's numbered list: each notebook's title, purpose and time to learn."""
    lines = []
    for number, (name, notebook) in enumerate(notebooks.items(), start=1):
        first = notebook.cells[0].source
        title = first.splitlines()[0].lstrip("# ").strip()
        purpose = field(first, "Purpose:")
        time = field(first, "Time to learn:")
        lines.append(f"{number}. [{title}](notebooks/{name}) — {purpose} *Time to learn: {time}*")
    return "\n".join(lines)


def field(markdown: str, label: str) -> str:
    """The text after ``**label**`` up to the next blank line, on one line ('' if absent)."""
    match = re.search(r"\*\*" + re.escape(label) + r"\*\*\s*(.+?)(?:\n\s*\n|$)", markdown, re.S)
    return " ".join(match.group(1).split()) if match else ""


def stage(repo: Path, stage_dir: Path, notebooks: dict[str, nbformat.NotebookNode],
          repository: str | None) -> None:
    """Write the site's source tree: configuration, pages, both editions, downloads.

    Parameters
    ----------
    repo
        The repository (``book/``, the READMEs and ``docs/`` are read from it).
    stage_dir
        The source tree to write (emptied first).
    notebooks
        File name -> executed (or checked) instructor-edition notebook, in course order.
    repository
        The repository's address for the launch links, or None.
    """
    book = repo / "book"
    settings = read_settings(book)
    index_md = (book / "index.md").read_text(encoding="utf-8")
    check_toc(index_md, list(notebooks))
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(book, stage_dir, ignore=shutil.ignore_patterns("__pycache__"))
    settings["repository"] = repository or ""
    # UTF-8 throughout: the pages hold Chinese, and Windows would default to cp936
    site_yml = yaml.safe_dump(settings, allow_unicode=True)
    (stage_dir / "site.yml").write_text(site_yml, encoding="utf-8")
    index = index_md.replace(
        "<!-- course-notebooks: the builder writes the list of notebooks here -->",
        notebook_list(notebooks),
    )
    (stage_dir / "index.md").write_text(index, encoding="utf-8")
    student_index = stage_dir / "student" / "index.md"
    student = student_index.read_text(encoding="utf-8").replace(
        "<!-- student-notebooks: the builder writes the toctree of the student notebooks here -->",
        student_toctree(list(notebooks)),
    )
    student_index.write_text(student, encoding="utf-8")
    docs = sorted(path.relative_to(repo).as_posix() for path in (repo / "docs").glob("*.md"))
    for name in PAGES + docs:
        (stage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / name, stage_dir / name)
        copy_linked_files(repo, stage_dir, name)
    for name, notebook in notebooks.items():
        stage_notebook(stage_dir, "notebooks", name, notebook, repository, settings["branch"])
        student, _ = student_edition(notebook)
        stage_notebook(stage_dir, "student", name, student, repository, settings["branch"])


def stage_notebook(stage_dir: Path, edition: str, name: str, notebook: nbformat.NotebookNode,
                   repository: str | None, branch: str) -> None:
    """Write one notebook's page source (with the launch box) and its download copy."""
    download = stage_dir / "downloads" / edition / name
    download.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, download)
    links = repository if edition == "notebooks" else None  # student copies are not on GitHub
    box = launch_box(name, f"../downloads/{edition}/{name}", links, branch)
    (stage_dir / edition).mkdir(parents=True, exist_ok=True)
    nbformat.write(with_launch_box(notebook, box), stage_dir / edition / name)


def copy_linked_files(repo: Path, stage_dir: Path, page: str) -> None:
    """Stage the repository files a page links to (LICENSE, a helpers module): site downloads.

    A link to a file that does not exist is left alone, so that Sphinx reports it.
    """
    text = (repo / page).read_text(encoding="utf-8")
    for target in LINK.findall(text):
        source = (repo / page).parent / target
        staged = (stage_dir / page).parent / target
        if source.is_file() and not staged.exists() and source.suffix not in {".md", ".ipynb"}:
            staged.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staged)


def run_sphinx(stage_dir: Path, out_dir: Path) -> None:
    """Render the staged tree to HTML with Sphinx; any warning stops the build.

    Raises
    ------
    BuildError
        With Sphinx's warnings, each naming the page (and, for a notebook, the cell).
    """
    shutil.rmtree(out_dir, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
               "-d", str(stage_dir / "_doctrees"), str(stage_dir), str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        problems = [name_cell(line, stage_dir) for line in result.stderr.splitlines()
                    if line.strip()]
        raise BuildError("the site did not build:\n" + "\n".join(problems))


def name_cell(warning: str, stage_dir: Path) -> str:
    """A Sphinx warning with the staged path made relative, and a notebook's line as a cell.

    MyST-NB reports a notebook's Markdown at line ``(cell + 1) * 10000 + line`` (its own
    convention, myst_nb/core/nb_to_tokens.py). A student-edition cell index counts the cells of
    the student copy, which has fewer (its solutions are removed).
    """
    warning = warning.replace(str(stage_dir) + "/", "").replace(str(stage_dir) + "\\", "")
    match = re.match(r"(?P<file>[^:]+\.ipynb):(?P<line>\d+): (?P<rest>.*)", warning)
    if match is None:
        return warning
    return f"{match['file']}, cell {int(match['line']) // 10000 - 1}: {match['rest']}"


def check_no_machine_paths(out_dir: Path, folders: list[Path]) -> None:
    """Fail if a page or download of the site names a folder of the machine that built it."""
    prefixes = [f"{folder}{sep}" for folder in folders for sep in "/\\"
                if len(folder.parts) > 1]  # never "/" alone
    for path in sorted(out_dir.rglob("*")):
        if path.suffix in {".html", ".ipynb", ".txt"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            for prefix in prefixes:
                if prefix in text:
                    raise BuildError(f"{path.relative_to(out_dir)} names the machine path "
                                     f"{prefix!r}; outputs must be written relative to the "
                                     "repository (strip_machine_paths)")


def build_site(repo: Path, notebooks: dict[str, nbformat.NotebookNode], stage_dir: Path,
               out_dir: Path, repository: str | None = None, maintainer: bool = True) -> None:
    """Stage the site's sources and render them to HTML in ``out_dir``.

    Parameters
    ----------
    repo
        The repository.
    notebooks
        File name -> instructor-edition notebook with current outputs, in course order.
    stage_dir, out_dir
        Where the sources are staged, and where the HTML goes (both emptied first).
    repository
        The repository's address for the launch links; by default the one in book/site.yml.
    maintainer
        Say so when the address is not set (a maintainer's to-do; a learner's ``run`` is not
        told).
    """
    address = repository_address(repository or read_settings(repo / "book")["repository"])
    if address is None and maintainer:
        print("The repository's address is not set (book/site.yml): notebook pages say how to "
              "upload the downloaded notebook to Colab instead of linking to it.")
    stage(repo, stage_dir, notebooks, address)
    run_sphinx(stage_dir, out_dir)
    check_no_machine_paths(out_dir, [repo, Path.home()])
