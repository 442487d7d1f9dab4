"""SHAP values for Keras recurrent models (LSTM, GRU, SimpleRNN): notebook 03's error and fix.

The error. ``shap.DeepExplainer(model, background).shap_values(X)`` fails on a Keras LSTM:
DeepExplainer replaces the gradient of every TensorFlow op between input and output by an
attribution rule looked up by op type, and the LSTM's time loop (``While``, ``TensorList*``
ops) has none (``LookupError: gradient registry has no entry for: shap_TensorListStack``).
:func:`ops_without_shap_rule` shows it as computed evidence.

The repair. A failed DeepExplainer call leaves TensorFlow patched (a later ``model.fit`` fails
with ``no entry for: shap_DivNoNan``): :func:`repair_tensorflow` puts it back;
:func:`preserved_shap_state` avoids the damage in the first place.

The fix. :func:`deep_shap` explains the model's *unrolled twin* (:func:`unrolled_twin`: the same
layers with ``unroll=True``, the same weights) with shap's ``passthrough`` rule for the linear
``Split`` op, or computes the same values with a batched engine (all window-background pairs at
once; its machinery is in ``helpers._kit.engine``), and checks that the values add up to the
predictions (:func:`additivity_error`). :func:`cached` computes an explanation once.

Cross-checks are in :mod:`helpers.crosschecks`, readings of the values in
:mod:`helpers.readings`. Windows are ``(n, window, n_features)``, e.g. ``(147, 12, 9)``; window
explanations have the same shape.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import keras
import numpy as np
import shap
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers import config, training
from helpers._kit import cache, files
from helpers._kit import engine as _engine
from helpers._kit.engine import checks as _checks
from helpers._kit.engine import graph as _graph
from helpers._kit.engine import inputs as _inputs
from helpers._kit.engine import internals
from helpers._kit.engine import shap_state as _state
from helpers._kit.engine import tolerance as _tolerance
from helpers._kit.engine import twin as _twin
from helpers._kit.engine.errors import MODEL_AGNOSTIC_ROUTES
from helpers._kit.errors import whole_number
from helpers.config import COURSE

#: Where :func:`cached` keeps its results.
CACHE_DIR = config.MODELS_DIR / "shap_cache"


class UnsupportedOpError(RuntimeError):
    """The model uses TensorFlow ops for which shap's DeepExplainer has no (exact) rule.

    ``op_types`` lists the ops, ``layers`` maps each op to the Keras layers that use it
    (``{"SelectV2": ["masking (Masking)", "lstm (LSTM)"]}``), and ``reasons`` holds a note for
    ops that have a rule in shap that does not fit them.
    """

    def __init__(self, op_types, layers: dict | None = None, reasons: dict | None = None):
        self.op_types = sorted(op_types)
        self.layers = {op: list((layers or {}).get(op, [])) for op in self.op_types}
        by_layer: dict[str, list[str]] = {}
        for op in self.op_types:
            for layer in self.layers[op] or ["(layer not found)"]:
                by_layer.setdefault(layer, []).append(op)
        where = "; ".join(
            f"{'' if layer.startswith('(') else 'layer '}{layer}: {', '.join(ops)}"
            for layer, ops in by_layer.items()
        )
        notes = "".join(f" {op}: {note}." for op, note in sorted((reasons or {}).items()))
        super().__init__(
            "DeepSHAP cannot explain this model exactly: shap.DeepExplainer has no attribution "
            f"rule for TensorFlow op(s) that these Keras layers use — {where}.{notes} Replace "
            "the layer if you can, or use a model-agnostic route instead: "
            + MODEL_AGNOSTIC_ROUTES + "."
        )


class DeepShapFailure(RuntimeError):
    """shap.DeepExplainer failed on a model that passed every check beforehand."""


class AdditivityError(RuntimeError):
    """SHAP values plus base value do not add up to the model's prediction."""


# --- the error and why ---------------------------------------------------------------------


