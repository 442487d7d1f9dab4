"""What drives a catchment's runoff, read the same way from SHAP values and from the truth.

An attribution array has the shape of the windows it explains, ``(n, window, n_features)``:
SHAP values, or the process model's true sensitivities laid out the same way
(:func:`helpers._kit.sample.true_attributions`). Both are summarised by the same functions, so a
difference between them is a difference between the model and the catchment, not between two
bookkeepings.

The dominant driver follows the three flood-generating classes of Jiang et al. (2021):

- **snowmelt**: credit on precipitation that fell as snow (its share ``fs`` of each month's
  credit, with the snow fraction ``fs`` of McCabe & Markstrom (2007) computed from the window's
  own observed temperature: 1 at -1 °C or colder, 0 at 3.3 °C or warmer);
- **recent rainfall**: credit on rain (``1 - fs``) at lags 0 to ``RECENT_LAGS - 1`` months;
- **historical rainfall**: credit on rain at older lags (water held in the stores).

A catchment is "snowmelt" when that class holds at least ``SNOW_LIMIT`` of the precipitation
credit, otherwise the larger of the two rainfall classes. Precipitation's credit includes its
stand-ins (``PRECIP_GROUP``), which a model may lean on instead of ``precip`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.catchment import snow_fraction

#: The three classes, in the order tables show them.
DRIVERS = ("snowmelt", "recent rainfall", "historical rainfall")

#: Precipitation and the variables that stand in for it through cloudiness.
PRECIP_GROUP = ("precip", "rel_humidity", "sunshine")

#: Temperature and the variables that stand in for it.
TEMPERATURE_GROUP = ("tmean", "tmax", "tmin", "vapour_pressure")

#: Lags (months) counted as "recent": 0, 1 and 2.
RECENT_LAGS = 3

#: Share of precipitation credit from snow at or above which a catchment is snow-driven.
SNOW_LIMIT = 0.3


def _group(attributions: np.ndarray, names: Sequence[str], group: Sequence[str]) -> np.ndarray:
    """Summed absolute credit of the variables of ``group`` present in ``names``, (n, window)."""
    columns = [names.index(v) for v in group if v in names]
    if not columns:
        raise ValueError(f"none of the variables {list(group)} is among {list(names)}")
    return np.abs(attributions[..., columns]).sum(axis=-1)


def driver_shares(
    attributions: ArrayLike, tmean: ArrayLike, feature_names: Sequence[str]
) -> pd.Series:
    """Shares of precipitation credit by class, and temperature's share of all causal credit.

    Parameters
    ----------
    attributions : array_like, shape (n, window, n_features)
        SHAP values or true sensitivities, window position ``window - 1`` being lag 0.
    tmean : array_like, shape (n, window)
        Observed mean temperature (°C, unscaled) of each month of each window.
    feature_names : sequence of str
        Names along the last axis.

    Returns
    -------
    pandas.Series
        ``snowmelt``, ``recent rainfall``, ``historical rainfall`` (sum to 1) and
        ``temperature`` (temperature group / (temperature + precipitation groups)).
    """
    values, names = np.asarray(attributions, dtype=float), list(feature_names)
    tmean = np.asarray(tmean, dtype=float)
    if values.ndim != 3 or tmean.shape != values.shape[:2]:
        raise ValueError(
            f"attributions must be (n, window, features) and tmean (n, window); got "
            f"{values.shape} and {tmean.shape}"
        )
    precip = _group(values, names, PRECIP_GROUP)
    temperature = _group(values, names, TEMPERATURE_GROUP).sum()
    snow = snow_fraction(tmean)
    recent = np.arange(values.shape[1])[::-1] < RECENT_LAGS  # lag of each window position
    parts = np.array(
        [
            (precip * snow).sum(),
            (precip * (1 - snow))[:, recent].sum(),
            (precip * (1 - snow))[:, ~recent].sum(),
        ]
    )
    if not parts.sum() > 0:
        raise ValueError("the attributions give precipitation no credit: no driver to name")
    shares = dict(zip(DRIVERS, parts / parts.sum(), strict=True))
    shares["temperature"] = temperature / (temperature + parts.sum())
    return pd.Series(shares)


def dominant_driver(shares: pd.Series) -> str:
    """``"snowmelt"`` if its share reaches :data:`SNOW_LIMIT`, else the larger rainfall class.

    Parameters
    ----------
    shares : pandas.Series
        From :func:`driver_shares`.

    Returns
    -------
    str
        One of :data:`DRIVERS`.
    """
    if shares["snowmelt"] >= SNOW_LIMIT:
        return "snowmelt"
    return max(DRIVERS[1:], key=lambda name: shares[name])


def lag_profile(attributions: ArrayLike, feature_names: Sequence[str]) -> pd.DataFrame:
    """Mean absolute credit per variable (rows) and lag in months (columns, 0 = target month).

    Parameters
    ----------
    attributions : array_like, shape (n, window, n_features)
    feature_names : sequence of str

    Returns
    -------
    pandas.DataFrame
    """
    values = np.abs(np.asarray(attributions, dtype=float)).mean(axis=0)[::-1]  # lag 0 first
    return pd.DataFrame(values.T, index=list(feature_names)).rename_axis(
        index="variable", columns="lag"
    )


def season_clock(
    attributions: ArrayLike, target_months: ArrayLike, feature_names: Sequence[str]
) -> pd.DataFrame:
    """Share of each month's causal credit held by temperature and by snow-free precipitation.

    Parameters
    ----------
    attributions : array_like, shape (n, window, n_features)
    target_months : array_like, shape (n,)
        Calendar month (1-12) of each window's target.
    feature_names : sequence of str

    Returns
    -------
    pandas.DataFrame
        Index: calendar months present; column ``temperature``: mean over the windows of that
        month of temperature's share of the (temperature + precipitation) credit.
    """
    values, names = np.asarray(attributions, dtype=float), list(feature_names)
    temperature = _group(values, names, TEMPERATURE_GROUP).sum(axis=1)
    precip = _group(values, names, PRECIP_GROUP).sum(axis=1)
    total = np.where(temperature + precip > 0, temperature + precip, np.nan)
    frame = pd.DataFrame({"month": np.asarray(target_months), "temperature": temperature / total})
    return frame.groupby("month").mean()
