"""The course's LSTM: build it, train it deterministically, predict with it, save and load it.

The model is written the way a hydrologist writes it — a plain Keras ``Sequential`` with one
``LSTM`` layer and a ``Dense(1)`` head — with nothing special-cased for SHAP, so that notebook
03 meets the real DeepExplainer error on a real model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers import config, data, model_files, windowing
from helpers._kit import files
from helpers._kit.errors import whole_number
from helpers.config import COURSE, CourseConfig, settings_from

#: The model's name in Keras and the stem of the file notebook 02 saves it to.
MODEL_NAME = "lstm_runoff"

#: Where notebook 02 saves the trained model; a JSON file with the same stem sits beside it.
MODEL_PATH = config.MODELS_DIR / f"{MODEL_NAME}.keras"

#: Epochs between two progress lines while training.
PROGRESS_EVERY = 25


def model_path(seed: int) -> Path:
    """Where the course's LSTM trained with ``seed`` is saved (:data:`MODEL_PATH` for the default).

    Notebook 02 trains the course's model with two more seeds to report the spread of its skill;
    it saves them here, and notebook 04b loads them (or trains them, when run on its own) to
    re-check the readings of notebook 04 on other seeds.
    """
    if seed == COURSE.seed:
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
    window: int = COURSE.window,
    n_features: int = len(data.FEATURES),
    units: int = COURSE.units,
    learning_rate: float = COURSE.learning_rate,
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
    window = whole_number(window, "window", unit="months")
    n_features = whole_number(n_features, "n_features", unit="input variables")
    units = whole_number(units, "units")
    model = keras.Sequential(
        [
            keras.Input(shape=(window, n_features)),
            keras.layers.LSTM(units),
            keras.layers.Dense(1),  # one output: the target month's runoff
        ],
        name=MODEL_NAME,
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def check_input_shape(model: keras.Model, X: np.ndarray) -> None:
    """Raise a clear ValueError when windows ``X`` do not fit the model's input.

    The one check of a window array against a model, used before every training and
    prediction.

    Parameters
    ----------
    model : keras.Model
        A model with one input of shape (window, n_features).
    X : numpy.ndarray
        Windows of shape (n, window, n_features).

    Raises
    ------
    ValueError
        Naming the expected and the given shape.
    """
    input_shape = getattr(model, "input_shape", None)  # a subclassed model states none
    expected = (None, None) if input_shape is None else tuple(input_shape[1:])
    got = tuple(np.shape(X)[1:])
    fits = len(got) == len(expected) and all(
        e in (None, g) for e, g in zip(expected, got, strict=False)
    )
    if np.ndim(X) != 3 or not fits:
        raise ValueError(
            f"the model expects windows of shape (n, {expected[0]}, {expected[1]}) "
            f"but got an array of shape {np.shape(X)}"
        )


class CompactProgress(keras.callbacks.Callback):
    """Print one line every ``every`` epochs instead of Keras's per-batch log."""

    def __init__(self, every: int = PROGRESS_EVERY) -> None:
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
    batch_size: int = COURSE.batch_size,
    max_epochs: int = COURSE.max_epochs,
    patience: int = COURSE.patience,
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
        Defaults from :data:`helpers.config.COURSE`.
    verbose : bool
        Print a compact progress line every :data:`PROGRESS_EVERY` epochs and a summary at
        the end.

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
    model: keras.Model,
    windows: windowing.Windows | np.ndarray,
    scaler: windowing.Scaler | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """The model's predictions for windows: the one way the course's files predict.

    Parameters
    ----------
    model : keras.Model
        A model giving one value per window.
    windows : helpers.windowing.Windows or array of shape (n, window, n_features)
        Scaled windows, e.g. ``trained.prepared.test``.
    scaler : helpers.windowing.Scaler, optional
        The scaler the windows were made with (``trained.prepared.scaler``): the predictions
        are then converted back to the target's units (mm/month). Without it they stay in the
        model's own (standardised) units, as SHAP values are.
    batch_size : int
        Windows per call of the model.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    ValueError
        If the windows do not fit the model's input, or the model gives several values per
        window.
    """
    X = np.asarray(getattr(windows, "X", windows), dtype=np.float32)
    check_input_shape(model, X)
    # Keras traces its predict step once per model and keeps it: fast for repeated calls
    batches = [
        np.asarray(model.predict_on_batch(X[start : start + batch_size]), dtype=np.float64)
        for start in range(0, len(X), batch_size)
    ]
    outputs = np.concatenate(batches).reshape(len(X), -1)
    if outputs.shape[1] != 1:
        raise ValueError(
            f"model {model.name!r} gives {outputs.shape[1]} values per window; predict needs "
            "a model with one"
        )
    return outputs[:, 0] if scaler is None else scaler.inverse_target(outputs[:, 0])


