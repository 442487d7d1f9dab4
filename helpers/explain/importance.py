"""Permutation importance: how much skill a model loses when a variable's values are shuffled.

Not a SHAP method: it asks how much the model *needs* a variable to score well, where SHAP asks
how much a variable *moves* each prediction. Shuffling a variable's windows across time breaks
its link with the target and with the other variables, so the shuffled windows can be
combinations that never occur (the same caveat applies to interventional SHAP values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import keras
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers import metrics
from helpers._kit.errors import whole_number
from helpers.explain.prediction import model_outputs, predict


class TargetScaler(Protocol):
    """Anything that turns standardised predictions back into the target's units."""

    def inverse_target(self, values: ArrayLike) -> np.ndarray: ...


def permutation_importance(
    model: keras.Model | Callable[[np.ndarray], np.ndarray],
    X: ArrayLike,
    observed: ArrayLike,
    feature_names: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None = None,
    scaler: TargetScaler | None = None,
    score: Callable = metrics.nse,
    repeats: int = 5,
) -> pd.DataFrame:
    """Drop in skill when each variable (or group) is shuffled across windows.

    Parameters
    ----------
    model : keras.Model or callable
        The model, or any function ``windows (n, window, n_features) -> predictions (n,)``.
    X : array of shape (n, window, n_features)
        The windows to score on (e.g. the test set).
    observed : array of shape (n,)
        The observed target of each window.
    feature_names : sequence of str
        The n_features variable names, in the order of X's last axis.
    groups : mapping of {str: list of str}, optional
        Shuffle these variables together (one row per group); default one row per variable.
    scaler : TargetScaler, e.g. helpers.windowing.Scaler, optional
        If given, predictions are turned back into the target's units
        (``scaler.inverse_target``) before they are scored against ``observed``.
    score : callable
        ``score(observed, predicted)``, higher is better (default NSE).
    repeats : int
        Shuffles per variable; repeat ``r`` uses the permutation of ``numpy.random.default_rng(r)``,
        the same for every variable.

    Returns
    -------
    pandas.DataFrame
        Index: the variables (or groups); columns ``"<SCORE> drop"`` (mean loss of skill, e.g.
        ``"NSE drop"``, named after the score function) and ``"sd"`` (its standard deviation
        over the repeats).
    """
    X = np.asarray(X, dtype=np.float32)
    observed = np.asarray(observed, dtype=np.float64)
    names = [str(name) for name in feature_names]
    if X.ndim != 3 or X.shape[2] != len(names) or len(observed) != len(X):
        raise ValueError(
            f"Expected X of shape (n, window, {len(names)}) and observed of shape (n,); got "
            f"{X.shape} and {observed.shape}."
        )
    repeats = whole_number(repeats, "repeats")
    groups = {name: [name] for name in names} if groups is None else dict(groups)
    unknown = sorted({v for members in groups.values() for v in members} - set(names))
    if unknown:
        raise ValueError(f"groups name unknown variables {unknown}; the variables are {names}.")

    def predict_in_units(windows: np.ndarray) -> np.ndarray:
        if isinstance(model, keras.Model):
            predictions = predict(model, windows)
        else:
            predictions = model_outputs(model, windows).ravel()
        return predictions if scaler is None else scaler.inverse_target(predictions)

    reference = score(observed, predict_in_units(X))
    shuffled = []
    for members in groups.values():
        columns = [names.index(variable) for variable in members]
        for repeat in range(repeats):
            copy = X.copy()
            order = np.random.default_rng(repeat).permutation(len(X))
            copy[:, :, columns] = X[order][:, :, columns]
            shuffled.append(copy)
    predictions = np.asarray(predict_in_units(np.concatenate(shuffled)), dtype=np.float64)
    predictions = predictions.reshape(len(shuffled), len(X))
    drops = np.array([reference - score(observed, p) for p in predictions])
    drops = drops.reshape(len(groups), repeats)
    name = f"{getattr(score, '__name__', 'score').upper()} drop"
    return pd.DataFrame({name: drops.mean(axis=1), "sd": drops.std(axis=1)}, index=list(groups))
