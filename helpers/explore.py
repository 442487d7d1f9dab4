"""Exploring a monthly record before modelling it: the anomalies behind the seasonal cycle.

Every seasonal variable correlates with every other through the annual cycle they share
(``tmax`` with ``tmean`` at 0.995 in the teaching record, ``sunshine`` *positively* with
``precip`` because both peak in summer). Subtracting each calendar month's mean shows the ties
that remain, which notebooks 01, 04c and 05 compare with what SHAP says. Within a season the
same holds for SHAP values: :func:`within_month` takes each calendar month's mean out of any
per-window values, and :func:`season_of` labels the months by season (notebook 04, section 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.errors import DataError


def monthly_anomalies(frame: pd.DataFrame) -> pd.DataFrame:
    """Deseasonalise: subtract each calendar month's mean and divide by its standard deviation.

    What remains are the anomalies, where correlations show real ties between variables rather
    than the seasonal cycle they share.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by a monthly DatetimeIndex (as returned by :func:`load_record`).

    Returns
    -------
    pandas.DataFrame
        Same shape and labels, in standard deviations of each calendar month.
    """
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("monthly_anomalies needs a frame indexed by dates (see load_record)")
    by_month = frame.groupby(frame.index.month)
    spread = by_month.transform("std")
    constant = spread.columns[(spread == 0).any()].tolist()
    if constant:
        raise DataError(f"column(s) {constant} do not vary within some calendar month")
    return (frame - by_month.transform("mean")) / spread


#: The four meteorological seasons, in the order the course shows them.
SEASONS = ("winter (DJF)", "spring (MAM)", "summer (JJA)", "autumn (SON)")


def _calendar_months(months: ArrayLike) -> np.ndarray:
    months = np.asarray(months)
    if months.ndim != 1 or not np.isin(months, np.arange(1, 13)).all():
        raise ValueError("months must be calendar months 1-12, one per value "
                         "(e.g. test.target_dates.month)")
    return months.astype(int)


def season_of(months: ArrayLike) -> np.ndarray:
    """The season label of each calendar month (1-12): December-February is "winter (DJF)"."""
    return np.array(SEASONS)[_calendar_months(months) % 12 // 3]


def within_month(values: ArrayLike, months: ArrayLike) -> np.ndarray:
    """Each value minus the mean of the values of the same calendar month.

    Takes the calendar out of per-window values (an input, or its SHAP value): what is left is
    "a warmer May than the other Mays", not "May rather than March".

    Parameters
    ----------
    values : array-like of shape (n,)
    months : array-like of shape (n,)
        The calendar month (1-12) of each value.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    values, months = np.asarray(values, float), _calendar_months(months)
    if values.shape != months.shape:
        raise ValueError(f"values {values.shape} and months {months.shape} differ in shape")
    return values - pd.Series(values).groupby(months).transform("mean").to_numpy()
