"""Reading the date column of a user's table, and the one check that dates increase.

Without ``date_format=``, the readers accept dates that name the **year first**, because those
cannot be misread: ISO ``1960-01-01`` and ``1960-01``, the same without zero padding or with
slashes or dots (``1960/1/1``, ``1960/01``, ``1960-1``, ``1960.1.1``), compact ``19600101`` and
``196001``, and the Chinese ``1960年1月`` and ``1960年1月1日``. A time after the date
(``1960/1/1 0:00``, ``1960-01-01T00:00``) is ignored. Dates that put the day or the month first
(``01/02/1960``) are refused: day and month cannot be told apart, so the message asks for
``date_format=`` (a ``strptime`` format such as ``"%d.%m.%Y"``). Excel's day numbers
(``21916``, a date cell that lost its date format) are refused with the date they stand for
and how to format the column as dates.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers._kit.errors import MAX_LISTED, DataError, listing, plural

# Year, month and optional day, separated by -, / or . (or 年 月 日), then an optional time.
_YEAR_FIRST = re.compile(
    r"^(?P<year>\d{4})\s*(?:[-/.]|年)\s*(?P<month>\d{1,2})\s*"
    r"(?:(?:[-/.]|月)\s*(?P<day>\d{1,2})\s*日?|月)?"
    r"(?:[ T].*)?$"
)
# The same without separators: 196001 or 19600101.
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})?$")
# A day number as Excel stores dates, shown in a cell without a date format: 21916 = 1960-01-01.
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.0*)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Day or month first: 01.02.1960, 1/2/1960, 01-02-1960.
_DAY_OR_MONTH_FIRST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2\d{4}(?:\D|$)")


def check_increasing(dates: pd.DatetimeIndex, date_column: str | None = None) -> None:
    """Refuse dates that go back in time, naming the first such row and both dates.

    The one check of the order of dates, used for daily and monthly records and for windows.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Dates in file order (row 1 = the first).
    date_column : str, optional
        The column they come from, for the message.

    Raises
    ------
    DataError
        At the first date earlier than the one before it.
    """
    back = np.flatnonzero(dates[1:] < dates[:-1])
    if len(back):
        later = back[0] + 1
        where = f"column {date_column!r}: " if date_column else ""
        raise DataError(
            f"{where}dates are not in increasing order: row {later + 1} "
            f"({dates[later]:%Y-%m-%d}) comes after row {later} ({dates[later - 1]:%Y-%m-%d}); "
            "sort the rows by date"
        )


def _year_first(text: pd.Series, need_day: bool) -> pd.Series:
    """Dates written year first, as timestamps; NaT where the text is not such a date."""
    parts = text.str.extract(_YEAR_FIRST)
    compact = text.str.extract(_COMPACT)
    parts = parts.fillna(compact).astype("float64")
    if not need_day:
        parts["day"] = parts["day"].fillna(1)
    parsed = pd.to_datetime(parts[["year", "month", "day"]], errors="coerce")
    return pd.Series(parsed, index=text.index)


def _day_or_month_first(text: pd.Series, sep: str) -> str:
    """The ``date_format=`` hint for dates such as 01.02.1960, judged on the whole column.

    A first number above 12 anywhere (``13.01.1960``) shows the day comes first; a second
    number above 12 (``01/13/1960``), the month. Without either, the message offers both.
    """
    day_first, month_first = f"%d{sep}%m{sep}%Y", f"%m{sep}%d{sep}%Y"
    parts = text.astype("string").str.strip().str.extract(_DAY_OR_MONTH_FIRST).dropna()
    firsts, seconds = parts[0].astype(int), parts[2].astype(int)
    if (firsts > 12).any() and not (seconds > 12).any():
        row = int(np.flatnonzero((firsts > 12).to_numpy())[0])
        example = f"{text.loc[parts.index[row]]!r}"
        return f"; the dates put the day first (e.g. {example}): pass date_format={day_first!r}"
    if (seconds > 12).any() and not (firsts > 12).any():
        row = int(np.flatnonzero((seconds > 12).to_numpy())[0])
        example = f"{text.loc[parts.index[row]]!r}"
        return (f"; the dates put the month first (e.g. {example}): pass "
                f"date_format={month_first!r}")
    return (
        "; day and month cannot be told apart in such dates: pass "
        f"date_format={day_first!r} (day first) or date_format={month_first!r} (month first)"
    )


def _unreadable(text: pd.Series, bad: np.ndarray, date_column: str, expected: str) -> DataError:
    """The error for dates that cannot be read, with the hint that fits them."""
    first = bad[0]
    value = str(text.iloc[first]).strip()
    hint = ""
    ambiguous = _DAY_OR_MONTH_FIRST.match(value)
    if ambiguous:
        hint = _day_or_month_first(text, ambiguous.group(2))
    elif _EXCEL_SERIAL.match(value):
        day = _EXCEL_EPOCH + pd.Timedelta(days=int(float(value)))
        hint = (f"; {value} looks like an Excel date serial number (day {value} = "
                f"{day:%Y-%m-%d}): format the column as dates in Excel (Format Cells, Date) and "
                "save the file again")
    elif first == 0 and value.startswith("#"):
        hint = "; row 1 looks like a units or comment line: delete it, or pass skiprows=[1]"
    elif first == 0:
        hint = "; if row 1 is a units line, pass skiprows=[1]"
    return DataError(
        f"column {date_column!r}: {plural(len(bad), 'date')} cannot be read, first "
        f"{text.iloc[first]!r} at row {first + 1}; write dates {expected}{hint}"
    )


def parse_dates(
    text: pd.Series, date_column: str, date_format: str | None = None, need_day: bool = True
) -> pd.DatetimeIndex:
    """Parse a column of dates, refusing empty cells and unreadable dates by row and value.

    Parameters
    ----------
    text : pandas.Series
        The date column as read (text, or timestamps from a workbook).
    date_column : str
        Its name, for messages.
    date_format : str, optional
        A ``strptime`` format (``"%d.%m.%Y"``); ``None`` reads the year-first forms of this
        module's docstring.
    need_day : bool, default True
        ``False`` accepts year and month alone (``1960-01``, ``1960年1月``), as the first day.

    Returns
    -------
    pandas.DatetimeIndex
        Without time zone; the time of day kept as written in ``date_format``, else dropped.

    Raises
    ------
    DataError
        Naming the empty cells, or the first unreadable date with the ``date_format=`` to pass.
    """
    stripped = text.astype("string").str.strip()
    empty = np.flatnonzero((stripped.isna() | (stripped == "")).to_numpy(dtype=bool))
    if len(empty):
        hint = "; if row 1 is a units line, pass skiprows=[1]" if empty[0] == 0 else ""
        raise DataError(
            f"column {date_column!r} has {plural(len(empty), 'missing date')} (empty cells), "
            f"at row(s) {listing(p + 1 for p in empty)}{hint}"
        )
    if date_format is None:
        parsed = _year_first(stripped, need_day)
        expected = "year first, e.g. 1960-01-01, 1960/1/1" + ("" if need_day else " or 1960-01")
    else:
        parsed = pd.to_datetime(stripped, format=date_format, errors="coerce")
        expected = f"as {date_format!r} (date_format)"
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise _unreadable(text, bad, date_column, expected)
    dates = pd.DatetimeIndex(parsed)
    return dates.tz_localize(None) if dates.tz is not None else dates


def parse_months(
    text: pd.Series, date_column: str, date_format: str | None = None
) -> pd.DatetimeIndex:
    """Dates of a monthly record, moved to the first of their month; one row per month.

    Parameters
    ----------
    text : pandas.Series
        The date column as read.
    date_column : str
        Its name, for messages.
    date_format : str, optional
        See :func:`parse_dates`.

    Returns
    -------
    pandas.DatetimeIndex
        Month starts, in file order.

    Raises
    ------
    DataError
        Unreadable or empty dates; a month given twice, or daily data (pointing to
        ``helpers.data.read_daily`` and ``helpers.data.to_monthly``).
    """
    dates = parse_dates(text, date_column, date_format, need_day=False)
    months = dates.to_period("M").to_timestamp()
    repeated = months[months.duplicated()].unique()
    if not len(repeated):
        return months
    per_month = months.value_counts()
    if per_month.max() >= 28:
        raise DataError(
            f"column {date_column!r}: the file holds daily data (up to {per_month.max()} rows "
            f"per month, e.g. {repeated[0]:%Y-%m}), but the course needs one row per month; "
            "aggregate it first with helpers.data.read_daily and helpers.data.to_monthly "
            "(README, 'Your own data')"
        )
    rows = np.flatnonzero(months == repeated[0])
    found = ", ".join(f"{text.iloc[p]!r} (row {p + 1})" for p in rows[:MAX_LISTED])
    raise DataError(
        f"column {date_column!r}: {plural(len(repeated), 'month')} "
        f"{'appears' if len(repeated) == 1 else 'appear'} more than once, "
        f"first {repeated[0]:%Y-%m}: {found}; the record must have exactly one row per month "
        "(aggregate daily or weekly data to months first)"
    )


def parse_days(
    text: pd.Series, date_column: str, date_format: str | None = None
) -> pd.DatetimeIndex:
    """Dates of a daily record: one row per day, increasing.

    Parameters
    ----------
    text : pandas.Series
        The date column as read.
    date_column : str
        Its name, for messages.
    date_format : str, optional
        See :func:`parse_dates`.

    Returns
    -------
    pandas.DatetimeIndex
        Days (midnight), named ``date``.

    Raises
    ------
    DataError
        Unreadable or empty dates, a day given twice, dates out of order.
    """
    days = pd.DatetimeIndex(parse_dates(text, date_column, date_format), name="date").normalize()
    repeated = np.flatnonzero(days.duplicated())
    if len(repeated):
        raise DataError(
            f"column {date_column!r}: day {days[repeated[0]]:%Y-%m-%d} appears more than once "
            f"(row {repeated[0] + 1}); a daily record needs one row per day"
        )
    check_increasing(days, date_column)
    return days
