"""The weather generator: nine monthly climate variables, two of them causal for runoff.

Temperature, precipitation and a latent cloudiness follow seasonal cycles plus AR(1) anomalies
with correlated innovations; a climate index shifts precipitation and temperature; seven
distractors (``tmax``, ``tmin``, humidity, sunshine, vapour pressure, wind, the index) are tied
to the causal variables through cloudiness and temperature. Every coefficient is a field of
:class:`~helpers._kit.catchment.settings.WeatherSettings`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from helpers._kit.catchment.settings import LATITUDE, TEACHING_WEATHER, WeatherSettings
from helpers._kit.catchment.sun import (
    daylight_hours,
    mid_month_day_of_year,
    saturation_vapour_pressure,
    seasonal_cycle,
)
from helpers._kit.columns import FEATURES


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


def _distractors(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    tmean: np.ndarray,
    cloud: np.ndarray,
    s: WeatherSettings,
    latitude: float,
) -> dict:
    """The seven variables the process model ignores, built from cloudiness and temperature."""
    n, month = len(dates), dates.month.to_numpy()
    noise = rng.standard_normal((n, 3))
    dtr = seasonal_cycle(month, *s.dtr_cycle) + s.dtr_per_cloud * cloud
    dtr = np.clip(dtr + s.dtr_noise * noise[:, 0], s.dtr_min, None)
    humidity = seasonal_cycle(month, *s.humidity_cycle) + s.humidity_per_cloud * cloud
    humidity = np.clip(humidity + s.humidity_noise * noise[:, 1], *s.humidity_range)
    sun_share = seasonal_cycle(month, *s.sun_cycle) + s.sun_per_cloud * cloud
    sun_share = np.clip(sun_share + s.sun_noise * noise[:, 2], *s.sun_range)
    wind_anomaly = correlated_ar1(rng, n, [s.wind_phi], [[1.0]])[:, 0]
    wind = seasonal_cycle(month, *s.wind_cycle) + s.wind_sd * wind_anomaly
    day_length = daylight_hours(latitude, mid_month_day_of_year(dates))
    return {
        "tmax": tmean + dtr / 2,
        "tmin": tmean - dtr / 2,
        "rel_humidity": humidity,
        "sunshine": sun_share * day_length * dates.days_in_month.to_numpy(),
        "vapour_pressure": humidity / 100 * saturation_vapour_pressure(tmean),
        "wind": np.clip(wind, s.wind_min, None),
    }


def generate_weather(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    settings: WeatherSettings = TEACHING_WEATHER,
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
    columns |= _distractors(rng, dates, tmean, cloud, settings, latitude)
    columns["climate_index"] = index
    return pd.DataFrame(columns, index=dates)[FEATURES]


