"""Loading a monthly record (dates, climate variables, runoff), exploring it, and daily files.

The course reads one table: one row per month, a date column, the input variables (features)
and the variable to predict (target). :func:`load_record` reads such a file, checks it and
returns it indexed by month; :func:`validate_record` runs the same checks on a DataFrame you
built yourself; :func:`load_catchment` loads the teaching catchment shipped with the course.
:func:`monthly_anomalies`, :func:`season_of` and :func:`within_month` take the calendar out of
a record or of SHAP values. The last section turns daily files and the real records shipped
inside PyPI packages into monthly records.

The machinery (decoding the text, workbooks, dates, column names, the checks of the values)
lives behind the door, in :mod:`helpers._kit`; the course does not require reading it.

File format for your own data
-----------------------------
- **A CSV file** (or ``.txt``) with a header line, comma-separated, a dot as decimal mark, no
  thousands separators (``sep=";"``, ``sep="\t"`` and ``decimal=","`` for other exports), **or
  an ``.xlsx`` workbook** (``sheet=`` names the sheet when several hold data). Old ``.xls``
  files are refused: save them as ``.xlsx`` or CSV.
- **Any common encoding**: UTF-8 (with or without a byte order mark), GBK / GB18030, Big5,
  Windows-1252. A file that reads differently in two of them is refused with both readings
  and the ``encoding=`` to pass. Column names may be in any language (``降水量(mm)``).
- **A date column** (``date_column=``, default ``date``) written **year first**:
  ``1960-01-01``, ``1960-01``, ``1960/1/1``, ``196001``, ``1960年1月``, ... Day- or
  month-first dates (``01/02/1960``) are ambiguous and refused: pass ``date_format=``.
- **Exactly one row per month**, oldest first, without gaps; any day of the month is moved to
  its first day. Daily data: aggregate them first with :func:`read_daily` and
  :func:`to_monthly`.
- **Numbers, without missing values** in the features and the target (default ``runoff``, in
  mm/month): filling gaps is a modelling decision the course leaves to you.
- **No sentinels** (``-999``, ... see ``SENTINELS``), **no absurd outliers** (farther from the
  median than 50 times the column's 10-90 % range, e.g. ``1e30``) and **no constant column**;
  ``sentinels=()`` / ``outlier_limit=None`` accept such values when they are real.
- **Long enough**: ``window + 23`` months (24 windows; 35 months for 12-month windows).
  Decades are what make a useful model.
- Other columns are ignored when you pass ``features=``; with ``features=None`` every column
  but the date and the target is used, so a column named twice, an unnamed column or an index
  column written by ``DataFrame.to_csv`` (``Unnamed: 0``: 0, 1, 2, ...) is refused.

Every problem raises ``DataError`` (a ``ValueError``) naming the file, column, row and/or date
and value, and the fix. Row 1 is the first data row (line 2 of the file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit import daily, records
from helpers._kit.columns import DATE_COLUMN, FEATURES, TARGET, resolve_columns, unknown_names
from helpers._kit.dates import parse_months
from helpers._kit.errors import DataError
from helpers._kit.tables import read_table
from helpers._kit.validation import (
    OUTLIER_LIMIT,
    SENTINELS,
    check_columns,
    check_numeric,
    check_record,
    check_window,
)
from helpers.config import CATCHMENT_CSV, COURSE


def load_record(
    source: str | PathLike | IO,
    date_column: str = DATE_COLUMN,
    features: Sequence[str] | None = None,
    target: str = TARGET,
    window: int = COURSE.window,
    *,
    sep: str = ",",
    decimal: str = ".",
    skiprows: Sequence[int] | None = None,
    date_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
) -> pd.DataFrame:
    """Read a monthly record from a CSV file or a workbook, check it, and index it by month.

    The format is in this module's docstring.

    Parameters
    ----------
    source : str, path-like or file-like
        The CSV or ``.xlsx`` file, or an open text or binary stream (e.g. ``io.StringIO``).
    date_column : str, default "date"
        Name of the date column.
    features : list of str or None, default None
        Input columns, in the order the model should see them; ``None`` uses every column
        except ``date_column`` and ``target``, in file order.
    target : str, default "runoff"
        The column to predict.
    window : int, default COURSE.window (12)
        Months per input window; the record needs ``window + 23`` months (24 windows).
    sep, decimal : str, default "," and "."
        Field separator and decimal mark (``";"`` and ``","`` for many European exports).
    skiprows : list of int, optional
        Lines to skip, counted from 0 = the header (``[1]`` skips a units line below it).
    date_format : str, optional
        A ``strptime`` format for dates not written year first, e.g. ``"%d/%m/%Y"``.
    encoding : str, optional
        ``"gbk"``, ``"utf-8"``, ...; ``None`` detects it, and refuses a file it cannot tell.
    sheet : str or int, optional
        The sheet of an ``.xlsx`` workbook; ``None`` takes the only sheet with data.
    sentinels, outlier_limit
        ``sentinels=()`` and ``outlier_limit=None`` accept such values as real.

    Returns
    -------
    pandas.DataFrame
        Indexed by a ``DatetimeIndex`` named ``date`` (month starts, ``freq='MS'``); columns are
        the features in the given order followed by the target, all float64.

    Raises
    ------
    DataError
        For every problem with the file's content, an empty path or a folder. A missing file
        raises ``FileNotFoundError``.

    Examples
    --------
    >>> import io
    >>> text = "date,rain,flow\\n" + "".join(
    ...     f"{1990 + m // 12}-{m % 12 + 1:02d}-01,{m % 7},{m % 5}\\n" for m in range(40))
    >>> record = load_record(io.StringIO(text), features=["rain"], target="flow")
    >>> record.shape, record.index.freqstr
    ((40, 2), 'MS')
    """
    window = check_window(window)  # before reading: a bad window fails fast
    # behind the door: decode the text (or the workbook), split it into columns
    raw = read_table(source, sep=sep, decimal=decimal, skiprows=skiprows,
                     text_columns=[date_column], encoding=encoding, sheet=sheet)
    header = raw.attrs["header"]
    if date_column not in header:
        raise DataError(unknown_names(
            f"date column {date_column!r} not found in {raw.attrs['name']} (pass date_column= "
            "if your dates are in another column)", [date_column], header))
    chosen = resolve_columns(header, features, target, date_column)
    columns = [*chosen, target]
    dates = parse_months(raw[date_column], date_column, date_format)
    check_numeric(raw, columns, dates)  # text that is not a number, named before converting
    record = raw[columns].apply(pd.to_numeric).astype("float64")
    record.index = pd.DatetimeIndex(dates, name=DATE_COLUMN)
    if features is None:
        _check_index_values(record, chosen)
    # behind the door: dates, gaps, NaN, constant columns, sentinels, outliers, length
    check_record(record, chosen, target, window, sentinels=sentinels, outlier_limit=outlier_limit)
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


def validate_record(
    frame: pd.DataFrame,
    features: Sequence[str] | None,
    target: str,
    window: int = COURSE.window,
    *,
    sentinels: Sequence[float] = SENTINELS,
    outlier_limit: float | None = OUTLIER_LIMIT,
) -> None:
    """Run :func:`load_record`'s checks on a DataFrame built otherwise (e.g. from daily data).

    ``frame`` is indexed by month starts; ``features=None`` means every column but ``target``.
    Raises ``DataError`` on the first problem, naming the column and the row and/or date.
    """
    window = check_window(window)
    features = check_columns(frame, features, target)  # a DataFrame with these columns, numbers
    # behind the door: dates, gaps, NaN, constant columns, sentinels, outliers, length
    check_record(frame, features, target, window, sentinels=sentinels, outlier_limit=outlier_limit)


def load_catchment() -> pd.DataFrame:
    """The teaching-catchment record shipped with the course (Jan 1960 to Feb 2022).

    Returns
    -------
    pandas.DataFrame
        The columns ``FEATURES`` then ``TARGET``, indexed by ``date``; see :func:`load_record`.
    """
    if not CATCHMENT_CSV.exists():
        raise FileNotFoundError(
            f"the teaching record {CATCHMENT_CSV} is missing; it ships with the "
            "repository, so restore it with `git checkout -- data/`"
        )
    return load_record(CATCHMENT_CSV, features=FEATURES, target=TARGET)


# --------------------------------------------------------------------------------------------
# Exploring: the anomalies behind the seasonal cycle
# --------------------------------------------------------------------------------------------
# Every seasonal variable correlates with every other through the annual cycle they share
# (tmax with tmean at 0.995, sunshine *positively* with precip). Subtracting each calendar
# month's mean shows the ties that remain (notebooks 01, 04c and 05).


def monthly_anomalies(frame: pd.DataFrame) -> pd.DataFrame:
    """Deseasonalise: subtract each calendar month's mean and divide by its standard deviation.

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
    """Each value (shape (n,)) minus the mean of the values of the same calendar month (1-12).

    Takes the calendar out of per-window values (an input, or its SHAP value): what is left is
    "a warmer May than the other Mays", not "May rather than March".
    """
    values, months = np.asarray(values, float), _calendar_months(months)
    if values.shape != months.shape:
        raise ValueError(f"values {values.shape} and months {months.shape} differ in shape")
    return values - pd.Series(values).groupby(months).transform("mean").to_numpy()