def graph_op_types(model: keras.Model, window_shape: tuple | None = None) -> set[str]:
    """Op types in the model's forward pass that lie between its input and its output.

    These are the ops whose gradients DeepExplainer replaces by attribution rules, loop bodies
    (an LSTM's ``While``) included; ops that do not depend on the input (weights, constants,
    shapes) need no rule and are left out.

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
    # trace model(windows), then walk from the input to the output (in helpers/_kit/engine)
    return _graph.op_types(model, window_shape)


def ops_without_shap_rule(model: keras.Model, window_shape: tuple | None = None) -> list[str]:
    """Op types on the model's input-to-output path that shap's DeepExplainer has no rule for.

    Parameters are those of :func:`graph_op_types`. Returns the sorted op types; empty if
    DeepExplainer can handle every op. For a Keras LSTM this lists the loop (``While``,
    ``TensorList*``); for its unrolled twin only ``Split``.
    """
    return sorted(graph_op_types(model, window_shape) - set(internals.shap_rules()))


# --- the repair ----------------------------------------------------------------------------


def shap_state_snapshot() -> dict:
    """Record the global state ``shap.DeepExplainer`` changes, for :func:`restore_shap_state`.

    That is TensorFlow's op recorder ``execute.record_gradient`` (shap restores it only if the
    explanation *succeeds*), TensorFlow's gradient registry (shap adds ``shap_<op>`` entries
    and swaps gradient functions) and shap's own rule table ``op_handlers``.
    """
    return _state.snapshot()


def restore_shap_state(snapshot: dict) -> None:
    """Put back the state recorded by :func:`shap_state_snapshot`."""
    _state.restore(snapshot)


@contextlib.contextmanager
def preserved_shap_state() -> Iterator[dict]:
    """Context manager: whatever happens inside, TensorFlow and shap are restored afterwards.

    Use it around any direct ``shap.DeepExplainer`` call, in particular one that fails::

        with preserved_shap_state():
            shap.DeepExplainer(model, background).shap_values(X)   # raises on an LSTM

    Yields the snapshot taken on entry.
    """
    snapshot = shap_state_snapshot()
    try:
        yield snapshot
    finally:
        restore_shap_state(snapshot)


def tensorflow_gradients_are_patched() -> bool:
    """True if shap has left TensorFlow's op recorder or its gradient registry patched."""
    return _state.is_patched()


def repair_tensorflow() -> list[str]:
    """Put TensorFlow back after a failed ``shap.DeepExplainer`` call, with no snapshot needed.

    The one call to make when your own ``shap.DeepExplainer(model, ...).shap_values(...)`` failed
    and the session is now broken (a later ``model.fit`` fails with ``LookupError: gradient
    registry has no entry for: shap_DivNoNan``). It works also when the failed call happened
    before the helpers were imported:

    - sets ``tensorflow.python.eager.execute.record_gradient`` back to TensorFlow's own function;
    - removes the ``shap_<op>`` entries (and shap's placeholder ``TensorListReserve`` entry)
      from TensorFlow's gradient registry;
    - gives every op whose gradient function shap swapped out its original back.

    A model whose ``fit`` already failed must be compiled again before it can be fitted.

    Returns
    -------
    list of str
        What was repaired (empty if nothing was patched).

    Examples
    --------
    >>> from helpers import explain
    >>> explain.repair_tensorflow()   # after a failed DeepExplainer call
    []
    """
    return _state.repair()


# --- the fix -------------------------------------------------------------------------------


def unrolled_twin(
    model: keras.Model,
    check_windows: ArrayLike | None = None,
    tolerance: float = 1e-5,
    window_shape: tuple | None = None,
) -> keras.Model:
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
    window_shape : tuple of int, optional
        ``(window, n_features)`` of the twin's input; needed when the model was defined with an
        undefined window length (``keras.Input((None, n_features))``).

    Raises
    ------
    TypeError
        For subclassed models (use a model-agnostic route for those).
    RuntimeError
        If twin and model predict differently.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"Expected a keras.Model, got {type(model).__name__}.")
    if not internals.is_sequential_or_functional(model):
        raise TypeError(
            f"Cannot build an unrolled twin of the subclassed model {type(model).__name__}: "
            "only Sequential and functional Keras models can be cloned layer by layer. Use a "
            "model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
        )
    window_shape = _graph.fixed_window_shape(model, window_shape)
    twin = _twin.unrolled_copy(model, window_shape)  # clone layer by layer, copy the weights
    if check_windows is None:
        check_windows = np.random.default_rng(0).normal(size=(8, *window_shape))
    difference = _twin.max_output_difference(model, twin, _twin.as_float32(check_windows))
    if difference > tolerance:
        raise RuntimeError(
            f"The unrolled twin predicts differently from the model (max difference "
            f"{difference:.2e} > {tolerance:.0e}); it cannot stand in for it. A layer whose "
            "state is not in its weights or configuration (a custom or stateful layer) can cause "
            "this. Use a model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
        )
    return twin


