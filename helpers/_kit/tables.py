"""Reading a user's table: a delimited text file or an ``.xlsx`` sheet, checked as it is read.

:func:`read_table` is the one reader behind ``data.load_record`` (monthly) and
``daily.read_daily`` (daily). It

- refuses an empty path, a folder, an empty file or a header without rows by name;
- decodes text in UTF-8 (with or without BOM), GBK/GB18030, Big5 or Windows-1252 by
  detection, or in the ``encoding=`` given, and refuses rather than guess
  (:mod:`helpers._kit.encodings`); an open text file whose bytes read otherwise than in the
  encoding it was opened with (``open(path)`` in Windows-1252 on a GBK file) is refused too;
- reads ``.xlsx`` workbooks (``sheet=``) through the same checks (:mod:`helpers._kit.workbooks`);
- refuses a separator other than ``sep`` and rows with more or fewer fields than the header,
  with the ``sep=``/``decimal=`` to pass, and a title line above the header
  (``skiprows=[0]``).

Column names are kept as written, in any language (an empty header cell becomes
``Unnamed: i``, as pandas names it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from os import PathLike, fspath
from pathlib import Path
from typing import IO

import pandas as pd

from helpers._kit.encodings import decode_text, first_non_ascii_line
from helpers._kit.errors import DataError
from helpers._kit.workbooks import XLS_MAGIC, XLSX_MAGIC, refuse_xls, workbook_text

#: Separators a file may use, with the name an error message gives them.
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}

#: File name endings read as workbooks.
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _read_source(
    source: str | PathLike | IO,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> tuple[str, str, bool]:
    """The text of a file, stream or workbook sheet, and a name for messages.

    Parameters
    ----------
    source : str, path-like or file-like
        A path, or an open text or binary stream.
    encoding : str, optional
        The text's encoding; ``None`` detects it (see :mod:`helpers._kit.encodings`).
    sheet : str or int, optional
        The sheet of a workbook (see :func:`helpers._kit.workbooks.workbook_text`).

    Returns
    -------
    (str, str, bool)
        The text; ``"file 'name.csv'"`` (no directories) or ``"the CSV text"``; and whether
        it came from a workbook (then comma-separated with a decimal dot).

    Raises
    ------
    DataError
        An empty path, a folder, an old ``.xls`` workbook, undecodable text, a text stream
        opened in an encoding its bytes are not in, a source that is neither a path nor an
        open file. A missing file raises ``FileNotFoundError``.
    """
    if isinstance(source, (str, PathLike)):
        path = _checked_path(source)
        name = f"file {path.name!r}"
        if path.suffix.lower() in _WORKBOOK_SUFFIXES:
            text, name = workbook_text(str(path), name, sheet)
            return text, name, True
        raw = path.read_bytes()
    elif hasattr(source, "read"):
        given = getattr(source, "name", None)
        name = f"file {Path(str(given)).name!r}" if isinstance(given, str) else "the CSV text"
        try:
            raw = source.read()
        except UnicodeDecodeError as error:
            opened_as = getattr(source, "encoding", None) or error.encoding
            raise DataError(
                f"{name} was opened as {opened_as!r} text, but it is not in that encoding "
                f"({error.reason} at byte {error.start}): pass the path of the file instead of "
                "an open file (its encoding is then detected), or open it in binary mode ('rb')"
            ) from None
    else:
        raise DataError(
            f"expected the path of a CSV or .xlsx file (a str or pathlib.Path) or an open file, "
            f"got {type(source).__name__} {str(source)[:60]!r}"
        )
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
        _check_stream_encoding(text, getattr(source, "encoding", None), name)
        return text, name, False
    if raw.startswith(XLSX_MAGIC):
        text, name = workbook_text(io.BytesIO(raw), name, sheet)
        return text, name, True
    if raw.startswith(XLS_MAGIC):
        raise refuse_xls(name)
    return decode_text(raw, name, encoding), name, False


def _check_stream_encoding(text: str, opened_as: str | None, name: str) -> None:
    """Refuse the text of a file opened in an encoding its bytes are not in (mojibake).

    ``open(path)`` decodes in the computer's default encoding (Windows-1252 on a Western
    Windows), which turns a GBK file's ``日期`` into ``ÈÕÆÚ`` without an error. The text is
    encoded back to the bytes it came from and decoded as :mod:`helpers._kit.encodings` would
    decode the file; a confident reading that differs is refused. When detection is not
    confident (a short ``t°C``), the encoding the file was opened with stands.
    """
    if not opened_as or text.isascii():
        return
    try:
        detected = decode_text(text.encode(opened_as), name)
    except (UnicodeEncodeError, LookupError, DataError):
        return
    if detected == text:
        return
    raise DataError(
        f"{name} was opened as {opened_as!r} text, which reads {first_non_ascii_line(text)!r}, "
        f"but its bytes read {first_non_ascii_line(detected)!r}: pass the path of the file "
        "instead of an open file (its encoding is then detected), or open it with the right "
        "encoding=... or in binary mode ('rb')"
    )


def _checked_path(source: str | PathLike) -> Path:
    """The path, refused by name when it is empty or a folder."""
    text = fspath(source)
    if not str(text).strip():
        raise DataError("the path is empty: pass the path of your CSV or .xlsx file")
    path = Path(text)
    if path.is_dir():
        files = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (
            ".csv", ".txt", *_WORKBOOK_SUFFIXES))
        inside = f" (files there: {', '.join(files[:5])})" if files else ""
        raise DataError(
            f"{str(path)!r} is a folder, not a file: pass the path of the CSV or .xlsx file "
            f"inside it{inside}"
        )
    if path.suffix.lower() == ".xls":
        raise refuse_xls(f"file {path.name!r}")
    return path


def read_table(
    source: str | PathLike | IO,
    sep: str = ",",
    decimal: str = ".",
    skiprows: Sequence[int] | None = None,
    text_columns: Sequence[str] = (),
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a delimited text table or a workbook sheet, refusing malformed ones clearly.

    Shared by ``data.load_record`` (monthly) and ``daily.read_daily`` (daily).

    Parameters
    ----------
    source : str, path-like or file-like
        The file (``.csv``, ``.txt``, ``.xlsx``), or an open text or binary stream.
    sep : str, default ","
        Field separator of a text file.
    decimal : str, default "."
        Decimal mark of a text file.
    skiprows : list of int, optional
        Lines (rows of a sheet) to skip, counted from 0 = the header (``[1]`` skips a units
        line).
    text_columns : list of str
        Columns to keep as text (dates).
    encoding : str, optional
        Encoding of a text file; ``None`` detects it.
    sheet : str or int, optional
        The sheet of a workbook; ``None`` takes the only sheet with data.

    Returns
    -------
    pandas.DataFrame
        The table as read (no index); ``attrs["header"]`` holds the column names as written
        (a name may appear twice) and ``attrs["name"]`` the file name used in messages.

    Raises
    ------
    DataError
        An empty path, a folder, an empty or header-only file; undecodable text; a separator
        other than ``sep``; a decimal comma with a comma separator; rows with more or fewer
        fields than the header.
    """
    text, name, from_workbook = _read_source(source, encoding, sheet)
    if from_workbook:
        sep, decimal = ",", "."
    if sep == decimal:
        raise DataError(f"sep and decimal are both {sep!r}: they must differ")
    skipped = set(skiprows or ())
    lines = [line for number, line in enumerate(text.splitlines()) if number not in skipped]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataError(f"{name} is empty: it needs a header line and one row per month")
    header = next(csv.reader([lines[0]], delimiter=sep))
    _check_separator(name, lines, header, sep)
    # An empty header cell gets pandas's name for it (an index written by to_csv).
    header = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
    if len(lines) == 1:
        raise DataError(
            f"{name} has a header line ({lines[0][:60]!r}) but no data rows: check that the "
            "file was exported completely"
        )
    _check_title_line(name, lines, sep)
    _check_field_counts(name, lines, len(header), sep)
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


def _check_separator(name: str, lines: list[str], header: list[str], sep: str) -> None:
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


def _check_title_line(name: str, lines: list[str], sep: str) -> None:
    """Refuse a title above the header (one cell filled, the next line several), as exports have."""
    first, second = csv.reader(lines[:2], delimiter=sep)
    filled = [sum(bool(cell.strip()) for cell in cells) for cells in (first, second)]
    if filled[0] == 1 and filled[1] > 1:
        raise DataError(
            f"{name}: the first line read ({lines[0].rstrip(sep + ' ')[:60]!r}) has one name but "
            f"the next has {filled[1]} ({lines[1][:60]!r}); if the first line is a title above "
            "the header, pass skiprows=[0]"
        )


def _check_field_counts(name: str, lines: list[str], n_header: int, sep: str) -> None:
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
