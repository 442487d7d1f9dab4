"""Exact Shapley values with one player per variable (or group of variables).

Model-agnostic: a player is a variable's whole window history; the value of a coalition is the
model's prediction averaged over the background, with the coalition's variables taken from the
window explained and all others from the background window (interventional Shapley values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import shap
from numpy.typing import ArrayLike
from tqdm import tqdm

from helpers.explain.checks import additivity_error, checked_inputs
from helpers.explain.prediction import PROGRESS_INTERVAL, fast_predictor


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

    Parameters
    ----------
    n_players : int
        Number of players p (2**p coalitions).

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
    batch_size: int = 16384,
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
        As in :func:`deep_shap`.
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
    X, background, names = checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    players, membership = _players(names, groups)
    if len(players) > 16:
        raise ValueError(
            f"{len(players)} players means 2**{len(players)} coalitions; use at most 16."
        )
    coalitions, weights = shapley_weights(len(players))
    variables_kept = coalitions.astype(int) @ membership.astype(int) > 0  # (2**p, n_features)
    predict = fast_predictor(model, X.shape[1:], batch_size)

    values = np.zeros((len(X), len(players)))
    for i in tqdm(
        range(len(X)),
        desc="variable Shapley",
        unit="window",
        disable=not progress,
        mininterval=PROGRESS_INTERVAL,
    ):
        # (coalitions, background, window, n_features): x's values where kept, else background
        masked = np.where(variables_kept[:, None, None, :], X[i], background[None])
        coalition_values = predict(masked).reshape(len(coalitions), len(background)).mean(axis=1)
        values[i] = coalition_values.astype(np.float64) @ weights
    base_value = float(np.mean(predict(background).astype(np.float64)))

    player_data = np.stack([X[:, :, member].mean(axis=(1, 2)) for member in membership], axis=1)
    explanation = shap.Explanation(
        values=values,
        base_values=np.full(len(X), base_value),
        data=player_data,
        feature_names=players,
    )
    explanation.max_additivity_error = additivity_error(explanation, model, X)
    return explanation
