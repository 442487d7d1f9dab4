"""One LSTM over many catchments, with static catchment attributes as extra input channels.

Kratzert et al. (2019) trained one LSTM over hundreds of catchments by giving it each
catchment's static attributes beside the weather. The simplest form, kept here, repeats the
attributes along the time axis as extra input channels: the model stays a plain
``Input -> LSTM -> Dense`` network, so :func:`helpers.explain.deep_shap` explains it exactly.
When the background windows come from the same catchment as the windows explained, the static
channels are equal in both and get exactly zero credit: the explanation is about the weather.

Splits are chronological within every catchment (training, then a validation slice for early
stopping, then the test period); every scaler is fitted on training windows only, the target
per catchment (its training mean and standard deviation), so each catchment weighs alike in
the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import metrics
from helpers._kit.catchment import FEATURES, TARGET, oudin_pet, process_drivers
from helpers._kit.errors import DataError

#: Static attributes given to the model, computed from a catchment's training period
#: (climate) or given as its properties (soil capacity, log of the routing constant).
STATIC = ["mean_precip", "mean_tmean", "aridity", "soil_capacity", "log_storage_constant"]

#: Fewest windows a catchment needs: its training, validation and test slices non-empty.
MIN_WINDOWS = 24


@dataclass
class CatchmentWindows:
    """One catchment's windows, scaled, split chronologically.

    Attributes
    ----------
    X : dict of numpy.ndarray
        ``"train"``, ``"validation"``, ``"test"``: windows (n, window, 9 + len(STATIC)).
    y : dict of numpy.ndarray
        The scaled targets of those windows.
    dates : dict of pandas.DatetimeIndex
        Target month of each window.
    target_mean, target_std : float
        Training-period runoff statistics (mm/month) that scale this catchment's target.
    """

    X: dict
    y: dict
    dates: dict
    target_mean: float
    target_std: float


@dataclass
class RegionalData:
    """Every catchment's windows, the feature scaler, and the catchments left out (and why)."""

    catchments: dict[str, CatchmentWindows]
    feature_mean: np.ndarray
    feature_std: np.ndarray
    channel_names: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    def pooled(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """All catchments' windows and targets of ``part`` stacked: (X, y)."""
        X = np.concatenate([c.X[part] for c in self.catchments.values()])
        y = np.concatenate([c.y[part] for c in self.catchments.values()])
        return X, y


def static_attributes(
    records: dict[str, pd.DataFrame], properties: pd.DataFrame, train_fraction: float = 0.8
) -> pd.DataFrame:
    """The static attributes of :data:`STATIC`, one row per catchment.

    Climate attributes come from the first ``train_fraction`` of each record (the test period
    is never looked at): mean precipitation and temperature, aridity = Oudin PET / precipitation.

    Parameters
    ----------
    records : dict of pandas.DataFrame
        Monthly records indexed by date.
    properties : pandas.DataFrame
        Indexed by catchment id: ``x1`` (mm), ``routing_constant`` (mm), ``latitude`` (°N).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATIC`; a catchment without properties gets NaN (refused later).
    """
    rows = {}
    for name, record in records.items():
        train = record.iloc[: int(len(record) * train_fraction)]
        row = properties.loc[name] if name in properties.index else pd.Series(dtype=float)
        latitude = row.get("latitude", np.nan)
        pet = np.nan
        if np.isfinite(latitude):
            radiation, days = process_drivers(train.index, float(latitude))
            pet = oudin_pet(train["tmean"].to_numpy(), radiation, days).mean()
        rows[name] = {
            "mean_precip": train["precip"].mean(),
            "mean_tmean": train["tmean"].mean(),
            "aridity": pet / train["precip"].mean(),
            "soil_capacity": row.get("x1", np.nan),
            "log_storage_constant": np.log(row.get("routing_constant", np.nan)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")[STATIC]


def _check_catchment(
    name: str, record: pd.DataFrame, statics: pd.DataFrame, features: list[str], window: int
) -> None:
    """Raise DataError naming the catchment if its record or attributes cannot be used."""
    missing = [c for c in [*features, TARGET] if c not in record.columns]
    if missing:
        raise DataError(f"catchment {name!r}: the record lacks the columns {missing}")
    if len(record) - window + 1 < MIN_WINDOWS:
        raise DataError(
            f"catchment {name!r}: {len(record)} months give {max(len(record) - window + 1, 0)} "
            f"windows of {window} months; at least {MIN_WINDOWS} are needed "
            f"({window + MIN_WINDOWS - 1} months). Leave it out or lengthen its record."
        )
    row = statics.loc[name] if name in statics.index else None
    names = list(statics.columns)
    absent = names if row is None else [a for a in names if not np.isfinite(row[a])]
    if absent:
        raise DataError(
            f"catchment {name!r}: static attributes missing or not finite: {absent}. "
            "Give every catchment all of them (the model needs each as an input)."
        )


def _windows(values: np.ndarray, window: int) -> np.ndarray:
    """Sliding windows (stride 1) over the rows of ``values``: (n - window + 1, window, k)."""
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


def _split(n: int, train_fraction: float, validation_fraction: float) -> dict[str, slice]:
    """Chronological slices of ``n`` windows: training, validation (end of training), test."""
    n_train = int(round(n * train_fraction))
    n_fit = n_train - max(1, int(round(n_train * validation_fraction)))
    return {"train": slice(0, n_fit), "validation": slice(n_fit, n_train),
            "test": slice(n_train, n)}


def prepare_regional(
    records: dict[str, pd.DataFrame],
    statics: pd.DataFrame,
    features: list[str] = FEATURES,
    window: int = 12,
    train_fraction: float = 0.8,
    validation_fraction: float = 0.15,
) -> RegionalData:
    """Windows of every usable catchment; the others are listed in ``skipped`` with the reason.

    Parameters
    ----------
    records : dict of pandas.DataFrame
        Monthly records indexed by date, with ``features`` and ``runoff``.
    statics : pandas.DataFrame
        One row per catchment, one column per static attribute (e.g. from
        :func:`static_attributes`); each becomes an input channel.
    features : list of str
        The weather variables, input channels before the static ones.
    window : int
        Months per window.
    train_fraction, validation_fraction : float
        Chronological shares: training (of all windows), validation (of the training windows).

    Returns
    -------
    RegionalData
    """
    usable, skipped = {}, {}
    for name, record in records.items():
        try:
            _check_catchment(name, record, statics, features, window)
            usable[name] = record
        except DataError as error:
            skipped[name] = str(error)
    if not usable:
        raise DataError(f"no usable catchment: {skipped}")
    slices = {n: _split(len(r) - window + 1, train_fraction, validation_fraction)
              for n, r in usable.items()}
    fit_rows = np.concatenate([r[features].to_numpy()[: slices[n]["train"].stop + window - 1]
                               for n, r in usable.items()])
    static_values = statics.loc[list(usable)]
    mean = np.r_[fit_rows.mean(axis=0), static_values.mean().to_numpy()]
    std = np.r_[fit_rows.std(axis=0), static_values.std(ddof=0).replace(0, 1).to_numpy()]
    catchments = {n: _catchment_windows(r[features], r[TARGET], static_values.loc[n].to_numpy(),
                                        (mean, std), window, slices[n])
                  for n, r in usable.items()}
    return RegionalData(catchments, mean, std, [*features, *statics.columns], skipped)


def _catchment_windows(
    weather: pd.DataFrame, runoff: pd.Series, statics: np.ndarray, scaler: tuple,
    window: int, slices: dict[str, slice],
) -> CatchmentWindows:
    """Scale one catchment's inputs, cut its windows, scale its target by its training period."""
    inputs = np.column_stack([weather.to_numpy(), np.tile(statics, (len(weather), 1))])
    X = _windows(((inputs - scaler[0]) / scaler[1]).astype(np.float32), window)
    dates = weather.index[window - 1:]
    runoff = runoff.to_numpy()[window - 1:]
    train_runoff = runoff[slices["train"]]
    target_mean, target_std = float(train_runoff.mean()), float(train_runoff.std())
    y = ((runoff - target_mean) / target_std).astype(np.float32)
    return CatchmentWindows(
        X={k: X[s] for k, s in slices.items()},
        y={k: y[s] for k, s in slices.items()},
        dates={k: dates[s] for k, s in slices.items()},
        target_mean=target_mean, target_std=target_std,
    )


def in_runoff_units(windows: CatchmentWindows, scaled: np.ndarray) -> np.ndarray:
    """Scaled predictions of one catchment back in mm/month."""
    return np.asarray(scaled).ravel() * windows.target_std + windows.target_mean


def climatology_forecast(windows: CatchmentWindows) -> np.ndarray:
    """The test period predicted by the training period's calendar-month means (mm/month)."""
    fit_y = in_runoff_units(windows, np.r_[windows.y["train"], windows.y["validation"]])
    fit_months = windows.dates["train"].append(windows.dates["validation"]).month
    means = pd.Series(fit_y).groupby(np.asarray(fit_months)).mean()
    return means.loc[windows.dates["test"].month].to_numpy()


def ridge_forecast(windows: CatchmentWindows) -> np.ndarray:
    """The test period predicted by ridge regression on this catchment's flattened windows.

    The course's second baseline (:func:`helpers.baselines.fit_ridge`): its penalty chosen on
    the validation slice, then refitted on training + validation. Returns mm/month.
    """
    from helpers import baselines, windowing

    parts = {part: windowing.Windows(windows.X[part], windows.y[part], windows.dates[part],
                                     [f"x{i}" for i in range(windows.X[part].shape[2])])
             for part in ("train", "validation", "test")}
    model = baselines.fit_ridge(parts["train"], parts["validation"])
    return in_runoff_units(windows, baselines.predict_ridge(model, parts["test"]))


def score_test_period(data: RegionalData, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """NSE on each catchment's test period: the model against climatology and ridge.

    Parameters
    ----------
    data : RegionalData
    predictions : dict of numpy.ndarray
        Scaled test predictions of each catchment (as the model outputs them).

    Returns
    -------
    pandas.DataFrame
        Indexed by catchment: ``lstm``, ``climatology`` and ``ridge`` NSE,
        ``beats_climatology``.
    """
    rows = {}
    for name, windows in data.catchments.items():
        observed = in_runoff_units(windows, windows.y["test"])
        rows[name] = {
            "lstm": metrics.nse(observed, in_runoff_units(windows, predictions[name])),
            "climatology": metrics.nse(observed, climatology_forecast(windows)),
            "ridge": metrics.nse(observed, ridge_forecast(windows)),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("catchment")
    table["beats_climatology"] = table["lstm"] > table["climatology"]
    return table


def train_regional(
    data: RegionalData,
    units: int = 32,
    max_epochs: int = 60,
    patience: int = 10,
    batch_size: int = 128,
    seed: int = 42,
) -> tuple:
    """Train one LSTM on every catchment's training windows, early-stopped on validation.

    The validation windows of every catchment follow its training windows in time (checked);
    the catchments' calendars may differ.

    Parameters
    ----------
    data : RegionalData
    units, max_epochs, patience, batch_size : int
        Model size and training settings (see :func:`helpers.training.train_model`).
    seed : int
        Seed of the weights and the shuffling (training is deterministic on one machine).

    Returns
    -------
    model : keras.Model
    history : dict
        ``loss`` and ``val_loss`` per epoch, ``best_epoch`` (whose weights the model keeps).
    """
    import keras

    from helpers import training

    for name, windows in data.catchments.items():  # early stopping must not see later months
        if windows.dates["validation"].min() <= windows.dates["train"].max():
            raise ValueError(f"catchment {name!r}: validation windows precede training ones")
    training.make_deterministic(seed)
    X_train, y_train = data.pooled("train")
    model = training.build_lstm(X_train.shape[1], X_train.shape[2], units)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                         restore_best_weights=True)
    fit = model.fit(X_train, y_train, validation_data=data.pooled("validation"),
                    epochs=max_epochs, batch_size=batch_size, shuffle=True, callbacks=[stop],
                    verbose=0)
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    history["best_epoch"] = int(np.argmin(history["val_loss"])) + 1
    return model, history


def background_windows(windows: CatchmentWindows, size: int = 50, seed: int = 0) -> np.ndarray:
    """``size`` random training windows of one catchment (its own reference for SHAP)."""
    rows = np.random.default_rng(seed).choice(len(windows.X["train"]),
                                              min(size, len(windows.X["train"])), replace=False)
    return windows.X["train"][np.sort(rows)]


#: Models loaded in this process, by (path, modification time): a worker loads each once.
_LOADED: dict = {}


def load_model(path: str) -> object:
    """The Keras model saved at ``path``, loaded once per process (and again if it changed)."""
    import keras

    key = (str(path), Path(path).stat().st_mtime_ns)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = keras.models.load_model(path, compile=False)
    return _LOADED[key]


def explain_catchment(
    model_path: str, X: np.ndarray, background: np.ndarray, seed: int = 0
) -> dict[str, np.ndarray]:
    """Exact DeepSHAP values of one catchment's windows (a task for :mod:`helpers._kit.parallel`).

    The model is read from its saved file (in a Dask worker as in this process), TensorFlow
    is seeded and made deterministic, and :func:`helpers.explain.deep_shap` checks that the
    values add up to the predictions.

    Parameters
    ----------
    model_path : str
        A model saved with ``model.save(path)`` (``.keras``).
    X : numpy.ndarray, shape (n, window, channels)
        The catchment's windows to explain (its test period).
    background : numpy.ndarray, shape (m, window, channels)
        Reference windows from the same catchment's training period.
    seed : int

    Returns
    -------
    dict of numpy.ndarray
        ``values`` (n, window, channels), ``base_values`` (n,), ``additivity_error`` (scalar).
    """
    from helpers import explain, training

    training.make_deterministic(seed)
    explanation = explain.deep_shap(load_model(model_path), X, background)
    return {
        "values": np.asarray(explanation.values),
        "base_values": np.asarray(explanation.base_values),
        "additivity_error": np.asarray(explanation.max_additivity_error),
    }


def train_catchment(
    windows: CatchmentWindows, units: int = 16, max_epochs: int = 60, patience: int = 10,
    seed: int = 42,
) -> dict[str, np.ndarray]:
    """Train an LSTM on one catchment alone and predict its test period (a task for Dask).

    The comparison of Kratzert et al. (2019): the same network, the same early stopping on the
    catchment's validation slice, but without the other catchments' data.

    Parameters
    ----------
    windows : CatchmentWindows
        The catchment's windows (as prepared for the regional model; the static channels are
        constant and so carry nothing here).
    units, max_epochs, patience, seed : int

    Returns
    -------
    dict of numpy.ndarray
        ``test_prediction`` (scaled, like the regional model's output) and ``epochs``.
    """
    from helpers import training, windowing

    training.make_deterministic(seed)
    parts = {part: windowing.Windows(windows.X[part], windows.y[part], windows.dates[part],
                                     [f"x{i}" for i in range(windows.X[part].shape[2])])
             for part in ("train", "validation")}
    model = training.build_lstm(*windows.X["train"].shape[1:], units=units)
    history = training.train_model(model, parts["train"], parts["validation"], 32, max_epochs,
                                   patience, verbose=False)
    prediction = model.predict(windows.X["test"], verbose=0).ravel()
    return {"test_prediction": prediction, "epochs": np.asarray(len(history["loss"]))}


def model_digest(model: object) -> str:
    """A short hash of a model's weights: names the folder of its saved explanations."""
    import hashlib

    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    return digest.hexdigest()[:12]
