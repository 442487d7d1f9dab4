"""Sliding windows over a monthly record: the ``Windows`` type, ``make_windows`` and their limits.

An LSTM reads a sequence of months and predicts one number. ``make_windows`` cuts the record
into overlapping windows (stride 1): window ``i`` holds the features of months
``i .. i + window - 1`` and its target is the target variable of the window's **last** month.
The months must follow each other without a gap: a window across a missing month would hand the
model two months as if they were neighbours, so ``make_windows`` refuses such a record.

``MIN_WINDOWS`` and ``check_window`` are the limits every loader and the training apply; the
scaling, the chronological split and ``prepare_windows`` build on this in
:mod:`helpers.windowing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers._kit.columns import resolve_columns
from helpers._kit.dates import check_increasing
from helpers._kit.errors import DataError, listing, plural, whole_number
from helpers.config import COURSE

#: Fewest sliding windows a record must yield: with the default 80/20 chronological split that
#: is 19 training and 5 test windows, and a validation slice can still be carved from training.
MIN_WINDOWS = 24


def check_window(window: int) -> int:
    """Refuse a window that is not a whole number of months >= 1 (``True`` included).

    The one check of the window length used by the loaders, the windows and the training.

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


def check_record_length(n_months: int, window: int) -> None:
    """Refuse a record too short to give ``MIN_WINDOWS`` windows of ``window`` months.

    Parameters
    ----------
    n_months : int
        Months in the record.
    window : int
        Months per window.

    Raises
    ------
    DataError
        With the number of months needed (``window + MIN_WINDOWS - 1``).
    """
    needed = window + MIN_WINDOWS - 1
    if n_months < needed:
        raise DataError(
            f"the record is too short: {plural(n_months, 'month')}, but a {window}-month window "
            f"needs at least {needed} months ({MIN_WINDOWS} windows, enough to split into "
            "training and test periods)"
        )


def check_consecutive_months(index: pd.DatetimeIndex) -> None:
    """Refuse a monthly index with a missing month, naming the missing months.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Increasing dates, one per month (any day of the month).

    Raises
    ------
    DataError
        When a month between the first and the last is absent.
    """
    months = index.to_period("M")
    if len(months) < 2:
        return
    expected = pd.period_range(months[0], months[-1], freq="M")
    gaps = expected.difference(months)
    if len(gaps):
        raise DataError(
            f"{plural(len(gaps), 'month')} missing from the record between "
            f"{months[0]:%Y-%m} and {months[-1]:%Y-%m}: "
            f"{listing(f'{month:%Y-%m}' for month in gaps)}; the windows need consecutive "
            "months, so add the missing rows (with values) or shorten the record"
        )


@dataclass(eq=False)
class Windows:
    """A stack of input windows and their targets.

    Attributes
    ----------
    X : numpy.ndarray, shape (n, window, n_features), float32
        Inputs; ``X[i, -1]`` is the month ``target_dates[i]``.
    y : numpy.ndarray, shape (n,), float32
        Target of each window (the target variable in its last month).
    target_dates : pandas.DatetimeIndex, length n
        Month of each window's target, i.e. the window's last month.
    feature_names : list of str
        Names of the features along the last axis of ``X``.
    """

    X: np.ndarray
    y: np.ndarray
    target_dates: pd.DatetimeIndex
    feature_names: list[str]

    def __post_init__(self) -> None:
        self.X = np.asarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.float32)
        self.target_dates = pd.DatetimeIndex(self.target_dates)
        self.feature_names = list(self.feature_names)
        if self.X.ndim != 3:
            raise ValueError(f"X must have shape (n, window, n_features), got {self.X.shape}")
        n = self.X.shape[0]
        if self.y.shape != (n,) or len(self.target_dates) != n:
            raise ValueError(
                f"X holds {n} windows but y has shape {self.y.shape} and target_dates "
                f"length {len(self.target_dates)}"
            )
        if len(self.feature_names) != self.X.shape[2]:
            raise ValueError(
                f"X has {self.X.shape[2]} features but {len(self.feature_names)} names"
            )

    @property
    def window(self) -> int:
        """Months per window."""
        return self.X.shape[1]

    @property
    def n_features(self) -> int:
        """Number of input variables."""
        return self.X.shape[2]

    def __len__(self) -> int:
        return self.X.shape[0]

    def __repr__(self) -> str:
        if len(self) == 0:
            return f"Windows(0 windows of {self.window} months x {self.n_features} features)"
        return (
            f"Windows({len(self)} windows of {self.window} months x {self.n_features} features, "
            f"targets {self.target_dates[0]:%Y-%m} .. {self.target_dates[-1]:%Y-%m})"
        )

    def subset(self, index: int | slice | Sequence[int] | np.ndarray) -> Windows:
        """Select windows by position: a slice, an integer array or a boolean mask.

        Parameters
        ----------
        index : slice, int, array of int or array of bool
            Positions as for ``numpy`` indexing; an integer keeps one window (still 3-D).

        Returns
        -------
        Windows
        """
        if isinstance(index, (int, np.integer)):
            index = [index]
        return Windows(
            X=self.X[index],
            y=self.y[index],
            target_dates=self.target_dates[index],
            feature_names=self.feature_names,
        )

    def input_dates(self, i: int) -> pd.DatetimeIndex:
        """The months covered by window ``i``, oldest first (the last one is its target month).

        Parameters
        ----------
        i : int
            Position of the window.

        Returns
        -------
        pandas.DatetimeIndex
            ``window`` month starts ending at ``target_dates[i]``.
        """
        return pd.date_range(end=self.target_dates[i], periods=self.window, freq="MS")


