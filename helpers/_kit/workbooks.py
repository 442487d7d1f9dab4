"""Excel workbooks (``.xlsx``) as the text table a CSV gives, so that they pass the same checks.

A sheet is turned into comma-separated text: dates stored as Excel dates become ``1960-01-01``,
dates typed as text stay as typed (``1960/1/1``, ``1960年1月``), numbers keep every digit,
empty cells stay empty. The header row, a units row below it (``skiprows=[1]``), the date
column and the numbers are then checked exactly as for a CSV. Old ``.xls`` files are refused
with the advice to save them as ``.xlsx`` or CSV: reading them would need another package.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import IO

from helpers._kit.errors import DataError

#: The first bytes of an .xlsx file (a zip archive) and of an old .xls file (OLE2).
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def refuse_xls(name: str) -> DataError:
    """The error for an old binary ``.xls`` workbook, which the course does not read."""
    return DataError(
        f"{name} is an old Excel .xls workbook, which the course does not read: open it in "
        "Excel, WPS or LibreOffice and save it as .xlsx (Excel workbook) or as CSV"
    )


def workbook_text(
    source: str | IO[bytes], name: str, sheet: str | int | None = None
) -> tuple[str, str]:
    """The cells of one sheet as comma-separated text, and the sheet's name for messages.

    Parameters
    ----------
    source : str or binary file-like
        The ``.xlsx`` file.
    name : str
        How messages name the file.
    sheet : str or int, optional
        The sheet's name, or its position (0 = first). ``None`` takes the only sheet that holds
        anything, and refuses a workbook with several such sheets.

    Returns
    -------
    (str, str)
        The text, and ``"file '...', sheet '...'"`` for messages.

    Raises
    ------
    DataError
        An unreadable workbook; an unknown sheet; several filled sheets and no ``sheet=``.
    """
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError and its own errors
        raise DataError(
            f"{name} cannot be read as an .xlsx workbook ({type(error).__name__}: {error}); "
            "open it in a spreadsheet program and save it again as .xlsx or CSV"
        ) from None
    try:
        rows_by_sheet = {title: _rows(book[title]) for title in book.sheetnames}
    finally:
        book.close()
    title = _choose_sheet(rows_by_sheet, name, sheet)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows_by_sheet[title])
    return text.getvalue(), f"{name}, sheet {title!r}"


def _rows(worksheet) -> list[list[str]]:
    """The sheet's cells as text, without empty rows and empty trailing columns."""
    rows = [[_cell_text(value) for value in row] for row in worksheet.iter_rows(values_only=True)]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    width = max((max(i + 1 for i, cell in enumerate(row) if cell.strip()) for row in rows),
                default=0)
    return [(row + [""] * width)[:width] for row in rows]


def _cell_text(value: object) -> str:
    """One cell as a CSV writes it: dates in ISO form, numbers with every digit."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time(0) else f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _choose_sheet(rows_by_sheet: dict[str, list], name: str, sheet: str | int | None) -> str:
    titles = list(rows_by_sheet)
    listing = ", ".join(repr(title) for title in titles)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(titles):
            raise DataError(f"{name} has {len(titles)} sheet(s) ({listing}); sheet={sheet} is "
                            "not one of them (0 is the first)")
        return titles[sheet]
    if sheet is not None:
        if sheet not in titles:
            raise DataError(f"{name} has no sheet {sheet!r}; its sheets: {listing}")
        return sheet
    filled = [title for title in titles if rows_by_sheet[title]]
    if len(filled) > 1:
        raise DataError(
            f"{name} has {len(filled)} sheets with data ({', '.join(map(repr, filled))}): "
            f"pass sheet='...' to say which one holds the record"
        )
    return filled[0] if filled else titles[0]
