"""The course's LSTM: build it, train it deterministically, predict with it, save and load it.

The model is written the way a hydrologist writes it — a plain Keras ``Sequential`` with one
``LSTM`` layer and a ``Dense(1)`` head — with nothing special-cased for SHAP, so that notebook
03 meets the real DeepExplainer error on a real model.

The settings travel whole: :func:`load_or_train` makes one ``CourseConfig`` of ``config`` and
hands it down; no function below it falls back on defaults of its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers import data, windowing
from helpers._kit import files, model_files
from helpers._kit.errors import whole_number
from helpers._kit.model_files import ModelFileError as ModelFileError  # damaged saved model
from helpers.config import COURSE, MODELS_DIR, CourseConfig, settings_from

#: The model's name in Keras and the stem of the file notebook 02 saves it to.
_MODEL_NAME = "lstm_runoff"

#: Where notebook 02 saves the trained model; a JSON file with the same stem sits beside it.
MODEL_PATH = MODELS_DIR / f"{_MODEL_NAME}.keras"

#: Settings read by the explanations only: a change of them does not retrain the model.
_EXPLANATION_SETTINGS = ("tolerance", "memory_budget_mb", "background_size")


def model_path(seed: int) -> Path:
    """Where the course's LSTM trained with ``seed`` is saved (:data:`MODEL_PATH` for the default).

    Notebook 02 saves two more seeds here (the spread of the skill); notebook 04b loads them.
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
    """
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def build_lstm(
    window: int = COURSE.window,
    n_features: int = len(data.FEATURES),
    units: int = COURSE.units,
    learning_rate: float = COURSE.learning_rate,
) -> keras.Sequential:
    """A compiled ``Input(window, n_features) -> LSTM(units) -> Dense(1)`` model (MSE loss).

    ``window`` is the time steps per input window, ``n_features`` the input variables per time
    step, ``units`` the size of the LSTM state, ``learning_rate`` Adam's.
    """
    window = whole_number(window, "window", unit="months")
    n_features = whole_number(n_features, "n_features", unit="input variables")
    return _lstm(window, n_features, whole_number(units, "units"), learning_rate)


def _lstm(window: int, n_features: int, units: int, learning_rate: float) -> keras.Sequential:
    """:func:`build_lstm` without the checks (a ``CourseConfig`` has checked its window)."""
    layers = [keras.Input(shape=(window, n_features)), keras.layers.LSTM(units),
              keras.layers.Dense(1)]  # one output: the target month's runoff
    model = keras.Sequential(layers, name=_MODEL_NAME)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def _check_input_shape(model: keras.Model, X: np.ndarray) -> None:
    """A ValueError naming both shapes when windows ``X`` do not fit the model's input."""
    input_shape = getattr(model, "input_shape", None)  # a subclassed model states none
    expected = (None, None) if input_shape is None else tuple(input_shape[1:])  # None: any
    got = tuple(np.shape(X)[1:])
    fits = len(got) == len(expected) and all(
        e in (None, g) for e, g in zip(expected, got, strict=False)
    )
    if np.ndim(X) != 3 or not fits:
        raise ValueError(
            f"the model expects windows of shape (n, {expected[0]}, {expected[1]}) "
            f"but got an array of shape {np.shape(X)}"
        )


