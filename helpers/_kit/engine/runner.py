"""Running the engine: chunks of (window, background) pairs through one traced computation.

The computation is traced once per *architecture and window shape* (the settings of the model's
plan, its weight shapes and the window shape) with the weights as inputs, so explaining a
second model of the same architecture - another seed, another training run - does not trace
again. Chunks hold whole windows (each paired with every background window) and are sized to a
memory budget from what each layer states it keeps per pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers._kit.engine import branches, internals
from helpers._kit.engine.errors import EngineUnsupportedError
from helpers._kit.engine.reading import LayerPlan, input_window_shape, model_plan
from helpers._kit.engine.rules import Pair, difference

#: Floats kept per pair and input value: the input's gradient (1), the difference x - r (1) and
#: their product (1).
INPUT_FLOATS_PER_VALUE = 1 + 1 + 1
#: Bytes of one float32.
FLOAT32_BYTES = 4
#: Most (window, background) pairs per chunk, whatever the budget: smaller chunks stay in the
#: CPU's caches (at window 12, LSTM(16), 100 background windows: 2,800 pairs per chunk took 0.56 s
#: against 0.71 s for 11,500 in one measurement with benchmarks/deepshap_engine.py's case a).
MAX_PAIRS_PER_CHUNK = 4096


def _trace(plan: Sequence[LayerPlan], window_shape: tuple[int, int]) -> Callable:
    """A traced ``(windows (k, T, F), background (m, T, F), weights) -> values (k, T, F)``."""
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    weight_specs = [tf.TensorSpec(v.shape, tf.float32) for step in plan for v in step.variables]
    settings = [step.settings for step in plan]
    counts = [len(step.variables) for step in plan]

    @tf.function(input_signature=[spec, spec, weight_specs])
    def explain_chunk(windows, background, weights):
        ends = np.cumsum(counts)
        blocks = [
            layer.block(weights[end - count : end])
            for layer, count, end in zip(settings, counts, ends, strict=True)
        ]
        pair = Pair(windows, background)  # pair (i, j): window i with background window j
        saved = []
        for block in blocks:
            pair, block_saved = block.forward(pair)
            saved.append(block_saved)
        grad = tf.ones_like(difference(pair))  # shap seeds the gradient of the output with ones
        for block, block_saved in zip(reversed(blocks), reversed(saved), strict=True):
            grad = block.backward(block_saved, grad)
        contributions = grad * difference(Pair(windows, background))  # (k, m, T, F)
        # the mean over the m references in float64: in float32 it loses ~n*eps of the values'
        # scale (7.95e-05 at values ~60 over 1,000 references, where shap's tests ask 1e-5)
        return tf.reduce_mean(tf.cast(contributions, tf.float64), axis=1)

    return explain_chunk


#: Traced computations by architecture signature (see :func:`architecture_signature`).
_TRACED: dict[tuple, Callable] = {}


def _architecture_signature(plan: Sequence[LayerPlan], window_shape: tuple[int, int]) -> tuple:
    """What two models must share to share a traced computation: settings and weight shapes."""
    return (
        tuple(step.settings for step in plan),
        tuple(tuple(v.shape) for step in plan for v in step.variables),
        tuple(window_shape),
    )


def _traced_computation(plan: Sequence[LayerPlan], window_shape: tuple[int, int]) -> Callable:
    """The traced computation for this architecture and window shape (traced on first use)."""
    signature = _architecture_signature(plan, window_shape)
    if signature not in _TRACED:
        _TRACED[signature] = _trace(plan, window_shape)
    return _TRACED[signature]


def floats_per_pair(plan: Sequence[LayerPlan], window_shape: tuple[int, int]) -> int:
    """The float32 values the engine keeps per (window, background) pair: inputs and layers."""
    inputs = INPUT_FLOATS_PER_VALUE * math.prod(window_shape)
    return inputs + sum(step.floats_per_pair for step in plan)


def windows_per_chunk(
    model: keras.Model,
    n_background: int,
    memory_budget_mb: float,
    plan: Sequence[LayerPlan] | None = None,
) -> int:
    """How many windows (each paired with every background window) one chunk holds.

    Parameters
    ----------
    model : keras.Model
        The model to explain.
    n_background : int
        Number of background windows.
    memory_budget_mb : float
        Budget for the activations and multipliers of one chunk, in MB.
    plan : list of LayerPlan, optional
        The model's plan, if already read (:func:`plan_or_refusal`).

    Returns
    -------
    int
        At least 1; at most :data:`MAX_PAIRS_PER_CHUNK` pairs where one window's pairs fit.
    """
    plan = model_plan(model) if plan is None else plan
    floats = floats_per_pair(plan, input_window_shape(model)) * n_background
    within_budget = int(memory_budget_mb * 2**20 // (FLOAT32_BYTES * floats))
    return max(1, min(within_budget, MAX_PAIRS_PER_CHUNK // n_background))


def _chunks(X: np.ndarray, k: int, progress: bool):
    starts = range(0, len(X), k)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="DeepSHAP engine", unit="chunk")
    return (X[start : start + k] for start in starts)


def shap_values(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    *,
    memory_budget_mb: float,
    plan: Sequence[LayerPlan] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """DeepSHAP values of a Keras recurrent model, equal to shap's on the unrolled twin.

    The base value is the mean prediction on the background, and the values add up to the
    predictions minus it: the caller computes both and checks that (``helpers.explain``).

    Parameters
    ----------
    model : keras.Model
        Sequential or single-chain functional model, input ``(batch, window, n_features)``,
        one output value per window; layers as listed in :func:`supports`.
    X : array of shape (n, window, n_features)
        The windows to explain (checked by the caller: float32, finite, the model's shape).
    background : array of shape (m, window, n_features)
        The reference windows (checked likewise).
    memory_budget_mb : float
        Memory for one chunk of (window, background) pairs; chunks hold whole windows.
    plan : list of LayerPlan, optional
        The model's plan, if already read (:func:`plan_or_refusal`): read once per call.
    progress : bool
        Show a progress bar over the chunks (needs tqdm).

    Returns
    -------
    numpy.ndarray of shape (n, window, n_features), float64
        The SHAP values of output 0.

    Raises
    ------
    EngineUnsupportedError
        If a layer or option is not supported (the message names the layer and the reason).
    """
    if isinstance(X, list):  # [window, static]: a graph of nodes, not a chain of layers
        return branches.shap_values(model, X, background, memory_budget_mb=memory_budget_mb,
                                    plan=plan)
    plan = model_plan(model) if plan is None else plan
    X = np.ascontiguousarray(X, dtype=np.float32)
    background = np.ascontiguousarray(background, dtype=np.float32)
    explain_chunk = _traced_computation(plan, input_window_shape(model))
    weights = [tf.convert_to_tensor(v) for step in plan for v in step.variables]
    k = windows_per_chunk(model, len(background), memory_budget_mb, plan)
    chunks = _chunks(X, k, progress)
    values = [explain_chunk(chunk, background, weights).numpy() for chunk in chunks]
    return np.concatenate(values)


def plan_or_refusal(model: keras.Model) -> tuple[list[LayerPlan] | None, str | None]:
    """The model's plan, or None and why the engine cannot explain the model.

    On a Keras release whose internals the engine does not know, reading may fail in other ways
    than a refusal: that too is a reason to use shap's engine.
    """
    try:
        return read_plan(model), None
    except EngineUnsupportedError as error:
        return None, str(error)
    except Exception as error:  # any failure to read the model means: use shap's engine
        return None, (
            f"the batched engine could not read this model ({type(error).__name__}: {error})"
        )


def supports(model: keras.Model) -> str | None:
    """Tell whether the engine can explain ``model``.

    Returns
    -------
    str or None
        None if supported, else the reason (the message of :class:`EngineUnsupportedError`).
    """
    try:
        read_plan(model)
    except EngineUnsupportedError as error:
        return str(error)
    return None


def read_plan(model: keras.Model) -> list:
    """The plan of a one-input model (a chain of layers), or of [window, static] (a graph)."""
    if internals.is_functional(model) and len(model.inputs) == 2:
        return branches.graph_plan(model)
    return model_plan(model)
