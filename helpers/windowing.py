"""Sliding windows, a chronological train/test split, and scaling fitted on training data only.

An LSTM reads a sequence of months and predicts one number. ``make_windows`` (from
:mod:`helpers.windows`, with ``Windows`` and ``MIN_WINDOWS``) cuts the record into overlapping
windows (stride 1): window ``i`` holds the features of months ``i .. i + window - 1`` and its
target is the runoff of the window's **last** month.

Three choices protect the evaluation from fooling us:

- **The target is the last month of the window.** The inputs include that month's climate
  (rain, temperature, ...), which is observed by the time its runoff is predicted: the model
  simulates runoff from weather, it does not forecast weather. Past runoff is *not* an input,
  so the model cannot simply copy last month's flow.
- **The split is chronological.** Monthly runoff is strongly autocorrelated and neighbouring
  windows share ``window - 1`` months of inputs. A random split would put near-copies of each
  test window into training and report skill the model does not have on a future period.
  The first ``train_fraction`` of the windows train, the rest test; ``validation_split`` carves
  the validation slice from the *end* of the training windows in the same way.
- **The scaler sees only the training period.** Means and standard deviations are computed on
  the months up to the last training target date (``Scaler.fitted_until``); using the whole
  record would pass information about the test period (e.g. a drier climate) into training.

Scaling is standardisation, ``(x - mean) / std`` with the population standard deviation
(``ddof=0``, as scikit-learn's ``StandardScaler``), for each feature and for the target;
``Scaler.inverse_target`` converts predictions back to mm/month.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.errors import DataError
from helpers._kit.validation import validate_record
from helpers.config import COURSE, CourseConfig, settings_from
from helpers.windows import MIN_WINDOWS, Windows, make_windows

# The windows themselves live in helpers.windows; they are part of this module's public API.
__all__ = [
    "MIN_WINDOWS",
    "PreparedData",
    "Scaler",
    "Windows",
    "make_windows",
    "prepare_windows",
    "validation_split",
]


# --------------------------------------------------------------------------------------------
# Scaling
# --------------------------------------------------------------------------------------------


@dataclass
class Scaler:
    """Standardisation of features and target, fitted on the training period only.

    Attributes
    ----------
    feature_mean, feature_std : dict of str to float
        Mean and (population) standard deviation of each feature, in feature order.
    target : str
        Name of the target column.
    target_mean, target_std : float
        Mean and standard deviation of the target.
    fitted_until : pandas.Timestamp
        Last month of the data the statistics were computed from.
    """

    feature_mean: dict[str, float]
    feature_std: dict[str, float]
    target: str
    target_mean: float
    target_std: float
    fitted_until: pd.Timestamp

    def __post_init__(self) -> None:
        self.feature_mean = {str(k): float(v) for k, v in self.feature_mean.items()}
        self.feature_std = {str(k): float(v) for k, v in self.feature_std.items()}
        if list(self.feature_mean) != list(self.feature_std):
            raise ValueError("feature_mean and feature_std must name the same features")
        self.target_mean = float(self.target_mean)
        self.target_std = float(self.target_std)
        self.fitted_until = pd.Timestamp(self.fitted_until)

    @property
    def features(self) -> list[str]:
        """Feature names, in order."""
        return list(self.feature_mean)

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        features: Sequence[str],
        target: str,
        until: str | pd.Timestamp,
    ) -> Scaler:
        """Compute the statistics on the rows dated on or before ``until`` only.

        Parameters
        ----------
        frame : pandas.DataFrame
            Date-indexed record (unscaled).
        features : list of str
            Feature columns.
        target : str
            Target column.
        until : date-like
            Last date to use (inclusive); later rows are ignored.

        Returns
        -------
        Scaler

        Raises
        ------
        DataError
            Fewer than two rows up to ``until``, or a column constant over that period.
        """
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise ValueError("frame must be indexed by dates (DatetimeIndex)")
        until = pd.Timestamp(until)
        period = frame.loc[frame.index <= until, [*features, target]].astype("float64")
        if len(period) < 2:
            raise DataError(
                f"only {len(period)} row(s) dated on or before {until:%Y-%m-%d}: "
                "too few to fit a scaler"
            )
        mean = period.mean()
        std = period.std(ddof=0)
        for column in period.columns:
            # A tolerance, not "== 0": the std of a constant float column can come out as 1e-17.
            tolerance = 1e-12 * max(1.0, abs(mean[column]))
            if not np.isfinite(mean[column]) or not std[column] > tolerance:
                raise DataError(
                    f"column {column!r} is constant or missing over the fitting period "
                    f"{period.index[0]:%Y-%m} .. {period.index[-1]:%Y-%m} (std = {std[column]}): "
                    "it cannot be standardised"
                )
        return cls(
            feature_mean={f: mean[f] for f in features},
            feature_std={f: std[f] for f in features},
            target=target,
            target_mean=mean[target],
            target_std=std[target],
            fitted_until=period.index[-1],
        )

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Standardise the features (and the target, if present) of a date-indexed frame.

        Returns
        -------
        pandas.DataFrame
            Same index; the features in order, then the target if ``frame`` has it; float64.
        """
        features = self.features
        scaled = (frame[features].astype("float64") - pd.Series(self.feature_mean)) / pd.Series(
            self.feature_std
        )
        scaled = scaled[features]
        if self.target in frame.columns:
            scaled[self.target] = self.transform_target(frame[self.target].astype("float64"))
        return scaled

    def transform_target(self, values: ArrayLike) -> np.ndarray:
        """Target values in mm/month → standardised units."""
        return (np.asarray(values, dtype=np.float64) - self.target_mean) / self.target_std

    def inverse_target(self, values: ArrayLike) -> np.ndarray:
        """Standardised target values (e.g. model predictions) → mm/month."""
        return np.asarray(values, dtype=np.float64) * self.target_std + self.target_mean

    def to_dict(self) -> dict:
        """Plain-Python form for ``json.dump`` (floats, lists, an ISO date string)."""
        return {
            "features": self.features,
            "feature_mean": [self.feature_mean[f] for f in self.features],
            "feature_std": [self.feature_std[f] for f in self.features],
            "target": self.target,
            "target_mean": self.target_mean,
            "target_std": self.target_std,
            "fitted_until": self.fitted_until.strftime("%Y-%m-%d"),
        }

    @classmethod
    def from_dict(cls, state: dict) -> Scaler:
        """Rebuild a scaler from ``to_dict()``'s output (e.g. after ``json.load``)."""
        features = list(state["features"])
        return cls(
            feature_mean=dict(zip(features, state["feature_mean"], strict=True)),
            feature_std=dict(zip(features, state["feature_std"], strict=True)),
            target=state["target"],
            target_mean=state["target_mean"],
            target_std=state["target_std"],
            fitted_until=pd.Timestamp(state["fitted_until"]),
        )


