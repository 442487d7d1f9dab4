"""The course's LSTM: build it, train it deterministically, save it, load it (or retrain).

The model is written the way a hydrologist writes it — a plain Keras ``Sequential`` with one
``LSTM`` layer and a ``Dense(1)`` head — with nothing special-cased for SHAP, so that notebook
03 meets the real DeepExplainer error on a real model.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers import data, paths, windowing

#: Settings used by the course. Change them through ``load_or_train(config=...)``.
DEFAULT_CONFIG = {
    "window": 12,  # months of climate history per prediction
    "train_fraction": 0.8,  # chronological share of windows used for training
    "validation_fraction": 0.15,  # last share of the training windows, for early stopping
    "units": 16,  # LSTM size (16 generalised better than 32 here: see notebook 02)
    "learning_rate": 0.003,
    "batch_size": 32,
    "max_epochs": 300,
    "patience": 25,  # epochs without validation improvement before stopping
    "seed": 42,
}

#: Where notebook 02 saves the trained model; a JSON file with the same stem sits beside it.
MODEL_PATH = paths.MODELS_DIR / "lstm_runoff.keras"


def model_path(seed: int) -> Path:
    """Where the course's LSTM trained with ``seed`` is saved (:data:`MODEL_PATH` for the default).

    Notebook 02 trains the course's model with two more seeds to report the spread of its skill;
    it saves them here, and notebook 04 loads them (or trains them, when run on its own) to
    re-check its readings on other seeds.
    """
    if seed == DEFAULT_CONFIG["seed"]:
        return MODEL_PATH
    return MODEL_PATH.with_name(f"{MODEL_PATH.stem}_seed{seed}{MODEL_PATH.suffix}")


def make_deterministic(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and switch TensorFlow to deterministic kernels.

    **This changes process-wide state, for the rest of the Python session:** the global random
    seeds of Python's ``random``, NumPy's legacy global generator and TensorFlow are reset, and
    TensorFlow op determinism stays on (``tf.config.experimental.enable_op_determinism``; there
    is no call to switch it off again). Everything later in the same process — other models,
    other notebooks' cells — runs with these settings; some GPU ops then refuse to run.

    With both, training twice on the same machine and library versions gives the same
    weights. Other CPUs or library versions may still differ in the last digits.

    Parameters
    ----------
    seed : int
    """
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def build_lstm(
    window: int = 12, n_features: int = 9, units: int = 16, learning_rate: float = 0.003
) -> keras.Sequential:
    """A compiled ``Input(window, n_features) -> LSTM(units) -> Dense(1)`` model.

    Parameters
    ----------
    window : int
        Time steps per input window.
    n_features : int
        Input variables per time step.
    units : int
        Size of the LSTM state.
    learning_rate : float
        Adam's learning rate.

    Returns
    -------
    keras.Sequential
        Compiled with mean squared error loss.
    """
    data.check_window(window)
    for name, value in {"n_features": n_features, "units": units}.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    model = keras.Sequential(
        [
            keras.Input(shape=(window, n_features)),
            keras.layers.LSTM(units),
            keras.layers.Dense(1),
        ],
        name="lstm_runoff",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def check_input_shape(model: keras.Model, X: np.ndarray) -> None:
    """Raise a clear ValueError when windows ``X`` do not fit the model's input.

    Parameters
    ----------
    model : keras.Model
    X : numpy.ndarray
        Windows of shape (n, window, n_features).
    """
    expected = tuple(model.input_shape[1:])
    got = tuple(np.shape(X)[1:])
    if np.ndim(X) != 3 or got != expected:
        raise ValueError(
            f"the model expects windows of shape (n, {expected[0]}, {expected[1]}) "
            f"but got an array of shape {np.shape(X)}"
        )


class CompactProgress(keras.callbacks.Callback):
    """Print one line every ``every`` epochs instead of Keras's per-batch log."""

    def __init__(self, every: int = 25) -> None:
        super().__init__()
        self.every = every

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every == 0:
            logs = logs or {}
            print(
                f"epoch {epoch + 1:4d}  loss {logs.get('loss', float('nan')):.4f}  "
                f"val_loss {logs.get('val_loss', float('nan')):.4f}",
                flush=True,
            )


def train_model(
    model: keras.Model,
    train: windowing.Windows,
    validation: windowing.Windows,
    batch_size: int = 32,
    max_epochs: int = 300,
    patience: int = 25,
    verbose: bool = True,
) -> dict:
    """Fit with early stopping on a validation slice, restoring the best weights.

    Parameters
    ----------
    model : keras.Model
        A compiled model (e.g. from :func:`build_lstm`).
    train, validation : helpers.windowing.Windows
        Training windows and the chronologically later validation windows. Never pass test
        windows here: early stopping would then tune on the test period.
    batch_size, max_epochs, patience : int
    verbose : bool
        Print a compact progress line every 25 epochs and a summary at the end.

    Returns
    -------
    dict
        Keras history (``loss`` and ``val_loss`` per epoch) plus ``best_epoch`` and ``seconds``.
    """
    check_input_shape(model, train.X)
    check_input_shape(model, validation.X)
    if validation.target_dates.min() <= train.target_dates.max():
        raise ValueError("validation windows must come after the training windows in time")
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    callbacks = [stop] + ([CompactProgress()] if verbose else [])
    start = time.perf_counter()
    fit = model.fit(
        train.X, train.y,
        validation_data=(validation.X, validation.y),
        epochs=max_epochs, batch_size=batch_size, shuffle=True,
        callbacks=callbacks, verbose=0,
    )
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    history["best_epoch"] = int(np.argmin(history["val_loss"])) + 1
    history["seconds"] = time.perf_counter() - start
    if verbose:
        print(
            f"stopped after {len(history['loss'])} epochs; best validation loss at epoch "
            f"{history['best_epoch']} ({history['seconds']:.1f} s)"
        )
    return history


def predict(
    model: keras.Model, windows: windowing.Windows, scaler: windowing.Scaler
) -> np.ndarray:
    """Predictions for windows, converted back to the target's units (mm/month).

    Parameters
    ----------
    model : keras.Model
    windows : helpers.windowing.Windows
    scaler : helpers.windowing.Scaler

    Returns
    -------
    numpy.ndarray
        One value per window.
    """
    check_input_shape(model, windows.X)
    scaled = model.predict(windows.X, verbose=0).ravel()
    return scaler.inverse_target(scaled)


@dataclass
class TrainedModel:
    """A trained model together with the data it was trained on.

    Attributes
    ----------
    model : keras.Model
    data : helpers.windowing.PreparedData
        Scaled train/test windows and the scaler (fitted on the training period only).
    fit_part, validation : helpers.windowing.Windows
        The two chronological pieces of ``data.train`` used for fitting and early stopping.
    config : dict
    history : dict or None
        Training history when trained in this call, None when loaded from disk.
    """

    model: keras.Model
    data: windowing.PreparedData
    fit_part: windowing.Windows
    validation: windowing.Windows
    config: dict
    history: dict | None = field(default=None)

    @property
    def trained_now(self) -> bool:
        """True when the model was trained by this call rather than loaded."""
        return self.history is not None


class ModelFileError(RuntimeError):
    """A saved model or its JSON sidecar cannot be read; the message names the file and the fix."""


def fingerprint(
    record: pd.DataFrame, config: dict, features: Sequence[str], target: str
) -> str:
    """A short hash of the data used, the feature order, the target, the settings and versions.

    A saved model is reused only when its fingerprint matches, so changing the values of a
    feature or the target, the features or their order, the target, a setting, TensorFlow or
    Keras retrains it. Columns of ``record`` that are not used do not count.
    """
    columns = [*features, target]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(record[columns], index=True).to_numpy().tobytes())
    digest.update(json.dumps({"features": list(features), "target": target}).encode())
    digest.update(json.dumps(config, sort_keys=True).encode())
    digest.update(f"{tf.__version__} {keras.__version__}".encode())
    return digest.hexdigest()[:16]


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _shown(path: Path) -> str:
    """The path relative to the repository when inside it (no machine paths in outputs)."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT).as_posix()
    except (TypeError, ValueError):  # outside the repository, or an installed package
        return path.name


def save_trained(trained: TrainedModel, path: str | PathLike = MODEL_PATH) -> None:
    """Save the model (Keras native format) and, beside it, what reproduces its inputs.

    The JSON sidecar holds the feature order, target, scaler statistics, settings (window
    included) and the fingerprint; :func:`load_or_train` reads every field back: the names and
    settings to say why a saved model is stale, the scaler to check the reloaded model sees
    the inputs it was trained on.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    trained.model.save(path)
    info = {
        "features": trained.data.features,
        "target": trained.data.target,
        "scaler": trained.data.scaler.to_dict(),
        "config": trained.config,
        "fingerprint": fingerprint(
            trained.data.record, trained.config, trained.data.features, trained.data.target
        ),
    }
    _sidecar(path).write_text(json.dumps(info, indent=2), encoding="utf-8")


