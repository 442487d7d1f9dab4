"""Writing a file so that an interrupted write never leaves half of it under the real name.

A learner's "interrupt kernel", a hosted runtime that disconnects or a full disk can stop a
write half-way. Every file the course writes (trained models, their JSON sidecars, cached
explanations) is therefore written to a temporary file in the same folder and renamed into
place (``os.replace``, atomic on one file system): the real name holds either the old complete
file or the new complete one, never a truncated one.

This module imports nothing from the rest of the package: it is one of the lowest layers.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

#: Marks temporary files; one left behind by a killed process can be deleted.
PARTIAL = ".partial"


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
    temporary = path.with_name(f".{path.stem}-{uuid.uuid4().hex[:8]}{PARTIAL}{path.suffix}")
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
