"""Daily records to the course's monthly format: reading, aggregating, converting units.

Measured records usually come as daily values: precipitation in mm/day, temperatures in °C,
discharge in m³/s or l/s. The course works with months, and with runoff as a depth (mm/month)
so that it can be compared with precipitation. Three steps get there:

1. ``read_daily`` reads a daily CSV or ``.xlsx`` sheet (any separator, decimal mark, common
   encoding and date format) and checks it: one row per day, dates in order, numbers, no
   sentinel values such as ``-999``.
   Missing days stay missing (empty cells, ``nan`` and days absent from the file).
2. ``discharge_to_mm`` turns discharge into a depth over the catchment with its area:
   ``mm/day = Q[m³/s] * 86400 s / (area[km²] * 10⁶ m²) * 1000 mm/m = 86.4 * Q / area``.
3. ``to_monthly`` sums (precipitation, runoff depth) or averages (temperatures) each month.
   **A month counts only when it is complete** — every day present and valid — or, if you
   state it, when it has at least ``min_valid_days`` valid days; sums of such months are
   scaled up to the whole month. Any other month is missing (NaN), never 0. (The usual
   ``frame.resample("MS").sum()`` turns a year of missing discharge into twelve months of
   0 mm, which a model would learn as a drought.)

``complete_months`` then cuts the longest stretch of consecutive complete months, the form
``helpers.data.validate_record`` and the windows need. The course calls these functions
through :mod:`helpers.data`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import IO

import numpy as np
import pandas as pd

from helpers._kit.columns import unknown_names
from helpers._kit.dates import parse_days
from helpers._kit.errors import DataError, whole_number
from helpers._kit.tables import read_table
from helpers._kit.validation import OUTLIER_LIMIT, SENTINELS, check_numeric, check_plausible

#: Discharge units ``discharge_to_mm`` understands, as cubic metres per second per unit.
FLOW_UNITS = {"m3/s": 1.0, "m³/s": 1.0, "l/s": 1e-3}

#: How ``to_monthly`` may aggregate a column.
_AGGREGATIONS = ("sum", "mean")

_SECONDS_PER_DAY = 86_400


def read_daily(
    source: str | PathLike | IO,
    date_column: str = "date",
    date_format: str | None = None,
    *,
    sep: str = ",",
    decimal: str = ".",
    skiprows: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
) -> pd.DataFrame:
    """Read a daily CSV or workbook sheet into a frame indexed by day; missing values stay NaN.

    Parameters
    ----------
    source : str, path-like or file-like
        The CSV or ``.xlsx`` file, or an open text or binary stream.
    date_column : str, default "date"
        Column holding the dates.
    date_format : str, optional
        ``strptime`` format such as ``"%d.%m.%Y"``; ``None`` reads dates written year first
        (``1960-01-01``, ``1960/1/1``, ``1960年1月1日``, ``19600101``).
    sep, decimal : str
        Field separator and decimal mark (``";"`` and ``","`` for many European exports).
    skiprows : list of int, optional
        Lines to skip, counted from 0 = the header (``[1]`` skips a units line below it).
    columns : list of str, optional
        Columns to keep (default: all but the date), checked to be numeric.
    encoding : str, optional
        The text's encoding; ``None`` detects it (see :mod:`helpers._kit.encodings`).
    sheet : str or int, optional
        The sheet of an ``.xlsx`` workbook; ``None`` takes the only sheet with data.
    sentinels, outlier_limit
        See :func:`helpers._kit.validation.check_plausible`.

    Returns
    -------
    pandas.DataFrame
        Float columns indexed by a ``DatetimeIndex`` named ``date`` (days, increasing, unique).

    Raises
    ------
    DataError
        Naming the file or the column, row and value: unreadable dates, a date twice, dates
        out of order, non-numeric values, sentinels, implausible outliers.
    """
    raw = read_table(source, sep=sep, decimal=decimal, skiprows=skiprows,
                     text_columns=[date_column], encoding=encoding, sheet=sheet)
    header = raw.attrs["header"]
    if date_column not in header:
        raise DataError(unknown_names(
            f"date column {date_column!r} not found in {raw.attrs['name']} (pass date_column=)",
            [date_column], header))
    columns = [c for c in raw.columns if c != date_column] if columns is None else list(columns)
    unknown = [c for c in columns if c not in raw.columns]
    if unknown:
        raise DataError(unknown_names(
            f"unknown column(s) {', '.join(map(repr, unknown))}", unknown, header))
    days = parse_days(raw[date_column], date_column, date_format)
    check_numeric(raw, columns, days)
    frame = raw[columns].apply(pd.to_numeric).astype("float64")
    frame.index = days
    check_plausible(frame, columns, sentinels, outlier_limit)
    return frame


def discharge_to_mm(
    flow: pd.Series | pd.DataFrame, area_km2: float, unit: str = "m3/s", per: str = "day"
) -> pd.Series | pd.DataFrame:
    """Convert mean discharge to a depth of water over the catchment (mm per day or month).

    ``mm/day = Q[m³/s] * 86 400 / (area[km²] * 10⁶) * 1000``; l/s are divided by 1000 first.
    With ``per="month"`` the values are monthly mean flows and the result is mm/month (days in
    each month times mm/day), which needs a monthly ``DatetimeIndex``.

    Parameters
    ----------
    flow : pandas.Series or DataFrame
        Mean discharge per day (or per month), NaN where missing.
    area_km2 : float
        Catchment area in km² (from the data provider, not the CSV, usually).
    unit : {"m3/s", "m³/s", "l/s"}
        Unit of ``flow``.
    per : {"day", "month"}
        Time step of ``flow``.

    Returns
    -------
    pandas.Series or DataFrame
        Depth in mm per time step, same index; NaN stays NaN.
    """
    if unit not in FLOW_UNITS:
        raise DataError(f"unknown discharge unit {unit!r}; use one of {sorted(FLOW_UNITS)}")
    if isinstance(area_km2, bool) or not isinstance(area_km2, (int, float, np.number)) or not (
        np.isfinite(area_km2) and area_km2 > 0
    ):
        raise DataError(f"area_km2 must be a positive number of km², got {area_km2!r}")
    mm_per_day = flow * FLOW_UNITS[unit] * _SECONDS_PER_DAY / (area_km2 * 1e6) * 1000.0
    if per == "day":
        return mm_per_day
    if per == "month":
        if not isinstance(flow.index, pd.DatetimeIndex):
            raise DataError("per='month' needs flows indexed by month (a DatetimeIndex)")
        days = np.asarray(flow.index.days_in_month, dtype="float64")
        return mm_per_day.mul(days, axis=0)
    raise DataError(f"per must be 'day' or 'month', got {per!r}")


def to_monthly(
    daily: pd.DataFrame,
    how: Mapping[str, str],
    min_valid_days: int | None = None,
) -> pd.DataFrame:
    """Aggregate daily values to months; incomplete months are missing (NaN), never 0.

    Parameters
    ----------
    daily : pandas.DataFrame
        Indexed by day (as from :func:`read_daily`); days may be absent or NaN.
    how : dict of str to {"sum", "mean"}
        Column -> aggregation, e.g. ``{"precip": "sum", "tmean": "mean", "runoff": "sum"}``.
        Sum depths (mm), average states (°C, m³/s). Only these columns are returned, in order.
    min_valid_days : int, optional
        By default a month counts only when every one of its days is present and valid. With
        a number (1-31), a month counts when at least that many days are valid; its sum is
        then the mean of the valid days times the days in the month (stated, not hidden).

    Returns
    -------
    pandas.DataFrame
        One row per calendar month from the first to the last day's month (``freq='MS'``,
        index named ``date``), NaN where a column's month is not complete enough.
        ``attrs["valid_days"]`` holds the number of valid days per month and column.

    Raises
    ------
    DataError
        A non-date index, unknown columns, an unknown aggregation or a bad ``min_valid_days``.
    """
    if not isinstance(daily.index, pd.DatetimeIndex):
        raise DataError("to_monthly needs a frame indexed by day (see read_daily)")
    how = dict(how)
    unknown = [c for c in how if c not in daily.columns]
    if unknown:
        raise DataError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; available: "
            f"{', '.join(map(repr, daily.columns))}"
        )
    wrong = {c: a for c, a in how.items() if a not in _AGGREGATIONS}
    if wrong:
        raise DataError(f"aggregation must be 'sum' or 'mean', got {wrong}")
    if min_valid_days is not None and whole_number(min_valid_days, "min_valid_days", 1,
                                                   "days") > 31:
        raise DataError(f"min_valid_days must be a whole number from 1 to 31, got "
                        f"{min_valid_days!r}")
    values = daily[list(how)].astype("float64")
    months = values.index.to_period("M").to_timestamp()
    grouped = values.groupby(months)
    valid = grouped.count()
    means = grouped.mean()
    everything = pd.date_range(months.min(), months.max(), freq="MS", name="date")
    valid = valid.reindex(everything, fill_value=0)
    means = means.reindex(everything)
    days_in_month = pd.Series(everything.days_in_month, index=everything, dtype="float64")
    needed = days_in_month if min_valid_days is None else np.minimum(days_in_month,
                                                                      min_valid_days)
    monthly = pd.DataFrame(index=everything)
    for column, aggregation in how.items():
        column_means = means[column]
        if aggregation == "sum":
            column_means = column_means * days_in_month
        monthly[column] = column_means.where(valid[column] >= needed)
    monthly.attrs["valid_days"] = valid
    return monthly


def complete_months(
    monthly: pd.DataFrame, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The longest run of consecutive months in which every column has a value.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Monthly frame, e.g. from :func:`to_monthly` (NaN = missing).
    columns : list of str, optional
        Columns that must be present (default: all).

    Returns
    -------
    pandas.DataFrame
        The rows of that run (``freq='MS'``). Warns (``UserWarning``) with the number of months
        left out, if any, so a gap never passes unnoticed.

    Raises
    ------
    DataError
        When no month is complete.
    """
    columns = list(monthly.columns if columns is None else columns)
    complete = monthly[columns].notna().all(axis=1).to_numpy()
    if not complete.any():
        raise DataError(f"no month has values in every column {columns}")
    # Label each run of complete months; keep the longest (the earliest on a tie).
    starts = np.flatnonzero(complete & ~np.r_[False, complete[:-1]])
    ends = np.flatnonzero(complete & ~np.r_[complete[1:], False]) + 1
    longest = int(np.argmax(ends - starts))
    start, end = starts[longest], ends[longest]
    run = monthly.iloc[start:end].copy()
    run.index = pd.DatetimeIndex(run.index, freq="MS", name="date")
    left_out = len(monthly) - len(run)
    if left_out:
        warnings.warn(
            f"kept the longest run of complete months, {run.index[0]:%Y-%m} to "
            f"{run.index[-1]:%Y-%m} ({len(run)} months); {left_out} months outside it are left "
            f"out ({int((~complete).sum())} of them incomplete)",
            UserWarning,
            stacklevel=3,  # the line that called helpers.data.complete_months
        )
    return run
