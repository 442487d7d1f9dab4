"""Files: where the repository is, how a path is shown, and writing a file whole or not at all.

Writing: an interrupted write never leaves half of a file under the real name.

A learner's "interrupt kernel", a hosted runtime that disconnects or a full disk can stop a
write half-way. Every file the course writes (trained models, their JSON sidecars, cached
explanations) is therefore written to a temporary file in the same folder and renamed into
place (``os.replace``, atomic on one file system): the real name holds either the old complete
file or the new complete one, never a truncated one.

This module imports nothing from the rest of the package: it is one of the lowest layers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def _checkout_root() -> Path | None:
    """The repository folder if the helpers are imported from a clone of the course, else None."""
    candidate = Path(__file__).resolve().parents[2]
    if (candidate / "pyproject.toml").is_file() and (candidate / "notebooks").is_dir():
        return candidate
    return None


#: Top folder of the repository (the one holding README.md); None for an installed package.
REPO_ROOT = _checkout_root()


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
    package = Path(__file__).resolve().parents[1]
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


#: Marks temporary files; one left behind by a killed process can be deleted.
_PARTIAL = ".partial"


@contextlib.contextmanager
def replaced_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write to; renamed onto ``path`` when the block ends without error.

    The temporary file sits in ``path``'s folder (a rename across file systems is not atomic)
    and ends with ``path``'s suffix, so writers that insist on a suffix (Keras's ``.keras``,
    NumPy's ``.npz``) accept it. If the block raises, the temporary file is removed and
    ``path`` is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace; its folder is created if needed.

    Yields
    ------
    pathlib.Path
        Where to write, e.g. ``models/.lstm_runoff-k2x8.partial.keras``.

    Examples
    --------
    >>> with replaced_atomically("models/lstm_runoff.keras") as temporary:  # doctest: +SKIP
    ...     model.save(temporary)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name (not mkstemp's file): the writer creates it with the usual permissions
    temporary = path.with_name(f".{path.stem}-{uuid.uuid4().hex[:8]}{_PARTIAL}{path.suffix}")
    try:
        yield temporary
        with open(temporary, "r+b") as written:  # on disk before the rename, not only in cache
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, through :func:`replaced_atomically`.

    Parameters
    ----------
    path : str or os.PathLike
    text : str
    """
    with replaced_atomically(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
