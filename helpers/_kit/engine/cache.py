"""Computing an explanation once and reusing it in later notebooks (a disk cache)."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import shap
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers import config
from helpers._kit import files
from helpers._kit.files import helpers_code_digest

CACHE_DIR = config.MODELS_DIR / "shap_cache"


def _cache_key(route: Callable, model: keras.Model, X, background, options: dict) -> str:
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
    digest.update(json.dumps([route.__name__, options, versions], sort_keys=True).encode())
    digest.update(helpers_code_digest().encode())
    return digest.hexdigest()[:20]


def cached(
    route: Callable,
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    cache_dir: Path = CACHE_DIR,
    refresh: bool = False,
    **options,
) -> shap.Explanation:
    """Run an explanation route once; later calls with the same inputs load the saved result.

    The result is stored under a hash of everything it depends on (:func:`_cache_key`: the
    model's architecture and weights, ``X``, ``background``, the route and its options, the
    library versions and the helpers' own source code), so a retrained model, other data or
    changed code are computed afresh: a stale explanation cannot be loaded. Results live in
    ``models/shap_cache/`` of the repository (or of the working directory when the helpers are
    installed as a package; see :mod:`helpers.config`).

    Parameters
    ----------
    route : callable
        :func:`deep_shap`, :func:`variable_shapley`, :func:`gradient_shap` or
        :func:`permutation_shap`.
    model, X, background
        Passed to ``route``.
    cache_dir : pathlib.Path or str
        Folder for the saved results.
    refresh : bool
        Compute even when a saved result exists, and overwrite it (notebook 03 does this so
        that the run times it reports are real).
    **options
        Further keyword arguments of ``route`` (JSON-serialisable, e.g. ``feature_names``).

    Returns
    -------
    shap.Explanation
        As ``route`` returns it, with ``max_additivity_error``.
    """
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{route.__name__}-{_cache_key(route, model, X, background, options)}.npz"
    if path.exists() and not refresh:
        try:
            return _read_entry(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
            warnings.warn(
                f"the cached explanation {files.shown(path)} is damaged ({type(error).__name__}: "
                f"{error}), probably by a run cut short: computing it again",
                stacklevel=2,
            )
    explanation = route(model, X, background, **options)
    with files.replaced_atomically(path) as temporary:  # never a half-written entry
        np.savez(
            temporary,
            values=explanation.values,
            base_values=explanation.base_values,
            data=explanation.data,
            feature_names=json.dumps(explanation.feature_names),
            max_additivity_error=explanation.max_additivity_error,
        )
    return explanation


def _read_entry(path: Path) -> shap.Explanation:
    """A saved explanation; a truncated or damaged file raises BadZipFile, EOFError, ValueError."""
    with np.load(path, allow_pickle=False) as saved:
        explanation = shap.Explanation(
            values=saved["values"],
            base_values=saved["base_values"],
            data=saved["data"],
            feature_names=json.loads(str(saved["feature_names"])),
        )
        explanation.max_additivity_error = float(saved["max_additivity_error"])
    return explanation
