"""Loading and validating a monthly record (dates, climate variables, runoff) from CSV.

The course reads one table: one row per month, a date column, the input variables (features)
and the variable to predict (target). ``load_record`` reads such a CSV, checks it and returns it
indexed by month; ``validate_record`` runs the same checks on a DataFrame you built yourself;
``load_catchment`` loads the teaching catchment shipped with the course.

CSV format for your own data
----------------------------
- **Plain CSV**, comma-separated, a header line with the column names, a dot as decimal mark
  (``12.5``, not ``12,5``), no thousands separators.
- **A date column**, named ``date`` by default (``date_column=`` to change it), written as
  ``YYYY-MM-DD`` (ISO 8601, e.g. ``1960-01-01``); ``YYYY-MM`` also works. Other formats such as
  ``01/02/1960`` are refused, because day and month cannot be told apart in them.
- **Exactly one row per month**, oldest first, without gaps. Any day of the month is accepted
  and moved to the first of that month (``1960-01-31`` and ``1960-01-15`` both become
  ``1960-01-01``), so month-end and mid-month conventions work. Two rows falling in the same
  month are refused (daily or weekly data must be aggregated to months first).
- **Numeric columns** for the features and the target (the target defaults to ``runoff``, in
  mm/month in this course). Every feature is used as given, in the order you list them.
- **No missing values** in the columns you use: the model cannot take gaps, and filling them is
  a modelling decision the course leaves to you (do it before loading). Leave no sentinel values
  such as ``-999`` either: they would be read as real numbers.
- **No constant column**: a column that never changes carries no information and cannot be
  standardised (its standard deviation is zero).
- **Long enough**: at least ``window + MIN_WINDOWS - 1`` months, i.e. ``MIN_WINDOWS`` (24)
  sliding windows, so that the chronological split leaves windows for training and testing.
  With the default 12-month window that is 35 months; decades are what make a useful model.
- Other columns may be present: they are ignored when you pass ``features=`` explicitly; with
  ``features=None`` every column except the date and the target is used.

Example (the layout of the shipped record; values illustrative)::

    date,precip,tmean,tmax,tmin,rel_humidity,sunshine,vapour_pressure,wind,climate_index,runoff
    1960-01-01,83.1,-1.2,2.9,-5.0,84.0,51.0,5.3,3.4,0.41,37.5
    1960-02-01,61.7,0.3,4.6,-3.8,80.2,78.0,5.7,3.6,-0.22,30.1

Every problem raises ``DataError`` (a ``ValueError``) whose message names the column and the row
and/or date concerned. Rows are counted from 1 below the header: row 1 is the first data row,
which is line 2 of the file (and row 2 of a spreadsheet).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from typing import IO

import numpy as np
import pandas as pd

from . import paths

#: The nine input variables of the teaching catchment, in the order the model sees them.
FEATURES = [
    "precip",
    "tmean",
    "tmax",
    "tmin",
    "rel_humidity",
    "sunshine",
    "vapour_pressure",
    "wind",
    "climate_index",
]

#: The variable the course predicts (mm/month).
TARGET = "runoff"

#: Name of the date column in the course's CSV format.
DATE_COLUMN = "date"

#: Fewest sliding windows a record must yield: with the default 80/20 chronological split that
#: is 19 training and 5 test windows, and a validation slice can still be carved from training.
MIN_WINDOWS = 24

#: How many offending items (rows, months) an error message lists before abbreviating.
_MAX_LISTED = 5

# Year-month with an optional day and an optional time: 1960-01, 1960-01-01, 1960-1-1T00:00.
_DATE_PATTERN = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?([ T].*)?$")


class DataError(ValueError):
    """A record that cannot be used as it is; the message says what to fix and where."""


# --------------------------------------------------------------------------------------------
# Small formatting helpers for error messages
# --------------------------------------------------------------------------------------------


def _fmt_date(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _fmt_list(items: Sequence, limit: int = _MAX_LISTED) -> str:
    items = list(items)
    shown = ", ".join(str(item) for item in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in total)"
    return shown


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _row(position: int, index=None) -> str:
    """Describe the row at 0-based ``position``: 'row 18 (date 1961-06-01)'."""
    text = f"row {position + 1}"
    if isinstance(index, pd.DatetimeIndex) and not pd.isna(index[position]):
        text += f" (date {_fmt_date(index[position])})"
    return text


# --------------------------------------------------------------------------------------------
# Column selection
# --------------------------------------------------------------------------------------------


def _resolve_columns(columns, features, target, date_column=None) -> list[str]:
    """Check ``features`` and ``target`` against the available ``columns``; return features."""
    available = [str(column) for column in columns]
    listing = ", ".join(repr(column) for column in available)
    if not isinstance(target, str):
        raise DataError(f"target must be one column name (a string), got {target!r}")
    if target not in available:
        raise DataError(f"target column {target!r} not found; available columns: {listing}")
    if features is None:
        features = [c for c in available if c not in (target, date_column)]
        if not features:
            raise DataError(
                f"no feature columns: the record has only {listing}; it needs at least one "
                "input column besides the date and the target"
            )
        return features
    if isinstance(features, str):
        raise DataError(
            f"features must be a list of column names, got the string {features!r}; "
            f"write [{features!r}] for a single feature"
        )
    features = list(features)
    if not features:
        raise DataError("features is empty: name at least one input column")
    unknown = [f for f in features if f not in available]
    if unknown:
        raise DataError(
            f"unknown feature column(s) {', '.join(repr(f) for f in unknown)}; "
            f"available columns: {listing}"
        )
    duplicated = sorted({f for f in features if features.count(f) > 1})
    if duplicated:
        raise DataError(f"feature column(s) listed twice: {', '.join(map(repr, duplicated))}")
    if target in features:
        raise DataError(
            f"column {target!r} is both the target and a feature; the model's inputs must not "
            "contain the variable it predicts"
        )
    if date_column is not None and date_column in features:
        raise DataError(f"the date column {date_column!r} cannot be a feature")
    return features


# --------------------------------------------------------------------------------------------
# Checks shared by load_record and validate_record
# --------------------------------------------------------------------------------------------


def _check_numeric(frame: pd.DataFrame, columns: Sequence[str], index=None) -> None:
    """Refuse columns whose values are not numbers, naming the first bad value and its row."""
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
        raise DataError(
            f"column {column!r} is not numeric: {_plural(len(bad), 'value')} cannot be read as "
            f"a number, first {values.iloc[first]!r} at {_row(first, index)}. Use a dot as "
            "decimal mark, no units or thousands separators, and an empty cell for a missing "
            "value; pass features=[...] to leave out text columns"
        )


def _check_index(index: pd.Index) -> None:
    """Dates: present, at month start, unique, increasing, without missing months."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"the record must be indexed by dates (a pandas DatetimeIndex), got "
            f"{type(index).__name__}; use load_record, or frame.set_index(pd.to_datetime(...))"
        )
    missing = np.flatnonzero(index.isna())
    if len(missing):
        raise DataError(
            f"{_plural(len(missing), 'date')} missing (empty), at row(s) "
            f"{_fmt_list(p + 1 for p in missing)}"
        )
    not_start = np.flatnonzero((index.day != 1) | (index != index.normalize()))
    if len(not_start):
        first = not_start[0]
        raise DataError(
            f"dates must be the first day of their month; {_plural(len(not_start), 'date')} "
            f"{'is' if len(not_start) == 1 else 'are'} not, first {index[first]} at row "
            f"{first + 1}. load_record moves any day to the first of its month; for a "
            "DataFrame use frame.index = frame.index.to_period('M').to_timestamp()"
        )
    duplicated = index[index.duplicated()].unique()
    if len(duplicated):
        first = duplicated[0]
        rows = np.flatnonzero(index == first) + 1
        raise DataError(
            f"{_plural(len(duplicated), 'month')} "
            f"{'appears' if len(duplicated) == 1 else 'appear'} more than once, first "
            f"{first:%Y-%m} at rows {_fmt_list(rows)}; the record must have exactly one row per "
            "month (aggregate daily or weekly data to months first)"
        )
    steps_back = np.flatnonzero(index[1:] < index[:-1])
    if len(steps_back):
        later = steps_back[0] + 1
        raise DataError(
            f"dates are not in increasing order: row {later + 1} ({_fmt_date(index[later])}) "
            f"comes after row {later} ({_fmt_date(index[later - 1])}); sort the record by date"
        )
    expected = pd.date_range(index[0], index[-1], freq="MS")
    gaps = expected.difference(index)
    if len(gaps):
        raise DataError(
            f"{_plural(len(gaps), 'month')} missing from the record between "
            f"{index[0]:%Y-%m} and {index[-1]:%Y-%m}: "
            f"{_fmt_list(f'{month:%Y-%m}' for month in gaps)}; the windows need consecutive "
            "months, so add the missing rows (with values) or shorten the record"
        )


