"""SHAP values for Keras recurrent models (LSTM, GRU, SimpleRNN): the fix and its cross-checks.

Why ``shap.DeepExplainer(model, background).shap_values(X)`` fails on a Keras LSTM
-----------------------------------------------------------------------------------
DeepExplainer (DeepLIFT / DeepSHAP) replaces the gradient of every TensorFlow op between the
model's input and output by its own attribution rule, looked up by op type in
``shap.explainers._deep.deep_tf.op_handlers``. A Keras LSTM runs its time steps in a ``While``
loop built from ``TensorList*`` ops; shap has no rule for those, so the lookup fails
(``LookupError: gradient registry has no entry for: shap_TensorListStack``).
:func:`ops_without_shap_rule` shows this as computed evidence.

The fix (:func:`deep_shap`)
---------------------------
1. Build an *unrolled twin* of the model (:func:`unrolled_twin`): the same layers with
   ``unroll=True`` and the same weights, so the twin computes the same function without a loop.
2. The unrolled cell splits its gate pre-activations with ``Split``; that op is linear, so
   shap's own ``passthrough`` rule is exact for it (:func:`add_rules_for_linear_ops`).
3. Check that every op of the twin now has a rule, run ``shap.DeepExplainer`` on the twin,
   restore the global state shap changes (:func:`preserved_shap_state`), and check that the
   SHAP values add up to the model's predictions (:func:`additivity_error`).

Cross-checks
------------
- :func:`gradient_shap`: expected gradients on the original model (additive only approximately).
- :func:`permutation_shap`: model-agnostic, on the flattened window; exactly additive; slow.
- :func:`variable_shapley`: exact Shapley values with one player per variable (its whole
  window history), model-agnostic; answers "which variable matters" directly.

Shapes
------
Windows are arrays of shape ``(n, window, n_features)``, e.g. ``(147, 12, 9)``. Explanations of
windows have the same shape; the feature name of step ``s`` is ``"precip (t-k)"`` with lag
``k = window - 1 - s`` (``"precip (t)"`` for the last month). Use :func:`flatten` or
:func:`by_variable` to get the 2-D explanations that shap's plots (beeswarm, waterfall, bar)
and ``explanation.abs.mean(0)`` expect.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import warnings

import keras
import numpy as np
import pandas as pd
import shap
import tensorflow as tf
from shap.explainers._deep import deep_tf
from tensorflow.python.eager import backprop as tf_backprop
from tensorflow.python.eager import execute as tf_execute
from tensorflow.python.framework import ops as tf_ops
from tqdm import tqdm

from helpers import paths

#: Linear ops that shap has no rule for; shap's ``passthrough`` rule (the ordinary gradient) is
#: exact for them. ``Split`` cuts the unrolled LSTM/GRU cells' gate pre-activations into the
#: gates; ``SplitV``, its variant with uneven sizes, is not used by Keras 3.15's cells but is
#: registered in case another version or a custom cell uses it.
LINEAR_OPS_WITHOUT_SHAP_RULE = ("Split", "SplitV")

#: Seconds between progress-bar updates: a notebook keeps every update in its saved output.
PROGRESS_INTERVAL = 10

#: Ops that shap puts into TensorFlow's gradient registry by itself (besides ``shap_<op>``).
_SHAP_PREREGISTERED_OPS = ("TensorListReserve",)

#: Recurrent-model SHAP routes that work for any model, named in error messages.
_MODEL_AGNOSTIC_ROUTES = (
    "helpers.explain.variable_shapley (exact, one player per variable) or "
    "helpers.explain.permutation_shap (one value per month and variable)"
)


class UnsupportedOpError(RuntimeError):
    """The model uses TensorFlow ops for which shap's DeepExplainer has no attribution rule."""

    def __init__(self, op_types):
        self.op_types = sorted(op_types)
        super().__init__(
            "shap.DeepExplainer has no attribution rule for these TensorFlow op(s) in the "
            f"model's graph: {', '.join(self.op_types)}. DeepSHAP cannot explain this model "
            "exactly. Use a model-agnostic route instead: " + _MODEL_AGNOSTIC_ROUTES + "."
        )


class AdditivityError(RuntimeError):
    """SHAP values plus base value do not add up to the model's prediction."""


