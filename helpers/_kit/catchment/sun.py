"""Calendar and sun: month starts, seasonal cycles, radiation and day length (FAO-56)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.catchment.settings import END, START
from helpers._kit.columns import DATE_COLUMN


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


def _sun(latitude: float, day_of_year: ArrayLike) -> tuple:
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