class _CompactProgress(keras.callbacks.Callback):
    """Print one line every 25 epochs instead of Keras's per-batch log."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % 25 == 0:
            logs = logs or {}
            print(
                f"epoch {epoch + 1:4d}  loss {logs.get('loss', float('nan')):.4f}  "
                f"val_loss {logs.get('val_loss', float('nan')):.4f}",
                flush=True,
            )


def train_model(
    model: keras.Model,
    train: windowing.Windows | list[windowing.Windows],
    validation: windowing.Windows | list[windowing.Windows],
    config: CourseConfig | Mapping[str, object] | None = None,
    verbose: bool = True,
    inputs: Callable[[np.ndarray], list] | None = None,
) -> dict:
    """Fit with early stopping on a validation slice, restoring the best weights.

    Parameters
    ----------
    model : keras.Model
        A compiled model (e.g. from :func:`build_lstm`).
    train, validation : helpers.windowing.Windows, or lists of them (one per record)
        Training windows and the chronologically later validation windows. Never pass test
        windows here: early stopping would then tune on the test period. Several records
        (:mod:`helpers.regional`) are pooled, record ``i``'s validation after its training.
    config : CourseConfig, dict or None
        Its ``batch_size``, ``max_epochs`` and ``patience`` are used (a dict of changes to
        :data:`~helpers.config.COURSE` is fine, e.g. ``{"max_epochs": 15, "patience": 5}``).
    verbose : bool
        Print a progress line every 25 epochs and a summary at the end.
    inputs : callable, optional
        Turns windows into the model's inputs, for a model with a window and a static input
        (``helpers.regional.two_inputs``); the model's own input check is then Keras's.

    Returns
    -------
    dict
        Keras history (``loss`` and ``val_loss`` per epoch) plus ``best_epoch`` and ``seconds``.
    """
    config = settings_from(config)
    several = isinstance(train, list)  # one Windows per record (helpers.regional)
    trains, validations = (train, validation) if several else ([train], [validation])
    for fit_part, held_out in zip(trains, validations, strict=True):
        if inputs is None:
            _check_input_shape(model, fit_part.X)
            _check_input_shape(model, held_out.X)
        if held_out.target_dates.min() <= fit_part.target_dates.max():
            raise ValueError("validation windows must come after the training windows in time")
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    start = time.perf_counter()
    inputs = inputs or (lambda X: X)
    fit = model.fit(
        inputs(np.concatenate([w.X for w in trains])), np.concatenate([w.y for w in trains]),
        validation_data=(inputs(np.concatenate([w.X for w in validations])),
                         np.concatenate([w.y for w in validations])),
        epochs=config.max_epochs, batch_size=config.batch_size, shuffle=True,
        callbacks=[stop, _CompactProgress()] if verbose else [stop], verbose=0,
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
        Scaled windows, e.g. ``trained.prepared.test``; for a model with a window and a
        static input, the list ``[window, static]`` (e.g. ``regional.two_inputs(X)``).
    scaler : helpers.windowing.Scaler, optional
        The scaler the windows were made with (``trained.prepared.scaler``): the predictions
        are then in the target's units (mm/month); without it, in the model's own
        (standardised) units, as SHAP values are.
    batch_size : int
        Windows per call of the model.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Or a ValueError: windows that do not fit the model, a model with several outputs.
    """
    X = getattr(windows, "X", windows)
    if isinstance(X, list):  # [window, static]: Keras checks the two inputs' shapes
        X = [np.asarray(part, dtype=np.float32) for part in X]
    else:
        X = np.asarray(X, dtype=np.float32)
        _check_input_shape(model, X)
    n = len(X[0]) if isinstance(X, list) else len(X)
    # Keras traces its predict step once per model and keeps it: fast for repeated calls
    batches = [
        np.asarray(model.predict_on_batch(_rows(X, start, start + batch_size)), dtype=np.float64)
        for start in range(0, n, batch_size)
    ]
    outputs = np.concatenate(batches).reshape(n, -1)
    if outputs.shape[1] != 1:
        raise ValueError(
            f"model {model.name!r} gives {outputs.shape[1]} values per window; predict needs "
            "a model with one"
        )
    return outputs[:, 0] if scaler is None else scaler.inverse_target(outputs[:, 0])


def _rows(X: np.ndarray | list, start: int, stop: int) -> np.ndarray | list:
    """Rows ``start:stop`` of the windows, or of each input of ``[window, static]``."""
    return [part[start:stop] for part in X] if isinstance(X, list) else X[start:stop]