# --------------------------------------------------------------------------------------------
# 1. The global state that shap.DeepExplainer changes
# --------------------------------------------------------------------------------------------


def _gradient_registry():
    """TensorFlow's table ``op type -> gradient function`` (a private dict shap edits)."""
    return tf_ops._gradient_registry._registry


def shap_state_snapshot():
    """Record the global state that ``shap.DeepExplainer`` changes.

    DeepExplainer (shap 0.54) patches three things while it works:

    - ``tensorflow.python.eager.execute.record_gradient``, the function that records every op on
      a ``GradientTape``; it is restored only if the explanation *succeeds*;
    - TensorFlow's gradient registry (adds ``shap_<op>`` entries and swaps gradient functions,
      restored in a ``finally`` block);
    - shap's own rule table ``op_handlers`` (which :func:`add_rules_for_linear_ops` extends).

    (shap reads, but does not change, ``tensorflow.python.eager.backprop.record_gradient``; the
    ``_IsBackpropagatable`` check it would also patch no longer exists in TensorFlow 2.21.)

    Returns
    -------
    dict
        Copies of the three, for :func:`restore_shap_state`.
    """
    return {
        "record_gradient": tf_execute.record_gradient,
        "gradient_registry": {op: dict(entry) for op, entry in _gradient_registry().items()},
        "op_handlers": dict(deep_tf.op_handlers),
    }


def restore_shap_state(snapshot):
    """Put back the state recorded by :func:`shap_state_snapshot`.

    Parameters
    ----------
    snapshot : dict
        The value returned by :func:`shap_state_snapshot`.
    """
    tf_execute.record_gradient = snapshot["record_gradient"]

    registry = _gradient_registry()
    for op in list(registry):
        added_by_shap = op.startswith("shap_") or op in _SHAP_PREREGISTERED_OPS
        if op not in snapshot["gradient_registry"] and added_by_shap:
            del registry[op]
    for op, entry in snapshot["gradient_registry"].items():
        registry[op] = dict(entry)

    deep_tf.op_handlers.clear()
    deep_tf.op_handlers.update(snapshot["op_handlers"])


@contextlib.contextmanager
def preserved_shap_state():
    """Context manager: whatever happens inside, TensorFlow and shap are restored afterwards.

    Use it around any direct ``shap.DeepExplainer`` call, in particular one that fails::

        with preserved_shap_state():
            shap.DeepExplainer(model, background).shap_values(X)   # raises on an LSTM

    Without it, a failed call leaves TensorFlow's gradient recording patched, and a later
    ``model.fit`` or ``shap.GradientExplainer`` in the same process fails with
    ``LookupError: gradient registry has no entry for: shap_...``.

    Yields
    ------
    dict
        The snapshot taken on entry.
    """
    snapshot = shap_state_snapshot()
    try:
        yield snapshot
    finally:
        restore_shap_state(snapshot)


def tensorflow_gradients_are_patched():
    """Tell whether shap has left TensorFlow's gradient machinery patched.

    Returns
    -------
    bool
        True if ``execute.record_gradient`` is not TensorFlow's own function, or the gradient
        registry still holds entries that shap added or swapped.
    """
    if tf_execute.record_gradient is not tf_backprop.record_gradient:
        return True
    for op, entry in _gradient_registry().items():
        if op.startswith("shap_"):
            return True
        if getattr(entry["type"], "__func__", None) is deep_tf.TFDeep.custom_grad:
            return True
    return False


def restore_tensorflow_gradients():
    """Undo shap's patches when no snapshot was taken (e.g. after an unguarded failing call).

    Sets ``execute.record_gradient`` back to TensorFlow's own function and removes the
    ``shap_<op>`` entries from the gradient registry. Prefer :func:`preserved_shap_state`.
    A model whose ``fit`` already failed while TensorFlow was patched must be compiled again
    (``model.compile(...)``) before it can be fitted.
    """
    tf_execute.record_gradient = tf_backprop.record_gradient
    registry = _gradient_registry()
    for op in list(registry):
        if op.startswith("shap_"):
            del registry[op]