# --------------------------------------------------------------------------------------------
# Daily files and the real records (notebooks 05 and 06); the work is done in helpers/_kit
# --------------------------------------------------------------------------------------------

#: The real daily records shipped inside PyPI packages: name -> package, file, area, licence.
RECORDS = records.RECORDS


def load_monthly(name: str) -> pd.DataFrame:
    """The real record ``name`` (a key of :data:`RECORDS`) as complete months, runoff in mm."""
    # behind the door: read_daily, discharge_to_mm, to_monthly and complete_months below
    return records.load_monthly(name)


def package_file(package: str, file: str) -> Path:
    """Path of ``file`` inside the installed distribution ``package``, without importing it."""
    # behind the door: importlib.metadata finds the file; a missing one says what to install
    return records.package_file(package, file)


def read_daily(
    source: str | PathLike | IO, date_column: str = "date", date_format: str | None = None,
    **options: object,
) -> pd.DataFrame:
    """Read a daily CSV or workbook sheet, indexed by day; missing days stay missing (NaN).

    ``options`` are those of :func:`load_record` (``sep``, ``decimal``, ``skiprows``,
    ``encoding``, ``sheet``, ``sentinels``, ``outlier_limit``) and ``columns``, the columns to
    keep (default: all but the date).
    """
    # behind the door: decode, parse the dates, one row per day in order, numbers, no sentinels
    return daily.read_daily(source, date_column, date_format, **options)


def to_monthly(
    days: pd.DataFrame, how: Mapping[str, str], min_valid_days: int | None = None
) -> pd.DataFrame:
    """Aggregate daily values to months (``how``: column -> "sum" or "mean").

    A month counts only when every day is valid (or ``min_valid_days`` of them, sums then
    scaled to the whole month); any other month is missing (NaN), never 0 mm.
    """
    # behind the door: count the valid days of each month, sum or average them
    return daily.to_monthly(days, how, min_valid_days)


def discharge_to_mm(
    flow: pd.Series | pd.DataFrame, area_km2: float, unit: str = "m3/s", per: str = "day"
) -> pd.Series | pd.DataFrame:
    """Discharge (``unit`` "m3/s" or "l/s") as a depth over the catchment, mm per ``per``."""
    # behind the door: mm/day = Q[m³/s] * 86 400 s / (area[km²] * 10⁶ m²) * 1000 mm/m
    return daily.discharge_to_mm(flow, area_km2, unit, per)


def complete_months(monthly: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The longest run of consecutive months with every column present; warns what it leaves."""
    # behind the door: find the runs of complete months, keep the longest (the first on a tie)
    return daily.complete_months(monthly, columns)