def training_background(
    X_train: ArrayLike, size: int = COURSE.background_size, seed: int = 0
) -> np.ndarray:
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


def deep_shap(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None = None,
    tolerance: float | None = None,
    output: int | None = None,
    engine: str = "batched",
    memory_budget_mb: float = COURSE.memory_budget_mb,
    allow_overlap: bool = False,
    static_names: Sequence[str] | None = None,
) -> shap.Explanation | _inputs.InputExplanations:
    """Exact DeepSHAP values for a Keras recurrent model (the fix for DeepExplainer's crash).

    Two engines compute the same values (to float32 rounding, checked by the tests):

    - ``"shap"``: ``shap.DeepExplainer`` on the model's unrolled twin, with shap's
      ``passthrough`` rule for ``Split``/``SplitV``, one window at a time; TensorFlow's and
      shap's global state is restored afterwards, also when something fails.
    - ``"batched"`` (default): the same rules for all (window, background) pairs at once, the
      time loop kept as a loop; several times faster. A model with a layer it does not cover
      goes to ``"shap"`` by itself: ``explanation.engine`` says which engine ran,
      ``explanation.engine_note`` why the batched one did not.

    Either way the values are checked to add up to the model's predictions.

    A model with two inputs, a window ``(n, window, n_features)`` and static attributes
    ``(n, n_static)`` (a regional model's area, aridity...: into a dense branch, the LSTM's
    initial state, or repeated as channels), is explained with ``X=[window, static]`` and
    ``background=[window_bg, static_bg]`` on either engine, one explanation per input.

    Parameters
    ----------
    model : keras.Model
        Sequential or functional model (nested models allowed), one input ``(batch, window,
        n_features)``; an undefined window length (``keras.Input((None, 9))``) is fixed by X.
    X : array of shape (n, window, n_features)
        The windows to explain (e.g. the test set).
    background : array of shape (m, window, n_features)
        Reference windows from the training period (about 100; cost is linear in m), see
        :func:`training_background`.
    feature_names : list of str, optional
        The n_features variable names (default ``x0, x1, ...``).
    tolerance : float, optional
        Largest allowed additivity error (see :func:`additivity_error`). By default the
        course's 1e-5 or float32's resolution at the output's scale, whichever is larger
        (:func:`_check_additivity`); a number given is used as it is.
    output : int, optional
        For a model with several output values per window: which one to explain, counting the
        outputs flattened in order. Required for such models.
    engine : {"batched", "shap"}
        Which engine computes the values (see above).
    memory_budget_mb : float
        Memory for one chunk of (window, background) pairs in the batched engine.
    allow_overlap : bool
        Accept a background that contains windows of X (refused by default).
    static_names : list of str, optional
        For a two-input model: the n_static names of the statics (default ``static0, ...``).

    Returns
    -------
    shap.Explanation or InputExplanations
        ``values`` (n, window, n_features), ``base_values`` (n,) = mean prediction over the
        background, ``data`` = X, feature names ``"precip (t-3)"``; the measured additivity
        error in ``max_additivity_error``, the engine used in ``engine``. For X=[window,
        static]: a list ``[window explanation, static explanation]`` (also ``.window``,
        ``.static``; ``.shares()`` gives each input's share of credit), whose values *together*
        add up to the predictions; the attributes are on the list.

    Raises
    ------
    ValueError, TypeError
        Wrong shapes, non-finite values, background overlapping X, several outputs and no
        ``output``, several inputs, subclassed models, an unknown engine.
    UnsupportedOpError
        If the twin uses an op shap has no exact rule for (names the Keras layers and the ops).
    AdditivityError
        If the additivity error exceeds the tolerance.
    """
    # shapes, finite values, a separate background, one output value (in helpers/_kit/engine)
    X, background, names = _checks.checked_inputs(  # two inputs: lists [window, static]
        model, X, background, feature_names, output, allow_overlap, static_names, two_inputs=True
    )
    one_value = model if output is None else _twin.selected_output(model, output)
    plan, note = _batched_plan(one_value, engine)
    if plan is not None:  # the batched engine: all (window, background) pairs at once
        values = _engine.shap_values(
            one_value, X, background, memory_budget_mb=memory_budget_mb, plan=plan
        )
        outputs = training.predict(one_value, _twin.stacked(X, background))
        n = len(tf.nest.flatten(X)[0])
        predictions, base_value = outputs[:n], float(np.mean(outputs[n:]))
    else:  # notebook 03's fix: shap.DeepExplainer on the unrolled twin
        values, base_value = _shap_on_unrolled_twin(model, X, background, output)
        predictions = training.predict(one_value, X)
    if isinstance(X, list):  # one explanation per input, checked with both inputs' values
        explanation = _inputs.explanations(values, base_value, X, names)
    else:
        explanation = _inputs.window_explanation(values, np.full(len(X), base_value), X, names)
    explanation.engine = "batched" if plan is not None else "shap"
    explanation.engine_note = note
    checked = explanation.combined() if isinstance(X, list) else explanation
    _check_additivity(checked, one_value, tolerance, predictions)  # the one check
    explanation.max_additivity_error = checked.max_additivity_error
    return explanation


