"""Two honest baselines an LSTM must beat: monthly climatology and ridge regression.

Both are fitted on the training windows only, exactly like the LSTM.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.linear_model import Ridge

from helpers import metrics
from helpers.windowing import Windows

#: Ridge penalties :func:`fit_ridge` chooses from, on the validation windows.
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


def monthly_climatology(
    target: pd.Series, fit_dates: pd.DatetimeIndex, predict_dates: pd.DatetimeIndex
) -> np.ndarray:
    """Predict each month's runoff as its calendar-month mean over the fitting period.

    Parameters
    ----------
    target : pandas.Series
        Runoff indexed by a monthly DatetimeIndex (unscaled, e.g. mm/month).
    fit_dates : pandas.DatetimeIndex
        Dates whose values form the climatology (the training targets).
    predict_dates : pandas.DatetimeIndex
        Dates to predict.

    Returns
    -------
    numpy.ndarray
        One prediction per date in ``predict_dates``.
    """
    fit = target.loc[fit_dates]
    means = fit.groupby(fit.index.month).mean()
    missing = sorted(set(pd.DatetimeIndex(predict_dates).month) - set(means.index))
    if missing:
        raise ValueError(f"no training data for calendar month(s) {missing}")
    return means.loc[pd.DatetimeIndex(predict_dates).month].to_numpy()


def _flatten(X: ArrayLike) -> np.ndarray:
    """Turn windows (n, window, features) into rows (n, window * features) for a linear model."""
    return np.asarray(X).reshape(len(X), -1)


def fit_ridge(
    train: Windows, validation: Windows, alphas: Sequence[float] = RIDGE_ALPHAS
) -> Ridge:
    """Fit a ridge regression on flattened windows, choosing the penalty on a validation slice.

    Parameters
    ----------
    train, validation : helpers.windowing.Windows
        Training windows, and the chronologically later validation windows (scaled).
    alphas : sequence of float
        Penalties to try; the one with the best validation NSE is kept, then the model is
        refitted on train + validation.

    Returns
    -------
    sklearn.linear_model.Ridge
        Predicts the scaled target from ``X.reshape(n, -1)``; use :func:`predict_ridge`.
    """
    scores = {}
    for alpha in alphas:
        model = Ridge(alpha=alpha).fit(_flatten(train.X), train.y)
        scores[alpha] = metrics.nse(validation.y, predict_ridge(model, validation))
    best = max(scores, key=scores.get)
    X_all = np.concatenate([_flatten(train.X), _flatten(validation.X)])
    y_all = np.concatenate([train.y, validation.y])
    return Ridge(alpha=best).fit(X_all, y_all)


def predict_ridge(model: Ridge, windows: Windows) -> np.ndarray:
    """Predictions of a ridge model from :func:`fit_ridge` for windows (scaled target units)."""
    return model.predict(_flatten(windows.X))
