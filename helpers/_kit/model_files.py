"""A trained model on disk: the ``.keras`` file, its JSON sidecar, and whether they still fit.

:func:`helpers.training.load_or_train` reuses a saved model only when the sidecar beside it
says it was trained on the same features, target, settings, data and library versions
(:func:`fingerprint`, :func:`stale_reason`), and refuses a damaged file with
:class:`ModelFileError`, which names the file and the fix. Both files are written whole or not
at all (:mod:`helpers._kit.files`). The settings and versions come in as arguments: nothing
here reads the course's configuration.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from helpers._kit import files

#: Hexadecimal digits of the fingerprint kept in the sidecar.
FINGERPRINT_DIGITS = 16

#: Relative tolerance between saved scaler statistics and those refitted now: JSON keeps a float
#: exactly, so this only absorbs round-off of the refit; a larger difference means other data.
SCALER_RTOL = 1e-9

#: What a sidecar holds.
SIDECAR_KEYS = ("features", "target", "scaler", "config", "fingerprint")


class ModelFileError(RuntimeError):
    """A saved model or its JSON sidecar cannot be read; the message names the file and the fix."""


def fingerprint(
    record: pd.DataFrame,
    settings: Mapping[str, object],
    features: Sequence[str],
    target: str,
    versions: Sequence[str],
) -> str:
    """A short hash of the data used, the feature order, the target, the settings and versions.

    Columns of ``record`` that are not used do not count. ``settings`` are those that decide
    the weights; ``versions`` the libraries' (e.g. TensorFlow's and Keras's).
    """
    columns = [*features, target]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(record[columns], index=True).to_numpy().tobytes())
    digest.update(json.dumps({"features": list(features), "target": target}).encode())
    digest.update(json.dumps(dict(settings), sort_keys=True).encode())
    digest.update(" ".join(versions).encode())
    return digest.hexdigest()[:FINGERPRINT_DIGITS]


def sidecar_path(path: str | PathLike) -> Path:
    """The JSON sidecar beside a saved model: same folder and stem, suffix ``.json``."""
    return Path(path).with_suffix(".json")


def checked_path(path: str | PathLike) -> Path:
    """The path a model is saved to; a ValueError for an empty path, a folder or not ``.keras``."""
    if not str(path).strip():
        raise ValueError("the model path is empty: pass a file name ending in .keras, e.g. "
                         "'models/my_catchment.keras'")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{files.shown(path)!r} is a folder: pass a file name inside it ending "
                         "in .keras, e.g. 'my_catchment.keras' in that folder")
    if path.suffix != ".keras":
        raise ValueError(f"the model path {path.name!r} must end in .keras (Keras's file format; "
                         f"the .json sidecar goes beside it), e.g. {path.stem or 'model'}.keras")
    return path


def _what_to_do(path: Path) -> str:
    """The fix for a damaged saved model, for ModelFileError's message."""
    return (
        f"delete {files.shown(path)} and {files.shown(sidecar_path(path))}, then call "
        f"training.load_or_train again: it trains the model anew and saves it"
    )


def save(model: keras.Model, info: dict, path: str | PathLike) -> None:
    """Write a model and its sidecar (``info``, :data:`SIDECAR_KEYS`), each renamed into place.

    The old sidecar is removed first and the new one written last, so an interrupted save
    leaves the old pair, or a model without a sidecar (which ``load_or_train`` retrains),
    never a truncated file under the real name nor a new model beside an old sidecar.
    """
    missing = [key for key in SIDECAR_KEYS if key not in info]
    if missing:
        raise ValueError(f"the sidecar needs {', '.join(missing)}")
    checked_path(path)
    sidecar_path(path).unlink(missing_ok=True)
    with files.replaced_atomically(path) as temporary:
        model.save(temporary)
    files.write_text_atomically(sidecar_path(path), json.dumps(info, indent=2, ensure_ascii=False))


def read_sidecar(path: str | PathLike) -> dict:
    """The sidecar of the model saved at ``path``; a ModelFileError when it is damaged."""
    model_path, sidecar = Path(path), sidecar_path(path)
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(
            f"the model's sidecar {files.shown(sidecar)} is damaged: not valid JSON ({error}); "
            f"{_what_to_do(model_path)}"
        ) from error
    missing = [key for key in SIDECAR_KEYS if not isinstance(info, dict) or key not in info]
    if missing:
        raise ModelFileError(
            f"the model's sidecar {files.shown(sidecar)} lacks {', '.join(missing)} (written by "
            f"another version of the course?); {_what_to_do(model_path)}"
        )
    return info


def load_model(path: str | PathLike) -> keras.Model:
    """``keras.models.load_model``, or a ModelFileError naming the file and the fix.

    A ``.keras`` file is a zip archive; one cut short has no zip directory, which Keras reports
    as "File not found" although the file is there. That case is named for what it is.
    """
    path = Path(path)
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"the saved model {files.shown(path)} is damaged: it is not a complete .keras "
            f"(zip) file, as a save cut short leaves it; {_what_to_do(path)}"
        )
    try:
        return keras.models.load_model(path)
    except Exception as error:  # Keras raises ValueError, OSError, BadZipFile, ... here
        lines = str(error).strip().splitlines() or [""]
        cause = lines[0].replace(str(path.resolve()), files.shown(path))
        raise ModelFileError(
            f"could not load the saved model {files.shown(path)} ({type(error).__name__}: "
            f"{cause}): the file is damaged or not a Keras model; {_what_to_do(path)}"
        ) from error


def stale_reason(info: dict, request: dict) -> str | None:
    """Why a saved model (its sidecar ``info``) does not fit a ``request``, or None when it does.

    ``request`` holds the sidecar's keys but the scaler: the features, target and settings
    asked for now and their :func:`fingerprint`. E.g. ``"settings changed: units 16 -> 32"``.
    """
    features, target = request["features"], request["target"]
    if info["features"] != features:
        return f"it was trained on features {info['features']}, not {features}"
    if info["target"] != target:
        return f"it was trained to predict {info['target']!r}, not {target!r}"
    changed = [
        f"{key} {info['config'].get(key)!r} -> {value!r}"
        for key, value in request["config"].items()
        if info["config"].get(key) != value
    ]
    if changed:
        return f"settings changed: {', '.join(changed)}"
    if info["fingerprint"] != request["fingerprint"]:
        return "the data or the TensorFlow/Keras versions changed"
    return None


def same_scaler(saved: dict, fitted: dict) -> bool:
    """Saved and refitted scaler statistics (``Scaler.to_dict()``) agree: names, dates exactly."""
    text = ("features", "target", "fitted_until")
    numbers = ("feature_mean", "feature_std", "target_mean", "target_std")
    if any(saved.get(key) != fitted[key] for key in text):
        return False
    return all(
        np.allclose(saved.get(key), fitted[key], rtol=SCALER_RTOL, atol=0) for key in numbers
    )
