"""Shaping explanations: names per lag, sums per variable or lag, target units, shap's plots.

Window explanations have values of shape ``(n, window, n_features)``; the name of step ``s`` is
``"precip (t-k)"`` with lag ``k = window - 1 - s`` (``"precip (t)"`` for the last month). shap's
plots want 2-D explanations: use :func:`flatten` (one column per lag and variable) or
:func:`by_variable` (one column per variable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd
import shap
from numpy.typing import ArrayLike


class Standardisation(Protocol):
    """The numbers of a standardisation (e.g. ``helpers.windowing.Scaler``) that undo it."""

    features: Sequence[str]
    feature_mean: Mapping[str, float]
    feature_std: Mapping[str, float]
    target_mean: float
    target_std: float


def lagged_feature_names(feature_names: Sequence[str] | None, window: int) -> np.ndarray:
    """Names for every (time step, variable) of a window: ``"precip (t)"``, ``"precip (t-3)"``.

    Parameters
    ----------
    feature_names : list of str
        The variable names, e.g. ``["precip", "tmean", ...]``.
    window : int
        Number of time steps per window.

    Returns
    -------
    numpy.ndarray of str, shape (window, n_features)
        Step ``s`` has lag ``k = window - 1 - s``: the last step is ``t``.
    """
    names = []
    for step in range(window):
        lag = window - 1 - step
        suffix = "(t)" if lag == 0 else f"(t-{lag})"
        names.append([f"{name} {suffix}" for name in feature_names])
    return np.array(names)


def window_explanation(
    values: ArrayLike, base_values: ArrayLike, X: np.ndarray, feature_names: Sequence[str] | None
) -> shap.Explanation:
    """A shap.Explanation of shape (n, window, n_features) with per-(lag, variable) names."""
    names = lagged_feature_names(feature_names, X.shape[1])
    return shap.Explanation(
        values=np.asarray(values, dtype=np.float64),
        base_values=np.asarray(base_values, dtype=np.float64).reshape(len(X)),
        data=X,
        feature_names=np.broadcast_to(names, X.shape).tolist(),
    )


def _as_window_explanation(explanation: shap.Explanation) -> np.ndarray:
    values = np.asarray(explanation.values)
    if values.ndim != 3:
        raise ValueError(
            "Expected an explanation of windows with values of shape (n, window, n_features); "
            f"got shape {values.shape}."
        )
    return values


def _variable_names(explanation: shap.Explanation) -> list[str]:
    """The variable names, read from the last step's names ``"precip (t)"``."""
    n, window, n_features = np.asarray(explanation.values).shape
    if explanation.feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    last_step = np.asarray(explanation.feature_names).reshape(-1, window, n_features)[0, -1]
    return [str(name).removesuffix(" (t)") for name in last_step]


def by_variable(explanation: shap.Explanation) -> shap.Explanation:
    """Sum a window explanation over its time steps: one value per variable.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape (n, window, n_features), as from :func:`deep_shap`.

    Returns
    -------
    shap.Explanation
        Values (n, n_features) summed over the lags (additivity is kept), the same base values,
        ``data`` = each variable averaged over the window, feature names = variable names.
    """
    values = _as_window_explanation(explanation)
    data = None if explanation.data is None else np.asarray(explanation.data).mean(axis=1)
    return shap.Explanation(
        values=values.sum(axis=1),
        base_values=explanation.base_values,
        data=data,
        feature_names=_variable_names(explanation),
    )


def variable_importance(explanation: shap.Explanation) -> pd.Series:
    """Global importance: the mean absolute SHAP value of each variable (or player).

    For a window explanation (n, window, n_features) the values are first summed over the
    window's months (:func:`by_variable`), so a variable's importance covers its whole history.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape (n, window, n_features), or (n, n_players) as from
        :func:`variable_shapley`.

    Returns
    -------
    pandas.Series
        One value per variable or player, indexed by name, in the explanation's order.
    """
    values = np.asarray(explanation.values)
    if values.ndim == 3:
        explanation = by_variable(explanation)
    elif values.ndim != 2:
        raise ValueError(
            f"Expected values of shape (n, window, n_features) or (n, players); got {values.shape}."
        )
    names = explanation.feature_names
    if names is None:
        names = [f"x{j}" for j in range(np.shape(explanation.values)[1])]
    return pd.Series(np.abs(np.asarray(explanation.values)).mean(axis=0), index=list(names))


