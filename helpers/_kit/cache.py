"""The one result cache: a key for everything a result depends on, and entries written whole.

``explain.cached`` keeps explanations with it, ``regional``'s runs on Dask keep each catchment's
result with it. An entry is a NumPy ``.npz`` file named by a hash of its inputs and of the
helpers' own code, written whole or not at all; an entry that cannot be read (a run cut short)
is computed again, never loaded half.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from helpers._kit.files import helpers_code_digest, replaced_atomically

#: What reading a missing or damaged entry (e.g. one cut short) can raise.
UNREADABLE = (BadZipFile, EOFError, OSError, ValueError, KeyError)


def key(*parts: object, length: int = 20) -> str:
    """A short hash of ``parts`` and of the helpers' source code (a code change = a new key).

    Arrays count by their bytes, strings by their text, anything else by its pickle.
    """
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, str):
            digest.update(part.encode())
        else:
            digest.update(pickle.dumps(part, protocol=5))
    digest.update(helpers_code_digest().encode())
    return digest.hexdigest()[:length]


def save(path: str | Path, arrays: Mapping[str, object]) -> None:
    """Write ``arrays`` to the entry ``path`` (``.npz``) whole or not at all."""
    with replaced_atomically(path) as temporary:
        np.savez(temporary, **{name: np.asarray(value) for name, value in arrays.items()})


def load(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of the entry ``path``; raises one of :data:`UNREADABLE` if it cannot be read."""
    with np.load(path, allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}
