"""Exploring a monthly record before modelling it: the anomalies behind the seasonal cycle.

Every seasonal variable correlates with every other through the annual cycle they share
(``tmax`` with ``tmean`` at 0.995 in the teaching record, ``sunshine`` *positively* with
``precip`` because both peak in summer). Subtracting each calendar month's mean shows the ties
that remain, which notebooks 01, 04 and 05 compare with what SHAP says.
"""

from __future__ import annotations

import pandas as pd

from helpers.errors import DataError


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
