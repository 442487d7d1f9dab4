"""The fix: exact DeepSHAP values for Keras recurrent models, via their unrolled twin.

``shap.DeepExplainer(model, background)`` fails on a Keras LSTM because the layer's time loop
(``While``, ``TensorList*`` ops) has no attribution rule. :func:`deep_shap` explains the model's
unrolled twin instead (:mod:`helpers.explain.twin`), gives shap's ``passthrough`` rule to the
linear ``Split`` op for the duration of the call, checks that every op has a rule, and checks that
the values add up to the model's predictions. TensorFlow's and shap's global state is restored
afterwards, also when something fails.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import keras
import numpy as np
import shap
from numpy.typing import ArrayLike

from helpers.explain.checks import UnsupportedOpError, check_additivity, checked_inputs
from helpers.explain.engine import engine_shap_values, engine_supports
from helpers.explain.explanation import window_explanation
from helpers.explain.graph import ops_without_shap_rule
from helpers.explain.state import linear_op_rules, preserved_shap_state
from helpers.explain.twin import unrolled_twin


def training_background(X_train: ArrayLike, size: int = 100, seed: int = 0) -> np.ndarray:
    """A random, seeded subset of training windows to serve as SHAP background.

    Parameters
    ----------
    X_train : array of shape (n_train, window, n_features)
        Training windows (never the windows you are going to explain).
    size : int
        Number of windows to draw (without replacement). A short record may have fewer
        training windows: then all of them are used, with a warning that says so.
    seed : int
        Seed of the random draw.

    Returns
    -------
    numpy.ndarray of shape (size, window, n_features)
        The chosen windows, in chronological order.
    """
    X_train = np.asarray(X_train, dtype=np.float32)
    if X_train.ndim != 3:
        raise ValueError(f"X_train must have shape (n, window, n_features); got {X_train.shape}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a whole number of windows, at least 1; got {size!r}.")
    if len(X_train) == 0:
        raise ValueError("X_train holds no windows.")
    if size > len(X_train):
        warnings.warn(
            f"Only {len(X_train)} training windows: the background uses all of them instead of "
            f"{size}. SHAP values are exactly additive for any background, but a small one "
            "makes the reference (the mean prediction) less representative.",
            UserWarning,
            stacklevel=2,
        )
        size = len(X_train)
    rows = np.random.default_rng(seed).choice(len(X_train), size=size, replace=False)
    return X_train[np.sort(rows)]


def deep_shap(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    tolerance: float = 1e-5,
    engine: str = "batched",
    memory_budget_mb: float = 256,
) -> shap.Explanation:
    """Exact DeepSHAP values for a Keras recurrent model (the fix for DeepExplainer's crash).

    Two engines compute the same values (to float32 rounding, checked by the tests):

    - ``"shap"``: builds the model's unrolled twin, gives shap's ``passthrough`` rule to
      ``Split``/``SplitV``, checks that every op has a rule and runs ``shap.DeepExplainer`` on
      the twin, one window at a time. TensorFlow's and shap's global state is restored
      afterwards, also when something fails.
    - ``"batched"`` (default): the same rules computed by :mod:`helpers.explain.engine` for all
      (window, background) pairs at once, with the time loop kept as a loop — 5-10 times
      faster, and memory no longer grows with the window. Models with a layer the engine does
      not cover go to the ``"shap"`` engine by themselves; ``explanation.engine`` says which
      engine ran, and ``explanation.engine_note`` why the batched one did not.

    Either way the values are checked to add up to the model's predictions.

    Parameters
    ----------
    model : keras.Model
        Sequential or functional model, input ``(batch, window, n_features)``, one output.
    X : array of shape (n, window, n_features)
        The windows to explain (e.g. the test set).
    background : array of shape (m, window, n_features)
        Reference windows, none of them in X, usually from the training period (about 100;
        cost is linear in m). See :func:`training_background`.
    feature_names : list of str, optional
        The n_features variable names (default ``x0, x1, ...``).
    tolerance : float
        Largest allowed additivity error (see :func:`additivity_error`).
    engine : {"batched", "shap"}
        Which engine computes the values (see above).
    memory_budget_mb : float
        Memory for one chunk of (window, background) pairs in the batched engine.

    Returns
    -------
    shap.Explanation
        ``values`` (n, window, n_features), ``base_values`` (n,) = mean prediction over the
        background, ``data`` = X, feature names ``"precip (t-3)"``; the measured additivity
        error is in ``explanation.max_additivity_error``, the engine used in
        ``explanation.engine``.

    Raises
    ------
    ValueError, TypeError
        Wrong shapes, non-finite values, background overlapping X, several outputs, an unknown
        engine.
    UnsupportedOpError
        If the twin uses an op shap has no rule for (names the op and the model-agnostic routes).
    AdditivityError
        If the additivity error exceeds ``tolerance``.
    """
    if engine not in ("batched", "shap"):
        raise ValueError(f"engine must be 'batched' or 'shap'; got {engine!r}.")
    X, background, names = checked_inputs(model, X, background, feature_names)
    note = engine_supports(model) if engine == "batched" else "engine='shap' was asked for"
    if note is None:
        values, base_value = engine_shap_values(
            model, X, background, memory_budget_mb=memory_budget_mb, tolerance=tolerance
        )
    else:
        values, base_value = _shap_on_unrolled_twin(model, X, background)
    explanation = window_explanation(values, np.full(len(X), base_value), X, names)
    explanation.engine = "batched" if note is None else "shap"
    explanation.engine_note = note
    check_additivity(explanation, model, tolerance, "deep_shap")
    return explanation


def _shap_on_unrolled_twin(
    model: keras.Model, X: np.ndarray, background: np.ndarray
) -> tuple[np.ndarray, float]:
    """shap.DeepExplainer on the model's unrolled twin: values (n, window, n_features), base."""
    twin = unrolled_twin(model, check_windows=X[:16])
    with preserved_shap_state(), linear_op_rules(), warnings.catch_warnings():
        # Keras warns that shap passes the input as a one-element list; harmless.
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        missing = ops_without_shap_rule(twin)
        if missing:
            raise UnsupportedOpError(missing)
        explainer = shap.DeepExplainer(twin, background)
        # shap's own check allows an error of 1e-2; deep_shap's is stricter
        values = explainer.shap_values(X, check_additivity=False)
        base_value = float(np.asarray(explainer.expected_value).reshape(-1)[0])
    return np.asarray(values).reshape(X.shape), base_value  # shap adds an output axis
