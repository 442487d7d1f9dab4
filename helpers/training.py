"""The course's LSTM: build it, train it deterministically, save it, load it (or retrain).

The model is written the way a hydrologist writes it — a plain Keras ``Sequential`` with one
``LSTM`` layer and a ``Dense(1)`` head — with nothing special-cased for SHAP, so that notebook
03 meets the real DeepExplainer error on a real model.
"""

import hashlib
import json
import time
from dataclasses import dataclass, field
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


def make_deterministic(seed):
    """Seed Python, NumPy and TensorFlow and ask TensorFlow for deterministic kernels.

    With both, training twice on the same machine and library versions gives the same
    weights. Other CPUs or library versions may still differ in the last digits.

    Parameters
    ----------
    seed : int
    """
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def build_lstm(window=12, n_features=9, units=16, learning_rate=0.003):
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
    for name, value in {"window": window, "n_features": n_features, "units": units}.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
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


def check_input_shape(model, X):
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

    def __init__(self, every=25):
        super().__init__()
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            logs = logs or {}
            print(
                f"epoch {epoch + 1:4d}  loss {logs.get('loss', float('nan')):.4f}  "
                f"val_loss {logs.get('val_loss', float('nan')):.4f}",
                flush=True,
            )


def train_model(model, train, validation, batch_size=32, max_epochs=300, patience=25,
                verbose=True):
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


def predict(model, windows, scaler):
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
    def trained_now(self):
        """True when the model was trained by this call rather than loaded."""
        return self.history is not None


def fingerprint(record, config):
    """A short hash of the data values, the settings and the library versions.

    A saved model is reused only when its fingerprint matches, so changing the data, a
    setting, TensorFlow or Keras retrains it.
    """
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(record, index=True).to_numpy().tobytes())
    digest.update(json.dumps(config, sort_keys=True).encode())
    digest.update(f"{tf.__version__} {keras.__version__}".encode())
    return digest.hexdigest()[:16]


def _sidecar(path):
    return path.with_suffix(".json")


def _shown(path):
    """The path relative to the repository when inside it (no machine paths in outputs)."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT).as_posix()
    except (TypeError, ValueError):  # outside the repository, or an installed package
        return path.name


def save_trained(trained, path=MODEL_PATH):
    """Save the model (Keras native format) and, beside it, what reproduces its inputs.

    The JSON sidecar holds the feature order, window length, scaler statistics, settings and
    the fingerprint of the data it was trained on.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    trained.model.save(path)
    info = {
        "features": trained.data.features,
        "target": trained.data.target,
        "window": trained.data.window,
        "scaler": trained.data.scaler.to_dict(),
        "config": trained.config,
        "fingerprint": fingerprint(trained.data.record, trained.config),
    }
    _sidecar(path).write_text(json.dumps(info, indent=2))


def _windows_for_training(record, features, target, config):
    """Scaled train/test windows, and the training windows cut into fit and validation parts."""
    prepared = windowing.prepare_windows(
        record, features, target, window=config["window"],
        train_fraction=config["train_fraction"],
    )
    fit_part, validation = windowing.validation_split(
        prepared.train, fraction=config["validation_fraction"]
    )
    return prepared, fit_part, validation


def train_from_record(record, features, target, config=None, verbose=True):
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


def load_or_train(path=MODEL_PATH, record=None, features=None, target=None, config=None,
                  verbose=True):
    """Load the model saved by notebook 02, or train it again when it is absent or stale.

    Every notebook calls this, so each one runs on its own from a fresh clone: the first
    call trains (under a minute on 2 CPU cores) and saves; later calls load.

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
    """
    path = Path(path)
    record = data.load_catchment() if record is None else record
    features = list(data.FEATURES if features is None else features)
    target = data.TARGET if target is None else target
    config = {**DEFAULT_CONFIG, **(config or {})}
    expected = fingerprint(record, config)
    sidecar = _sidecar(path)
    if path.exists() and sidecar.exists():
        info = json.loads(sidecar.read_text())
        if info.get("fingerprint") == expected and info.get("features") == features:
            prepared, fit_part, validation = _windows_for_training(
                record, features, target, config
            )
            model = keras.models.load_model(path)
            if verbose:
                print(f"loaded the trained model from {_shown(path)}")
            return TrainedModel(model, prepared, fit_part, validation, config)
        if verbose:
            print("the saved model was trained on other data or settings: retraining")
    elif verbose:
        print("no saved model yet: training one (deterministic, under a minute)")
    trained = train_from_record(record, features, target, config, verbose=verbose)
    save_trained(trained, path)
    return trained
