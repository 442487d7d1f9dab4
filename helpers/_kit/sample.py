"""A large synthetic sample: the teaching catchment's generator varied, each with its truth.

Catchments are drawn around three regimes (:data:`REGIMES`): cold and snow-fed; warm with a
small, fast soil and routing store; warm with a deep, slow one. Within a regime climate and
properties vary continuously (uniform draws), and aridity varies with precipitation. Each
catchment's record comes from the teaching catchment's generator
(:func:`helpers._kit.catchment.record.generate_catchment`) with its own weather settings,
process parameters, latitude and seed; nothing is stored, everything is regenerated from
``(n_catchments, seed)``.

The truth of a catchment (:func:`catchment_truth`) is computed from its simulation: the true
sensitivities (:func:`helpers._kit.catchment.truth.true_sensitivity`) laid out like SHAP
values, the share of the water reaching the soil that is snowmelt and the storage memory (mean
lag of precipitation's effect). The regime is how a catchment was drawn, not its label: the
label (the dominant driver) is read from the truth by the caller
(``helpers.regional.catchment_truth``), which also passes in the window length and training
share; nothing here reads the course's settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers._kit.catchment.process import oudin_pet, process_drivers
from helpers._kit.catchment.record import as_record, generate_catchment, simulate_record
from helpers._kit.catchment.settings import Catchment, ProcessParameters, WeatherSettings
from helpers._kit.catchment.truth import true_sensitivity
from helpers._kit.columns import FEATURES
from helpers._kit.errors import DataError

#: Ranges (uniform draws) of each regime: mean temperature (°C), mean precipitation
#: (mm/month), soil capacity X1 (mm) and GR2M's routing constant (mm; larger = slower).
REGIMES = {
    "snow": {"t_mean": (-4.0, 0.0), "p_mean": (60.0, 120.0), "x1": (200.0, 500.0),
             "routing_constant": (40.0, 120.0)},
    "fast rain": {"t_mean": (9.0, 14.0), "p_mean": (50.0, 130.0), "x1": (150.0, 350.0),
                  "routing_constant": (15.0, 40.0)},
    "slow rain": {"t_mean": (9.0, 14.0), "p_mean": (30.0, 80.0), "x1": (800.0, 1200.0),
                  "routing_constant": (2000.0, 5000.0)},
}

#: Static attributes of :func:`static_attributes`, in order: the first three from a catchment's
#: training months (climate), the others given as its properties (soil capacity, log of the
#: routing constant).
STATIC = ["mean_precip", "mean_tmean", "aridity", "soil_capacity", "log_storage_constant"]

#: First and last month of every record: 30 years.
_START, _END = "1990-01-01", "2019-12-01"


def draw_attributes(n_catchments: int = 24, seed: int = 0) -> pd.DataFrame:
    """Draw the catchments' climates and properties, the regimes in turn.

    Parameters
    ----------
    n_catchments : int
        Size of the sample (>= 1).
    seed : int
        Seed of the draws; catchment ``i`` also gets its own record seed.

    Returns
    -------
    pandas.DataFrame
        Indexed by catchment id (``"c000"``, ...): ``regime``, ``t_mean``, ``p_mean``, ``x1``,
        ``routing_constant``, ``latitude`` (55° minus the mean temperature) and ``seed``.
    """
    if isinstance(n_catchments, bool) or not isinstance(n_catchments, int) or n_catchments < 1:
        raise ValueError(f"n_catchments must be a whole number >= 1, got {n_catchments!r}")
    rng = np.random.default_rng(seed)
    names = list(REGIMES)
    rows = []
    for i in range(n_catchments):
        regime = names[i % len(names)]
        row = {k: rng.uniform(*bounds) for k, bounds in REGIMES[regime].items()}
        rows.append({"regime": regime, **row, "seed": int(seed * 10_000 + i)})
    frame = pd.DataFrame(rows, index=[f"c{i:03d}" for i in range(n_catchments)])
    frame["latitude"] = 55.0 - frame["t_mean"]
    return frame.rename_axis("catchment")


def _weather_of(attributes: pd.Series) -> WeatherSettings:
    """The weather settings of one catchment (a row of :func:`draw_attributes`)."""
    p_mean = float(attributes["p_mean"])
    return WeatherSettings(t_mean=float(attributes["t_mean"]), p_mean=p_mean,
                           p_amplitude=0.3 * p_mean)


def catchment_of(attributes: pd.Series) -> Catchment:
    """The process parameters, latitude and spin-up of one catchment."""
    process = ProcessParameters(x1=float(attributes["x1"]),
                                routing_constant=float(attributes["routing_constant"]))
    return Catchment(process=process, latitude=float(attributes["latitude"]), spinup_years=3)


def generate_records(attributes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One monthly record (indexed by date, ``FEATURES`` + ``runoff``) per catchment.

    Parameters
    ----------
    attributes : pandas.DataFrame
        From :func:`draw_attributes`.

    Returns
    -------
    dict of pandas.DataFrame, keyed by catchment id
    """
    return {
        name: as_record(generate_catchment(seed=int(row["seed"]), start=_START, end=_END,
                                           weather=_weather_of(row), catchment=catchment_of(row)))
        for name, row in attributes.iterrows()
    }


