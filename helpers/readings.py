"""Reading explanations: per lag and variable, summed, in the target's units; notebook 04's set-up.

Window explanations have values of shape ``(n, window, n_features)``; the name of step ``s`` is
``"precip (t-k)"`` with lag ``k = window - 1 - s`` (``"precip (t)"`` for the last month). shap's
plots want 2-D explanations: use :func:`flatten` (one column per lag and variable) or
:func:`by_variable` (one column per variable). :func:`explain_test_period` computes (or loads)
the explanations that notebooks 04, 04b and 04c read, in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shap
from numpy.typing import ArrayLike

from helpers import windowing
from helpers._kit.engine.checks import lagged_names
from helpers.config import COURSE
from helpers.crosschecks import variable_shapley
from helpers.explain import (
    CACHE_DIR,
    additivity_error,
    cached,
    deep_shap,
    training_background,
)
from helpers.training import TrainedModel


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
    return lagged_names(feature_names, window)


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
        Values of shape (n, window, n_features), as from ``explain.deep_shap``.

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
        ``crosschecks.variable_shapley``.

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
        Values of shape (n, window, n_features), as from ``explain.deep_shap``.

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
    explanation: shap.Explanation, scaler: windowing.Scaler, windows: ArrayLike = None
) -> shap.Explanation:
    """The same explanation in the target's own units (e.g. mm/month instead of z-scores).

    A model trained on a standardised target predicts ``(y - mean) / std``; its SHAP values are
    in those units. Multiplying values by ``std`` (and the base value by ``std`` plus ``mean``)
    keeps additivity and gives them the target's units.

    Parameters
    ----------
    explanation : shap.Explanation
        Any explanation of the standardised model (windows, variables or players).
    scaler : helpers.windowing.Scaler
        The scaler fitted on the training period.
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


@dataclass(frozen=True)
class PeriodExplanations:
    """The test period's explanations, standardised and in the target's units.

    Attributes
    ----------
    background : numpy.ndarray
        The training windows the values are measured against, ``(size, window, n_features)``.
    explanation : shap.Explanation
        DeepSHAP values of the standardised model, ``(n, window, n_features)``.
    exact : shap.Explanation
        Exact Shapley values with one player per variable, ``(n, n_features)``.
    shap_mm, variables_mm, exact_mm : shap.Explanation
        The same in the target's units: ``shap_mm`` per (month, variable) with the windows in
        the inputs' own units as ``data``; ``variables_mm`` summed over the months;
        ``exact_mm`` the exact values.
    """

    background: np.ndarray
    explanation: shap.Explanation
    exact: shap.Explanation
    shap_mm: shap.Explanation
    variables_mm: shap.Explanation
    exact_mm: shap.Explanation


def explain_test_period(
    trained: TrainedModel,
    feature_names: Sequence[str] | None = None,
    background_size: int = COURSE.background_size,
    seed: int = 0,
    cache_dir: Path | str = CACHE_DIR,
) -> PeriodExplanations:
    """Explain a trained model's test windows, as notebook 04's set-up does.

    The background is ``background_size`` training windows drawn with ``seed``
    (``explain.training_background``); the DeepSHAP values (``explain.deep_shap``) and the
    exact variable Shapley values (``crosschecks.variable_shapley``) are computed once and then
    loaded from ``cache_dir`` (``explain.cached``). Their additivity is measured again here,
    not read from the cache.

    Parameters
    ----------
    trained : helpers.training.TrainedModel
        The model and its windows (``trained.prepared.train.X``, ``.test.X``, ``.scaler``).
    feature_names : list of str, optional
        The variables' names; default: the scaler's features.
    background_size, seed : int
        Size and seed of the background drawn from the training windows.
    cache_dir : pathlib.Path or str
        Folder of the saved explanations.

    Returns
    -------
    PeriodExplanations

    Raises
    ------
    RuntimeError
        If values plus base value miss the model's predictions by more than the course's
        tolerance, ``COURSE.tolerance`` (e.g. a damaged cache entry): delete the folder
        ``cache_dir`` and call again.
    """
    prepared, model = trained.prepared, trained.model
    names = list(feature_names if feature_names is not None else prepared.scaler.features)
    X_test = prepared.test.X
    background = training_background(prepared.train.X, size=background_size, seed=seed)
    explanation = cached(deep_shap, model, X_test, background, cache_dir=cache_dir,
                         feature_names=names)
    exact = cached(variable_shapley, model, X_test, background, cache_dir=cache_dir,
                   feature_names=names)
    for name, error in {"DeepSHAP": additivity_error(explanation, model),
                        "exact Shapley": additivity_error(exact, model, X_test)}.items():
        if not error < COURSE.tolerance:
            raise RuntimeError(
                f"the {name} values miss the model's predictions by {error:.1e} (more than "
                f"{COURSE.tolerance:.0e}): delete the cache folder {cache_dir} and run again."
            )
    shap_mm = in_target_units(explanation, prepared.scaler, X_test)
    return PeriodExplanations(
        background=background,
        explanation=explanation,
        exact=exact,
        shap_mm=shap_mm,
        variables_mm=by_variable(shap_mm),
        exact_mm=in_target_units(exact, prepared.scaler),
    )
