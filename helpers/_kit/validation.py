"""Checking a monthly record: columns, dates, values, length — the rules the windows rely on.

:func:`check_columns` then :func:`check_record` run every check on a date-indexed DataFrame
(``helpers.data.validate_record``; ``helpers.data.load_record`` checks the columns as it reads
them, then calls :func:`check_record`); :func:`check_frame` checks only what cutting windows
needs (``helpers.windowing``); :func:`check_numeric` and :func:`check_plausible` also serve the
daily reader. Each check raises ``DataError`` with the column, the row (1 = the first
data row) and/or date, the value, and the fix. The window length is passed in, never read from
the course's settings: this module imports nothing from the course files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers._kit.columns import resolve_columns
from helpers._kit.dates import check_increasing
from helpers._kit.errors import DataError, listing, plural, row_label, whole_number

#: Values that stand for "missing" in many exports; refused unless ``sentinels=()`` is passed.
SENTINELS = (-9999.0, -9999.9, -999.0, -999.9, -99.9, -99.99, -99.0, 9999.0, 99999.0)

#: A value farther from its column's median than this many times the column's 10-90 %
#: range is refused as implausible (a typo, an overflow such as 1e30, a unit slip);
#: ``outlier_limit=None`` switches the check off.
OUTLIER_LIMIT = 50.0

#: Fewest sliding windows a record must yield: with the default 80/20 chronological split that
#: is 19 training and 5 test windows, and a validation slice can still be carved from training.
MIN_WINDOWS = 24

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")  # 12,5 or -0,25


def check_window(window: int) -> int:
    """``window`` as an int if it is a whole number of months >= 1 (``True`` and 12.0 refused).

    Raises
    ------
    DataError
        On a bool, a float, a non-number or a value below 1.
    """
    return whole_number(window, "window", unit="months")


def check_record_length(n_months: int, window: int) -> None:
    """Refuse a record too short to give ``MIN_WINDOWS`` windows of ``window`` months."""
    needed = window + MIN_WINDOWS - 1
    if n_months < needed:
        raise DataError(
            f"the record is too short: {plural(n_months, 'month')}, but a {window}-month window "
            f"needs at least {needed} months ({MIN_WINDOWS} windows, enough to split into "
            "training and test periods)"
        )


def _check_consecutive_months(index: pd.DatetimeIndex) -> None:
    """Refuse an increasing monthly index with a missing month, naming the missing months."""
    months = index.to_period("M")
    if len(months) < 2:
        return
    expected = pd.period_range(months[0], months[-1], freq="M")
    gaps = expected.difference(months)
    if len(gaps):
        raise DataError(
            f"{plural(len(gaps), 'month')} missing from the record between "
            f"{months[0]:%Y-%m} and {months[-1]:%Y-%m}: "
            f"{listing(f'{month:%Y-%m}' for month in gaps)}; the windows need consecutive "
            "months, so add the missing rows (with values) or shorten the record"
        )


def check_numeric(
    frame: pd.DataFrame, columns: Sequence[str], index: pd.DatetimeIndex | None = None
) -> None:
    """Refuse columns whose values are not numbers, naming the first bad value and its row.

    Used by every reader of a user's table, before the values are converted to floats.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read (columns may still hold text).
    columns : list of str
        Columns that must be numeric.
    index : pandas.DatetimeIndex, optional
        The rows' dates, for messages.

    Raises
    ------
    DataError
        Naming the column, the first value that is not a number, its row, and the likely fix
        (a decimal comma, a unit, a units line).
    """
    for column in columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            raise DataError(
                f"column {column!r} holds True/False values, not numbers; convert it "
                "explicitly (e.g. to 0/1) if it is meant as an input"
            )
        if pd.api.types.is_numeric_dtype(values):
            continue
        coerced = pd.to_numeric(values, errors="coerce")
        bad = np.flatnonzero(coerced.isna().to_numpy() & values.notna().to_numpy())
        if len(bad) == 0:  # e.g. an object column of numbers: fine
            continue
        first = bad[0]
        value = values.iloc[first]
        hint = (
            "it looks like a decimal comma: pass decimal=',' (with sep=';' for a "
            "semicolon-separated file), or write a dot"
            if _DECIMAL_COMMA.match(str(value)) else
            "use a dot as decimal mark, no units or thousands separators, and an empty cell "
            "for a missing value; pass features=[...] to leave out text columns"
        )
        if first == 0 and str(value).strip().startswith("#"):
            hint = "row 1 looks like a units or comment line: delete it, or pass skiprows=[1]"
        raise DataError(
            f"column {column!r} is not numeric: {plural(len(bad), 'value')} cannot be read as "
            f"a number, first {value!r} at {row_label(first, index)}; {hint}"
        )


def _check_month_index(index: pd.Index) -> None:
    """Dates: present, at month start, unique, increasing, without missing months."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"the record must be indexed by dates (a pandas DatetimeIndex), got "
            f"{type(index).__name__}; use load_record, or frame.set_index(pd.to_datetime(...))"
        )
    missing = np.flatnonzero(index.isna())
    if len(missing):
        raise DataError(
            f"{plural(len(missing), 'date')} missing (empty), at row(s) "
            f"{listing(p + 1 for p in missing)}"
        )
    not_start = np.flatnonzero((index.day != 1) | (index != index.normalize()))
    if len(not_start):
        first = not_start[0]
        raise DataError(
            f"dates must be the first day of their month; {plural(len(not_start), 'date')} "
            f"{'is' if len(not_start) == 1 else 'are'} not, first {index[first]} at row "
            f"{first + 1}. load_record moves any day to the first of its month; for a "
            "DataFrame use frame.index = frame.index.to_period('M').to_timestamp()"
        )
    duplicated = index[index.duplicated()].unique()
    if len(duplicated):
        first = duplicated[0]
        rows = np.flatnonzero(index == first) + 1
        raise DataError(
            f"{plural(len(duplicated), 'month')} "
            f"{'appears' if len(duplicated) == 1 else 'appear'} more than once, first "
            f"{first:%Y-%m} at rows {listing(rows)}; the record must have exactly one row per "
            "month (aggregate daily or weekly data to months first)"
        )
    check_increasing(index)
    _check_consecutive_months(index)


