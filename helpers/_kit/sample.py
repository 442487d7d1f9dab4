"""A large synthetic sample: the teaching catchment's generator varied, each with its truth.

Catchments are drawn around three regimes (:data:`REGIMES`): cold and snow-fed; warm with a
small, fast soil and routing store; warm with a deep, slow one. Within a regime climate and
properties vary continuously (uniform draws), and aridity varies with precipitation. Each
catchment's record comes from :func:`helpers._kit.catchment.generate_catchment` with its own
weather settings, process parameters, latitude and seed; nothing is stored, everything is
regenerated from ``(n_catchments, seed)``.

The truth of a catchment (:func:`catchment_truth`) is computed from its simulation: the true
sensitivities of :func:`helpers._kit.catchment.true_sensitivity` laid out like SHAP values, the
share of the water reaching the soil that is snowmelt, the storage memory (mean lag of
precipitation's effect) and the dominant driver (:mod:`helpers.drivers`) of those sensitivities.
The regime is how a catchment was drawn, not its label: the label comes from the simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import drivers
from helpers._kit.catchment import (
    FEATURES,
    Catchment,
    ProcessParameters,
    WeatherSettings,
    as_record,
    generate_catchment,
    simulate_record,
    true_sensitivity,
)

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

#: First and last month of every record: 30 years.
START, END = "1990-01-01", "2019-12-01"


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


def weather_of(attributes: pd.Series) -> WeatherSettings:
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
        name: as_record(generate_catchment(seed=int(row["seed"]), start=START, end=END,
                                           weather=weather_of(row), catchment=catchment_of(row)))
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


def tmean_windows(record: pd.DataFrame, target_dates: pd.DatetimeIndex, window: int) -> np.ndarray:
    """Observed ``tmean`` of the ``window`` months ending at each target date, (n, window)."""
    positions = record.index.get_indexer(pd.DatetimeIndex(target_dates))
    rows = positions[:, None] - np.arange(window)[::-1]
    return record["tmean"].to_numpy()[rows]


def catchment_truth(
    record: pd.DataFrame, catchment: Catchment, target_dates: pd.DatetimeIndex, window: int
) -> dict:
    """A catchment's truth over ``target_dates``, computed from its simulation.

    Returns
    -------
    dict
        ``attributions`` (see :func:`true_attributions`), ``shares`` (pandas.Series of
        :func:`helpers.drivers.driver_shares`), ``driver`` (str), ``melt_share`` (melt / rain
        + melt reaching the soil over the whole record), ``memory_months`` (mean lag of
        precipitation's absolute effect).
    """
    attributions = true_attributions(record, catchment, target_dates, window)
    shares = drivers.driver_shares(attributions, tmean_windows(record, target_dates, window),
                                   FEATURES)
    simulated = simulate_record(record, catchment)
    precip_by_lag = np.abs(attributions[..., FEATURES.index("precip")]).sum(axis=0)[::-1]
    return {
        "attributions": attributions,
        "shares": shares,
        "driver": drivers.dominant_driver(shares),
        "melt_share": float(simulated["melt"].sum() / simulated["liquid"].sum()),
        "memory_months": float(np.average(np.arange(window), weights=precip_by_lag)),
    }