def _require_healthy_tensorflow():
    if tensorflow_gradients_are_patched():
        raise RuntimeError(
            "TensorFlow's gradient recording is still patched by an earlier, failed "
            "shap.DeepExplainer call in this process. Call "
            "helpers.explain.restore_tensorflow_gradients() (and next time wrap such calls in "
            "`with helpers.explain.preserved_shap_state():`)."
        )


def add_rules_for_linear_ops():
    """Give shap's ``passthrough`` rule to the linear ops it lacks (``Split``, ``SplitV``).

    For a linear op, DeepLIFT's multiplier equals the ordinary gradient, which is exactly what
    ``passthrough`` uses. This changes shap's global rule table: call it inside
    :func:`preserved_shap_state` (as :func:`deep_shap` does).
    """
    for op_type in LINEAR_OPS_WITHOUT_SHAP_RULE:
        deep_tf.op_handlers[op_type] = deep_tf.passthrough


# --------------------------------------------------------------------------------------------
# 2. Which ops are in the model's graph, and which have no shap rule
# --------------------------------------------------------------------------------------------


def _model_window_shape(model):
    """(window, n_features) from ``model.input_shape``; None where the model does not say.

    Returns None for subclassed models, which have no ``input_shape``; a size is None when the
    model was defined with an undefined window length, e.g. ``keras.Input((None, 9))``.
    """
    try:
        input_shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(input_shape, list):
        raise ValueError(f"Only models with one input are supported; got inputs {input_shape}.")
    if len(input_shape) != 3:
        raise ValueError(
            "Expected a model whose input is (batch, window, n_features); "
            f"got input shape {input_shape}."
        )
    return tuple(input_shape[1:])


def _window_shape(model, window_shape=None):
    """The fixed (window, n_features) of a model: ``window_shape`` if given, else from the model."""
    if window_shape is not None:
        return tuple(int(size) for size in window_shape)
    shape = _model_window_shape(model)
    if shape is None or None in shape:
        raise ValueError(
            f"Cannot read a fixed (window, n_features) from the model (got {shape}); pass "
            "window_shape=(window, n_features), or define the model with "
            "keras.Input((window, n_features))."
        )
    return shape


def _trace_forward_pass(model, window_shape):
    """The TensorFlow graph of ``model(windows, training=False)`` for any number of windows."""
    forward = tf.function(lambda windows: model(windows, training=False))
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    return forward.get_concrete_function(spec).graph


def _ops_between(sources, targets):
    """Ops that depend on a ``sources`` tensor and feed a ``targets`` tensor.

    Like shap, the walk stops at ops whose output does not depend on the input values
    (``Shape`` etc., shap's ``break_dependence`` rule).
    """
    breakers = {op for op, rule in deep_tf.op_handlers.items() if rule is deep_tf.break_dependence}

    upstream, stack = set(), [t.op for t in targets]
    while stack:
        op = stack.pop()
        if op in upstream or op.type in breakers:
            continue
        upstream.add(op)
        stack.extend(t.op for t in op.inputs)

    between, stack = set(), [op for t in sources for op in t.consumers()]
    while stack:
        op = stack.pop()
        if op in between or op not in upstream:
            continue
        between.add(op)
        stack.extend(consumer for t in op.outputs for consumer in t.consumers())
    return between


def _function_graph(graph, name):
    """The graph of the function ``name``, looked up in ``graph`` and the graphs around it."""
    while graph is not None:
        function = graph._get_function(name)
        if function is not None:
            return function.graph
        graph = getattr(graph, "outer_graph", None)
    return None


def _nested_function_graphs(op):
    """Graphs of the functions an op runs: a While loop's body, an If's branches, a call."""
    names = []
    for attr in ("body", "then_branch", "else_branch", "f"):  # not a While's "cond"
        if attr in op.node_def.attr:
            names.append(op.get_attr(attr).name)
    if "branches" in op.node_def.attr:
        names.extend(branch.name for branch in op.get_attr("branches"))

    graphs = []
    for name in names:
        graph = _function_graph(op.graph, name)
        if graph is not None:
            graphs.append(graph)
    return graphs


