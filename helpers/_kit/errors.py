"""The course's error types, the one check of a whole-number argument, and message wording.

This is the lowest layer of ``helpers``: it imports nothing from the rest of the package, so
every module (data readers, windowing, training, explanations) can raise the same errors and
word them alike ("3 values", "rows 4, 9, 12", "row 18 (date 1961-06-01)").
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import pandas as pd

#: How many offending items (rows, months) a message lists before abbreviating.
MAX_LISTED = 5


class DataError(ValueError):
    """A record that cannot be used as it is; the message says what to fix and where."""


def whole_number(value: object, name: str, minimum: int = 1, unit: str = "") -> int:
    """Return ``value`` as an ``int`` if it is a whole number of at least ``minimum``.

    Parameters
    ----------
    value : object
        The argument to check. ``True``/``False`` and floats (even ``12.0``) are refused: a
        window of ``12.0`` months is almost always a computed value that went wrong.
    name : str
        The argument's name, for the message.
    minimum : int
        Smallest accepted value.
    unit : str
        What the number counts ("months", "windows"), for the message.

    Returns
    -------
    int

    Raises
    ------
    DataError
        If ``value`` is not an integer of at least ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        what = f"a whole number of {unit}" if unit else "a whole number"
        raise DataError(f"{name} must be {what} >= {minimum}, got {value!r}")
    return int(value)


def plural(count: int, word: str) -> str:
    """``"1 value"``, ``"3 values"``: a count with its noun."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def listing(items: Iterable, limit: int = MAX_LISTED) -> str:
    """The first ``limit`` items joined by commas, then how many there are in total."""
    items = list(items)
    shown = ", ".join(str(item) for item in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in total)"
    return shown


def row_label(position: int, index: pd.Index | None = None) -> str:
    """Describe the row at 0-based ``position``: ``"row 18 (date 1961-06-01)"``.

    Rows are counted from 1 below the header; a ``DatetimeIndex`` adds the row's date.
    """
    text = f"row {position + 1}"
    if isinstance(index, pd.DatetimeIndex) and not pd.isna(index[position]):
        text += f" (date {index[position]:%Y-%m-%d})"
    return text
