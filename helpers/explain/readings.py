"""The explanations the interpretation notebooks read: one call for the set-up of 04, 04b and 04c.

Notebook 04 and its two parts 04b and 04c read the same explanations of the course's model:
DeepSHAP values for every (month, variable) of each test window and the exact Shapley values of
the variables, both against the same background of training windows, in the target's units.
:func:`explain_test_period` computes them (or loads them from the cache of
:func:`helpers.explain.cached`) and re-measures their additivity, so each part of the notebook
runs on its own with one line of set-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shap

from helpers.config import COURSE
from helpers.explain.cache import CACHE_DIR, cached
from helpers.explain.checks import additivity_error
from helpers.explain.deep import deep_shap, training_background
from helpers.explain.explanation import by_variable, in_target_units
from helpers.explain.shapley import variable_shapley
from helpers.training import TrainedModel


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
    background_size: int = 100,
    seed: int = 0,
    cache_dir: Path | str = CACHE_DIR,
) -> PeriodExplanations:
    """Explain a trained model's test windows, as notebook 04's set-up does.

    The background is ``background_size`` training windows drawn with ``seed``
    (:func:`training_background`); the DeepSHAP values (:func:`deep_shap`) and the exact
    variable Shapley values (:func:`variable_shapley`) are computed once and then loaded from
    ``cache_dir`` (:func:`cached`). Their additivity is measured again here, not read from the
    cache.

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