def _op_types_on_path(sources, targets):
    """Op types between sources and targets, including inside loop bodies and calls."""
    types = set()
    for op in _ops_between(sources, targets):
        types.add(op.type)
        for body in _nested_function_graphs(op):
            # inside a body, values (float) and tensor lists (variant) carry the input;
            # loop counters (int) and weights (resource) do not
            body_sources = [t for t in body.inputs if t.dtype.is_floating or t.dtype == tf.variant]
            types |= _op_types_on_path(body_sources, body.outputs)
    return types


def graph_op_types(model, window_shape=None):
    """Op types in the model's forward pass that lie between its input and its output.

    These are the ops whose gradients DeepExplainer replaces by attribution rules. Ops inside
    nested functions (an LSTM's ``While`` loop body) are included. Ops that do not depend on the
    input (weights, constants, shapes) need no rule and are left out.

    Parameters
    ----------
    model : keras.Model
        A model taking windows of shape ``(batch, window, n_features)``.
    window_shape : tuple of int, optional
        ``(window, n_features)``; read from ``model.input_shape`` if omitted.

    Returns
    -------
    set of str
        Op types, e.g. ``{"MatMul", "Sigmoid", "While", "TensorListStack", ...}``.
    """
    graph = _trace_forward_pass(model, _window_shape(model, window_shape))
    windows = graph.inputs[0]
    return _op_types_on_path([windows], graph.outputs)


def ops_without_shap_rule(model, window_shape=None):
    """Op types in the model's input-to-output path that shap's DeepExplainer has no rule for.

    Parameters
    ----------
    model : keras.Model
        A model taking windows of shape ``(batch, window, n_features)``.
    window_shape : tuple of int, optional
        ``(window, n_features)``; read from ``model.input_shape`` if omitted.

    Returns
    -------
    list of str
        Sorted op types; empty if DeepExplainer can handle every op. For a Keras LSTM this lists
        the loop (``While``, ``TensorList*``); for its unrolled twin only ``Split``.
    """
    return sorted(set(graph_op_types(model, window_shape)) - set(deep_tf.op_handlers))


# --------------------------------------------------------------------------------------------
# 3. The unrolled twin
# --------------------------------------------------------------------------------------------


def _unrolled_copy(layer):
    """A new layer like ``layer``, with ``unroll=True`` if it is (or wraps) a recurrent layer."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.RNN):
        config["unroll"] = True
    elif isinstance(layer, keras.layers.Bidirectional):
        config["layer"]["config"]["unroll"] = True
        config["backward_layer"]["config"]["unroll"] = True
    return layer.__class__.from_config(config)


def _is_sequential_or_functional(model):
    from keras.src.models.functional import Functional

    return isinstance(model, (keras.Sequential, Functional))


def _max_prediction_difference(model_a, model_b, windows):
    return float(np.max(np.abs(_predict(model_a, windows) - _predict(model_b, windows))))


def unrolled_twin(model, check_windows=None, tolerance=1e-5):
    """Copy a model with every recurrent layer unrolled (``unroll=True``), weights included.

    An unrolled recurrent layer computes the same function without a ``While`` loop: its graph
    has one copy of the cell per time step. LSTM, GRU and SimpleRNN layers are unrolled, also
    when stacked, inside ``Bidirectional``, or inside nested Sequential/functional models.

    Parameters
    ----------
    model : keras.Sequential or functional keras.Model
        The model to copy. Subclassed models cannot be cloned.
    check_windows : array of shape (n, window, n_features), optional
        Windows on which twin and model must predict the same; random windows if omitted.
    tolerance : float
        Largest allowed absolute difference between the two models' predictions.

    Returns
    -------
    keras.Model
        The twin, with the model's weights.

    Raises
    ------
    TypeError
        For subclassed models (use a model-agnostic route for those).
    RuntimeError
        If twin and model predict differently.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"Expected a keras.Model, got {type(model).__name__}.")
    if not _is_sequential_or_functional(model):
        raise TypeError(
            f"Cannot build an unrolled twin of the subclassed model {type(model).__name__}: "
            "only Sequential and functional Keras models can be cloned layer by layer. Use a "
            "model-agnostic route instead: " + _MODEL_AGNOSTIC_ROUTES + "."
        )
    window_shape = _window_shape(model)
    twin = keras.models.clone_model(model, clone_function=_unrolled_copy, recursive=True)
    twin.set_weights(model.get_weights())

    if check_windows is None:
        check_windows = np.random.default_rng(0).normal(size=(8, *window_shape))
    difference = _max_prediction_difference(model, twin, np.asarray(check_windows, np.float32))
    if difference > tolerance:
        raise RuntimeError(
            f"The unrolled twin predicts differently from the model (max difference "
            f"{difference:.2e} > {tolerance:.0e}); it cannot stand in for it."
        )
    return twin


