"""A font for labels in any language: Chinese variable names in the course's figures.

Matplotlib's default font, DejaVu Sans, has no Chinese glyphs: a label such as 降水量 renders
as empty boxes, with the warning "Glyph 38477 missing from font(s) DejaVu Sans". When
:mod:`helpers.plotting` draws a figure it calls :func:`use_cjk_font` (not on import), which
appends the first installed font of :data:`CJK_FONTS` to matplotlib's ``font.family``, *after*
the default: Latin text keeps DejaVu Sans, and every glyph DejaVu Sans lacks is taken from the
CJK font (matplotlib's per-glyph font fallback). Later figures drawn by shap or pandas benefit
too.

On a machine without any of these fonts, the first course figure whose labels need one says
which font to install (:func:`check_labels`).

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable

import matplotlib as mpl
from matplotlib import font_manager

#: Fonts with Chinese glyphs, the first installed one is used: Windows, macOS, then Linux
#: (Noto Sans CJK: Debian/Ubuntu's ``fonts-noto-cjk``; its first face is the JP one when a
#: font collection is added by hand, which has the Chinese glyphs as well).
CJK_FONTS = (
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)

#: What to install on a machine that has none of :data:`CJK_FONTS`.
INSTALL_HINT = (
    "install Noto Sans CJK — Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk`; conda: "
    "`conda install -c conda-forge font-ttf-noto-cjk` — and restart the kernel (Windows and "
    "macOS ship Microsoft YaHei and PingFang SC)"
)

_said_what_to_install = False


@functools.cache
def installed_cjk_font() -> str | None:
    """The first font of :data:`CJK_FONTS` that matplotlib can use here, or None.

    Matplotlib lists the system's fonts once and keeps the list in its cache; a font installed
    after that is added here, so installing one and restarting the kernel is enough. The
    answer is kept for the rest of the session.

    Returns
    -------
    str or None
        A font family name, e.g. ``"Noto Sans CJK SC"``.
    """
    found = _first_known(CJK_FONTS)
    if found is None:
        known = {font.fname for font in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read
                    continue
        found = _first_known(CJK_FONTS)
    return found


def _first_known(families: Iterable[str]) -> str | None:
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in families if family in known), None)


def use_cjk_font() -> str | None:
    """Let figures show Chinese (and Japanese, Korean) labels: a CJK font after the default.

    Appends :func:`installed_cjk_font` to ``matplotlib.rcParams["font.family"]``; calling it
    again changes nothing.

    Returns
    -------
    str or None
        The font added (or already there), None when no CJK font is installed.
    """
    font = installed_cjk_font()
    families = list(mpl.rcParams["font.family"])
    if font is not None and font not in families:
        mpl.rcParams["font.family"] = [*families, font]
    return font


def check_labels(*labels: object) -> None:
    """Say once, with what to install, when labels have characters no installed font has.

    Only checks when no CJK font is installed (otherwise matplotlib's own warning names any
    glyph that is still missing).

    Parameters
    ----------
    *labels : object
        Texts, or collections of texts (column names, an index), about to be drawn.
    """
    global _said_what_to_install
    if _said_what_to_install or installed_cjk_font() is not None:
        return
    default_font = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    default = font_manager.get_font(default_font)
    texts = [str(item) for label in labels for item in _as_texts(label)]
    missing = sorted({c for text in texts for c in text if default.get_char_index(ord(c)) == 0})
    if missing:
        _said_what_to_install = True
        warnings.warn(
            f"the labels use characters that matplotlib's default font lacks "
            f"({''.join(missing[:10])}) and no font with Chinese glyphs is installed (looked "
            f"for {', '.join(CJK_FONTS)}): they will show as empty boxes; {INSTALL_HINT}",
            stacklevel=3,
        )


def _as_texts(label: object) -> list:
    if label is None:
        return []
    if isinstance(label, str) or not isinstance(label, Iterable):
        return [label]
    return list(label)