_SIDECAR_KEYS = ("features", "target", "scaler", "config", "fingerprint")


def _read_sidecar(sidecar: Path, model_path: Path) -> dict:
    """The sidecar's content, or a ModelFileError naming the file and the fix."""
    fix = (
        f"delete {_shown(model_path)} and {_shown(sidecar)} and run again to retrain the model"
    )
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(
            f"the model's sidecar {_shown(sidecar)} is not valid JSON ({error}); {fix}"
        ) from error
    missing = [key for key in _SIDECAR_KEYS if not isinstance(info, dict) or key not in info]
    if missing:
        raise ModelFileError(
            f"the model's sidecar {_shown(sidecar)} lacks {', '.join(missing)} (written by "
            f"another version of the course?); {fix}"
        )
    return info


def _load_model(path: Path) -> keras.Model:
    """keras.models.load_model, or a ModelFileError naming the file and the fix."""
    try:
        return keras.models.load_model(path)
    except Exception as error:  # Keras raises ValueError, OSError, BadZipFile, ... here
        raise ModelFileError(
            f"could not load the saved model {_shown(path)} ({type(error).__name__}: "
            f"{str(error)[:200]}): the file is damaged or not a Keras model; delete it and "
            f"{_shown(_sidecar(path))} and run again to retrain"
        ) from error