def _batched_plan(model: keras.Model, engine: str) -> tuple[list | None, str | None]:
    """The batched engine's plan of ``model``, or None and why shap's engine runs instead."""
    if engine not in ("batched", "shap"):
        raise ValueError(f"engine must be 'batched' or 'shap'; got {engine!r}.")
    if engine == "shap":
        return None, "engine='shap' was asked"
    return _engine.plan_or_refusal(model)  # reads the model layer by layer, once


def _shap_on_unrolled_twin(
    model: keras.Model, X: np.ndarray | list, background: np.ndarray | list, output: int | None
) -> tuple[np.ndarray | list, float]:
    """shap.DeepExplainer on the model's unrolled twin: values in X's shape(s), base value."""
    all_outputs = model if output is None else _twin.outputs_as_one_tensor(model)
    shapes = [part.shape[1:] for part in X] if isinstance(X, list) else X.shape[1:]
    twin = unrolled_twin(all_outputs, check_windows=_twin.rows(X, 0, 16), window_shape=shapes)
    output = output or 0
    with preserved_shap_state(), _state.linear_op_rules(), warnings.catch_warnings():
        # Keras warns that shap passes the input as a one-element list; harmless.
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        _refuse_ops_without_rule(twin, shapes)
        try:
            explainer = shap.DeepExplainer(twin, _state.in_float64(background))
            # shap's own check allows an error of 1e-2; deep_shap's check is stricter
            values = explainer.shap_values(_state.in_float64(X), check_additivity=False)
        except Exception as error:
            cause = f"{type(error).__name__}: {error}".strip().splitlines()[-1].strip()
            raise DeepShapFailure(
                f"shap.DeepExplainer failed on this model ({cause}). DeepSHAP cannot explain it "
                "here; use a model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
            ) from error
        base_value = float(np.asarray(explainer.expected_value).reshape(-1)[output])
    return _twin.values_per_input(values, X, output), base_value  # per shap version


def _refuse_ops_without_rule(twin: keras.Model, window_shape: tuple) -> None:
    """Raise :class:`UnsupportedOpError` naming the Keras layers of ops that lack a rule."""
    missing = ops_without_shap_rule(twin, window_shape)
    if missing:
        layers = _graph.layers_using_ops(twin, missing, window_shape)
        reasons = {op: _state.OPS_WITH_UNFIT_SHAP_RULE.get(op) for op in missing}
        raise UnsupportedOpError(missing, layers, {k: v for k, v in reasons.items() if v})


# --- the check -----------------------------------------------------------------------------


def additivity_error(
    explanation: shap.Explanation,
    model: keras.Model,
    X: ArrayLike = None,
    predictions: ArrayLike | None = None,
) -> float:
    """Largest ``|sum of SHAP values + base value - model prediction|`` over the windows.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape ``(n, ...)`` (any number of trailing axes), base values of shape (n,).
    model : keras.Model
        The model that was explained.
    X : array of shape (n, window, n_features), optional
        The explained windows; defaults to ``explanation.data`` (right for window explanations;
        pass X for ``readings.by_variable`` or ``crosschecks.variable_shapley`` results).
    predictions : array of shape (n,), optional
        The model's predictions of these windows, if the caller has them; else the model runs.
    """
    windows = np.asarray(explanation.data if X is None else X, np.float32)
    if windows.ndim != 3:
        raise ValueError(
            f"additivity_error needs the explained windows (n, window, n_features); got shape "
            f"{windows.shape}. Pass X=... explicitly."
        )
    values = np.asarray(explanation.values, dtype=np.float64)
    totals = values.reshape(len(values), -1).sum(axis=1) + np.asarray(explanation.base_values)
    if predictions is None:
        predictions = training.predict(model, windows)
    return float(np.max(np.abs(totals - np.asarray(predictions, np.float64))))