def _check_values(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """No NaN, no infinities, no constant column."""
    index = frame.index
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        nan = np.flatnonzero(np.isnan(values))
        if len(nan):
            raise DataError(
                f"column {column!r} has {plural(len(nan), 'missing value')} (NaN), first at "
                f"{row_label(nan[0], index)}; fill or remove them before loading (rows: "
                f"{listing(p + 1 for p in nan)})"
            )
        infinite = np.flatnonzero(np.isinf(values))
        if len(infinite):
            raise DataError(
                f"column {column!r} has {plural(len(infinite), 'infinite value')}, first at "
                f"{row_label(infinite[0], index)}"
            )
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        if len(values) and values.max() == values.min():
            raise DataError(
                f"column {column!r} is constant (every value is {values[0]:g}): it carries no "
                "information and cannot be standardised (its standard deviation is zero); "
                "leave it out of the features"
            )


def check_plausible(
    frame: pd.DataFrame,
    columns: Sequence[str],
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
) -> None:
    """Refuse sentinel values and absurd outliers, naming column, row and value.

    Missing values (NaN) are skipped, so the check also serves daily data with gaps.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numeric columns (a ``DatetimeIndex`` lets messages give dates).
    columns : list of str
        Columns to check.
    sentinels : sequence of float, default SENTINELS
        Values that stand for "missing" (``-999``, ...); ``()`` accepts them as real values.
    outlier_limit : float or None, default OUTLIER_LIMIT (50)
        Refuse a value farther from the column's median than this many times the column's
        10-90 % range; ``None`` switches the check off.

    Raises
    ------
    DataError
        Naming the column, the row (and date) and the value, and the override.
    """
    index = frame.index if isinstance(frame.index, pd.DatetimeIndex) else None
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        found = np.flatnonzero(np.isin(values, np.asarray(sentinels, dtype="float64")))
        if len(found):
            first = found[0]
            raise DataError(
                f"column {column!r} holds {values[first]:g} at {row_label(first, index)} "
                f"({plural(len(found), 'such value')}): a code for a missing value, not a "
                "measurement; replace it with an empty cell (then fill or cut the gap), or "
                "pass sentinels=() if it is a real value"
            )
        if outlier_limit is None:
            continue
        finite = values[np.isfinite(values)]
        if len(finite) < 3:
            continue
        low, median, high = np.percentile(finite, [10, 50, 90])
        spread = high - low
        if spread <= 0:
            continue
        distance = np.abs(values - median) / spread
        far = np.flatnonzero(np.isfinite(distance) & (distance > outlier_limit))
        if len(far):
            first = far[np.argmax(distance[far])]
            raise DataError(
                f"column {column!r} holds an implausible value {values[first]:g} at "
                f"{row_label(first, index)}: {distance[first]:.3g} times the column's 10-90 % "
                f"range ({low:g} to {high:g}) away from its median {median:g}; fix or delete it "
                "(a typo, an overflow, a unit slip?), or pass outlier_limit=None if it is real"
            )


def check_columns(frame: pd.DataFrame, features: Sequence[str] | None, target: str) -> list[str]:
    """A DataFrame holding the features and the target, as numbers; returns the features.

    ``features=None`` means every column except ``target``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    features = resolve_columns(frame.columns, features, target)
    index = frame.index if isinstance(frame.index, pd.DatetimeIndex) else None
    check_numeric(frame, [*features, target], index)
    return features


def check_record(
    frame: pd.DataFrame,
    features: Sequence[str],
    target: str,
    window: int,
    *,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
) -> None:
    """The checks of a monthly record's dates and values; raise ``DataError`` on the first.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per month, indexed by a ``DatetimeIndex`` of month starts; its columns
        already checked (:func:`check_columns`, or read as numbers by a loader).
    features : list of str
        Input columns.
    target : str
        The column to predict.
    window : int
        Months per input window, already checked (:func:`check_window`); the record needs
        at least ``window + MIN_WINDOWS - 1`` rows.
    sentinels, outlier_limit
        See :func:`check_plausible`.

    Raises
    ------
    DataError
        Dates missing, not at month start, duplicated, unsorted or with gaps; missing (NaN),
        infinite, sentinel, implausible or constant values; a record too short for the window.
    """
    columns = [*features, target]
    _check_month_index(frame.index)
    _check_values(frame, columns)
    check_plausible(frame, columns, sentinels, outlier_limit)
    check_record_length(len(frame), window)


def check_frame(
    frame: pd.DataFrame, features: Sequence[str] | None, target: str, window: int
) -> list[str]:
    """What cutting windows needs: columns, numbers, one row per month in order, no gap or NaN.

    Cheaper than :func:`check_record`: no plausibility of the values, no length beyond one
    window; ``window`` is already checked. Returns the features.
    """
    features = check_columns(frame, features, target)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("frame must be indexed by dates (DatetimeIndex); use data.load_record")
    check_increasing(frame.index)
    months = frame.index.to_period("M")
    if not months.is_unique:
        first = months[months.duplicated()][0]
        raise DataError(
            f"month {first:%Y-%m} appears more than once in the frame's dates; the windows need "
            "one row per month (aggregate daily data with helpers.data.to_monthly)"
        )
    _check_consecutive_months(frame.index)
    if len(frame) < window:
        raise DataError(
            f"too few rows for one window: {len(frame)} months, window of {window} months"
        )
    for name in [*features, target]:
        values = frame[name].to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            first = int(np.flatnonzero(~np.isfinite(values))[0])
            raise DataError(
                f"column {name!r} has missing or infinite values, first at "
                f"{frame.index[first]:%Y-%m-%d}"
            )
    return features