# --------------------------------------------------------------------------------------------
# The course's data pipeline
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class PreparedData:
    """Everything a notebook needs after ``prepare_windows``.

    Attributes
    ----------
    train, test : Windows
        Scaled windows of the training and test periods (chronological).
    scaler : Scaler
        Fitted on the months up to ``train.target_dates[-1]``.
    record : pandas.DataFrame
        The raw (unscaled) record.
    window : int
        Months per window.
    features : list of str
        Feature names, in ``X``'s order.
    target : str
        Target column.
    """

    train: Windows
    test: Windows
    scaler: Scaler
    record: pd.DataFrame
    window: int
    features: list[str]
    target: str


def _split_point(n: int, fraction: float) -> int:
    # Round before flooring so that e.g. 0.29 * 100 = 28.999999999999996 gives 29.
    return math.floor(round(fraction * n, 9))


def prepare_windows(
    frame: pd.DataFrame,
    features: Sequence[str],
    target: str,
    window: int = COURSE.window,
    train_fraction: float = 0.8,
    config: CourseConfig | Mapping[str, object] | None = None,
) -> PreparedData:
    """Window, split chronologically and scale a monthly record, without test-period leakage.

    1. Windows over the whole record (``make_windows``): ``n = len(frame) - window + 1``.
    2. The first ``floor(train_fraction * n)`` windows train, the rest test (735 windows:
       588 / 147).
    3. The scaler is fitted on the months up to the last training target date only.
    4. Features and target are standardised with it.

    Parameters
    ----------
    frame : pandas.DataFrame
        A record as returned by ``data.load_record`` (checked again with ``validate_record``).
    features : list of str
        Input columns.
    target : str
        Column to predict.
    window : int, default 12
        Months per window.
    train_fraction : float, default 0.8
        Share of the windows used for training, strictly between 0 and 1.
    config : CourseConfig or dict, optional
        The settings passed whole: its ``window`` and ``train_fraction`` are used.

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        If the record fails ``data.validate_record`` or a column is constant over the
        training period.
    ValueError
        On a ``train_fraction`` outside (0, 1) or one leaving a period without windows.

    Warns
    -----
    UserWarning
        When the test period has fewer than ``data.MIN_WINDOWS`` (24) windows.
    """
    if config is not None:
        config = settings_from(config)
        window, train_fraction = config.window, config.train_fraction
    if not 0 < train_fraction < 1:
        raise ValueError(
            f"train_fraction must be between 0 and 1 (exclusive), got {train_fraction}"
        )
    validate_record(frame, features, target, window)
    features = list(features)
    n = len(frame) - window + 1
    n_train = _split_point(n, train_fraction)
    if n_train < 1 or n_train >= n:
        raise ValueError(
            f"train_fraction={train_fraction} of {n} windows leaves {n_train} for training and "
            f"{n - n_train} for testing; both need at least one"
        )
    if n - n_train < MIN_WINDOWS:
        warnings.warn(
            f"the test period has only {n - n_train} windows "
            f"({frame.index[window - 1 + n_train]:%Y-%m} to {frame.index[-1]:%Y-%m}), fewer "
            f"than {MIN_WINDOWS}: a test score from so few months is uncertain; report its "
            "spread (e.g. helpers.scores.bootstrap_nse), not the number alone",
            UserWarning,
            stacklevel=2,
        )
    last_train_target = frame.index[window - 1 + n_train - 1]
    scaler = Scaler.fit(frame, features, target, until=last_train_target)
    windows = make_windows(scaler.transform(frame), features, target, window)
    return PreparedData(
        train=windows.subset(slice(0, n_train)),
        test=windows.subset(slice(n_train, None)),
        scaler=scaler,
        record=frame,
        window=window,
        features=features,
        target=target,
    )


def validation_split(windows: Windows, fraction: float = 0.15) -> tuple[Windows, Windows]:
    """Split off the last ``fraction`` of (training) windows as a chronological validation set.

    The split point is ``floor(len(windows) * (1 - fraction))``, the same as Keras's
    ``validation_split`` (588 windows, 0.15: 499 fit / 89 validation). Validation windows are
    the most recent ones, so early stopping is judged on a period after the one fitted.

    Parameters
    ----------
    windows : Windows
        Usually ``PreparedData.train``.
    fraction : float, default 0.15
        Share kept for validation, strictly between 0 and 1.

    Returns
    -------
    (Windows, Windows)
        The windows to fit on, and the validation windows.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1 (exclusive), got {fraction}")
    n = len(windows)
    n_fit = _split_point(n, 1 - fraction)
    if n_fit < 1 or n_fit >= n:
        raise ValueError(
            f"fraction={fraction} of {n} windows leaves {n_fit} to fit and {n - n_fit} to "
            "validate; both need at least one"
        )
    return windows.subset(slice(0, n_fit)), windows.subset(slice(n_fit, None))