def _check_additivity(
    explanation: shap.Explanation, model: keras.Model, tolerance: float | None,
    predictions: ArrayLike,
) -> None:
    """Store the measured error and the allowed one on ``explanation``; raise if above.

    ``tolerance=None`` allows ``max(COURSE.tolerance, 8 * eps32 * max|output| * sqrt(values
    per row + 1))``: a model computes in float32, so an answer's error scales with its outputs
    (below 1e-5 is below float32's resolution once outputs reach ~10), while a wrong answer
    (a missing rule) misses by far more; ``helpers/_kit/engine/tolerance.py`` says why 8.
    """
    error = additivity_error(explanation, model, predictions=predictions)
    explanation.max_additivity_error = error
    if tolerance is None:  # scaled to the outputs, |predictions| and the base value
        tolerance = _tolerance.allowed_error(
            COURSE.tolerance, predictions, explanation.base_values, explanation.values[0].size
        )
    explanation.additivity_tolerance = tolerance
    if error > tolerance and explanation.engine == "batched":
        raise AdditivityError(
            f"DeepSHAP engine: values plus base value differ from the model's predictions by up "
            f"to {error:.2e} (tolerance {tolerance:.1e}); use "
            "helpers.explain.deep_shap(..., engine='shap')."
        )
    if error > tolerance:
        raise AdditivityError(
            f"deep_shap: SHAP values plus base value differ from the model's predictions by up to "
            f"{error:.2e} (tolerance {tolerance:.1e})."
        )


# --- computing once ------------------------------------------------------------------------


def cached(
    route: Callable,
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    cache_dir: Path = CACHE_DIR,
    refresh: bool = False,
    **options,
) -> shap.Explanation:
    """Run an explanation route once; later calls with the same inputs load the saved result.

    The result is stored under a hash of everything it depends on (the model's architecture and
    weights, ``X``, ``background``, the route and its options, the library versions and the
    helpers' own source code), so a retrained model, other data or changed code are computed
    afresh: a stale explanation cannot be loaded. Results live in ``models/shap_cache/``.

    Parameters
    ----------
    route : callable
        :func:`deep_shap`, ``crosschecks.variable_shapley``, ``gradient_shap`` or
        ``permutation_shap``.
    model, X, background
        Passed to ``route``.
    cache_dir : pathlib.Path or str
        Folder for the saved results.
    refresh : bool
        Compute even when a saved result exists, and overwrite it.
    **options
        Further keyword arguments of ``route`` (JSON-serialisable, e.g. ``feature_names``).

    Returns
    -------
    shap.Explanation
        As ``route`` returns it, with ``max_additivity_error``.
    """
    if isinstance(X, (list, tuple)):
        raise TypeError("cached keeps explanations of one input (windows); call deep_shap "
                        "directly for a model with a window and a static input.")
    model_id = [model.to_json(), *model.get_weights()]  # architecture and weights
    versions = [shap.__version__, tf.__version__, keras.__version__, np.__version__]
    key = cache.key(route.__name__, *model_id, np.asarray(X, np.float32),
                    np.asarray(background, np.float32), json.dumps(options, sort_keys=True),
                    versions)  # and the helpers' own code
    path = Path(cache_dir) / f"{route.__name__}-{key}.npz"
    if path.exists() and not refresh:
        try:
            saved = cache.load(path)
            explanation = shap.Explanation(
                values=saved["values"], base_values=saved["base_values"], data=saved["data"],
                feature_names=json.loads(str(saved["feature_names"])),
            )
            explanation.max_additivity_error = float(saved["max_additivity_error"])
            return explanation
        except cache.UNREADABLE as error:
            warnings.warn(
                f"the cached explanation {files.shown(path)} is damaged ({type(error).__name__}: "
                f"{error}), probably by a run cut short: computing it again",
                stacklevel=2,
            )
    explanation = route(model, X, background, **options)
    cache.save(path, {  # written whole or not at all
        "values": explanation.values, "base_values": explanation.base_values,
        "data": explanation.data, "feature_names": json.dumps(explanation.feature_names),
        "max_additivity_error": explanation.max_additivity_error,
    })
    return explanation