def _stale_reason(
    info: dict, expected: str, features: list[str], target: str, config: dict
) -> str | None:
    """Why a saved model does not fit the request, or None when it does."""
    if info["features"] != features:
        return f"it was trained on features {info['features']}, not {features}"
    if info["target"] != target:
        return f"it was trained to predict {info['target']!r}, not {target!r}"
    changed = [
        f"{key} {info['config'].get(key)!r} -> {value!r}"
        for key, value in config.items()
        if info["config"].get(key) != value
    ]
    if changed:
        return f"settings changed: {', '.join(changed)}"
    if info["fingerprint"] != expected:
        return "the data or the TensorFlow/Keras versions changed"
    return None


def _same_scaler(saved: dict, fitted: dict) -> bool:
    """Saved and refitted scaler statistics agree (names and dates exactly, numbers to 1e-9)."""
    text = ("features", "target", "fitted_until")
    numbers = ("feature_mean", "feature_std", "target_mean", "target_std")
    if any(saved.get(key) != fitted[key] for key in text):
        return False
    return all(np.allclose(saved.get(key), fitted[key], rtol=1e-9, atol=0) for key in numbers)


def _windows_for_training(
    record: pd.DataFrame, features: Sequence[str], target: str, config: dict
) -> tuple[windowing.PreparedData, windowing.Windows, windowing.Windows]:
    """Scaled train/test windows, and the training windows cut into fit and validation parts."""
    prepared = windowing.prepare_windows(
        record, features, target, window=config["window"],
        train_fraction=config["train_fraction"],
    )
    fit_part, validation = windowing.validation_split(
        prepared.train, fraction=config["validation_fraction"]
    )
    return prepared, fit_part, validation


