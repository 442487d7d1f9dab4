"""Loading and validating a monthly record (dates, climate variables, runoff) from CSV.

The course reads one table: one row per month, a date column, the input variables (features)
and the variable to predict (target). ``load_record`` reads such a CSV, checks it and returns it
indexed by month; ``validate_record`` runs the same checks on a DataFrame you built yourself;
``load_catchment`` loads the teaching catchment shipped with the course.

CSV format for your own data
----------------------------
- **Plain CSV**, comma-separated, a header line with the column names, a dot as decimal mark
  (``12.5``, not ``12,5``), no thousands separators. Semicolon- or tab-separated exports and
  decimal commas are read with ``sep=";"`` / ``sep="\t"`` and ``decimal=","``; a file whose
  separator differs from ``sep`` is refused with a message naming the separator it found.
- **A date column**, named ``date`` by default (``date_column=`` to change it), written as
  ``YYYY-MM-DD`` (ISO 8601, e.g. ``1960-01-01``); ``YYYY-MM`` also works. Other formats such as
  ``01/02/1960`` are refused, because day and month cannot be told apart in them.
- **Exactly one row per month**, oldest first, without gaps. Any day of the month is accepted
  and moved to the first of that month (``1960-01-31`` and ``1960-01-15`` both become
  ``1960-01-01``), so month-end and mid-month conventions work. Two rows falling in the same
  month are refused: aggregate daily data to months first with ``helpers.daily``.
- **Numeric columns** for the features and the target (the target defaults to ``runoff``, in
  mm/month in this course). Every feature is used as given, in the order you list them.
- **No missing values** in the columns you use: the model cannot take gaps, and filling them is
  a modelling decision the course leaves to you (do it before loading).
- **No sentinel values and no absurd outliers.** Values in ``SENTINELS`` (``-999``, ``-9999``,
  ...) are refused, and so is a value farther from its column's median than ``OUTLIER_LIMIT``
  (50) times the column's 10-90 % range (e.g. ``1e30``): either would be read as a real number
  and, after scaling, distort the whole column. Override: ``sentinels=()`` and/or
  ``outlier_limit=None`` when such values are real.
- **No constant column**: a column that never changes carries no information and cannot be
  standardised (its standard deviation is zero).
- **Long enough**: at least ``window + MIN_WINDOWS - 1`` months, i.e. ``MIN_WINDOWS`` (24)
  sliding windows, so that the chronological split leaves windows for training and testing.
  With the default 12-month window that is 35 months; decades are what make a useful model.
- Other columns may be present: they are ignored when you pass ``features=`` explicitly; with
  ``features=None`` every column except the date and the target is used, so a header naming
  a column twice, an unnamed column or an index column written by ``DataFrame.to_csv``
  (``Unnamed: 0``, values 0, 1, 2, ...) is refused.

Example (the layout of the shipped record; values illustrative)::

    date,precip,tmean,tmax,tmin,rel_humidity,sunshine,vapour_pressure,wind,climate_index,runoff
    1960-01-01,83.1,-1.2,2.9,-5.0,84.0,51.0,5.3,3.4,0.41,37.5
    1960-02-01,61.7,0.3,4.6,-3.8,80.2,78.0,5.7,3.6,-0.22,30.1

Every problem raises ``DataError`` (a ``ValueError``) whose message names the file, column, row
and/or date and value concerned, and the fix. Rows are counted from 1 below the header: row 1
is the first data row, which is line 2 of the file (and row 2 of a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from os import PathLike, fspath
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from helpers import paths
from helpers.errors import DataError, whole_number

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

#: Values that stand for "missing" in many exports; refused unless ``sentinels=()`` is passed.
SENTINELS = (-9999.0, -9999.9, -999.0, -999.9, -99.9, -99.99, -99.0, 9999.0, 99999.0)

#: A value farther from its column's median than this many times the column's 10-90 %
#: range is refused as implausible (a typo, an overflow such as 1e30, a unit slip);
#: ``outlier_limit=None`` switches the check off.
OUTLIER_LIMIT = 50.0

#: Separators a file may use, with the name an error message gives them.
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}

#: Column names that mark an index written by ``DataFrame.to_csv`` (or an empty header cell).
_INDEX_NAME = re.compile(r"^(Unnamed: \d+|index|)$", re.IGNORECASE)

#: How many offending items (rows, months) an error message lists before abbreviating.
_MAX_LISTED = 5

# A number written with a decimal comma: 12,5 or -0,25.
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")

# Year-month with an optional day and an optional time: 1960-01, 1960-01-01, 1960-1-1T00:00.
_DATE_PATTERN = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?([ T].*)?$")



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


def resolve_columns(
    columns: Sequence,
    features: Sequence[str] | None,
    target: str,
    date_column: str | None = None,
) -> list[str]:
    """Check ``features`` and ``target`` against the available ``columns``; return the features.

    The one check of feature and target names, used by ``load_record``, ``validate_record`` and
    ``windowing.make_windows``.

    Parameters
    ----------
    columns : sequence
        Column names as found (a CSV header may name a column twice).
    features : list of str or None
        Input columns; ``None`` means every column except ``date_column`` and ``target``, which
        then must not contain a column named twice or an index-like column (``Unnamed: 0``).
    target : str
        The column to predict.
    date_column : str, optional
        The date column, which can be neither a feature nor the target.

    Returns
    -------
    list of str
        The features, in order.

    Raises
    ------
    DataError
        Unknown, repeated or index-like columns; a target that is also a feature.
    """
    available = [str(column) for column in columns]
    listing = ", ".join(repr(column) for column in available)
    twice = sorted({c for c in available if available.count(c) > 1})
    if not isinstance(target, str):
        raise DataError(f"target must be one column name (a string), got {target!r}")
    if target not in available:
        raise DataError(f"target column {target!r} not found; available columns: {listing}")
    if features is None:
        if twice:
            raise DataError(
                f"the header names column(s) {', '.join(map(repr, twice))} more than once, so "
                "features=None cannot tell which to use; rename or delete the copies"
            )
        features = [c for c in available if c not in (target, date_column)]
        index_like = [c for c in features if _INDEX_NAME.match(c)]
        if index_like:
            raise DataError(
                f"column {index_like[0]!r} looks like a row index (an unnamed column, or one "
                "written by DataFrame.to_csv), not a climate variable: save the file with "
                "index=False, or pass features=[...] naming the inputs"
            )
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
    ambiguous = [c for c in [*features, target] if c in twice]
    if ambiguous:
        raise DataError(
            f"the header names column {ambiguous[0]!r} more than once: rename one of the "
            "copies so that it is clear which one to use"
        )
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
            f"column {column!r} is not numeric: {_plural(len(bad), 'value')} cannot be read as "
            f"a number, first {value!r} at {_row(first, index)}; {hint}"
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
                f"column {column!r} holds {values[first]:g} at {_row(first, index)} "
                f"({_plural(len(found), 'such value')}): a code for a missing value, not a "
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
                f"{_row(first, index)}: {distance[first]:.3g} times the column's 10-90 % range "
                f"({low:g} to {high:g}) away from its median {median:g}; fix or delete it "
                "(a typo, an overflow, a unit slip?), or pass outlier_limit=None if it is real"
            )


def check_window(window: int) -> int:
    """Refuse a window that is not a whole number of months >= 1 (``True`` included).

    The one check of the window length used by ``data``, ``windowing`` and ``training``.

    Parameters
    ----------
    window : int
        Months per input window.

    Returns
    -------
    int
        ``window`` as a Python int.

    Raises
    ------
    DataError
        On a bool, a float, a non-number or a value below 1.
    """
    return whole_number(window, "window", unit="months")


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
    *,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
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
    sentinels, outlier_limit
        See :func:`check_plausible`; ``sentinels=()`` and ``outlier_limit=None`` switch the
        checks off.

    Returns
    -------
    None

    Raises
    ------
    DataError
        Unknown columns; dates missing, not at month start, duplicated, unsorted or with gaps;
        non-numeric, missing (NaN), infinite, sentinel, implausible or constant values; a
        record too short for the window. The message names the column and the row and/or date.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    check_window(window)
    features = resolve_columns(frame.columns, features, target)
    columns = [*features, target]
    index = frame.index if isinstance(frame.index, pd.DatetimeIndex) else None
    _check_numeric(frame, columns, index)
    _check_index(frame.index)
    _check_values(frame, columns)
    check_plausible(frame, columns, sentinels, outlier_limit)
    _check_length(len(frame), window)


def load_record(
    source: str | PathLike | IO,
    date_column: str = DATE_COLUMN,
    features: Sequence[str] | None = None,
    target: str = TARGET,
    window: int = 12,
    *,
    sep: str = ",",
    decimal: str = ".",
    skiprows: Sequence[int] | None = None,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
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
    sep : str, default ","
        Field separator (``";"`` or ``"\t"`` for many spreadsheet exports).
    decimal : str, default "."
        Decimal mark (``","`` for ``12,5``; then ``sep`` must not be a comma).
    skiprows : list of int, optional
        Lines to skip, counted from 0 = the header (``[1]`` skips a units line below it).
    sentinels, outlier_limit
        See :func:`check_plausible`; ``sentinels=()`` and ``outlier_limit=None`` accept such
        values as real.

    Returns
    -------
    pandas.DataFrame
        Indexed by a ``DatetimeIndex`` named ``date`` (month starts, ``freq='MS'``); columns are
        the features in the given order followed by the target, all float64.

    Raises
    ------
    DataError
        For every problem with the file's content; the message names the file or the column
        and the row (row 1 = first line below the header) and/or date, and the fix. A missing
        file raises ``FileNotFoundError``.

    Examples
    --------
    >>> import io
    >>> text = "date,rain,flow\\n" + "".join(
    ...     f"{1990 + m // 12}-{m % 12 + 1:02d}-01,{m % 7},{m % 5}\\n" for m in range(40))
    >>> record = load_record(io.StringIO(text), features=["rain"], target="flow")
    >>> record.shape, record.index.freqstr
    ((40, 2), 'MS')
    """
    check_window(window)
    raw = read_table(
        source, sep=sep, decimal=decimal, skiprows=skiprows, text_columns=[date_column]
    )
    header = raw.attrs["header"]
    if date_column not in header:
        listing = ", ".join(repr(str(column)) for column in header)
        raise DataError(
            f"date column {date_column!r} not found in {raw.attrs['name']}; available columns: "
            f"{listing} (pass date_column= if your dates are in another column)"
        )
    chosen = resolve_columns(header, features, target, date_column)
    columns = [*chosen, target]

    dates = _parse_dates(raw[date_column], date_column)
    _check_numeric(raw, columns, dates)

    record = raw[columns].apply(pd.to_numeric).astype("float64")
    record.index = pd.DatetimeIndex(dates, name=DATE_COLUMN)
    if features is None:
        _check_index_values(record, chosen)
    validate_record(
        record, chosen, target, window, sentinels=sentinels, outlier_limit=outlier_limit
    )
    record.index = pd.DatetimeIndex(record.index, freq="MS", name=DATE_COLUMN)
    return record