@dataclass
class TrainedModel:
    """A trained model together with the windows it was trained and tested on.

    Attributes
    ----------
    model : keras.Model
    prepared : helpers.windowing.PreparedData
        The record, the scaled windows and the scaler: ``trained.prepared.test.X``.
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


def _sidecar(prepared: windowing.PreparedData, config: CourseConfig) -> dict:
    """What the JSON beside a saved model holds: names, scaler, settings and fingerprint."""
    settings = {key: value for key, value in dataclasses.asdict(config).items()
                if key not in _EXPLANATION_SETTINGS}
    versions = (tf.__version__, keras.__version__)
    return {
        "features": prepared.features,
        "target": prepared.target,
        "scaler": prepared.scaler.to_dict(),
        "config": settings,
        "fingerprint": model_files.fingerprint(
            prepared.record, settings, prepared.features, prepared.target, versions
        ),
    }


def save_trained(trained: TrainedModel, path: str | PathLike = MODEL_PATH) -> None:
    """Save the model (Keras native format) and, beside it, what reproduces its inputs.

    The JSON sidecar holds the feature order, target, scaler statistics, settings (window
    included) and a fingerprint of the data and library versions; :func:`load_or_train` reads
    every field back to decide whether the saved model still fits. An interrupted save never
    leaves a truncated file under the real name.
    """
    # written to temporary files renamed into place, the sidecar last
    model_files.save(trained.model, _sidecar(trained.prepared, trained.config), path)


def _windows_for_training(
    record: pd.DataFrame, features: Sequence[str], target: str, config: CourseConfig
) -> tuple[windowing.PreparedData, windowing.Windows, windowing.Windows]:
    """Scaled train/test windows, and the training windows cut into fit and validation parts."""
    prepared = windowing.prepare_windows(record, features, target, config)
    fit_part, validation = windowing.validation_split(
        prepared.train, fraction=config.validation_fraction
    )
    return prepared, fit_part, validation


def _train(
    prepared: windowing.PreparedData,
    fit_part: windowing.Windows,
    validation: windowing.Windows,
    config: CourseConfig,
    verbose: bool,
) -> TrainedModel:
    """A fresh LSTM trained deterministically on prepared windows."""
    make_deterministic(config.seed)
    model = _lstm(config.window, len(prepared.features), config.units, config.learning_rate)
    history = train_model(model, fit_part, validation, config, verbose=verbose)
    return TrainedModel(model, prepared, fit_part, validation, config, history)


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
    """
    config = settings_from(config)
    return _train(*_windows_for_training(record, list(features), target, config), config, verbose)


def _why_train(path: Path, wanted: dict) -> str | None:
    """None when the model saved at ``path`` fits the ``wanted`` sidecar, else why it is trained."""
    if not (path.exists() and model_files.sidecar_path(path).exists()):
        return "no saved model yet: training one (deterministic, under a minute)"
    saved = model_files.read_sidecar(path)  # a damaged sidecar: ModelFileError, file and fix
    reason = model_files.stale_reason(saved, wanted)
    if reason is None and not model_files.same_scaler(saved["scaler"], wanted["scaler"]):
        reason = "its scaler differs from the one fitted on the data now"
    return None if reason is None else f"the saved model does not fit ({reason}): retraining"


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
    stale when its features, target, settings, data, library versions or scaler differ from
    the request's (the message says which).

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
    ModelFileError
        The saved model or its sidecar is damaged; the message names the files to delete.
    ValueError
        ``path`` is empty, a folder or does not end in ``.keras``; before any training.
    """
    path = model_files.checked_path(path)  # before training: a folder or '' is refused now
    record = data.load_catchment() if record is None else record
    features = list(data.FEATURES if features is None else features)
    target = data.TARGET if target is None else target
    config = settings_from(config)  # from here on the settings travel whole
    prepared, fit_part, validation = _windows_for_training(record, features, target, config)
    why = _why_train(path, _sidecar(prepared, config))
    if why is None:
        model = model_files.load_model(path)  # a damaged file: ModelFileError, file and fix
        if verbose:
            print(f"loaded the trained model from {files.shown(path)}")
        return TrainedModel(model, prepared, fit_part, validation, config)
    if verbose:
        print(why)
    trained = _train(prepared, fit_part, validation, config, verbose)
    save_trained(trained, path)
    return trained