def flatten(explanation: shap.Explanation) -> shap.Explanation:
    """Flatten a window explanation to (n, window * n_features) for shap's plots.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape (n, window, n_features), as from :func:`deep_shap`.

    Returns
    -------
    shap.Explanation
        Values and data of shape (n, window * n_features), in the order of
        ``X.reshape(n, -1)`` (time step by time step), names like ``"precip (t-3)"``.
        Works with ``shap.plots.beeswarm``, ``shap.plots.bar``, ``shap.plots.waterfall(e[0])``.
    """
    values = _as_window_explanation(explanation)
    n, window, n_features = values.shape
    names = lagged_feature_names(_variable_names(explanation), window).reshape(-1)
    data = None if explanation.data is None else np.asarray(explanation.data).reshape(n, -1)
    return shap.Explanation(
        values=values.reshape(n, -1),
        base_values=explanation.base_values,
        data=data,
        feature_names=[str(name) for name in names],
    )


def by_lag(explanation: shap.Explanation, signed: bool = False) -> pd.DataFrame:
    """Mean SHAP value per variable and lag: a variables × lags table.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape (n, window, n_features), or one window's (window, n_features).
    signed : bool
        False: mean of the absolute values (how much each cell moves predictions);
        True: mean of the signed values (for one window: the values themselves).

    Returns
    -------
    pandas.DataFrame
        Index: the variable names; columns: lags ``0 .. window-1`` (``0`` = the target month),
        named ``"lag"``.
    """
    values = np.asarray(explanation.values, dtype=np.float64)
    names = explanation.feature_names
    if values.ndim == 2:  # one window
        values = values[None]
        names = None if names is None else [names]
    windows = shap.Explanation(values=values, feature_names=names)
    _as_window_explanation(windows)
    per_step = (values if signed else np.abs(values)).mean(axis=0)  # (window, n_features)
    lags = pd.Index(range(values.shape[1]), name="lag")
    return pd.DataFrame(per_step[::-1].T, index=_variable_names(windows), columns=lags)


def in_target_units(
    explanation: shap.Explanation, scaler: Standardisation, windows: ArrayLike = None
) -> shap.Explanation:
    """The same explanation in the target's own units (e.g. mm/month instead of z-scores).

    A model trained on a standardised target predicts ``(y - mean) / std``; its SHAP values are
    in those units. Multiplying values by ``std`` (and the base value by ``std`` plus ``mean``)
    keeps additivity and gives them the target's units.

    Parameters
    ----------
    explanation : shap.Explanation
        Any explanation of the standardised model (windows, variables or players).
    scaler : Standardisation, e.g. helpers.windowing.Scaler
        The scaler fitted on the training period (``target_mean``, ``target_std``, and
        ``feature_mean``, ``feature_std`` by variable name).
    windows : array of shape (n, window, n_features), optional
        Scaled windows, in the scaler's variable order, to turn back into their units as
        ``data``; if omitted, ``data`` is kept as it is.

    Returns
    -------
    shap.Explanation
        Values and base values in target units; ``data`` in the inputs' units if ``windows``
        was given.
    """
    data = explanation.data
    if windows is not None:
        features = list(scaler.features)
        windows = np.asarray(windows, dtype=np.float64)
        if windows.shape[-1] != len(features):
            raise ValueError(
                f"windows have {windows.shape[-1]} variables; the scaler knows {len(features)}: "
                f"{features}."
            )
        mean = np.array([scaler.feature_mean[name] for name in features])
        std = np.array([scaler.feature_std[name] for name in features])
        data = windows * std + mean
    return shap.Explanation(
        values=np.asarray(explanation.values) * scaler.target_std,
        base_values=np.asarray(explanation.base_values) * scaler.target_std + scaler.target_mean,
        data=data,
        feature_names=explanation.feature_names,
    )