def _check_index_values(record: pd.DataFrame, features: Sequence[str]) -> None:
    """Refuse a feature whose values count 0, 1, 2, ... or 1, 2, 3, ...: a saved row index."""
    for column in features:
        values = record[column].to_numpy()
        steps = np.arange(len(values), dtype="float64")
        if len(values) > 2 and (np.array_equal(values, steps) or np.array_equal(values, steps + 1)):
            raise DataError(
                f"column {column!r} counts {values[0]:g}, {values[1]:g}, {values[2]:g}, ... row by "
                "row: a row index, not a climate variable; save the file with index=False, or "
                "pass features=[...] naming the inputs"
            )


def _source_text(source: str | PathLike | IO) -> tuple[str, str]:
    """The text of a file or stream and a name for messages (the file name, no directories)."""
    if isinstance(source, (str, PathLike)):
        path = Path(fspath(source))
        raw = path.read_bytes()  # FileNotFoundError names the path
        name = f"file {path.name!r}"
    else:
        raw = source.read()
        given = getattr(source, "name", None)
        name = f"file {Path(str(given)).name!r}" if isinstance(given, str) else "the CSV text"
    if isinstance(raw, str):
        return raw, name
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise DataError(f"{name} is not a text file (neither UTF-8 nor Windows-1252)")


