"""The result cache's machinery: the key of an entry, and writing and reading one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from zipfile import BadZipFile

import keras
import numpy as np
import shap
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers._kit import files
from helpers._kit.files import helpers_code_digest

#: What reading a damaged entry (e.g. one cut short) can raise.
DAMAGED_ENTRY_ERRORS = (BadZipFile, EOFError, OSError, ValueError, KeyError)


def entry_key(
    route_name: str, model: keras.Model, X: ArrayLike, background: ArrayLike, options: dict
) -> str:
    """Hash of everything the result depends on.

    The model (architecture and weights), the windows, the background, the route and its
    options, the versions of shap, TensorFlow, Keras and NumPy, and the helpers' own code.
    """
    digest = hashlib.sha256()
    digest.update(model.to_json().encode())
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    digest.update(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(background, dtype=np.float32).tobytes())
    versions = [shap.__version__, tf.__version__, keras.__version__, np.__version__]
    digest.update(json.dumps([route_name, options, versions], sort_keys=True).encode())
    digest.update(helpers_code_digest().encode())
    return digest.hexdigest()[:20]


def write_entry(path: Path, explanation: shap.Explanation) -> None:
    """Save an explanation whole or not at all (never a half-written entry)."""
    with files.replaced_atomically(path) as temporary:
        np.savez(
            temporary,
            values=explanation.values,
            base_values=explanation.base_values,
            data=explanation.data,
            feature_names=json.dumps(explanation.feature_names),
            max_additivity_error=explanation.max_additivity_error,
        )


def read_entry(path: Path) -> shap.Explanation:
    """A saved explanation; a damaged file raises one of :data:`DAMAGED_ENTRY_ERRORS`."""
    with np.load(path, allow_pickle=False) as saved:
        explanation = shap.Explanation(
            values=saved["values"],
            base_values=saved["base_values"],
            data=saved["data"],
            feature_names=json.loads(str(saved["feature_names"])),
        )
        explanation.max_additivity_error = float(saved["max_additivity_error"])
    return explanation