# --------------------------------------------------------------------------------------------
# Input checks and small shared pieces
# --------------------------------------------------------------------------------------------


def _check_windows(windows, name, window_shape):
    """Return ``windows`` as float32 after checking it is a finite (n, window, n_features) array.

    ``window_shape`` is the expected (window, n_features); a None in it accepts any size.
    """
    try:
        array = np.asarray(windows, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array; got {type(windows).__name__}.") from error
    expected = "(n, " + ", ".join("?" if size is None else str(size) for size in window_shape) + ")"
    matches = array.ndim == 3 and all(
        size is None or size == got for size, got in zip(window_shape, array.shape[1:])
    )
    if not matches:
        raise ValueError(
            f"{name} must have shape {expected} (windows, time steps, variables) to match the "
            f"model's input; got shape {array.shape}."
        )
    if len(array) == 0:
        raise ValueError(f"{name} holds no windows (shape {array.shape}).")
    bad = ~np.isfinite(array).all(axis=(1, 2))
    if bad.any():
        raise ValueError(
            f"{name} has NaN or infinite values in {bad.sum()} window(s), first at index "
            f"{np.flatnonzero(bad)[0]}."
        )
    return array


def _check_background_is_separate(X, background):
    """Refuse a background that contains any of the windows being explained."""
    explained = {window.tobytes() for window in X}
    shared = [i for i, window in enumerate(background) if window.tobytes() in explained]
    if shared:
        raise ValueError(
            f"The background shares {len(shared)} window(s) with X (e.g. background[{shared[0]}]). "
            "SHAP values explain how far each prediction lies from the average prediction over "
            "the background; a background containing the windows being explained makes them "
            "measure deviations from (partly) the very windows explained, and leaks the test "
            "period into the reference. Take the background from the training period, e.g. "
            "helpers.explain.training_background(X_train)."
        )


def _check_single_output(model, window):
    """Refuse models that give more than one number per window (tried on one window)."""
    outputs = tf.nest.flatten(model(window[None], training=False))
    shapes = [tuple(output.shape) for output in outputs]
    if sum(math.prod(shape) for shape in shapes) != 1:
        raise ValueError(
            "Only models with a single output value per window are supported; for one window "
            f"this model gives output(s) of shape {shapes}. Explain one output at a time, e.g. "
            "keras.Model(model.inputs, model.outputs[0][:, k:k + 1])."
        )


def _check_feature_names(feature_names, n_features):
    if feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(
            f"feature_names must name the {n_features} variables; got {len(names)} names."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"feature_names must be unique; got {names}.")
    return names


def _checked_inputs(model, X, background, feature_names):
    """Common checks of every route; returns float32 X, background and the variable names."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    X = _check_windows(X, "X", _model_window_shape(model) or (None, None))
    background = _check_windows(background, "background", X.shape[1:])
    _check_background_is_separate(X, background)
    _require_healthy_tensorflow()
    _check_single_output(model, X[0])
    return X, background, _check_feature_names(feature_names, X.shape[2])


def _predictor(model, window_shape, batch_size=16384):
    """A fast ``windows -> predictions (n,)`` function: one traced graph, large batches.

    ``model.predict`` has a per-call overhead that dominates when called thousands of times;
    a ``tf.function`` with a fixed input signature is traced once and reused.
    """
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    forward = tf.function(lambda windows: model(windows, training=False), input_signature=[spec])

    def predict(windows):
        windows = np.asarray(windows, np.float32).reshape(-1, *window_shape)
        outputs = [
            forward(windows[start : start + batch_size]).numpy().reshape(-1)
            for start in range(0, len(windows), batch_size)
        ]
        return np.concatenate(outputs)

    return predict


def _predict(model, windows):
    """Predictions of a single-output model as a 1-D float64 array."""
    outputs = model(np.asarray(windows, np.float32), training=False)
    return np.asarray(outputs, dtype=np.float64).reshape(len(windows), -1)[:, 0]


@contextlib.contextmanager
def _preserved_numpy_random_state():
    """shap's explainers reseed numpy's global generator; put it back afterwards."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def lagged_feature_names(feature_names, window):
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


def _window_explanation(values, base_values, X, feature_names):
    """A shap.Explanation of shape (n, window, n_features) with per-(lag, variable) names."""
    names = lagged_feature_names(feature_names, X.shape[1])
    return shap.Explanation(
        values=np.asarray(values, dtype=np.float64),
        base_values=np.asarray(base_values, dtype=np.float64).reshape(len(X)),
        data=X,
        feature_names=np.broadcast_to(names, X.shape).tolist(),
    )


def additivity_error(explanation, model, X=None):
    """Largest ``|sum of SHAP values + base value - model prediction|`` over the windows.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape ``(n, ...)`` (any number of trailing axes), base values of shape (n,).
    model : keras.Model
        The model that was explained.
    X : array of shape (n, window, n_features), optional
        The explained windows; defaults to ``explanation.data`` (right for window explanations;
        pass X for :func:`by_variable` or :func:`variable_shapley` results).

    Returns
    -------
    float
        The maximum absolute difference.
    """
    windows = explanation.data if X is None else X
    windows = np.asarray(windows, np.float32)
    if windows.ndim != 3:
        raise ValueError(
            f"additivity_error needs the explained windows (n, window, n_features); got shape "
            f"{windows.shape}. Pass X=... explicitly."
        )
    values = np.asarray(explanation.values, dtype=np.float64)
    totals = values.reshape(len(values), -1).sum(axis=1) + np.asarray(explanation.base_values)
    return float(np.max(np.abs(totals - _predict(model, windows))))


def _check_additivity(explanation, model, tolerance, route):
    error = additivity_error(explanation, model)
    explanation.max_additivity_error = error
    if error > tolerance:
        raise AdditivityError(
            f"{route}: SHAP values plus base value differ from the model's predictions by up to "
            f"{error:.2e} (tolerance {tolerance:.0e})."
        )


# --------------------------------------------------------------------------------------------
# 4. The fix: DeepSHAP on the unrolled twin
# --------------------------------------------------------------------------------------------


def deep_shap(model, X, background, feature_names=None, tolerance=1e-5):
    """Exact DeepSHAP values for a Keras recurrent model (the fix for DeepExplainer's crash).

    Builds the model's unrolled twin, gives shap's ``passthrough`` rule to ``Split``/``SplitV``,
    checks that every op has a rule, runs ``shap.DeepExplainer`` on the twin and checks that the
    values add up to the model's predictions. TensorFlow's and shap's global state is restored
    afterwards, also when something fails.

    Parameters
    ----------
    model : keras.Model
        Sequential or functional model, input ``(batch, window, n_features)``, one output.
    X : array of shape (n, window, n_features)
        The windows to explain (e.g. the test set).
    background : array of shape (m, window, n_features)
        Reference windows from the training period, none of them in X (about 100; cost is
        linear in m). See :func:`training_background`.
    feature_names : list of str, optional
        The n_features variable names (default ``x0, x1, ...``).
    tolerance : float
        Largest allowed additivity error (see :func:`additivity_error`).

    Returns
    -------
    shap.Explanation
        ``values`` (n, window, n_features), ``base_values`` (n,) = mean prediction over the
        background, ``data`` = X, feature names ``"precip (t-3)"``; the measured additivity
        error is in ``explanation.max_additivity_error``.

    Raises
    ------
    ValueError, TypeError
        Wrong shapes, non-finite values, background overlapping X, several outputs.
    UnsupportedOpError
        If the twin uses an op shap has no rule for (names the op and the model-agnostic routes).
    AdditivityError
        If the additivity error exceeds ``tolerance``.
    """
    X, background, names = _checked_inputs(model, X, background, feature_names)
    twin = unrolled_twin(model, check_windows=X[:16])

    with preserved_shap_state(), warnings.catch_warnings():
        # Keras warns that shap passes the input as a one-element list; harmless.
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        add_rules_for_linear_ops()
        missing = ops_without_shap_rule(twin)
        if missing:
            raise UnsupportedOpError(missing)
        explainer = shap.DeepExplainer(twin, background)
        # shap's own check allows an error of 1e-2; ours below is stricter
        values = explainer.shap_values(X, check_additivity=False)
        base_value = float(np.asarray(explainer.expected_value).reshape(-1)[0])

    values = np.asarray(values).reshape(X.shape)  # shap adds an output axis: (n, w, f, 1)
    explanation = _window_explanation(values, np.full(len(X), base_value), X, names)
    _check_additivity(explanation, model, tolerance, "deep_shap")
    return explanation


# --------------------------------------------------------------------------------------------
# 5. Cross-check routes
# --------------------------------------------------------------------------------------------


def training_background(X_train, size=100, seed=0):
    """A random, seeded subset of training windows to serve as SHAP background.

    Parameters
    ----------
    X_train : array of shape (n_train, window, n_features)
        Training windows (never the windows you are going to explain).
    size : int
        Number of windows to draw (without replacement).
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
    if not 1 <= size <= len(X_train):
        raise ValueError(
            f"size must be between 1 and {len(X_train)} (the training windows); got {size}."
        )
    rows = np.random.default_rng(seed).choice(len(X_train), size=size, replace=False)
    return X_train[np.sort(rows)]


def gradient_shap(model, X, background, feature_names=None, nsamples=200, seed=0):
    """Expected-gradients SHAP values (``shap.GradientExplainer``) on the original model.

    Works on the model as it is (gradients through the loop are ordinary TensorFlow
    gradients), but the values add up to the prediction only approximately: each is an
    average over ``nsamples`` random points between window and background.

    Parameters
    ----------
    model, X, background, feature_names
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
    X, background, names = _checked_inputs(model, X, background, feature_names)
    with _preserved_numpy_random_state(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        explainer = shap.GradientExplainer(model, background)
        values = explainer.shap_values(X, nsamples=nsamples, rseed=seed)
    values = np.asarray(values).reshape(X.shape)
    base_value = float(np.mean(_predict(model, background)))
    explanation = _window_explanation(values, np.full(len(X), base_value), X, names)
    explanation.max_additivity_error = additivity_error(explanation, model)
    return explanation


def permutation_shap(
    model, X, background, feature_names=None, seed=0, max_evals=500, progress=True
):
    """Permutation SHAP values on the flattened window (``window * n_features`` inputs).

    Model-agnostic (only calls the model) and exactly additive, but slow: each window costs
    about ``max_evals * len(background)`` model evaluations. Explain a subset with ``X[:20]``.

    Parameters
    ----------
    model, X, background, feature_names
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
    X, background, names = _checked_inputs(model, X, background, feature_names)
    n, window, n_features = X.shape
    if max_evals < 2 * window * n_features + 1:
        raise ValueError(
            f"max_evals must be at least {2 * window * n_features + 1}; got {max_evals}."
        )
    predict = _predictor(model, X.shape[1:])
    flat_background = background.reshape(len(background), -1)
    masker = shap.maskers.Independent(flat_background, max_samples=len(background))

    values, base_values = np.zeros((n, window * n_features)), np.zeros(n)
    with _preserved_numpy_random_state():
        explainer = shap.PermutationExplainer(predict, masker, seed=seed)
        for i in tqdm(range(n), desc="permutation SHAP", unit="window", disable=not progress,
                      mininterval=PROGRESS_INTERVAL):
            result = explainer(X[i : i + 1].reshape(1, -1), max_evals=max_evals, silent=True)
            values[i], base_values[i] = result.values[0], result.base_values[0]

    explanation = _window_explanation(values.reshape(X.shape), base_values, X, names)
    explanation.max_additivity_error = additivity_error(explanation, model)
    return explanation


def _players(feature_names, groups):
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
        bad = [name for name, count in zip(feature_names, counts) if count != 1]
        raise ValueError(f"Every variable must belong to exactly one group; not so for {bad}.")
    return list(groups), membership


def shapley_weights(n_players):
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
    model, X, background, feature_names=None, groups=None, batch_size=16384, progress=True
):
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
    model, X, background
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
    X, background, names = _checked_inputs(model, X, background, feature_names)
    players, membership = _players(names, groups)
    if len(players) > 16:
        raise ValueError(
            f"{len(players)} players means 2**{len(players)} coalitions; use at most 16."
        )
    coalitions, weights = shapley_weights(len(players))
    variables_kept = coalitions.astype(int) @ membership.astype(int) > 0  # (2**p, n_features)
    predict = _predictor(model, X.shape[1:], batch_size)

    values = np.zeros((len(X), len(players)))
    for i in tqdm(range(len(X)), desc="variable Shapley", unit="window", disable=not progress,
                  mininterval=PROGRESS_INTERVAL):
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


# --------------------------------------------------------------------------------------------
# Reshaping window explanations for shap's plots
# --------------------------------------------------------------------------------------------


def _as_window_explanation(explanation):
    values = np.asarray(explanation.values)
    if values.ndim != 3:
        raise ValueError(
            "Expected an explanation of windows with values of shape (n, window, n_features); "
            f"got shape {values.shape}."
        )
    return values


def _variable_names(explanation):
    """The variable names, read from the last step's names ``"precip (t)"``."""
    n, window, n_features = np.asarray(explanation.values).shape
    if explanation.feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    last_step = np.asarray(explanation.feature_names).reshape(-1, window, n_features)[0, -1]
    return [str(name).removesuffix(" (t)") for name in last_step]


def by_variable(explanation):
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


def variable_importance(explanation):
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
        raise ValueError(f"Expected values of shape (n, window, n_features) or (n, players); got {values.shape}.")
    names = explanation.feature_names
    if names is None:
        names = [f"x{j}" for j in range(np.shape(explanation.values)[1])]
    return pd.Series(np.abs(np.asarray(explanation.values)).mean(axis=0), index=list(names))


def flatten(explanation):
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


# --------------------------------------------------------------------------------------------
# Computing an explanation once, reusing it in later notebooks
# --------------------------------------------------------------------------------------------

#: Where :func:`cached` keeps explanations (produced, not committed).
CACHE_DIR = paths.MODELS_DIR / "shap_cache"


def _cache_key(route, model, X, background, options):
    """Hash of everything the result depends on: weights, windows, route, options, shap."""
    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    digest.update(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(background, dtype=np.float32).tobytes())
    digest.update(json.dumps([route.__name__, options, shap.__version__], sort_keys=True).encode())
    return digest.hexdigest()[:20]


def cached(route, model, X, background, cache_dir=CACHE_DIR, refresh=False, **options):
    """Run an explanation route once; later calls with the same inputs load the saved result.

    The result is stored under a hash of the model's weights, ``X``, ``background``, the route's
    name, its options and the shap version, so a retrained model or other data are computed
    afresh — a stale explanation cannot be loaded.

    Parameters
    ----------
    route : callable
        :func:`deep_shap`, :func:`variable_shapley`, :func:`gradient_shap` or
        :func:`permutation_shap`.
    model, X, background
        Passed to ``route``.
    cache_dir : pathlib.Path
        Folder for the saved results.
    refresh : bool
        Compute even when a saved result exists, and overwrite it (notebook 03 does this so
        that the run times it reports are real).
    **options
        Further keyword arguments of ``route`` (JSON-serialisable, e.g. ``feature_names``).

    Returns
    -------
    shap.Explanation
        As ``route`` returns it, with ``max_additivity_error``.
    """
    path = cache_dir / f"{route.__name__}-{_cache_key(route, model, X, background, options)}.npz"
    if path.exists() and not refresh:
        saved = np.load(path, allow_pickle=False)
        explanation = shap.Explanation(
            values=saved["values"],
            base_values=saved["base_values"],
            data=saved["data"],
            feature_names=json.loads(str(saved["feature_names"])),
        )
        explanation.max_additivity_error = float(saved["max_additivity_error"])
        return explanation
    explanation = route(model, X, background, **options)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        values=explanation.values,
        base_values=explanation.base_values,
        data=explanation.data,
        feature_names=json.dumps(explanation.feature_names),
        max_additivity_error=explanation.max_additivity_error,
    )
    return explanation
