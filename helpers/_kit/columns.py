"""The course's column names, and the one check of the feature and target names a user passes.

Column names may be in any language (``降水量(mm)``, ``température``): they are compared as
written. When a name is not found, the message also suggests a column that differs from it only
in full-width/half-width forms, case or spaces (``降水量（mm）`` for ``降水量(mm)``).

This module sits just above :mod:`helpers._kit.errors`: the loaders, the validation and the windows
all use it, and the generator of the teaching catchment can take the names from here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from helpers._kit.errors import DataError

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

#: Column names that mark an index written by ``DataFrame.to_csv`` (or an empty header cell).
_INDEX_NAME = re.compile(r"^(Unnamed: \d+|index|)$", re.IGNORECASE)


def _folded(name: str) -> str:
    """A name without the differences a reader does not see: width, case, spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def unknown_names(message: str, wanted: Sequence[str], available: Sequence[str]) -> str:
    """``message`` with the available columns and any near match of the names not found.

    Parameters
    ----------
    message : str
        What is wrong, e.g. ``"unknown feature column(s) 'rain'"``.
    wanted : list of str
        The names not found.
    available : list of str
        The column names as written in the file.

    Returns
    -------
    str
    """
    listing = ", ".join(repr(column) for column in available)
    message = f"{message}; available columns: {listing}"
    near = {
        name: column
        for name in wanted
        for column in available
        if _folded(str(name)) == _folded(column)
    }
    if near:
        hints = ", ".join(f"{column!r} for {name!r}" for name, column in near.items())
        message += (
            f". Did you mean {hints}? The names differ only in full-width/half-width "
            "characters, case or spaces: copy the name from the header"
        )
    return message


def resolve_columns(
    columns: Sequence,
    features: Sequence[str] | None,
    target: str,
    date_column: str | None = None,
) -> list[str]:
    """Check ``features`` and ``target`` against the available ``columns``; return the features.

    The one check of feature and target names, used by ``load_record`` and by the checks of
    :mod:`helpers._kit.validation` (``validate_record``, ``make_windows``, ``prepare_windows``).

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
    if not isinstance(target, str):
        raise DataError(f"target must be one column name (a string), got {target!r}")
    if target not in available:
        raise DataError(
            unknown_names(f"target column {target!r} not found", [target], available)
        )
    if features is None:
        return _all_features(available, target, date_column)
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
        names = ", ".join(repr(f) for f in unknown)
        raise DataError(unknown_names(f"unknown feature column(s) {names}", unknown, available))
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
    ambiguous = [c for c in [*features, target] if available.count(c) > 1]
    if ambiguous:
        raise DataError(
            f"the header names column {ambiguous[0]!r} more than once: rename one of the "
            "copies so that it is clear which one to use"
        )
    return features


def _all_features(available: list[str], target: str, date_column: str | None) -> list[str]:
    """``features=None``: every column but the date and the target, if that is unambiguous."""
    twice = sorted({c for c in available if available.count(c) > 1})
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
        listing = ", ".join(repr(column) for column in available)
        raise DataError(
            f"no feature columns: the record has only {listing}; it needs at least one "
            "input column besides the date and the target"
        )
    return features
