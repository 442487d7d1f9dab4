"""Loading a monthly record (dates, climate variables, runoff) from a CSV file or a workbook.

The course reads one table: one row per month, a date column, the input variables (features)
and the variable to predict (target). ``load_record`` reads such a file, checks it and returns
it indexed by month; ``validate_record`` runs the same checks on a DataFrame you built yourself;
``load_catchment`` loads the teaching catchment shipped with the course.

The jobs behind it live in modules of their own: :mod:`helpers._kit.tables` reads the
table (:mod:`helpers._kit.encodings` decodes its text, :mod:`helpers._kit.workbooks` reads
``.xlsx`` sheets),
:mod:`helpers._kit.dates` reads the dates, :mod:`helpers._kit.validation` checks the record, and
:mod:`helpers._kit.columns` checks the column names. This module puts them together.

File format for your own data
-----------------------------
- **A CSV file** (or ``.txt``), a header line with the column names, comma-separated with a
  dot as decimal mark (``12.5``), no thousands separators. Semicolon- or tab-separated exports
  and decimal commas are read with ``sep=";"`` / ``sep="\t"`` and ``decimal=","``; a file
  whose separator differs from ``sep`` is refused with a message naming the separator it found.
  **Or an Excel workbook** (``.xlsx``): the sheet is read like a CSV, ``sheet=`` names it when
  the workbook has several with data; dates may be Excel dates or text. Old ``.xls`` files are
  refused: save them as ``.xlsx`` or CSV.
- **Any common encoding.** UTF-8 (with or without the byte order mark Excel writes), GBK /
  GB18030 (Chinese Windows), Big5 and Windows-1252 are recognised; a file that could be read in
  two of them differently is refused with both readings and the ``encoding=`` to pass (e.g.
  ``encoding="gbk"``). Column names may be in any language (``日期``, ``降水量(mm)``); they are
  kept as written.
- **A date column**, named ``date`` by default (``date_column=`` to change it), written **year
  first**: ``1960-01-01``, ``1960-01``, ``1960/1/1``, ``1960/1``, ``1960-1``, ``196001``,
  ``1960年1月`` or ``1960年1月1日``. Dates written day or month first (``01/02/1960``) are
  refused, because day and month cannot be told apart in them: pass ``date_format=``
  (``"%d/%m/%Y"`` or ``"%m/%d/%Y"``).
- **Exactly one row per month**, oldest first, without gaps. Any day of the month is accepted
  and moved to the first of that month (``1960-01-31`` and ``1960-01-15`` both become
  ``1960-01-01``), so month-end and mid-month conventions work. Two rows falling in the same
  month are refused: aggregate daily data to months first with ``helpers._kit.daily``.
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

from collections.abc import Sequence
from os import PathLike
from typing import IO

import numpy as np
import pandas as pd

from helpers import config
from helpers._kit.columns import DATE_COLUMN, FEATURES, TARGET, resolve_columns, unknown_names
from helpers._kit.dates import parse_months
from helpers._kit.errors import DataError
from helpers._kit.tables import read_table
from helpers._kit.validation import (
    OUTLIER_LIMIT,
    SENTINELS,
    check_numeric,
    check_plausible,
    validate_record,
)
from helpers.config import COURSE
from helpers.windows import MIN_WINDOWS, check_window

# Names kept importable from here, where the notebooks and the README find them.
__all__ = [
    "DATE_COLUMN",
    "FEATURES",
    "MIN_WINDOWS",
    "OUTLIER_LIMIT",
    "SENTINELS",
    "TARGET",
    "DataError",
    "check_plausible",
    "check_window",
    "load_catchment",
    "load_record",
    "read_table",
    "resolve_columns",
    "validate_record",
]


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

    The file needs a header line, a date column written year first (``1960-01-01``,
    ``1960/1/1``, ``1960-01``, ``1960年1月``, ...), one row per month without gaps in
    increasing order, and numeric feature and target columns without missing values (the full
    format is in this module's docstring). Any day of the month is accepted and moved to the
    month's first day (``1960-01-31`` becomes ``1960-01-01``); two rows in the same month are
    an error. Columns not named in ``features`` are ignored.

    Parameters
    ----------
    source : str, path-like or file-like
        The CSV or ``.xlsx`` file, or an open text or binary stream (e.g. ``io.StringIO``).
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
    date_format : str, optional
        A ``strptime`` format for dates not written year first, e.g. ``"%d/%m/%Y"``.
    encoding : str, optional
        The text's encoding (``"gbk"``, ``"utf-8"``, ...); ``None`` detects UTF-8, GBK/GB18030,
        Big5 and Windows-1252, and refuses a file it cannot tell (see
        :mod:`helpers._kit.encodings`).
    sheet : str or int, optional
        The sheet of an ``.xlsx`` workbook; ``None`` takes the only sheet with data.
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
        and the row (row 1 = first line below the header) and/or date, and the fix; an empty
        path or a folder too. A missing file raises ``FileNotFoundError``.

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
        source, sep=sep, decimal=decimal, skiprows=skiprows, text_columns=[date_column],
        encoding=encoding, sheet=sheet,
    )
    header = raw.attrs["header"]
    if date_column not in header:
        raise DataError(unknown_names(
            f"date column {date_column!r} not found in {raw.attrs['name']} (pass date_column= "
            "if your dates are in another column)", [date_column], header))
    chosen = resolve_columns(header, features, target, date_column)
    columns = [*chosen, target]

    dates = parse_months(raw[date_column], date_column, date_format)
    check_numeric(raw, columns, dates)

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


def load_catchment() -> pd.DataFrame:
    """Load the teaching-catchment record shipped with the course.

    Returns
    -------
    pandas.DataFrame
        Monthly record (Jan 1960 to Feb 2022) with the columns ``FEATURES`` then ``TARGET``,
        indexed by ``date``; see ``load_record``.
    """
    if not config.CATCHMENT_CSV.exists():
        raise FileNotFoundError(
            f"the teaching record {config.CATCHMENT_CSV} is missing; it ships with the "
            "repository, so restore it with `git checkout -- data/`"
        )
    return load_record(config.CATCHMENT_CSV, features=FEATURES, target=TARGET)