def true_attributions(
    record: pd.DataFrame, catchment: Catchment, target_dates: pd.DatetimeIndex, window: int
) -> np.ndarray:
    """True sensitivities laid out like SHAP values: shape (n_targets, window, 9).

    Position ``window - 1 - k`` of window ``i`` holds ``delta_runoff`` of every feature
    perturbed ``k`` months before ``target_dates[i]`` (mm/month, signed).
    """
    sensitivity = true_sensitivity(record, target_dates, lags=range(window), catchment=catchment)
    table = sensitivity.pivot_table(index="target_date", columns=["variable", "lag"],
                                    values="delta_runoff", observed=False)
    values = table.reindex(pd.DatetimeIndex(target_dates)).to_numpy()
    values = values.reshape(len(target_dates), len(FEATURES), window)
    return values.transpose(0, 2, 1)[:, ::-1, :].copy()


def catchment_truth(
    record: pd.DataFrame, attributes: pd.Series, target_dates: pd.DatetimeIndex, window: int
) -> dict:
    """A catchment's truth over ``target_dates``, computed from its simulation.

    Parameters
    ----------
    record : pandas.DataFrame
        The catchment's record (from :func:`generate_records`).
    attributes : pandas.Series
        Its row of :func:`draw_attributes`.
    target_dates : pandas.DatetimeIndex
        Months whose runoff is examined.
    window : int
        Months per window (the lags 0 .. window - 1).

    Returns
    -------
    dict
        ``attributions`` (see :func:`true_attributions`), ``melt_share`` (melt / rain + melt
        reaching the soil over the whole record), ``memory_months`` (mean lag of
        precipitation's absolute effect).
    """
    catchment = catchment_of(attributes)
    attributions = true_attributions(record, catchment, target_dates, window)
    simulated = simulate_record(record, catchment)
    precip_by_lag = np.abs(attributions[..., FEATURES.index("precip")]).sum(axis=0)[::-1]
    return {
        "attributions": attributions,
        "melt_share": float(simulated["melt"].sum() / simulated["liquid"].sum()),
        "memory_months": float(np.average(np.arange(window), weights=precip_by_lag)),
    }


def static_attributes(
    records: dict[str, pd.DataFrame], properties: pd.DataFrame, train_fraction: float
) -> pd.DataFrame:
    """The static attributes of :data:`STATIC`, one row per catchment.

    Climate attributes come from the first ``train_fraction`` of each record's months (the
    test period is never looked at): mean precipitation and temperature, aridity = Oudin PET /
    precipitation.

    Parameters
    ----------
    records : dict of pandas.DataFrame
        Monthly records indexed by date.
    properties : pandas.DataFrame
        Indexed by catchment id: ``x1`` (mm), ``routing_constant`` (mm), ``latitude`` (°N).
    train_fraction : float
        Share of the months counted as the training period.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATIC`; a catchment without properties gets NaN.
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


def check_catchment(record: pd.DataFrame, statics: pd.DataFrame, name: str,
                    columns: list[str], window: int, min_windows: int) -> None:
    """Raise DataError if a catchment cannot join a regional model, saying why.

    Parameters
    ----------
    record : pandas.DataFrame
        The catchment's monthly record.
    statics : pandas.DataFrame
        Static attributes, one row per catchment (``name`` must have a finite value in each).
    name : str
        The catchment's id.
    columns : list of str
        Columns the record needs (features and target).
    window, min_windows : int
        Months per window, and the fewest windows a record must give.
    """
    missing = [c for c in columns if c not in record.columns]
    if missing:
        raise DataError(f"the record lacks the columns {missing}")
    if len(record) - window + 1 < min_windows:
        raise DataError(
            f"{len(record)} months give {max(len(record) - window + 1, 0)} windows of {window} "
            f"months; at least {min_windows} are needed ({window + min_windows - 1} months). "
            "Leave it out or lengthen its record."
        )
    row = statics.loc[name] if name in statics.index else None
    absent = list(statics.columns) if row is None else [a for a in row.index
                                                        if not np.isfinite(row[a])]
    if absent:
        raise DataError(f"static attributes missing or not finite: {absent}. Give every "
                        "catchment all of them (the model needs each as an input).")
