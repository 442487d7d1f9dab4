"""The teaching catchment: a synthetic monthly record whose runoff process is known.

A seeded weather generator produces nine monthly climate variables; a small water-balance model
turns two of them (``precip`` and ``tmean``) into runoff. Because the process is known, the
course can compare what SHAP says with the truth (:func:`true_sensitivity`).

The process model, in the order it runs each month (all water in mm/month):

1. Snow, McCabe & Markstrom (2007, USGS OFR 2007-1088): the snow fraction of precipitation
   falls linearly from 1 at ``t_snow`` to 0 at ``t_rain``; a share ``min(1 - fs, melt_max)`` of
   the pack melts.
2. Potential evapotranspiration, Oudin et al. (2005): ``0.408 Ra (T + 5) / 100`` mm/day when
   ``T > -5 °C``, with ``Ra`` the extraterrestrial radiation of FAO-56 (Allen et al. 1998).
3. GR2M, Mouelhi et al. (2006): a production (soil) store and a routing store.

Columns, units, roles and references: ``data/README.md``.
Regenerate the shipped CSV with ``python -m helpers.catchment`` (or ``make data``).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from helpers import paths
from helpers.data import DATE_COLUMN, FEATURES, TARGET

#: Seed of the shipped record ``data/teaching_catchment.csv``: of seeds 0-39, the one whose
#: record came closest to the design targets (see ``data/README.md``).
DEFAULT_SEED = 38

#: First and last month of the record (month starts): 746 months.
START, END = "1960-01-01", "2022-02-01"

#: Latitude of the catchment (degrees north): sets radiation, day length and so PET.
LATITUDE = 47.0

#: Years of weather simulated before ``START`` so the stores forget their initial values.
SPINUP_YEARS = 5

#: The only inputs the process model reads; the seven other features are distractors.
PROCESS_INPUTS = ("precip", "tmean")

#: Decimals kept in the CSV for each column.
DECIMALS = dict.fromkeys([*FEATURES, TARGET], 2) | {"climate_index": 3}


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProcessParameters:
    """Parameters of the snow + GR2M process model.

    Attributes
    ----------
    x1 : float
        Capacity of the GR2M production (soil) store, mm.
    x2 : float
        GR2M routing-store coefficient (< 1 means water leaves the catchment), -.
    t_snow : float
        Temperature (°C) at or below which all precipitation is snow.
    t_rain : float
        Temperature (°C) at or above which all precipitation is rain.
    melt_max : float
        Largest share of the snowpack that can melt in one month, -.
    initial_fill : float
        Initial content of both GR2M stores as a share of ``x1``.
    """

    x1: float = 380.0
    x2: float = 0.92
    t_snow: float = -1.0
    t_rain: float = 3.3
    melt_max: float = 0.5
    initial_fill: float = 0.3


@dataclass(frozen=True)
class WeatherSettings:
    """Design choices of the weather generator (not physics: tuned to a plausible climate).

    Seasonal means follow ``mean + amplitude * cos(2 pi (month - peak) / 12)``.

    Attributes
    ----------
    t_mean, t_amplitude, t_peak : float
        Temperature climatology (°C, °C, month of the maximum).
    t_sd_winter, t_sd_summer : float
        Standard deviation (°C) of monthly temperature anomalies in January and July.
    p_mean, p_amplitude, p_peak : float
        Precipitation climatology (mm/month, mm/month, month of the maximum).
    p_cv : float
        Coefficient of variation of monthly precipitation (Gamma distribution).
    phi_t, phi_p, phi_cloud : float
        Lag-1 autocorrelation of the temperature, precipitation and cloudiness anomalies.
    corr_p_cloud, corr_t_p, corr_t_cloud : float
        Correlations of the innovations of those anomalies.
    phi_index, index_period_years : float
        Climate index: AR(1) coefficient and period of its added sine.
    index_p_effect, index_t_effect : float
        Shift per standard deviation of the climate index: relative precipitation (-), °C.
    warming : float
        Linear temperature trend, °C per year, zero in ``trend_reference_year``.
    trend_reference_year : float
        Year in which the trend term is zero (middle of the record).
    runoff_noise : float
        Standard deviation of the multiplicative (log-normal) observation noise on runoff.
    """

    t_mean: float = 5.3
    t_amplitude: float = 10.5
    t_peak: float = 7.5
    t_sd_winter: float = 2.4
    t_sd_summer: float = 1.3
    p_mean: float = 83.0
    p_amplitude: float = 25.0
    p_peak: float = 7.0
    p_cv: float = 0.55
    phi_t: float = 0.3
    phi_p: float = 0.1
    phi_cloud: float = 0.1
    corr_p_cloud: float = 0.75
    corr_t_p: float = 0.0
    corr_t_cloud: float = -0.2
    phi_index: float = 0.95
    index_period_years: float = 7.0
    index_p_effect: float = 0.12
    index_t_effect: float = 0.5
    warming: float = 0.025
    trend_reference_year: float = 1991.0
    runoff_noise: float = 0.07


# --------------------------------------------------------------------------------------------
# Calendar and sun
# --------------------------------------------------------------------------------------------
def monthly_dates(start: str = START, end: str = END) -> pd.DatetimeIndex:
    """Month starts from ``start`` to ``end`` inclusive, as an index named ``date``.

    Parameters
    ----------
    start, end : str
        Dates understood by pandas, e.g. ``"1960-01-01"``.

    Returns
    -------
    pandas.DatetimeIndex
    """
    dates = pd.date_range(start, end, freq="MS", name=DATE_COLUMN)
    if len(dates) == 0:
        raise ValueError(f"no month start between {start!r} and {end!r}")
    return dates


def seasonal_cycle(month: ArrayLike, mean: float, amplitude: float, peak: float) -> np.ndarray:
    """A cosine annual cycle: ``mean + amplitude * cos(2 pi (month - peak) / 12)``.

    Parameters
    ----------
    month : array_like
        Calendar month, 1 to 12.
    mean, amplitude : float
        Annual mean and half the range of the cycle.
    peak : float
        Month of the maximum.

    Returns
    -------
    numpy.ndarray
    """
    month = np.asarray(month, dtype=float)
    return mean + amplitude * np.cos(2 * np.pi * (month - peak) / 12)


def mid_month_day_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    """Day of the year (1-366) of the 15th of each month in ``dates``."""
    return np.asarray((dates + pd.Timedelta(days=14)).day_of_year, dtype=float)


def _sun(latitude: float, day_of_year):
    """Latitude (rad), solar declination (rad), sunset hour angle (rad); FAO-56 eqs 24-25."""
    if not -90 < latitude < 90:
        raise ValueError(f"latitude must be strictly between -90 and 90, got {latitude}")
    phi = np.deg2rad(latitude)
    day_of_year = np.asarray(day_of_year, dtype=float)
    declination = 0.409 * np.sin(2 * np.pi * day_of_year / 365 - 1.39)
    sunset = np.arccos(np.clip(-np.tan(phi) * np.tan(declination), -1.0, 1.0))
    return phi, declination, sunset


def extraterrestrial_radiation(latitude: float, day_of_year: ArrayLike) -> np.ndarray:
    """Extraterrestrial radiation ``Ra`` (MJ m-2 day-1), FAO-56 equation 21.

    Parameters
    ----------
    latitude : float
        Degrees, positive north.
    day_of_year : array_like
        Day of the year, 1 to 366.

    Returns
    -------
    numpy.ndarray
    """
    phi, declination, sunset = _sun(latitude, day_of_year)
    inverse_distance = 1 + 0.033 * np.cos(2 * np.pi * np.asarray(day_of_year) / 365)
    solar_constant = 0.0820  # MJ m-2 min-1
    return (
        (24 * 60 / np.pi)
        * solar_constant
        * inverse_distance
        * (
            sunset * np.sin(phi) * np.sin(declination)
            + np.cos(phi) * np.cos(declination) * np.sin(sunset)
        )
    )


def daylight_hours(latitude: float, day_of_year: ArrayLike) -> np.ndarray:
    """Astronomical day length ``N = 24 ws / pi`` (hours), FAO-56 equation 34."""
    return 24 / np.pi * _sun(latitude, day_of_year)[2]


def saturation_vapour_pressure(tmean: ArrayLike) -> np.ndarray:
    """Saturation vapour pressure (hPa) over water at ``tmean`` (°C), FAO-56 equation 11."""
    tmean = np.asarray(tmean, dtype=float)
    return 6.108 * np.exp(17.27 * tmean / (tmean + 237.3))


# --------------------------------------------------------------------------------------------
# Weather generator
# --------------------------------------------------------------------------------------------
def correlated_ar1(
    rng: np.random.Generator, n: int, phi: float | np.ndarray, corr: float | np.ndarray
) -> np.ndarray:
    """Unit-variance AR(1) series whose innovations are correlated (Cholesky of ``corr``).

    ``x[t] = phi x[t-1] + sqrt(1 - phi^2) e[t]``, with ``e[t] ~ N(0, corr)``; ``x[0]`` is drawn
    from the stationary distribution.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of time steps.
    phi : array_like, shape (k,)
        Lag-1 autocorrelation of each series, each in (-1, 1).
    corr : array_like, shape (k, k)
        Correlation matrix of the innovations (symmetric, positive definite).

    Returns
    -------
    numpy.ndarray, shape (n, k)
    """
    phi = np.asarray(phi, dtype=float)
    corr = np.asarray(corr, dtype=float)
    if corr.shape != (phi.size, phi.size):
        raise ValueError(f"corr must have shape {(phi.size, phi.size)}, got {corr.shape}")
    if np.any(np.abs(phi) >= 1):
        raise ValueError(f"each phi must be in (-1, 1), got {phi}")
    chol = np.linalg.cholesky(corr)  # raises LinAlgError if not positive definite
    shocks = rng.standard_normal((n, phi.size)) @ chol.T
    x = np.empty((n, phi.size))
    x[0] = shocks[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + np.sqrt(1 - phi**2) * shocks[t]
    return x


def climate_index_series(
    rng: np.random.Generator, n: int, phi: float = 0.95, period_years: float = 7.0
) -> np.ndarray:
    """An ENSO-like index: AR(1) noise plus a sine of random phase, standardised.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of months.
    phi : float
        Lag-1 autocorrelation of the noise part.
    period_years : float
        Period of the sine, years.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Mean 0 and standard deviation 1 over the ``n`` months.
    """
    noise = correlated_ar1(rng, n, [phi], [[1.0]])[:, 0]
    phase = rng.uniform(0, 2 * np.pi)
    sine = np.sin(2 * np.pi * np.arange(n) / (12 * period_years) + phase)
    index = noise + sine
    return (index - index.mean()) / index.std()


def gamma_from_normal(z: ArrayLike, mean: ArrayLike, cv: float) -> np.ndarray:
    """Map standard-normal values to Gamma values with a Gaussian copula.

    ``u = Phi(z)`` then the Gamma quantile of ``u``, with shape ``1/cv^2``, so that a value of
    ``z`` keeps its rank and its correlations with other variables.

    Parameters
    ----------
    z : array_like
        Standard-normal values.
    mean : array_like
        Mean of the Gamma distribution (broadcast with ``z``), > 0.
    cv : float
        Coefficient of variation, > 0.

    Returns
    -------
    numpy.ndarray
    """
    if cv <= 0:
        raise ValueError(f"cv must be positive, got {cv}")
    shape = 1 / cv**2
    u = stats.norm.cdf(z)
    return np.asarray(mean) * stats.gamma.ppf(u, shape, scale=1 / shape)


def _anomalies(rng: np.random.Generator, n: int, s: WeatherSettings) -> np.ndarray:
    """Anomalies of temperature, precipitation and cloudiness, shape (n, 3), unit variance."""
    corr = np.array(
        [
            [1.0, s.corr_t_p, s.corr_t_cloud],
            [s.corr_t_p, 1.0, s.corr_p_cloud],
            [s.corr_t_cloud, s.corr_p_cloud, 1.0],
        ]
    )
    return correlated_ar1(rng, n, [s.phi_t, s.phi_p, s.phi_cloud], corr)


def _temperature(month, year, index, z_t, s: WeatherSettings) -> np.ndarray:
    """Monthly mean temperature (°C): climatology + trend + climate index + anomaly."""
    climatology = seasonal_cycle(month, s.t_mean, s.t_amplitude, s.t_peak)
    anomaly_sd = seasonal_cycle(
        month, (s.t_sd_winter + s.t_sd_summer) / 2, (s.t_sd_winter - s.t_sd_summer) / 2, 1.0
    )
    trend = s.warming * (year - s.trend_reference_year)
    return climatology + trend + s.index_t_effect * index + anomaly_sd * z_t


def _precipitation(month, index, z_p, s: WeatherSettings) -> np.ndarray:
    """Monthly precipitation (mm): Gamma around a climatology scaled by the climate index."""
    climatology = seasonal_cycle(month, s.p_mean, s.p_amplitude, s.p_peak)
    mean = climatology * np.clip(1 + s.index_p_effect * index, 0.2, None)
    return gamma_from_normal(z_p, mean, s.p_cv)


def _distractors(rng, month, day_of_year, days, tmean, cloud, latitude) -> dict:
    """The seven variables the process model ignores, built from cloudiness and temperature."""
    n = len(month)
    noise = rng.standard_normal((n, 3))
    dtr = np.clip(seasonal_cycle(month, 8.5, 2.5, 7) - 1.5 * cloud + 0.7 * noise[:, 0], 1.5, None)
    humidity = np.clip(seasonal_cycle(month, 76, -8, 7) + 5 * cloud + 3 * noise[:, 1], 35, 99)
    sun_share = np.clip(
        seasonal_cycle(month, 0.40, 0.12, 7) - 0.09 * cloud + 0.03 * noise[:, 2], 0.05, 0.9
    )
    wind_anomaly = correlated_ar1(rng, n, [0.3], [[1.0]])[:, 0]
    return {
        "tmax": tmean + dtr / 2,
        "tmin": tmean - dtr / 2,
        "rel_humidity": humidity,
        "sunshine": sun_share * daylight_hours(latitude, day_of_year) * days,
        "vapour_pressure": humidity / 100 * saturation_vapour_pressure(tmean),
        "wind": np.clip(seasonal_cycle(month, 3.0, 0.5, 1) + 0.45 * wind_anomaly, 0.5, None),
    }


def generate_weather(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    settings: WeatherSettings = WeatherSettings(),
    latitude: float = LATITUDE,
) -> pd.DataFrame:
    """Draw the nine climate variables for ``dates`` (unrounded).

    A latent cloudiness anomaly, correlated with the precipitation anomaly, lowers sunshine
    and the diurnal temperature range (``tmax - tmin``) and raises relative humidity. The
    climate index shifts precipitation and temperature but reaches runoff only through them.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the draws happen in a fixed order).
    dates : pandas.DatetimeIndex
        Month starts.
    settings : WeatherSettings
        Design choices of the generator.
    latitude : float
        Degrees north (for day length, hence sunshine hours).

    Returns
    -------
    pandas.DataFrame
        Columns ``FEATURES``, indexed by ``dates``.
    """
    n = len(dates)
    month = dates.month.to_numpy()
    year = dates.year.to_numpy() + (month - 0.5) / 12
    index = climate_index_series(rng, n, settings.phi_index, settings.index_period_years)
    z_t, z_p, cloud = _anomalies(rng, n, settings).T
    tmean = _temperature(month, year, index, z_t, settings)
    columns = {"precip": _precipitation(month, index, z_p, settings), "tmean": tmean}
    columns |= _distractors(
        rng,
        month,
        mid_month_day_of_year(dates),
        dates.days_in_month.to_numpy(),
        tmean,
        cloud,
        latitude,
    )
    columns["climate_index"] = index
    return pd.DataFrame(columns, index=dates)[FEATURES]


# --------------------------------------------------------------------------------------------
# Process model: snow, PET, GR2M (vectorised over a leading batch axis)
# --------------------------------------------------------------------------------------------
def snow_fraction(tmean: ArrayLike, params: ProcessParameters = ProcessParameters()) -> np.ndarray:
    """Share of precipitation falling as snow: 1 at or below ``t_snow``, 0 at or above ``t_rain``.

    Linear in between (McCabe & Markstrom 2007).
    """
    tmean = np.asarray(tmean, dtype=float)
    return np.clip((params.t_rain - tmean) / (params.t_rain - params.t_snow), 0.0, 1.0)


def snow_step(
    pack: ArrayLike,
    precip: ArrayLike,
    tmean: ArrayLike,
    params: ProcessParameters = ProcessParameters(),
) -> tuple[np.ndarray, np.ndarray]:
    """One month of the snow model.

    Snowfall ``fs * P`` joins the pack, then a share ``min(1 - fs, melt_max)`` of the pack
    melts.

    Parameters
    ----------
    pack : array_like
        Snowpack at the start of the month, mm water equivalent.
    precip, tmean : array_like
        Precipitation (mm) and mean temperature (°C) of the month.
    params : ProcessParameters

    Returns
    -------
    pack : numpy.ndarray
        Snowpack at the end of the month, mm.
    liquid : numpy.ndarray
        Rain plus melt reaching the soil, mm.
    """
    fs = snow_fraction(tmean, params)
    pack = pack + fs * precip
    melt = np.minimum(1 - fs, params.melt_max) * pack
    return pack - melt, (1 - fs) * precip + melt


def oudin_pet(tmean: ArrayLike, radiation: ArrayLike, days: ArrayLike) -> np.ndarray:
    """Potential evapotranspiration (mm per period), Oudin et al. (2005).

    ``0.408 * Ra * (T + 5) / 100`` mm/day when ``T > -5 °C``, else 0, times ``days``.

    Parameters
    ----------
    tmean : array_like
        Mean temperature, °C.
    radiation : array_like
        Extraterrestrial radiation ``Ra``, MJ m-2 day-1 (0.408 = 1 / latent heat, mm per MJ m-2).
    days : array_like
        Number of days in the period.

    Returns
    -------
    numpy.ndarray
    """
    tmean = np.asarray(tmean, dtype=float)
    daily = 0.408 * np.asarray(radiation) * (tmean + 5) / 100
    return np.where(tmean > -5, daily, 0.0) * np.asarray(days)


def gr2m_step(
    production: ArrayLike,
    routing: ArrayLike,
    liquid: ArrayLike,
    pet: ArrayLike,
    x1: float = 380.0,
    x2: float = 0.92,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One month of GR2M (Mouelhi et al. 2006).

    Parameters
    ----------
    production, routing : array_like
        Contents of the production store ``S`` and the routing store ``R`` (mm), start of month.
    liquid : array_like
        Water reaching the soil (rain + melt), mm.
    pet : array_like
        Potential evapotranspiration, mm.
    x1 : float
        Production-store capacity, mm.
    x2 : float
        Routing-store coefficient.

    Returns
    -------
    production, routing, runoff : numpy.ndarray
        Stores at the end of the month and the month's runoff, mm.
    """
    s = np.asarray(production, dtype=float)
    phi = np.tanh(np.minimum(liquid / x1, 13.0))
    s1 = (s + x1 * phi) / (1 + phi * s / x1)  # rain fills the soil store
    p1 = liquid + s - s1  # the part that does not
    psi = np.tanh(np.minimum(pet / x1, 13.0))
    s2 = s1 * (1 - psi) / (1 + psi * (1 - s1 / x1))  # evaporation from the soil store
    s_end = s2 / (1 + (s2 / x1) ** 3) ** (1 / 3)  # percolation
    p3 = p1 + (s2 - s_end)
    r2 = x2 * (routing + p3)  # x2 < 1: water lost to the outside of the catchment
    runoff = r2**2 / (r2 + 60.0)
    return s_end, r2 - runoff, runoff


