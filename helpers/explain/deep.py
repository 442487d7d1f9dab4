"""The fix: exact DeepSHAP values for Keras recurrent models, via their unrolled twin.

``shap.DeepExplainer(model, background)`` fails on a Keras LSTM because the layer's time loop
(``While``, ``TensorList*`` ops) has no attribution rule. The fix notebook 03 teaches, in
:func:`shap_on_unrolled_twin`: explain the model's unrolled twin instead
(:mod:`helpers.explain.twin`), give shap's ``passthrough`` rule to the linear ``Split`` op for
the duration of the call, check that every op has a rule, and restore TensorFlow's and shap's
global state afterwards, also when something fails.

:func:`deep_shap` runs that fix, or computes the same values with the batched engine
(:mod:`helpers._kit.engine`) when it covers the model (:func:`choose_engine` says which and
why), and checks that the values add up to the model's predictions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
import shap
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers._kit import engine as _engine
from helpers._kit.engine import internals
from helpers._kit.errors import whole_number
from helpers.config import COURSE
from helpers.explain.checks import check_additivity, checked_inputs
from helpers.explain.errors import MODEL_AGNOSTIC_ROUTES, DeepShapFailure, UnsupportedOpError
from helpers.explain.explanation import window_explanation
from helpers.explain.graph import layers_using_ops, ops_without_shap_rule
from helpers.explain.state import OPS_WITH_UNFIT_SHAP_RULE, linear_op_rules, preserved_shap_state
from helpers.explain.twin import unrolled_twin

#: The engines of :func:`deep_shap`.
ENGINES = ("batched", "shap")


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
    size = whole_number(size, "size", unit="windows")
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


def shap_on_unrolled_twin(
    model: keras.Model, X: np.ndarray, background: np.ndarray, output: int | None = None
) -> tuple[np.ndarray, float]:
    """The fix of notebook 03: shap.DeepExplainer on the model's unrolled twin.

    Parameters
    ----------
    model : keras.Model
        The recurrent model (checked inputs: see :func:`deep_shap`).
    X, background : numpy.ndarray of shape (n, window, n_features) and (m, window, n_features)
        Checked float32 windows.
    output : int, optional
        Which of several output values to explain (flattened in order).

    Returns
    -------
    values : numpy.ndarray of shape (n, window, n_features)
    base_value : float
        shap's ``expected_value`` of that output.
    """
    all_outputs = model if output is None else _outputs_as_one_tensor(model)
    twin = unrolled_twin(all_outputs, check_windows=X[:16], window_shape=X.shape[1:])
    return _deep_explainer_on(twin, X, background, output or 0)


@dataclass(frozen=True)
class EngineChoice:
    """Which engine :func:`deep_shap` runs, and why.

    Attributes
    ----------
    engine : {"batched", "shap"}
    reason : str or None
        Why shap's engine runs (asked for, or why the batched one cannot); None for "batched".
    """

    engine: str
    reason: str | None = None


def choose_engine(model: keras.Model, engine: str) -> EngineChoice:
    """The engine asked for, unless the batched engine does not cover ``model``.

    ``model`` gives one value per window. The batched engine reads it layer by layer; on a Keras
    release whose internals it does not know, reading may fail in other ways than a refusal:
    shap's engine, slower but general, then takes over as well.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'batched' or 'shap'; got {engine!r}.")
    if engine == "shap":
        return EngineChoice("shap", "engine='shap' was asked")
    try:
        refusal = _engine.supports(model)
    except Exception as error:  # any failure to read the model means: use shap's engine
        refusal = f"the batched engine could not read this model ({type(error).__name__}: {error})"
    return EngineChoice("batched") if refusal is None else EngineChoice("shap", refusal)