def _check_arguments(
    frame: pd.DataFrame, features: Sequence[str], target: str, window: int
) -> list[str]:
    """Check ``make_windows``'s arguments; return the features."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    check_window(window)
    features = resolve_columns(frame.columns, features, target)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("frame must be indexed by dates (DatetimeIndex); use data.load_record")
    check_increasing(frame.index)
    months = frame.index.to_period("M")
    if not months.is_unique:
        first = months[months.duplicated()][0]
        raise DataError(
            f"month {first:%Y-%m} appears more than once in the frame's dates; the windows need "
            "one row per month (aggregate daily data with helpers._kit.daily.to_monthly)"
        )
    check_consecutive_months(frame.index)
    if len(frame) < window:
        raise DataError(
            f"too few rows for one window: {len(frame)} months, window of {window} months"
        )
    return features


def make_windows(
    frame: pd.DataFrame,
    features: Sequence[str],
    target: str,
    window: int = COURSE.window,
) -> Windows:
    """Cut a date-indexed record into sliding windows (stride 1).

    Window ``i`` holds the features of rows ``i .. i + window - 1``; its target is ``target`` in
    row ``i + window - 1`` (the window's last month). A record of ``T`` months yields
    ``T - window + 1`` windows (746 months, 12-month windows: 735). Rows are taken as
    consecutive months: a frame with a missing month is refused. Check the record with
    ``data.validate_record`` first (``load_record`` and ``prepare_windows`` do).

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by increasing dates; values are used as they are (scale them beforehand).
    features : list of str
        Input columns, in the order of ``X``'s last axis.
    target : str
        Column to predict.
    window : int, default 12
        Months per window.

    Returns
    -------
    Windows
        ``X`` of shape (T - window + 1, window, len(features)) and ``y``, both float32.

    Raises
    ------
    DataError
        On a window < 1, fewer rows than ``window``, unknown columns, a non-date or unsorted
        index, a month missing or repeated, or missing (NaN) values in the columns used.
    """
    features = _check_arguments(frame, features, target, window)
    values = frame[features].to_numpy(dtype=np.float64)
    targets = frame[target].to_numpy(dtype=np.float64)
    for name, column in zip([*features, target], [*values.T, targets], strict=True):
        if not np.isfinite(column).all():
            first = int(np.flatnonzero(~np.isfinite(column))[0])
            raise DataError(
                f"column {name!r} has missing or infinite values, first at "
                f"{frame.index[first]:%Y-%m-%d}"
            )
    # sliding_window_view gives (n, n_features, window); move the time axis before features.
    stacked = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    X = np.ascontiguousarray(stacked.transpose(0, 2, 1), dtype=np.float32)
    return Windows(
        X=X,
        y=targets[window - 1 :].astype(np.float32),
        target_dates=frame.index[window - 1 :],
        feature_names=features,
    )