@dataclass
class TrainedModel:
    """A trained model together with the windows it was trained and tested on.

    Attributes
    ----------
    model : keras.Model
    prepared : helpers.windowing.PreparedData
        The record, the scaled train/test windows and the scaler (fitted on the training
        period only): ``trained.prepared.test.X``, ``trained.prepared.scaler``.
    fit_part, validation : helpers.windowing.Windows
        The two chronological pieces of ``prepared.train`` used for fitting and early stopping.
    config : helpers.config.CourseConfig
        The settings it was trained with.
    history : dict or None
        Training history when trained in this call, None when loaded from disk.
    """

    model: keras.Model
    prepared: windowing.PreparedData
    fit_part: windowing.Windows
    validation: windowing.Windows
    config: CourseConfig
    history: dict | None = field(default=None)

    @property
    def trained_now(self) -> bool:
        """True when the model was trained by this call rather than loaded."""
        return self.history is not None


def save_trained(trained: TrainedModel, path: str | PathLike = MODEL_PATH) -> None:
    """Save the model (Keras native format) and, beside it, what reproduces its inputs.

    The JSON sidecar holds the feature order, target, scaler statistics, settings (window
    included) and the fingerprint; :func:`load_or_train` reads every field back: the names and
    settings to say why a saved model is stale, the scaler to check the reloaded model sees
    the inputs it was trained on. An interrupted save never leaves a truncated file under the
    real name (:func:`helpers.model_files.save`).
    """
    prepared = trained.prepared
    info = {
        "features": prepared.features,
        "target": prepared.target,
        "scaler": prepared.scaler.to_dict(),
        "config": model_files.model_settings(trained.config),
        "fingerprint": model_files.fingerprint(
            prepared.record, trained.config, prepared.features, prepared.target
        ),
    }
    model_files.save(trained.model, info, path)

def _windows_for_training(
    record: pd.DataFrame, features: Sequence[str], target: str, config: CourseConfig
) -> tuple[windowing.PreparedData, windowing.Windows, windowing.Windows]:
    """Scaled train/test windows, and the training windows cut into fit and validation parts."""
    prepared = windowing.prepare_windows(
        record, features, target, window=config.window, train_fraction=config.train_fraction
    )
    fit_part, validation = windowing.validation_split(
        prepared.train, fraction=config.validation_fraction
    )
    return prepared, fit_part, validation


def train_from_record(
    record: pd.DataFrame,
    features: Sequence[str],
    target: str,
    config: CourseConfig | Mapping[str, object] | None = None,
    verbose: bool = True,
) -> TrainedModel:
    """Prepare windows from a record and train a fresh LSTM on them, deterministically.

    Parameters
    ----------
    record : pandas.DataFrame
        Validated monthly record (see :func:`helpers.data.load_record`).
    features : list of str
    target : str
    config : CourseConfig, dict or None
        The settings: :data:`helpers.config.COURSE` by default, a ``CourseConfig``, or a dict
        of the settings that differ from it (e.g. ``{"seed": 1}``).
    verbose : bool

    Returns
    -------
    TrainedModel
    """
    config = settings_from(config)
    features = list(features)
    prepared, fit_part, validation = _windows_for_training(record, features, target, config)
    make_deterministic(config.seed)
    model = build_lstm(config.window, len(features), config.units, config.learning_rate)
    history = train_model(
        model, fit_part, validation, config.batch_size, config.max_epochs, config.patience,
        verbose=verbose,
    )
    return TrainedModel(model, prepared, fit_part, validation, config, history)


def load_or_train(
    path: str | PathLike = MODEL_PATH,
    record: pd.DataFrame | None = None,
    features: Sequence[str] | None = None,
    target: str | None = None,
    config: CourseConfig | Mapping[str, object] | None = None,
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
    config : CourseConfig, dict or None
        The settings: :data:`helpers.config.COURSE` by default, a ``CourseConfig``, or a dict
        of the settings that differ from it (e.g. ``{"seed": 1}``).
    verbose : bool

    Returns
    -------
    TrainedModel

    Raises
    ------
    helpers.model_files.ModelFileError
        The saved model or its sidecar is damaged; the message names the file and says to
        delete it so that the next call retrains.
    ValueError
        ``path`` is empty, a folder or does not end in ``.keras``; before any training.
    """
    path = model_files.checked_path(path)  # before training: a folder or '' is refused now
    record = data.load_catchment() if record is None else record
    features = list(data.FEATURES if features is None else features)
    target = data.TARGET if target is None else target
    config = settings_from(config)
    if path.exists() and model_files.sidecar_path(path).exists():
        info = model_files.read_sidecar(path)
        expected = model_files.fingerprint(record, config, features, target)
        settings = model_files.model_settings(config)
        reason = model_files.stale_reason(info, expected, features, target, settings)
        if reason is None:
            prepared, fit_part, validation = _windows_for_training(
                record, features, target, config
            )
            if model_files.same_scaler(info["scaler"], prepared.scaler.to_dict()):
                model = model_files.load_model(path)
                if verbose:
                    print(f"loaded the trained model from {files.shown(path)}")
                return TrainedModel(model, prepared, fit_part, validation, config)
            reason = "its scaler differs from the one fitted on the data now"
        if verbose:
            print(f"the saved model does not fit ({reason}): retraining")
    elif verbose:
        print("no saved model yet: training one (deterministic, under a minute)")
    trained = train_from_record(record, features, target, config, verbose=verbose)
    save_trained(trained, path)
    return trained
