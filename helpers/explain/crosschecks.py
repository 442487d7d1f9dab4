"""Cross-check routes: expected gradients and permutation SHAP on the original model.

- :func:`gradient_shap`: ``shap.GradientExplainer`` (expected gradients) works on the model as
  it is, but adds up to the prediction only approximately.
- :func:`permutation_shap`: model-agnostic and exactly additive, one value per month and
  variable, but slow (hundreds of model calls per window).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import keras
import numpy as np
import shap
from numpy.typing import ArrayLike
from tqdm import tqdm

from helpers.explain.checks import additivity_error, checked_inputs
from helpers.explain.explanation import window_explanation
from helpers.explain.prediction import (
    PROGRESS_INTERVAL,
    fast_predictor,
    predict,
    preserved_numpy_random_state,
)


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
    gradients), but the values add up to the prediction only approximately: each is an
    average over ``nsamples`` random points between window and background.

    Parameters
    ----------
    model, X, background, feature_names, allow_overlap
        As in :func:`deep_shap`.
    nsamples : int
        Random samples per window.
    seed : int
        Seed of those samples.

    Returns
    -------
    shap.Explanation
        Shape (n, window, n_features); ``max_additivity_error`` holds the (non-zero) error.
    """
    X, background, names = checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    with preserved_numpy_random_state(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        explainer = shap.GradientExplainer(model, background)
        values = explainer.shap_values(X, nsamples=nsamples, rseed=seed)
    values = np.asarray(values).reshape(X.shape)
    base_value = float(np.mean(predict(model, background)))
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
        As in :func:`deep_shap`.
    seed : int
        Seed of the random permutations.
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
    X, background, names = checked_inputs(
        model, X, background, feature_names, allow_overlap=allow_overlap
    )
    n, window, n_features = X.shape
    if max_evals < 2 * window * n_features + 1:
        raise ValueError(
            f"max_evals must be at least {2 * window * n_features + 1}; got {max_evals}."
        )
    predict = fast_predictor(model, X.shape[1:])
    flat_background = background.reshape(len(background), -1)
    masker = shap.maskers.Independent(flat_background, max_samples=len(background))

    values, base_values = np.zeros((n, window * n_features)), np.zeros(n)
    with preserved_numpy_random_state():
        explainer = shap.PermutationExplainer(predict, masker, seed=seed)
        for i in tqdm(
            range(n),
            desc="permutation SHAP",
            unit="window",
            disable=not progress,
            mininterval=PROGRESS_INTERVAL,
        ):
            result = explainer(X[i : i + 1].reshape(1, -1), max_evals=max_evals, silent=True)
            values[i], base_values[i] = result.values[0], result.base_values[0]

    explanation = window_explanation(values.reshape(X.shape), base_values, X, names)
    explanation.max_additivity_error = additivity_error(explanation, model)
    return explanation
