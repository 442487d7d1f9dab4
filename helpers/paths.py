"""Where the course keeps its files.

Two ways to have the helpers:

- **a clone of the course** (``make course``, ``make test``, ``pip install -e .``): the shipped
  data are read from the repository's ``data/`` folder; trained models, the SHAP cache and
  rendered notebooks are written to ``models/`` and ``build/`` beside it;
- **an installed package** (``pip install .`` or a wheel): the shipped data are read from inside
  the package (``helpers/course_data/``, put there by ``pyproject.toml``); models and the cache
  are written to ``./models`` of the directory Python was started in.

Set the environment variable ``COURSE_MODELS_DIR`` to write models and caches elsewhere.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from pathlib import Path


def _checkout_root() -> Path | None:
    """The repository folder if the helpers are imported from a clone of the course, else None."""
    candidate = Path(__file__).resolve().parents[1]
    if (candidate / "pyproject.toml").is_file() and (candidate / "notebooks").is_dir():
        return candidate
    return None


def _data_dir() -> Path:
    if REPO_ROOT is not None:
        return REPO_ROOT / "data"
    return Path(str(importlib.resources.files("helpers") / "course_data"))


#: Top folder of the repository (the one holding README.md); None for an installed package.
REPO_ROOT = _checkout_root()

#: Shipped data: the teaching-catchment record and its data dictionary.
DATA_DIR = _data_dir()

#: The teaching-catchment record shipped with the course.
CATCHMENT_CSV = DATA_DIR / "teaching_catchment.csv"

#: Trained models and cached explanations (produced, not committed; see README).
MODELS_DIR = Path(
    os.environ.get("COURSE_MODELS_DIR") or (REPO_ROOT or Path.cwd()) / "models"
)

#: Rendered notebooks (HTML) written by ``make course``.
BUILD_DIR = (REPO_ROOT or Path.cwd()) / "build"


def shown(path: str | os.PathLike) -> str:
    """``path`` as a message or an output shows it: relative to the repository when inside it.

    Messages and notebook outputs must not carry machine paths (``/home/ana/...``); a file
    outside the repository (or any file of an installed package) is shown by its name.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        E.g. ``"models/lstm_runoff.keras"``.
    """
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except (TypeError, ValueError):  # REPO_ROOT is None (installed), or outside the repository
        return Path(path).name


def helpers_code_digest() -> str:
    """Hash of the source of every module of the ``helpers`` package (a code change = new key).

    Saved results (cached SHAP values, notebook 06's per-catchment results) are keyed by it, so
    that results computed by an older version of the helpers are never reused.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()