def initial_state(params: ProcessParameters = ProcessParameters(), batch: int = 1) -> dict:
    """Default stores: no snow, both GR2M stores at ``initial_fill * x1``; arrays of ``batch``."""
    fill = params.initial_fill * params.x1
    return {
        "snowpack": np.zeros(batch),
        "production": np.full(batch, fill),
        "routing": np.full(batch, fill),
    }


def process_drivers(
    dates: pd.DatetimeIndex, latitude: float = LATITUDE
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-month extraterrestrial radiation (MJ m-2 day-1) and days in month for ``dates``."""
    radiation = extraterrestrial_radiation(latitude, mid_month_day_of_year(dates))
    return radiation, dates.days_in_month.to_numpy().astype(float)


def run_process_model(
    precip: ArrayLike,
    tmean: ArrayLike,
    radiation: ArrayLike,
    days: ArrayLike,
    params: ProcessParameters = ProcessParameters(),
    state: Mapping | None = None,
) -> dict:
    """Run snow, PET and GR2M through time, for one or many input series at once.

    The loop runs over months; each step works on the whole batch with NumPy.

    Parameters
    ----------
    precip, tmean : array_like, shape (n,) or (batch, n)
        Precipitation (mm/month, negative values are set to 0) and mean temperature (°C).
    radiation, days : array_like
        Extraterrestrial radiation (MJ m-2 day-1) and days per month, broadcastable to the
        shape of ``precip`` (e.g. shape (n,) from :func:`process_drivers`).
    params : ProcessParameters
    state : mapping, optional
        Start stores ``snowpack``, ``production``, ``routing`` (scalars or shape (batch,));
        default :func:`initial_state`.

    Returns
    -------
    dict of numpy.ndarray
        ``runoff``, ``pet``, ``liquid`` (rain + melt), and the end-of-month stores ``snowpack``,
        ``production``, ``routing``; each with the shape of ``precip``.
    """
    precip, tmean = np.asarray(precip, dtype=float), np.asarray(tmean, dtype=float)
    if precip.shape != tmean.shape or precip.ndim not in (1, 2):
        raise ValueError(
            "precip and tmean must have the same shape, (n,) or (batch, n); "
            f"got {precip.shape} and {tmean.shape}"
        )
    p2, t2 = np.atleast_2d(np.clip(precip, 0, None)), np.atleast_2d(tmean)
    pet = oudin_pet(t2, np.broadcast_to(radiation, t2.shape), np.broadcast_to(days, t2.shape))
    # time-major, contiguous copies: row t holds month t of every run in the batch
    p_t, t_t, e_t = (np.ascontiguousarray(a.T) for a in (p2, t2, pet))
    start = initial_state(params) if state is None else state
    stores = {
        k: np.array(np.broadcast_to(start[k], p_t.shape[1]), dtype=float)
        for k in ("snowpack", "production", "routing")
    }
    out = {k: np.empty_like(p_t) for k in ("runoff", "liquid", *stores)}
    for t in range(p_t.shape[0]):
        stores["snowpack"], out["liquid"][t] = snow_step(stores["snowpack"], p_t[t], t_t[t], params)
        stores["production"], stores["routing"], out["runoff"][t] = gr2m_step(
            stores["production"], stores["routing"], out["liquid"][t], e_t[t], params.x1, params.x2
        )
        for k, v in stores.items():
            out[k][t] = v
    out["pet"] = e_t
    return {k: (v.T[0] if precip.ndim == 1 else v.T) for k, v in out.items()}


# --------------------------------------------------------------------------------------------
# From a record (the CSV as loaded) to the process model's hidden states
# --------------------------------------------------------------------------------------------
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
    if spinup_years < 0:
        raise ValueError(f"spinup_years must be >= 0, got {spinup_years}")
    return min(12 * spinup_years, 12 * (n_months // 12))


def _run_with_spinup(
    frame: pd.DataFrame, params: ProcessParameters, spinup_years: int, latitude: float
):
    """Run the model on the first ``spinup_years`` of ``frame`` then on all of it.

    Returns the run (a dict as from :func:`run_process_model`, spin-up months included) and
    the number of spin-up months.
    """
    n_spin = _spinup_length(len(frame), spinup_years)
    rows = np.r_[np.arange(n_spin), np.arange(len(frame))]
    radiation, days = process_drivers(frame.index, latitude)
    precip, tmean = frame["precip"].to_numpy()[rows], frame["tmean"].to_numpy()[rows]
    return run_process_model(precip, tmean, radiation[rows], days[rows], params), n_spin


def simulate_record(
    record: pd.DataFrame,
    params: ProcessParameters = ProcessParameters(),
    spinup_years: int = SPINUP_YEARS,
    latitude: float = LATITUDE,
) -> pd.DataFrame:
    """Re-run the process model on a record's ``precip`` and ``tmean``: the hidden truth.

    The stores are spun up by running the first ``spinup_years`` of the record once before
    the record itself (the generator used its own pre-1960 weather instead, so the two agree
    to rounding once the stores have forgotten their start, after a few years).

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`.
    params : ProcessParameters
    spinup_years : int
    latitude : float

    Returns
    -------
    pandas.DataFrame
        Indexed like the record: ``runoff`` (noise-free), ``pet``, ``snowfall``, ``liquid``
        and the end-of-month stores ``snowpack``, ``production``, ``routing`` (all mm).
    """
    frame = as_record(record)
    run, n_spin = _run_with_spinup(frame, params, spinup_years, latitude)
    out = pd.DataFrame({k: v[n_spin:] for k, v in run.items()}, index=frame.index)
    out["snowfall"] = snow_fraction(frame["tmean"], params) * frame["precip"].clip(lower=0)
    return out


def _start_states(
    frame: pd.DataFrame, params: ProcessParameters, spinup_years: int, latitude: float
) -> dict:
    """Stores at the start of every month of the record, each an array of shape (n,)."""
    run, n_spin = _run_with_spinup(frame, params, spinup_years, latitude)
    start = initial_state(params)
    # the start of a month is the end of the month before (or the initial state)
    return {k: np.r_[start[k], run[k]][n_spin : n_spin + len(frame)] for k in start}


# --------------------------------------------------------------------------------------------
# Generating the record
# --------------------------------------------------------------------------------------------
def round_record(frame: pd.DataFrame) -> pd.DataFrame:
    """Round each column to its decimals in ``DECIMALS`` (and turn -0.0 into 0.0)."""
    return frame.round({k: v for k, v in DECIMALS.items() if k in frame.columns}) + 0.0


def generate_catchment(
    seed: int = DEFAULT_SEED,
    start: str = START,
    end: str = END,
    spinup_years: int = SPINUP_YEARS,
    settings: WeatherSettings = WeatherSettings(),
    params: ProcessParameters = ProcessParameters(),
    latitude: float = LATITUDE,
) -> pd.DataFrame:
    """Generate the teaching-catchment record: weather, then runoff from the process model.

    Weather is drawn from ``spinup_years`` before ``start``; the process model runs on the
    rounded ``precip`` and ``tmean`` from the initial stores; the spin-up months are dropped;
    runoff gets multiplicative log-normal noise (``settings.runoff_noise``).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same record.
    start, end : str
        First and last month (month starts).
    spinup_years : int
        Years simulated before ``start`` and discarded.
    settings : WeatherSettings
    params : ProcessParameters
    latitude : float

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, the nine ``FEATURES``, ``runoff`` (mm/month); one row per month.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if spinup_years < 0:
        raise ValueError(f"spinup_years must be >= 0, got {spinup_years}")
    dates = monthly_dates(start, end)
    full = monthly_dates(dates[0] - pd.DateOffset(years=spinup_years), dates[-1])
    rng = np.random.default_rng(seed)
    weather = round_record(generate_weather(rng, full, settings, latitude))
    radiation, days = process_drivers(full, latitude)
    runoff = run_process_model(weather["precip"], weather["tmean"], radiation, days, params)[
        "runoff"
    ][-len(dates) :]
    sigma = settings.runoff_noise
    noise = np.exp(sigma * rng.standard_normal(len(dates)) - sigma**2 / 2)
    record = weather.iloc[-len(dates) :].assign(**{TARGET: runoff * noise})
    return round_record(record).reset_index()


def write_record(record: pd.DataFrame, path: Path | str = paths.CATCHMENT_CSV) -> str:
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


def record_summary(
    record: pd.DataFrame,
    params: ProcessParameters = ProcessParameters(),
    spinup_years: int = SPINUP_YEARS,
    latitude: float = LATITUDE,
) -> pd.Series:
    """Water balance and seasonality of a record, with the hidden states from the model.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`; needs ``precip``, ``tmean`` and ``runoff``.
    params, spinup_years, latitude
        As in :func:`simulate_record`.

    Returns
    -------
    pandas.Series
        Annual means (mm/yr) of precipitation, PET and runoff, runoff ratio, snow share of
        precipitation, calendar months of the peak mean runoff and snowpack, lag-1
        autocorrelation of runoff, correlation of ``tmax`` with ``tmean`` (if present).
    """
    frame = as_record(record, [*PROCESS_INPUTS, TARGET])
    sim = simulate_record(frame, params, spinup_years, latitude)
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


# --------------------------------------------------------------------------------------------
# Ground truth for the explanations
# --------------------------------------------------------------------------------------------
def perturbation_sizes(
    record: pd.DataFrame, delta: Mapping | None = None, n_std: float = 1.0
) -> pd.DataFrame:
    """Size of the perturbation of each variable in each month, in the variable's unit.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`; needs the nine ``FEATURES``.
    delta : mapping, optional
        Fixed perturbation per variable (all nine), in its unit. By default each variable is
        perturbed by ``n_std`` standard deviations of its values in the same calendar month
        (its anomaly for that month), computed over the record.
    n_std : float
        Multiplier of the standard deviation when ``delta`` is None (e.g. -1 to subtract).

    Returns
    -------
    pandas.DataFrame
        Same index as the record, one column per feature.
    """
    frame = as_record(record, FEATURES)
    if delta is None:
        monthly_sd = frame[FEATURES].groupby(frame.index.month).std()
        return n_std * monthly_sd.loc[frame.index.month].set_axis(frame.index)
    missing = [v for v in FEATURES if v not in delta]
    if missing:
        raise ValueError(f"delta must give a size for every feature; missing {missing}")
    return pd.DataFrame({v: float(delta[v]) for v in FEATURES}, index=frame.index)


def _check_lags(lags) -> np.ndarray:
    """Sorted unique non-negative integer lags; ValueError otherwise."""
    lags = np.unique(np.asarray(list(lags)))
    if lags.size == 0 or not np.issubdtype(lags.dtype, np.integer) or lags[0] < 0:
        raise ValueError(f"lags must be non-negative integers, got {lags}")
    return lags


def _target_positions(index: pd.DatetimeIndex, target_dates) -> np.ndarray:
    """Row positions of ``target_dates`` in ``index`` (all rows if None)."""
    if target_dates is None:
        return np.arange(len(index))
    targets = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(target_dates)))
    positions = index.get_indexer(targets)
    if len(targets) == 0 or np.any(positions < 0):
        raise ValueError(
            "target_dates must be month starts inside the record; not found: "
            f"{list(targets[positions < 0].strftime('%Y-%m-%d'))}"
        )
    return np.unique(positions)


def true_sensitivity(
    record: pd.DataFrame,
    target_dates: ArrayLike | None = None,
    lags: Iterable[int] = range(12),
    delta: Mapping | None = None,
    n_std: float = 1.0,
    params: ProcessParameters = ProcessParameters(),
    spinup_years: int = SPINUP_YEARS,
    latitude: float = LATITUDE,
) -> pd.DataFrame:
    """The process model's true sensitivity of runoff to each input at each lag.

    Definition: for a target month ``t``, a variable ``v`` and a lag ``k``, add the
    perturbation of :func:`perturbation_sizes` (by default +1 standard deviation of ``v`` in
    its calendar month) to ``v`` in month ``t - k`` only, re-run the process model from the
    stores it had at the start of month ``t - k``, and record the change of the noise-free
    runoff in month ``t``::

        delta_runoff(v, k, t) = Q(t | v[t-k] + delta) - Q(t)      (mm/month, signed)

    All nine features are perturbed the same way; the model reads only ``precip`` and
    ``tmean``, so the seven others come out exactly 0 — computed, not assumed. A perturbed
    ``precip`` below 0 is set to 0. Pairs whose month ``t - k`` precedes the record are left
    out. All runs go through the model in one batch.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record` (DatetimeIndex or ``date`` column); needs the nine ``FEATURES``.
    target_dates : array_like of dates, optional
        Months whose runoff is examined (e.g. the test period); default every month.
    lags : iterable of int
        Lags in months (0 = the target month itself); default 0 to 11.
    delta : mapping, optional
        Fixed perturbation per variable; see :func:`perturbation_sizes`.
    n_std : float
        Perturbation in standard deviations when ``delta`` is None.
    params, spinup_years, latitude
        As in :func:`simulate_record`.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``variable``, ``lag``, ``target_date``, ``target_month`` (1-12),
        ``perturbed_date``, ``input_delta`` (perturbation in the variable's unit) and
        ``delta_runoff`` (mm/month); ordered by variable (as ``FEATURES``), lag, target date.
    """
    frame = as_record(record, FEATURES)
    lags, targets = _check_lags(lags), _target_positions(frame.index, target_dates)
    sizes = perturbation_sizes(frame, delta, n_std).to_numpy()
    n, horizon, n_var = len(frame), int(lags[-1]) + 1, len(FEATURES)
    starts = np.unique((targets[:, None] - lags[None, :]).ravel())
    starts = starts[starts >= 0]
    window = np.minimum(starts[:, None] + np.arange(horizon), n - 1)  # (n_starts, horizon)
    # batch member 0 is the unperturbed run, member j + 1 perturbs FEATURES[j] in month 0
    inputs = np.repeat(frame[FEATURES].to_numpy()[window][None], n_var + 1, axis=0)
    for j in range(n_var):
        inputs[j + 1, :, 0, j] += sizes[starts, j]
    radiation, days = process_drivers(frame.index, latitude)
    states = _start_states(frame, params, spinup_years, latitude)
    flat = inputs.reshape(-1, horizon, n_var)
    run = run_process_model(
        flat[..., FEATURES.index("precip")],
        flat[..., FEATURES.index("tmean")],
        np.tile(radiation[window], (n_var + 1, 1)),
        np.tile(days[window], (n_var + 1, 1)),
        params,
        {k: np.tile(v[starts], n_var + 1) for k, v in states.items()},
    )
    runoff = run["runoff"].reshape(n_var + 1, len(starts), horizon)
    change = runoff[1:] - runoff[0]  # (n_var, n_starts, horizon)
    # every (target, lag) pair whose perturbed month lies inside the record
    t_grid, k_grid = np.meshgrid(targets, lags, indexing="ij")
    keep = t_grid >= k_grid
    t_pos, k_pos = t_grid[keep], k_grid[keep]
    s_pos = np.searchsorted(starts, t_pos - k_pos)
    out = pd.DataFrame(
        {
            "variable": np.repeat(FEATURES, len(t_pos)),
            "lag": np.tile(k_pos, n_var),
            "target_date": np.tile(frame.index[t_pos], n_var),
            "target_month": np.tile(frame.index.month[t_pos], n_var),
            "perturbed_date": np.tile(frame.index[t_pos - k_pos], n_var),
            "input_delta": sizes[t_pos - k_pos].T.ravel(),
            "delta_runoff": change[:, s_pos, k_pos].ravel(),
        }
    )
    out["variable"] = pd.Categorical(out["variable"], categories=FEATURES, ordered=True)
    return out.sort_values(["variable", "lag", "target_date"], ignore_index=True)


def sensitivity_summary(sensitivity: pd.DataFrame, by: str = "lag") -> pd.DataFrame:
    """Mean absolute true sensitivity, variable by ``lag`` or by ``target_month``.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        Output of :func:`true_sensitivity`.
    by : {"lag", "target_month"}

    Returns
    -------
    pandas.DataFrame
        Rows: variables (in ``FEATURES`` order); columns: the values of ``by``; cells: mean of
        ``|delta_runoff|`` (mm/month).
    """
    if by not in ("lag", "target_month"):
        raise ValueError(f"by must be 'lag' or 'target_month', got {by!r}")
    table = sensitivity.assign(abs_change=sensitivity["delta_runoff"].abs()).pivot_table(
        index="variable", columns=by, values="abs_change", aggfunc="mean", observed=False
    )
    return table.reindex(FEATURES)


# --------------------------------------------------------------------------------------------
# Command line: python -m helpers.catchment [--seed N] [--out PATH]
# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Regenerate the CSV, print its SHA-256 checksum and summary statistics."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.catchment", description="Regenerate the teaching-catchment CSV."
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED}, the shipped record)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.CATCHMENT_CSV,
        help=f"output CSV (default {paths.CATCHMENT_CSV})",
    )
    args = parser.parse_args(argv)
    try:
        record = generate_catchment(seed=args.seed)
    except ValueError as error:
        parser.error(str(error))  # prints usage and exits with status 2
    checksum = write_record(record, args.out)
    print(f"wrote {args.out} ({len(record)} months, seed {args.seed})")
    print(f"SHA-256 {checksum}")
    print(record_summary(record).round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
