"""One LSTM over many catchments (notebook 06), built on the course's windowing and training.

Each catchment's static attributes are repeated along the time axis as extra input channels
(Kratzert et al. 2019), so the model stays a plain ``Input -> LSTM -> Dense`` that
:func:`helpers.explain.deep_shap` explains exactly; with background windows from the same
catchment the static channels get exactly zero credit.

Windows and split are windowing's (:func:`~helpers.windowing.prepare_windows`, then
:func:`~helpers.windowing.validation_split`: ``floor``): 588 training windows give 499 to fit.
(This module used to round and fitted 500; notebook 06's records give 237 of 279 either way.)
Each catchment's :class:`~helpers.windowing.Scaler` holds feature statistics pooled over every
catchment's training months and its own target's, so each catchment weighs alike in the loss.
Drivers (:func:`driver_shares`, Jiang et al. 2021): **snowmelt** (credit on precipitation that
fell as snow, McCabe & Markstrom 2007), **recent** and **historical rainfall** (rain at lags
of 0-2 months, and older). The sample and the serial/Dask runner: ``helpers/_kit/``.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers import explain, metrics, training, windowing
from helpers._kit import model_files, parallel, sample
from helpers._kit.catchment.process import snow_fraction
from helpers._kit.columns import FEATURES, TARGET
from helpers._kit.errors import DataError
from helpers.config import COURSE, CourseConfig

#: The regional model's settings: the course's, with a larger network and batches, shorter
#: training (a dict of changes given to a function here applies to these).
REGIONAL = COURSE.replace(units=32, batch_size=128, max_epochs=60, patience=10)

DRIVERS = ("snowmelt", "recent rainfall", "historical rainfall")  # in the tables' order
PRECIP_GROUP = ("precip", "rel_humidity", "sunshine")  # precipitation and its stand-ins
_TEMPERATURE_GROUP = ("tmean", "tmax", "tmin", "vapour_pressure")  # temperature and its stand-ins
_RECENT_LAGS = 3  # lags 0, 1 and 2 (months) are "recent"
SNOW_LIMIT = 0.3  # snowmelt's share of precipitation credit making a catchment snow-driven


def _settings(config: CourseConfig | Mapping[str, object] | None) -> CourseConfig:
    """:data:`REGIONAL`, a CourseConfig as given, or REGIONAL with a dict of changes."""
    if config is None or isinstance(config, Mapping):
        return REGIONAL.replace(**(config or {}))
    return config


@dataclass
class CatchmentWindows:
    """One catchment's windows (``train``, ``validation``, ``test``: in that order in time), its
    ``scaler`` (pooled feature statistics, its own target's) and observed ``runoff`` (mm/month)."""

    train: windowing.Windows
    validation: windowing.Windows
    test: windowing.Windows
    scaler: windowing.Scaler
    runoff: pd.Series


@dataclass
class RegionalData:
    """Every usable catchment's windows, the input channels, and the catchments left out (why)."""

    catchments: dict[str, CatchmentWindows]
    channel_names: list[str]
    skipped: dict[str, str]

    def pooled(self, part: str) -> windowing.Windows:
        """All catchments' windows of ``part`` (``"train"``, ...) stacked in one Windows."""
        parts = [getattr(c, part) for c in self.catchments.values()]
        X, y = (np.concatenate([getattr(w, k) for w in parts]) for k in ("X", "y"))
        dates = pd.DatetimeIndex(np.concatenate([w.target_dates for w in parts]))
        return windowing.Windows(X, y, dates, self.channel_names)


def static_attributes(records: dict[str, pd.DataFrame], properties: pd.DataFrame,
                      config: CourseConfig | Mapping | None = None) -> pd.DataFrame:
    """Static attributes (``mean_precip``, ``mean_tmean``, ``aridity``, ``soil_capacity``,
    ``log_storage_constant``) of each catchment, from its training months and its properties."""
    train_fraction = _settings(config).train_fraction
    return sample.static_attributes(records, properties, train_fraction)  # Oudin PET, GR2M's


def prepare_regional(
    records: dict[str, pd.DataFrame],
    statics: pd.DataFrame,
    features: Sequence[str] = FEATURES,
    config: CourseConfig | Mapping[str, object] | None = None,
) -> RegionalData:
    """Windows of every usable catchment; the others are listed in ``skipped`` with the reason.

    Parameters
    ----------
    records : dict of pandas.DataFrame
        Monthly records indexed by date, with ``features`` and ``runoff``.
    statics : pandas.DataFrame
        One row per catchment, one column per static attribute (each an input channel).
    features : sequence of str
        The weather variables.
    config : CourseConfig or dict, optional
        ``window``, ``train_fraction``, ``validation_fraction`` (:data:`REGIONAL`'s).
    """
    config, features = _settings(config), list(features)
    prepared, skipped = {}, {}
    for name, record in records.items():
        try:
            sample.check_catchment(record, statics, name, [*features, TARGET], config.window,
                                   windowing.MIN_WINDOWS)  # columns, length, attributes
            with warnings.catch_warnings():  # short test periods: the scores table counts them
                warnings.filterwarnings("ignore", message="the test period has only")
                prepared[name] = windowing.prepare_windows(record, features, TARGET, config=config)
        except DataError as error:
            skipped[name] = f"catchment {name!r}: {error}"
    if not prepared:
        raise DataError(f"no usable catchment: {skipped}")
    frames = {n: p.record[[*features, TARGET]].assign(**statics.loc[n])
              for n, p in prepared.items()}
    for frame in frames.values():
        frame.attrs = {}  # a real record's notes (its valid days): pd.concat would compare them
    training_months = pd.concat([frames[n].loc[: p.scaler.fitted_until]
                                 for n, p in prepared.items()])
    channels = [*features, *statics.columns]
    pooled = windowing.Scaler.fit(training_months, channels, TARGET, training_months.index.max())
    catchments = {n: _catchment_windows(frames[n], pooled, p, config) for n, p in prepared.items()}
    return RegionalData(catchments, channels, skipped)


def _catchment_windows(frame: pd.DataFrame, pooled: windowing.Scaler,
                       own: windowing.PreparedData, config: CourseConfig) -> CatchmentWindows:
    """One catchment's windows scaled by the pooled features and its own target statistics."""
    scaler = dataclasses.replace(pooled, target_mean=own.scaler.target_mean,
                                 target_std=own.scaler.target_std,
                                 fitted_until=own.scaler.fitted_until)
    windows = windowing.make_windows(scaler.transform(frame), scaler.features, TARGET,
                                     config.window)
    n_train = len(own.train)  # windowing's split, as in prepare_windows
    fit_part, validation = windowing.validation_split(windows.subset(slice(0, n_train)),
                                                      config.validation_fraction)
    return CatchmentWindows(fit_part, validation, windows.subset(slice(n_train, None)), scaler,
                            frame[TARGET])


def train_regional(data: RegionalData, config: CourseConfig | Mapping | None = None) -> tuple:
    """One LSTM trained on every catchment's training windows, early-stopped on validation:
    ``(model, history)``; ``config``'s ``units``, ``batch_size``, ``max_epochs``, ``patience``,
    ``seed``... default to :data:`REGIONAL`'s (history: :func:`helpers.training.train_model`)."""
    config, parts = _settings(config), list(data.catchments.values())
    training.make_deterministic(config.seed)
    model = training.build_lstm(config.window, len(data.channel_names), config.units,
                                config.learning_rate)
    history = training.train_model(model, [w.train for w in parts],  # each catchment's
                                   [w.validation for w in parts], config, verbose=False)
    return model, history


def two_inputs(X: ArrayLike, n_features: int = len(FEATURES)) -> list[np.ndarray]:
    """``[window, static]`` from regional windows whose last channels are the (constant)
    statics: ``X[..., :n_features]`` and the statics of the last month, ``(n, n_static)``."""
    X = np.asarray(X, np.float32)
    return [X[..., :n_features], X[:, -1, n_features:]]


def train_two_inputs(data: RegionalData, n_features: int = len(FEATURES),
                     config: CourseConfig | Mapping | None = None) -> tuple:
    """The regional LSTM with the statics as a second input, into its initial state
    (``h0 = tanh(Dense(statics))``, ``c0 = Dense(statics)``, as Kratzert et al. 2019 feed
    statics separately): ``(model, history)``, trained as :func:`train_regional`'s."""
    config, layers = _settings(config), keras.layers
    training.make_deterministic(config.seed)
    window = keras.Input((config.window, n_features))
    static = keras.Input((len(data.channel_names) - n_features,))
    states = [layers.Dense(config.units, activation="tanh")(static),
              layers.Dense(config.units)(static)]
    model = keras.Model([window, static],
                        layers.Dense(1)(layers.LSTM(config.units)(window, initial_state=states)))
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
    parts = list(data.catchments.values())
    history = training.train_model(model, [w.train for w in parts], [w.validation for w in parts],
                                   config, verbose=False,
                                   inputs=functools.partial(two_inputs, n_features=n_features))
    return model, history


def score_test_period(data: RegionalData, outputs: Mapping[str, ArrayLike]) -> pd.DataFrame:
    """NSE on each catchment's test period of the model's ``outputs`` (model units, e.g.
    ``training.predict(model, w.test)``), climatology and ridge; and ``beats_climatology``."""
    rows = {}
    for name, w in data.catchments.items():
        dates, observed = w.test.target_dates, w.runoff.loc[w.test.target_dates].to_numpy()
        fit_dates = w.train.target_dates.append(w.validation.target_dates)
        ridge = metrics.fit_ridge(w.train, w.validation)  # penalty chosen on validation
        forecasts = {"lstm": w.scaler.inverse_target(np.ravel(outputs[name])),  # mm/month
                     "climatology": metrics.monthly_climatology(w.runoff, fit_dates, dates),
                     "ridge": w.scaler.inverse_target(metrics.ridge_forecast(ridge, w.test))}
        rows[name] = {k: metrics.nse(observed, v) for k, v in forecasts.items()}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("catchment")
    table["beats_climatology"] = table["lstm"] > table["climatology"]
    return table


def background_windows(windows: CatchmentWindows, size: int, seed: int = 0) -> np.ndarray:
    """``size`` random training windows of one catchment (all if fewer): its SHAP reference."""
    return explain.training_background(windows.train.X, min(size, len(windows.train)), seed)


@functools.lru_cache(maxsize=1)
def _saved_model(path: str, modified_ns: int) -> object:
    """The model saved at ``path``, read once per process (again when the file changes)."""
    return model_files.load_model(path)  # a damaged file is named, with what to do


def explain_catchment(model_path: str, X: np.ndarray, background: np.ndarray,
                      seed: int = 0) -> dict[str, np.ndarray]:
    """Exact DeepSHAP ``values``, ``base_values`` and ``additivity_error`` of one catchment's
    windows (a task for :func:`run_tasks`: the model is read from its file, in a Dask worker as
    in this process)."""
    training.make_deterministic(seed)
    model = _saved_model(str(model_path), Path(model_path).stat().st_mtime_ns)
    explanation = explain.deep_shap(model, X, background)
    return {"values": np.asarray(explanation.values),
            "base_values": np.asarray(explanation.base_values),
            "additivity_error": np.asarray(explanation.max_additivity_error)}


def train_catchment(windows: CatchmentWindows,
                    config: CourseConfig | Mapping | None = None) -> dict[str, np.ndarray]:
    """An LSTM trained on one catchment alone (a task for :func:`run_tasks`): its
    ``test_prediction`` (model units, as the regional model's) and ``epochs``."""
    config = _settings(config)
    training.make_deterministic(config.seed)
    model = training.build_lstm(config.window, windows.train.n_features, config.units,
                                config.learning_rate)
    history = training.train_model(model, windows.train, windows.validation, config, verbose=False)
    return {"test_prediction": training.predict(model, windows.test),
            "epochs": np.asarray(len(history["loss"]))}


def driver_shares(attributions: ArrayLike, tmean: ArrayLike,
                  feature_names: Sequence[str]) -> pd.Series:
    """Shares of precipitation credit by class, and temperature's share of all causal credit.

    Parameters
    ----------
    attributions : array_like, shape (n, window, n_features)
        SHAP values or true sensitivities, window position ``window - 1`` being lag 0.
    tmean : array_like, shape (n, window)
        Observed mean temperature (°C) of each month of each window.
    feature_names : sequence of str

    Returns
    -------
    pandas.Series
        :data:`DRIVERS` (sum to 1) and ``temperature`` (its group's share of both groups').
    """
    values, names = np.asarray(attributions, dtype=float), list(feature_names)
    tmean = np.asarray(tmean, dtype=float)
    if values.ndim != 3 or tmean.shape != values.shape[:2]:
        raise ValueError(f"attributions must be (n, window, features) and tmean (n, window); "
                         f"got {values.shape} and {tmean.shape}")
    precip = _group(values, names, PRECIP_GROUP)
    temperature = _group(values, names, _TEMPERATURE_GROUP).sum()
    snow = snow_fraction(tmean)  # McCabe & Markstrom: 1 at -1 °C or colder, 0 from 3.3 °C
    recent = np.arange(values.shape[1])[::-1] < _RECENT_LAGS  # lag of each window position
    rain = precip * (1 - snow)
    parts = np.array([(precip * snow).sum(), rain[:, recent].sum(), rain[:, ~recent].sum()])
    if not parts.sum() > 0:
        raise ValueError("the attributions give precipitation no credit: no driver to name")
    shares = dict(zip(DRIVERS, parts / parts.sum(), strict=True))
    shares["temperature"] = temperature / (temperature + parts.sum())
    return pd.Series(shares)


def _group(attributions: np.ndarray, names: list[str], group: Sequence[str]) -> np.ndarray:
    """Summed absolute credit of the variables of ``group`` present in ``names``, (n, window)."""
    columns = [names.index(v) for v in group if v in names]
    if not columns:
        raise ValueError(f"none of the variables {list(group)} is among {names}")
    return np.abs(attributions[..., columns]).sum(axis=-1)


def dominant_driver(shares: pd.Series) -> str:
    """``"snowmelt"`` if its share (of :func:`driver_shares`) reaches :data:`SNOW_LIMIT`, else
    the larger rainfall class."""
    if shares["snowmelt"] >= SNOW_LIMIT:
        return "snowmelt"
    return max(DRIVERS[1:], key=lambda name: shares[name])


def lag_profile(attributions: ArrayLike, feature_names: Sequence[str]) -> pd.DataFrame:
    """Mean absolute credit per variable (rows) and lag in months (columns, 0 = target month)."""
    values = np.abs(np.asarray(attributions, dtype=float)).mean(axis=0)[::-1].T  # lag 0 first
    return pd.DataFrame(values, list(feature_names)).rename_axis(index="variable", columns="lag")


def season_clock(attributions: ArrayLike, target_months: ArrayLike,
                 feature_names: Sequence[str]) -> pd.DataFrame:
    """Temperature's mean share of the (temperature + precipitation) credit, by calendar month
    of the target (index: the months present; column ``temperature``)."""
    values, names = np.asarray(attributions, dtype=float), list(feature_names)
    temperature = _group(values, names, _TEMPERATURE_GROUP).sum(axis=1)
    precip = _group(values, names, PRECIP_GROUP).sum(axis=1)
    total = np.where(temperature + precip > 0, temperature + precip, np.nan)
    frame = pd.DataFrame({"month": np.asarray(target_months), "temperature": temperature / total})
    return frame.groupby("month").mean()


def tmean_windows(record: pd.DataFrame, target_dates: pd.DatetimeIndex, window: int) -> np.ndarray:
    """Observed ``tmean`` of the ``window`` months ending at each target date, (n, window)."""
    positions = record.index.get_indexer(pd.DatetimeIndex(target_dates))
    return record["tmean"].to_numpy()[positions[:, None] - np.arange(window)[::-1]]


# ---- hand-offs to the machinery behind the door (helpers/_kit/sample.py, parallel.py) ----
def draw_sample(n_catchments: int, seed: int) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """``n_catchments`` catchments (attributes, one row each; three regimes in turn) and their
    30-year monthly records (``FEATURES`` + ``runoff``), regenerated from ``seed``."""
    attributes = sample.draw_attributes(n_catchments, seed)  # uniform draws within regimes
    return attributes, sample.generate_records(attributes)  # the teaching generator, varied


def catchment_truth(record: pd.DataFrame, attributes: pd.Series,
                    target_dates: pd.DatetimeIndex, window: int) -> dict:
    """A catchment's simulated truth over ``target_dates`` (``attributions``, ``melt_share``,
    ``memory_months``), and its ``shares`` and ``driver`` read as SHAP values are."""
    truth = sample.catchment_truth(record, attributes, target_dates, window)  # re-simulated
    tmean = tmean_windows(record, target_dates, window)
    truth["shares"] = driver_shares(truth["attributions"], tmean, FEATURES)
    truth["driver"] = dominant_driver(truth["shares"])
    return truth


def connect(scheduler: str | None = None, **options: float) -> object:
    """A Dask client: to ``scheduler`` or ``$COURSE_DASK_SCHEDULER``, else a LocalCluster."""
    return parallel.connect(scheduler, **options)  # an unreachable address: ConnectionError


def run_tasks(task: Callable[..., dict], jobs: Mapping[str, Mapping], results_dir: Path | str,
              client: object | None = None, progress: bool = True) -> parallel.Outcome:
    """``task(**jobs[name])`` for every catchment, here (no ``client``) or on Dask; each result
    saved under ``results_dir``, reused from there by a later run (``.reused``, ``.results``)."""
    if client is None:
        return parallel.run_serial(task, jobs, results_dir, progress)  # one after the other
    return parallel.run_on_dask(task, jobs, results_dir, client, progress)  # one task each


def digest(jobs: Mapping, model: object | None = None) -> str:
    """A short hash of the jobs, the helpers' code and the model's weights: name a results
    folder with it, so that saved results are reused only for the same inputs and code."""
    weights = [] if model is None else model.get_weights()
    return parallel.digest({"jobs": jobs, "weights": weights})  # the SHAP cache's way