def deep_shap(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    tolerance: float = COURSE.tolerance,
    output: int | None = None,
    engine: str = "batched",
    memory_budget_mb: float = COURSE.memory_budget_mb,
    allow_overlap: bool = False,
) -> shap.Explanation:
    """Exact DeepSHAP values for a Keras recurrent model (the fix for DeepExplainer's crash).

    Two engines compute the same values (to float32 rounding, checked by the tests):

    - ``"shap"`` (:func:`shap_on_unrolled_twin`): builds the model's unrolled twin, gives
      shap's ``passthrough`` rule to ``Split``/``SplitV``, checks that every op has a rule and
      runs ``shap.DeepExplainer`` on the twin, one window at a time. TensorFlow's and shap's
      global state is restored afterwards, also when something fails.
    - ``"batched"`` (default): the same rules computed by :mod:`helpers._kit.engine` for all
      (window, background) pairs at once, with the time loop kept as a loop: several times
      faster once traced, and memory no longer grows with the window. Models with a layer the
      engine does not cover go to the ``"shap"`` engine by themselves; ``explanation.engine``
      says which engine ran, and ``explanation.engine_note`` why the batched one did not
      (see :func:`choose_engine`).

    Either way the values are checked to add up to the model's predictions.

    Parameters
    ----------
    model : keras.Model
        Sequential or functional model (nested models allowed), one input ``(batch, window,
        n_features)``; the window length may be undefined (``keras.Input((None, 9))``): X fixes
        it.
    X : array of shape (n, window, n_features)
        The windows to explain (e.g. the test set).
    background : array of shape (m, window, n_features)
        Reference windows, usually from the training period (about 100; cost is linear in m).
        See :func:`training_background` and ``allow_overlap``.
    feature_names : list of str, optional
        The n_features variable names (default ``x0, x1, ...``).
    tolerance : float
        Largest allowed additivity error (see :func:`additivity_error`).
    output : int, optional
        For a model with several output values per window (``Dense(2)``, several heads): which
        one to explain, counting the outputs flattened in order. Required for such models.
    engine : {"batched", "shap"}
        Which engine computes the values (see above).
    memory_budget_mb : float
        Memory for one chunk of (window, background) pairs in the batched engine.
    allow_overlap : bool
        Accept a background that contains windows of X (refused by default: the values then
        measure each window against the windows explained; report such a background).

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
        Wrong shapes, non-finite values, background overlapping X, several outputs and no
        ``output``, several inputs, subclassed models, an unknown engine.
    UnsupportedOpError
        If the twin uses an op shap has no exact rule for (names the Keras layers and the ops,
        and the model-agnostic routes).
    AdditivityError
        If the additivity error exceeds ``tolerance``.
    """
    X, background, names = checked_inputs(
        model, X, background, feature_names, output, allow_overlap
    )
    one_value = model if output is None else selected_output(model, output)
    choice = choose_engine(one_value, engine)
    if choice.engine == "shap":
        values, base_value = shap_on_unrolled_twin(model, X, background, output)
        predictions = None  # check_additivity runs the model
    else:
        values, base_value, predictions = _engine.shap_values_and_predictions(
            one_value, X, background, memory_budget_mb=memory_budget_mb, tolerance=tolerance
        )
    explanation = window_explanation(values, np.full(len(X), base_value), X, names)
    explanation.engine, explanation.engine_note = choice.engine, choice.reason
    check_additivity(explanation, one_value, tolerance, "deep_shap", predictions)
    return explanation


def _flat_outputs(model: keras.Model):
    """All of the model's output values side by side, as one symbolic tensor (batch, values)."""
    if not internals.is_sequential_or_functional(model):
        raise TypeError(
            f"Cannot pick one output of the subclassed model {type(model).__name__}; return "
            "that output alone from its call(), or use a model-agnostic route: "
            + MODEL_AGNOSTIC_ROUTES
            + "."
        )
    flat = [keras.layers.Flatten()(tensor) for tensor in tf.nest.flatten(model.outputs)]
    return flat[0] if len(flat) == 1 else keras.layers.Concatenate()(flat)


def _outputs_as_one_tensor(model: keras.Model) -> keras.Model:
    """The model itself if it has one output tensor (batch, k), else its outputs side by side."""
    outputs = tf.nest.flatten(model.outputs) if hasattr(model, "outputs") else []
    if len(outputs) == 1 and len(outputs[0].shape) == 2:
        return model
    return keras.Model(model.inputs, _flat_outputs(model))


def selected_output(model: keras.Model, output: int) -> keras.Model:
    """A model giving only value ``output`` of ``model``'s outputs (flattened in order)."""
    return keras.Model(model.inputs, _flat_outputs(model)[:, output : output + 1])


def _deep_explainer_on(
    model_or_twin: keras.Model, X: np.ndarray, background: np.ndarray, output: int = 0
) -> tuple[np.ndarray, float]:
    """shap.DeepExplainer on a loop-free model: values (n, window, n_features) and base value.

    Checks first that every op on the input-output path has an exact rule (with the extra rules
    of :func:`linear_op_rules`); refuses with :class:`UnsupportedOpError` naming the Keras
    layers otherwise. A failure inside shap is reported as :class:`DeepShapFailure` (with
    shap's error attached), never raw. ``output`` picks one output of a model with several.
    """
    window_shape = X.shape[1:]
    with preserved_shap_state(), linear_op_rules(), warnings.catch_warnings():
        # Keras warns that shap passes the input as a one-element list; harmless.
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        missing = ops_without_shap_rule(model_or_twin, window_shape)
        if missing:
            layers = layers_using_ops(model_or_twin, missing, window_shape)
            reasons = {op: OPS_WITH_UNFIT_SHAP_RULE.get(op) for op in missing}
            raise UnsupportedOpError(missing, layers, {k: v for k, v in reasons.items() if v})
        try:
            explainer = shap.DeepExplainer(model_or_twin, background)
            # shap's own check allows an error of 1e-2; the caller's check is stricter
            values = explainer.shap_values(X, check_additivity=False)
        except Exception as error:
            cause = f"{type(error).__name__}: {error}".strip().splitlines()[-1].strip()
            raise DeepShapFailure(
                f"shap.DeepExplainer failed on this model ({cause}). DeepSHAP cannot explain it "
                "here; use a model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
            ) from error
        base_value = float(np.asarray(explainer.expected_value).reshape(-1)[output])
    if isinstance(values, list):  # older shap: one array per output
        values = values[output if len(values) > 1 else 0]
    values = np.asarray(values)
    if values.ndim == X.ndim + 1:  # newer shap adds an output axis: (n, w, f, n_outputs)
        values = values[..., output]
    return values.reshape(X.shape), base_value