def train_from_record(
    record: pd.DataFrame,
    features: Sequence[str],
    target: str,
    config: dict | None = None,
    verbose: bool = True,
) -> TrainedModel:
    """Prepare windows from a record and train a fresh LSTM on them, deterministically.

    Parameters
    ----------
    record : pandas.DataFrame
        Validated monthly record (see :func:`helpers.data.load_record`).
    features : list of str
    target : str
    config : dict, optional
        Overrides of :data:`DEFAULT_CONFIG`.
    verbose : bool

    Returns
    -------
    TrainedModel
    """
    config = {**DEFAULT_CONFIG, **(config or {})}
    features = list(features)
    prepared, fit_part, validation = _windows_for_training(record, features, target, config)
    make_deterministic(config["seed"])
    model = build_lstm(
        config["window"], len(features), config["units"], config["learning_rate"]
    )
    history = train_model(
        model, fit_part, validation, config["batch_size"], config["max_epochs"],
        config["patience"], verbose=verbose,
    )
    return TrainedModel(model, prepared, fit_part, validation, config, history)


def load_or_train(
    path: str | PathLike = MODEL_PATH,
    record: pd.DataFrame | None = None,
    features: Sequence[str] | None = None,
    target: str | None = None,
    config: dict | None = None,
    verbose: bool = True,
) -> TrainedModel:
    """Load the model saved by notebook 02, or train it again when it is absent or stale.

    Every notebook calls this, so each one runs on its own from a fresh clone: the first
    call trains (under a minute on 2 CPU cores) and saves; later calls load. A saved model is
    stale when its features, target, settings, data or library versions differ from the
    request (the message says which), or when its scaler differs from the one refitted now.

    Parameters
    ----------
    path : str or pathlib.Path
        Where the model is saved (``.keras``; a ``.json`` sidecar sits beside it).
    record : pandas.DataFrame, optional
        Defaults to the teaching catchment (:func:`helpers.data.load_catchment`).
    features, target : optional
        Default to :data:`helpers.data.FEATURES` and :data:`helpers.data.TARGET`.
    config : dict, optional
        Overrides of :data:`DEFAULT_CONFIG`.
    verbose : bool

    Returns
    -------
    TrainedModel

    Raises
    ------
    ModelFileError
        The saved model or its sidecar is damaged; the message names the file and says to
        delete it so that the next call retrains.
    """
    path = Path(path)
    record = data.load_catchment() if record is None else record
    features = list(data.FEATURES if features is None else features)
    target = data.TARGET if target is None else target
    config = {**DEFAULT_CONFIG, **(config or {})}
    sidecar = _sidecar(path)
    if path.exists() and sidecar.exists():
        info = _read_sidecar(sidecar, path)
        reason = _stale_reason(
            info, fingerprint(record, config, features, target), features, target, config
        )
        if reason is None:
            prepared, fit_part, validation = _windows_for_training(
                record, features, target, config
            )
            if _same_scaler(info["scaler"], prepared.scaler.to_dict()):
                model = _load_model(path)
                if verbose:
                    print(f"loaded the trained model from {_shown(path)}")
                return TrainedModel(model, prepared, fit_part, validation, config)
            reason = "its scaler differs from the one fitted on the data now"
        if verbose:
            print(f"the saved model does not fit ({reason}): retraining")
    elif verbose:
        print("no saved model yet: training one (deterministic, under a minute)")
    trained = train_from_record(record, features, target, config, verbose=verbose)
    save_trained(trained, path)
    return trained