def read_table(
    source: str | PathLike | IO,
    sep: str = ",",
    decimal: str = ".",
    skiprows: Sequence[int] | None = None,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a delimited text table, refusing a wrong separator or ragged rows with a clear message.

    Shared by :func:`load_record` (monthly) and :func:`helpers.daily.read_daily` (daily).

    Parameters
    ----------
    source : str, path-like or file-like
        The file, or an open text stream.
    sep : str, default ","
        Field separator.
    decimal : str, default "."
        Decimal mark.
    skiprows : list of int, optional
        Lines to skip, counted from 0 = the header line (``[1]`` skips a units line).
    text_columns : list of str
        Columns to keep as text (dates).

    Returns
    -------
    pandas.DataFrame
        The table as read (no index); ``attrs["header"]`` holds the column names as written
        (a name may appear twice) and ``attrs["name"]`` the file name used in messages.

    Raises
    ------
    DataError
        An empty or header-only file; a separator other than ``sep``; a decimal comma with a
        comma separator; rows with more or fewer fields than the header.
    """
    text, name = _source_text(source)
    if sep == decimal:
        raise DataError(f"sep and decimal are both {sep!r}: they must differ")
    skipped = set(skiprows or ())
    lines = [line for number, line in enumerate(text.splitlines()) if number not in skipped]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataError(f"{name} is empty: it needs a header line and one row per month")
    header = next(csv.reader([lines[0]], delimiter=sep))
    _check_separator(name, lines, header, sep, decimal)
    # An empty header cell gets pandas's name for it (an index written by to_csv).
    header = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
    if len(lines) == 1:
        raise DataError(
            f"{name} has a header line ({lines[0][:60]!r}) but no data rows: check that the "
            "file was exported completely"
        )
    _check_field_counts(name, lines, len(header), sep, decimal)
    frame = pd.read_csv(
        io.StringIO("\n".join(lines[1:])), sep=sep, decimal=decimal, header=None,
        names=range(len(header)), index_col=False, skipinitialspace=True,
        dtype={header.index(c): str for c in text_columns if c in header},
    )
    frame.columns = _unique_labels(header)
    frame.attrs["header"] = header
    frame.attrs["name"] = name
    return frame


def _unique_labels(header: Sequence[str]) -> list[str]:
    """Column labels for a header that may repeat a name: the first copy keeps the name."""
    seen: dict[str, int] = {}
    labels = []
    for name in (h.strip() for h in header):
        labels.append(name if name not in seen else f"{name} (copy {seen[name] + 1})")
        seen[name] = seen.get(name, 0) + 1
    return labels


def _check_separator(name: str, lines: list[str], header: list[str], sep: str, decimal: str):
    """Refuse a file whose header is not split by ``sep`` but by another separator."""
    if len(header) > 1:
        return
    found = [s for s in _SEPARATORS if s != sep and s in lines[0]]
    if not found:
        return
    other = found[0]
    sample = " ".join(lines[1:3])
    decimal_hint = ", decimal=','" if other != "," and re.search(r"\d,\d", sample) else ""
    raise DataError(
        f"{name} is {_SEPARATORS[other]}-separated (header {lines[0][:60]!r}), but "
        f"sep={sep!r} was expected; pass sep={other!r}{decimal_hint}"
    )


def _check_field_counts(name: str, lines: list[str], n_header: int, sep: str, decimal: str):
    """Refuse rows with more or fewer fields than the header, naming the first one."""
    for number, fields in enumerate(csv.reader(lines[1:], delimiter=sep), start=1):
        if len(fields) == n_header:
            continue
        hint = "every row needs one value per column (an empty cell for a missing value)"
        if sep == "," and re.search(r"\d,\d", lines[number]) and len(fields) > n_header:
            hint = (
                "numbers with a decimal comma (12,5) split into two fields in a "
                "comma-separated file: write a dot, or separate the fields with ';' and pass "
                "sep=';', decimal=','"
            )
        raise DataError(
            f"{name}: row {number} has {len(fields)} fields but the header has {n_header} "
            f"({lines[number][:60]!r}); {hint}"
        )


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
        value = str(text.iloc[first]).strip()
        hint = ""
        if re.match(r"^\d{1,2}[./]\d{1,2}[./]\d{4}$", value):
            hint = (
                "; dates written day first (dd.mm.yyyy) can be read with "
                "helpers.daily.read_daily(..., date_format='%d.%m.%Y')"
            )
        elif first == 0 and value.startswith("#"):
            hint = "; row 1 looks like a units or comment line: delete it, or pass skiprows=[1]"
        raise DataError(
            f"column {date_column!r}: {_plural(len(bad), 'date')} cannot be read, first "
            f"{text.iloc[first]!r} at row {first + 1}; write dates as YYYY-MM-DD "
            f"(e.g. 1960-01-01){hint}"
        )
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    months = index.to_period("M").to_timestamp()
    repeated = months[months.duplicated()].unique()
    per_month = months.value_counts()
    if len(repeated) and per_month.max() >= 28:
        raise DataError(
            f"column {date_column!r}: the file holds daily data (up to {per_month.max()} rows "
            f"per month, e.g. {repeated[0]:%Y-%m}), but the course needs one row per month; "
            "aggregate it first with helpers.daily.read_daily and helpers.daily.to_monthly "
            "(README, 'Your own data')"
        )
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
