"""A record of the teaching catchment: generate it, write it, re-run its hidden states.

:func:`generate_catchment` draws the weather and runs the process model; :func:`as_record`
checks a record's dates and columns; :func:`simulate_record` recomputes the hidden states
(snowpack, soil and routing stores, PET, melt) from a record's ``precip`` and ``tmean``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from helpers._kit.catchment.process import (
    initial_state,
    process_drivers,
    run_process_model,
    snow_fraction,
)
from helpers._kit.catchment.settings import (
    DECIMALS,
    DEFAULT_SEED,
    END,
    PROCESS_INPUTS,
    START,
    TEACHING_CATCHMENT,
    TEACHING_WEATHER,
    Catchment,
    WeatherSettings,
)
from helpers._kit.catchment.sun import monthly_dates
from helpers._kit.catchment.weather import generate_weather
from helpers._kit.columns import DATE_COLUMN, FEATURES, TARGET


def as_record(record: pd.DataFrame, columns: Iterable[str] = PROCESS_INPUTS) -> pd.DataFrame:
    """Return ``record`` indexed by its monthly dates, checking the columns the caller needs.

    Parameters
    ----------
    record : pandas.DataFrame
        Either indexed by a monthly ``DatetimeIndex`` (the form ``helpers.data.load_record``
        returns) or holding a ``date`` column (the CSV as read by ``pandas.read_csv``).
    columns : iterable of str
        Columns that must be present.

    Returns
    -------
    pandas.DataFrame
        A copy indexed by consecutive month starts, index named ``date``.
    """
    if not isinstance(record, pd.DataFrame):
        raise ValueError(f"record must be a pandas DataFrame, got {type(record).__name__}")
    frame = record.copy()
    if DATE_COLUMN in frame.columns:
        frame = frame.set_index(pd.to_datetime(frame.pop(DATE_COLUMN)))
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError(f"record needs a DatetimeIndex or a {DATE_COLUMN!r} column")
    frame.index.name = DATE_COLUMN
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"record lacks the columns {missing}")
    if len(frame) == 0 or not frame.index.equals(monthly_dates(frame.index[0], frame.index[-1])):
        raise ValueError("record must hold consecutive month starts, oldest first")
    return frame


def _spinup_length(n_months: int, spinup_years: int) -> int:
    """Months of spin-up: ``spinup_years`` whole years, at most as many as the record holds."""
    return min(12 * spinup_years, 12 * (n_months // 12))


def _run_with_spinup(frame: pd.DataFrame, catchment: Catchment) -> tuple[dict, int]:
    """Run the model on the first ``catchment.spinup_years`` of ``frame`` then on all of it.

    Returns the run (a dict as from :func:`run_process_model`, spin-up months included) and
    the number of spin-up months.
    """
    n_spin = _spinup_length(len(frame), catchment.spinup_years)
    rows = np.r_[np.arange(n_spin), np.arange(len(frame))]
    radiation, days = process_drivers(frame.index, catchment.latitude)
    precip, tmean = frame["precip"].to_numpy()[rows], frame["tmean"].to_numpy()[rows]
    run = run_process_model(precip, tmean, radiation[rows], days[rows], catchment.process)
    return run, n_spin


def simulate_record(
    record: pd.DataFrame, catchment: Catchment = TEACHING_CATCHMENT
) -> pd.DataFrame:
    """Re-run the process model on a record's ``precip`` and ``tmean``: the hidden truth.

    The stores are spun up by running the first ``catchment.spinup_years`` of the record once
    before the record itself (the generator used its own earlier weather instead, so the two
    agree to rounding once the stores have forgotten their start, after a few years).

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`.
    catchment : Catchment
        Process parameters, latitude and spin-up of the catchment the record comes from.

    Returns
    -------
    pandas.DataFrame
        Indexed like the record: ``runoff`` (noise-free), ``pet``, ``snowfall``, ``liquid``
        (rain + melt), ``melt`` and the end-of-month stores ``snowpack``, ``production``,
        ``routing`` (all mm).
    """
    frame = as_record(record)
    run, n_spin = _run_with_spinup(frame, catchment)
    out = pd.DataFrame({k: v[n_spin:] for k, v in run.items()}, index=frame.index)
    fraction = snow_fraction(frame["tmean"], catchment.process)
    out["snowfall"] = fraction * frame["precip"].clip(lower=0)
    out["melt"] = out["liquid"] - (1 - fraction) * frame["precip"].clip(lower=0)
    return out


def start_states(frame: pd.DataFrame, catchment: Catchment = TEACHING_CATCHMENT) -> dict:
    """Stores at the start of every month of the record, each an array of shape (n,).

    Parameters
    ----------
    frame : pandas.DataFrame
        A record as returned by :func:`as_record`.
    catchment : Catchment

    Returns
    -------
    dict of numpy.ndarray
        ``snowpack``, ``production``, ``routing`` (mm) at the start of each month.
    """
    run, n_spin = _run_with_spinup(frame, catchment)
    start = initial_state(catchment.process)
    # the start of a month is the end of the month before (or the initial state)
    return {k: np.r_[start[k], run[k]][n_spin : n_spin + len(frame)] for k in start}


def round_record(frame: pd.DataFrame) -> pd.DataFrame:
    """Round each column to its decimals in ``DECIMALS`` (and turn -0.0 into 0.0)."""
    return frame.round({k: v for k, v in DECIMALS.items() if k in frame.columns}) + 0.0


def generate_catchment(
    seed: int = DEFAULT_SEED,
    start: str = START,
    end: str = END,
    weather: WeatherSettings = TEACHING_WEATHER,
    catchment: Catchment = TEACHING_CATCHMENT,
) -> pd.DataFrame:
    """Generate the teaching-catchment record: weather, then runoff from the process model.

    Weather is drawn from ``catchment.spinup_years`` before ``start``; the process model runs
    on the rounded ``precip`` and ``tmean`` from the initial stores; the spin-up months are
    dropped; runoff gets multiplicative log-normal noise (``weather.runoff_noise``).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same record.
    start, end : str
        First and last month (month starts).
    weather : WeatherSettings
        The weather generator's design choices.
    catchment : Catchment
        Process parameters, latitude and years of spin-up (simulated, then discarded).

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, the nine ``FEATURES``, ``runoff`` (mm/month); one row per month.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    dates = monthly_dates(start, end)
    full = monthly_dates(dates[0] - pd.DateOffset(years=catchment.spinup_years), dates[-1])
    rng = np.random.default_rng(seed)
    climate = round_record(generate_weather(rng, full, weather, catchment.latitude))
    radiation, days = process_drivers(full, catchment.latitude)
    run = run_process_model(
        climate["precip"], climate["tmean"], radiation, days, catchment.process
    )
    sigma = weather.runoff_noise
    noise = np.exp(sigma * rng.standard_normal(len(dates)) - sigma**2 / 2)
    record = climate.iloc[-len(dates) :].assign(**{TARGET: run["runoff"][-len(dates) :] * noise})
    return round_record(record).reset_index()


def write_record(record: pd.DataFrame, path: Path | str) -> str:
    """Write a record as CSV (ISO dates, ``\\n`` line ends) and return its SHA-256 checksum."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    as_record(record, [*FEATURES, TARGET]).reset_index().to_csv(
        path, index=False, lineterminator="\n", date_format="%Y-%m-%d"
    )
    return file_sha256(path)


def file_sha256(path: Path | str) -> str:
    """SHA-256 checksum (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_summary(record: pd.DataFrame, catchment: Catchment = TEACHING_CATCHMENT) -> pd.Series:
    """Water balance and seasonality of a record, with the hidden states from the model.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`; needs ``precip``, ``tmean`` and ``runoff``.
    catchment : Catchment
        As in :func:`simulate_record`.

    Returns
    -------
    pandas.Series
        Annual means (mm/yr) of precipitation, PET and runoff, runoff ratio, snow share of
        precipitation, calendar months of the peak mean runoff and snowpack, lag-1
        autocorrelation of runoff, correlation of ``tmax`` with ``tmean`` (if present).
    """
    frame = as_record(record, [*PROCESS_INPUTS, TARGET])
    sim = simulate_record(frame, catchment)
    by_month = pd.concat([frame[TARGET], sim["snowpack"]], axis=1).groupby(frame.index.month)
    summary = {
        "precip_mm_per_year": 12 * frame["precip"].mean(),
        "pet_mm_per_year": 12 * sim["pet"].mean(),
        "runoff_mm_per_year": 12 * frame[TARGET].mean(),
        "runoff_ratio": frame[TARGET].sum() / frame["precip"].sum(),
        "snow_share": sim["snowfall"].sum() / frame["precip"].sum(),
        "runoff_peak_month": int(by_month[TARGET].mean().idxmax()),
        "snowpack_peak_month": int(by_month["snowpack"].mean().idxmax()),
        "runoff_lag1_autocorr": frame[TARGET].autocorr(1),
    }
    if "tmax" in frame:
        summary["tmax_tmean_corr"] = frame["tmax"].corr(frame["tmean"])
    return pd.Series(summary)


