"""The course's error types and the one check of a whole-number argument.

This is the lowest layer of ``helpers``: it imports nothing from the rest of the package, so
every module (data readers, windowing, training, explanations) can raise the same errors.
"""

from __future__ import annotations

import numbers


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