def _check_values(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """No NaN, no infinities, no constant column."""
    index = frame.index
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        nan = np.flatnonzero(np.isnan(values))
        if len(nan):
            raise DataError(
                f"column {column!r} has {_plural(len(nan), 'missing value')} (NaN), first at "
                f"{_row(nan[0], index)}; fill or remove them before loading (rows: "
                f"{_fmt_list(p + 1 for p in nan)})"
            )
        infinite = np.flatnonzero(np.isinf(values))
        if len(infinite):
            raise DataError(
                f"column {column!r} has {_plural(len(infinite), 'infinite value')}, first at "
                f"{_row(infinite[0], index)}"
            )
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        if len(values) and values.max() == values.min():
            raise DataError(
                f"column {column!r} is constant (every value is {values[0]:g}): it carries no "
                "information and cannot be standardised (its standard deviation is zero); "
                "leave it out of the features"
            )


def _check_window(window) -> None:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise DataError(f"window must be a whole number of months >= 1, got {window!r}")


def _check_length(n_rows: int, window: int) -> None:
    needed = window + MIN_WINDOWS - 1
    if n_rows < needed:
        raise DataError(
            f"the record is too short: {_plural(n_rows, 'month')}, but a {window}-month window "
            f"needs at least {needed} months ({MIN_WINDOWS} windows, enough to split into "
            "training and test periods)"
        )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def validate_record(
    frame: pd.DataFrame,
    features: Sequence[str] | None,
    target: str,
    window: int = 12,
) -> None:
    """Check a date-indexed monthly record; raise ``DataError`` on the first problem found.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per month, indexed by a ``DatetimeIndex`` of month starts.
    features : list of str or None
        Input columns; ``None`` means every column except ``target``.
    target : str
        The column to predict.
    window : int, default 12
        Months per input window; the record needs at least ``window + MIN_WINDOWS - 1`` rows.

    Returns
    -------
    None

    Raises
    ------
    DataError
        Unknown columns; dates missing, not at month start, duplicated, unsorted or with gaps;
        non-numeric, missing (NaN), infinite or constant values; a record too short for the
        window. The message names the column and the row and/or date.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    _check_window(window)
    features = _resolve_columns(frame.columns, features, target)
    columns = [*features, target]
    index = frame.index if isinstance(frame.index, pd.DatetimeIndex) else None
    _check_numeric(frame, columns, index)
    _check_index(frame.index)
    _check_values(frame, columns)
    _check_length(len(frame), window)


def load_record(
    source: str | PathLike | IO,
    date_column: str = DATE_COLUMN,
    features: Sequence[str] | None = None,
    target: str = TARGET,
    window: int = 12,
) -> pd.DataFrame:
    """Read a monthly record from CSV, check it, and index it by month.

    The CSV needs a header line, a date column written ``YYYY-MM-DD`` (or ``YYYY-MM``), one row
    per month without gaps in increasing order, and numeric feature and target columns without
    missing values (the full format is in this module's docstring). Any day of the month is
    accepted and moved to the month's first day (``1960-01-31`` becomes ``1960-01-01``); two
    rows in the same month are an error. Columns not named in ``features`` are ignored.

    Parameters
    ----------
    source : str, path-like or file-like
        The CSV file, or an open text stream (e.g. ``io.StringIO``).
    date_column : str, default "date"
        Name of the date column.
    features : list of str or None, default None
        Input columns, in the order the model should see them. ``None`` uses every column
        except ``date_column`` and ``target``, in file order.
    target : str, default "runoff"
        The column to predict.
    window : int, default 12
        Months per input window; the record must hold at least ``window + MIN_WINDOWS - 1``
        months (35 for 12-month windows).

    Returns
    -------
    pandas.DataFrame
        Indexed by a ``DatetimeIndex`` named ``date`` (month starts, ``freq='MS'``); columns are
        the features in the given order followed by the target, all float64.

    Raises
    ------
    DataError
        For every problem with the file's content; the message names the column and the row
        (row 1 = first line below the header) and/or date. A missing file raises
        ``FileNotFoundError``.

    Examples
    --------
    >>> import io
    >>> text = "date,rain,flow\\n" + "".join(
    ...     f"{1990 + m // 12}-{m % 12 + 1:02d}-01,{m % 7},{m % 5}\\n" for m in range(40))
    >>> record = load_record(io.StringIO(text), features=["rain"], target="flow")
    >>> record.shape, record.index.freqstr
    ((40, 2), 'MS')
    """
    _check_window(window)
    try:
        raw = pd.read_csv(source, dtype={date_column: str}, skipinitialspace=True)
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"could not read the CSV: {error}") from error

    if date_column not in raw.columns:
        listing = ", ".join(repr(str(column)) for column in raw.columns)
        raise DataError(
            f"date column {date_column!r} not found; available columns: {listing} "
            "(pass date_column= if your dates are in another column)"
        )
    features = _resolve_columns(raw.columns, features, target, date_column)
    columns = [*features, target]

    dates = _parse_dates(raw[date_column], date_column)
    _check_numeric(raw, columns, dates)

    record = raw[columns].apply(pd.to_numeric).astype("float64")
    record.index = pd.DatetimeIndex(dates, name=DATE_COLUMN)
    validate_record(record, features, target, window)
    record.index = pd.DatetimeIndex(record.index, freq="MS", name=DATE_COLUMN)
    return record


def _parse_dates(text: pd.Series, date_column: str) -> pd.DatetimeIndex:
    """Parse ISO dates row by row, refusing empty cells and other formats; move to month start."""
    stripped = text.astype("string").str.strip()
    empty = np.flatnonzero((stripped.isna() | (stripped == "")).to_numpy(dtype=bool))
    if len(empty):
        raise DataError(
            f"column {date_column!r} has {_plural(len(empty), 'missing date')} (empty cells), "
            f"at row(s) {_fmt_list(p + 1 for p in empty)}"
        )
    shaped = stripped.str.match(_DATE_PATTERN).to_numpy(dtype=bool)
    parsed = pd.to_datetime(stripped.where(shaped), format="ISO8601", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        first = bad[0]
        raise DataError(
            f"column {date_column!r}: {_plural(len(bad), 'date')} cannot be read, first "
            f"{text.iloc[first]!r} at row {first + 1}; write dates as YYYY-MM-DD "
            "(e.g. 1960-01-01)"
        )
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    months = index.to_period("M").to_timestamp()
    repeated = months[months.duplicated()].unique()
    if len(repeated):
        rows = np.flatnonzero(months == repeated[0])
        found = ", ".join(f"{text.iloc[p]!r} (row {p + 1})" for p in rows[:_MAX_LISTED])
        raise DataError(
            f"column {date_column!r}: {_plural(len(repeated), 'month')} "
            f"{'appears' if len(repeated) == 1 else 'appear'} more than once, "
            f"first {repeated[0]:%Y-%m}: {found}; the record must have exactly one row per month "
            "(aggregate daily or weekly data to months first)"
        )
    return months


def load_catchment() -> pd.DataFrame:
    """Load the teaching-catchment record shipped with the course.

    Returns
    -------
    pandas.DataFrame
        Monthly record (Jan 1960 to Feb 2022) with the columns ``FEATURES`` then ``TARGET``,
        indexed by ``date``; see ``load_record``.
    """
    if not paths.CATCHMENT_CSV.exists():
        raise FileNotFoundError(
            f"the teaching record {paths.CATCHMENT_CSV} is missing; it ships with the "
            "repository, so restore it with `git checkout -- data/`"
        )
    return load_record(paths.CATCHMENT_CSV, features=FEATURES, target=TARGET)


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
