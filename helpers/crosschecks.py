"""Cross-checks of the fix: other ways to explain the same model, and permutation importance.

- :func:`gradient_shap`: ``shap.GradientExplainer`` (expected gradients) works on the model as
  it is, but adds up to the prediction only approximately.
- :func:`permutation_shap`: model-agnostic and exactly additive, one value per month and
  variable, but slow (hundreds of model calls per window).
- :func:`variable_shapley`: exact Shapley values with one player per variable (a variable's
  whole window history): the value of a coalition is the model's prediction averaged over the
  background, with the coalition's variables taken from the window explained and all others
  from the background window (interventional Shapley values).
- :func:`permutation_importance`: not a SHAP method: how much skill the model loses when a
  variable's values are shuffled across windows (how much the model *needs* a variable, where
  SHAP asks how much a variable *moves* each prediction).

The routes that call the model thousands of times use the engine's one private traced path
(``helpers._kit.engine.forward``); everything else predicts with ``training.predict``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
import pandas as pd
import shap
from numpy.typing import ArrayLike
from tqdm import tqdm

from helpers import metrics, training, windowing
from helpers._kit.engine import checks as _checks
from helpers._kit.engine.forward import preserved_numpy_random_state, traced_forward
from helpers._kit.engine.inputs import window_explanation
from helpers._kit.errors import whole_number
from helpers.explain import additivity_error

#: Seconds between progress-bar updates: a notebook keeps every update in its saved output.
_PROGRESS_INTERVAL = 10

#: Windows per call of the traced model in the routes that call it thousands of times.
_TRACED_BATCH_SIZE = 16384


def gradient_shap(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    nsamples: int = 200,
    seed: int = 0,
    allow_overlap: bool = False,
) -> shap.Explanation:
    """Expected-gradients SHAP values (``shap.GradientExplainer``) on the original model.

    Works on the model as it is (gradients through the loop are ordinary TensorFlow
    gradients), but each value is an average over ``nsamples`` random points between window
    and background (drawn with ``seed``), so the values add up to the prediction only
    approximately. Other parameters as in ``explain.deep_shap``.

    Returns
    -------
    shap.Explanation
        Shape (n, window, n_features); ``max_additivity_error`` holds the (non-zero) error.
    """
    X, background, names = _checks.checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    with preserved_numpy_random_state(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        explainer = shap.GradientExplainer(model, background)
        values = explainer.shap_values(X, nsamples=nsamples, rseed=seed)
    values = np.asarray(values).reshape(X.shape)
    base_value = float(np.mean(training.predict(model, background)))
    explanation = window_explanation(values, np.full(len(X), base_value), X, names)
    explanation.max_additivity_error = additivity_error(explanation, model)
    return explanation


def permutation_shap(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    seed: int = 0,
    max_evals: int = 500,
    progress: bool = True,
    allow_overlap: bool = False,
) -> shap.Explanation:
    """Permutation SHAP values on the flattened window (``window * n_features`` inputs).

    Model-agnostic (only calls the model) and exactly additive, but slow: each window costs
    about ``max_evals * len(background)`` model evaluations. Explain a subset with ``X[:20]``.

    Parameters
    ----------
    model, X, background, feature_names, allow_overlap
        As in ``explain.deep_shap``; ``seed`` seeds the random permutations.
    max_evals : int
        Masked evaluations per window; at least ``2 * window * n_features + 1``. shap runs
        ``max_evals // (2 * window * n_features + 1)`` forward-and-backward permutations.
    progress : bool
        Show a progress bar over windows.

    Returns
    -------
    shap.Explanation
        Shape (n, window, n_features); ``max_additivity_error`` holds the measured error.
    """
    X, background, names = _checks.checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    n, window, n_features = X.shape
    if max_evals < 2 * window * n_features + 1:
        raise ValueError(
            f"max_evals must be at least {2 * window * n_features + 1}; got {max_evals}."
        )
    forward = traced_forward(model, X.shape[1:], _TRACED_BATCH_SIZE)
    flat_background = background.reshape(len(background), -1)
    masker = shap.maskers.Independent(flat_background, max_samples=len(background))

    values, base_values = np.zeros((n, window * n_features)), np.zeros(n)
    with preserved_numpy_random_state():
        explainer = shap.PermutationExplainer(forward, masker, seed=seed)
        bar = {"unit": "window", "disable": not progress, "mininterval": _PROGRESS_INTERVAL}
        for i in tqdm(range(n), desc="permutation SHAP", **bar):
            result = explainer(X[i : i + 1].reshape(1, -1), max_evals=max_evals, silent=True)
            values[i], base_values[i] = result.values[0], result.base_values[0]

    explanation = window_explanation(values.reshape(X.shape), base_values, X, names)
    explanation.max_additivity_error = additivity_error(explanation, model)
    return explanation


def _players(feature_names: list[str], groups: dict | None) -> tuple[list[str], np.ndarray]:
    """Player names and a (n_players, n_features) 0/1 matrix: which variables each player holds."""
    if groups is None:
        groups = {name: [name] for name in feature_names}
    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict {player name: [variable names]}.")
    membership = np.zeros((len(groups), len(feature_names)), dtype=bool)
    for p, (player, variables) in enumerate(groups.items()):
        if isinstance(variables, str):
            variables = [variables]
        for variable in variables:
            if variable not in feature_names:
                raise ValueError(
                    f"Group {player!r} names {variable!r}, which is not one of the variables "
                    f"{feature_names}."
                )
            membership[p, feature_names.index(variable)] = True
    counts = membership.sum(axis=0)
    if (counts != 1).any():
        bad = [name for name, count in zip(feature_names, counts, strict=True) if count != 1]
        raise ValueError(f"Every variable must belong to exactly one group; not so for {bad}.")
    return list(groups), membership


def shapley_weights(n_players: int) -> tuple[np.ndarray, np.ndarray]:
    """All coalitions of ``n_players`` and the matrix that turns their values into Shapley values.

    The Shapley value of player i is
    ``sum over coalitions S without i of |S|! (p-|S|-1)! / p! * (v(S + i) - v(S))``.
    Written as one matrix ``W``, ``shapley_values = v @ W`` where ``v`` holds the value of
    every coalition.

    Returns
    -------
    coalitions : numpy.ndarray of bool, shape (2**p, p)
        Row c says which players are in coalition c (row 0 is empty, the last row is full).
    weights : numpy.ndarray, shape (2**p, p)
        ``+(|S|-1)! (p-|S|)! / p!`` where player i is in S, ``-|S|! (p-|S|-1)! / p!`` where not.
    """
    p = n_players
    codes = np.arange(2**p)
    coalitions = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = coalitions.sum(axis=1)
    factorial = [math.factorial(k) for k in range(p + 1)]
    weights = np.zeros((2**p, p))
    for c, size in enumerate(sizes):
        with_i = factorial[size - 1] * factorial[p - size] / factorial[p] if size > 0 else 0.0
        without_i = factorial[size] * factorial[p - size - 1] / factorial[p] if size < p else 0.0
        weights[c] = np.where(coalitions[c], with_i, -without_i)
    return coalitions, weights


def variable_shapley(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    groups: dict | None = None,
    batch_size: int = _TRACED_BATCH_SIZE,
    progress: bool = True,
    allow_overlap: bool = False,
) -> shap.Explanation:
    """Exact Shapley values with one player per variable (or group of variables).

    A player is a variable's whole window history (all months). The value of a coalition for a
    window x is the model's prediction averaged over the background windows, with the
    coalition's variables taken from x and all others from the background window
    (interventional SHAP). With 9 players that is 2**9 = 512 coalitions, computed exactly;
    every window costs ``512 * len(background)`` model evaluations, run in large batches:
    147 windows with 100 background windows are 7.5 million LSTM evaluations, about
    25-35 s on 2 CPU cores. Time is linear in the background size (50 halves it).

    Parameters
    ----------
    model, X, background, allow_overlap
        As in ``explain.deep_shap``.
    feature_names : list of str, optional
        The n_features variable names (needed to define ``groups`` by name).
    groups : dict of {str: list of str}, optional
        Players as groups of variables, e.g. ``{"temperature": ["tmean", "tmax", "tmin"], ...}``;
        every variable must be in exactly one group. Default: one player per variable.
    batch_size : int
        Windows per model call.
    progress : bool
        Show a progress bar over windows.

    Returns
    -------
    shap.Explanation
        ``values`` (n, n_players), ``base_values`` (n,) = mean prediction over the background,
        ``data`` = each player's variables averaged over the window, ``feature_names`` = the
        player names; ``max_additivity_error`` holds the measured error.
    """
    X, background, names = _checks.checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    players, membership = _players(names, groups)
    if len(players) > 16:
        raise ValueError(
            f"{len(players)} players means 2**{len(players)} coalitions; use at most 16."
        )
    coalitions, weights = shapley_weights(len(players))
    variables_kept = coalitions.astype(int) @ membership.astype(int) > 0  # (2**p, n_features)
    forward = traced_forward(model, X.shape[1:], batch_size)

    values = np.zeros((len(X), len(players)))
    bar = {"unit": "window", "disable": not progress, "mininterval": _PROGRESS_INTERVAL}
    for i in tqdm(range(len(X)), desc="variable Shapley", **bar):
        # (coalitions, background, window, n_features): x's values where kept, else background
        masked = np.where(variables_kept[:, None, None, :], X[i], background[None])
        coalition_values = forward(masked).reshape(len(coalitions), len(background)).mean(axis=1)
        values[i] = coalition_values.astype(np.float64) @ weights
    base_value = float(np.mean(forward(background).astype(np.float64)))

    player_data = np.stack([X[:, :, member].mean(axis=(1, 2)) for member in membership], axis=1)
    explanation = shap.Explanation(values=values, base_values=np.full(len(X), base_value),
                                   data=player_data, feature_names=players)
    explanation.max_additivity_error = additivity_error(explanation, model, X)
    return explanation


def permutation_importance(
    model: keras.Model | Callable[[np.ndarray], np.ndarray],
    X: ArrayLike,
    observed: ArrayLike,
    feature_names: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None = None,
    scaler: windowing.Scaler | None = None,
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
    scaler : helpers.windowing.Scaler, optional
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

    def in_units(windows: np.ndarray) -> np.ndarray:
        if isinstance(model, keras.Model):
            return training.predict(model, windows, scaler)
        outputs = np.asarray(model(windows), dtype=np.float64).ravel()
        return outputs if scaler is None else scaler.inverse_target(outputs)

    reference = score(observed, in_units(X))
    shuffled = []
    for members in groups.values():
        columns = [names.index(variable) for variable in members]
        for repeat in range(repeats):
            copy = X.copy()
            order = np.random.default_rng(repeat).permutation(len(X))
            copy[:, :, columns] = X[order][:, :, columns]
            shuffled.append(copy)
    predictions = np.asarray(in_units(np.concatenate(shuffled)), dtype=np.float64)
    predictions = predictions.reshape(len(shuffled), len(X))
    drops = np.array([reference - score(observed, p) for p in predictions])
    drops = drops.reshape(len(groups), repeats)
    name = f"{getattr(score, '__name__', 'score').upper()} drop"
    return pd.DataFrame({name: drops.mean(axis=1), "sd": drops.std(axis=1)}, index=list(groups))
