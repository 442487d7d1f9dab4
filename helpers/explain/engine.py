"""A batched DeepSHAP engine for Keras recurrent models: shap's values, computed fast.

What it computes
----------------
``helpers.explain.deep_shap(..., engine="shap")`` runs ``shap.DeepExplainer`` on an
*unrolled twin* of the model. shap then explains one window at a time, through a graph with one
copy of the recurrent cell per time step. This module computes **the same numbers** (to
float32 rounding) with its own forward and backward pass: all (window, background) pairs at
once, in chunks, with the time loop kept as a loop (``tf.while_loop``), so graph size and
tracing time do not grow with the window length. The rules are in
:mod:`helpers.explain.deeplift`, the layers in :mod:`helpers.explain.engine_layers`. This is the
default engine of ``helpers.explain.deep_shap``.

Pairs and chunks
----------------
Every activation is a *pair*: a tensor of shape ``(2, B, ...)`` whose ``[0]`` is the x-half and
``[1]`` the r-half, for ``B`` (window, background) pairs. Each layer's forward pass computes
both halves and, for its nonlinearities and products, the multipliers (shape ``(B, ...)``).
The backward pass multiplies the output's seed (ones) back through the stored multipliers.
Recurrent layers keep their time loop: a ``tf.while_loop`` forward that stores each step's
multipliers, and one backwards. The pairs are processed in chunks of whole windows sized to
``memory_budget_mb``; one traced ``tf.function`` serves all chunk sizes.

Safety
------
Only the layers listed in :func:`engine_supports` are handled, with the options that keep the
op structure of Keras 3's cells; anything else raises :class:`EngineUnsupportedError` so the
caller can fall back to shap's route. After computing, the engine checks additivity (values
summed + base value vs the model's own predictions) and raises
:class:`EngineAdditivityError` if it exceeds ``tolerance``.
"""

from __future__ import annotations

import math
import weakref

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers.explain import internals
from helpers.explain.deeplift import EngineAdditivityError, EngineUnsupportedError, _Activation
from helpers.explain.engine_layers import (
    _activation,
    _AffineActivation,
    _Bidirectional,
    _Block,
    _conv1d_affine,
    _dense_affine,
    _GRUCell,
    _Identity,
    _layer_call,
    _LSTMCell,
    _Recurrent,
    _SimpleRNNCell,
)

# --------------------------------------------------------------------------------------------
# 6. From a Keras model to a chain of blocks (or a clear refusal)
# --------------------------------------------------------------------------------------------

_CELLS = {keras.layers.LSTM: _LSTMCell, keras.layers.GRU: _GRUCell,
          keras.layers.SimpleRNN: _SimpleRNNCell}
_IDENTITY_LAYERS = (
    keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.GaussianDropout,
    keras.layers.GaussianNoise, keras.layers.AlphaDropout,
)
_LINEAR_LAYERS = (
    keras.layers.AveragePooling1D, keras.layers.GlobalAveragePooling1D, keras.layers.Flatten,
    keras.layers.Reshape,
)


def _refuse(layer, reason: str):
    raise EngineUnsupportedError(f"Layer {layer.name!r} ({type(layer).__name__}): {reason}.")


def _recurrent_block(layer) -> _Recurrent:
    cell_type = _CELLS.get(type(layer))
    if cell_type is None:
        _refuse(layer, "recurrent layer type not supported (LSTM, GRU, SimpleRNN are)")
    if layer.stateful:
        _refuse(layer, "stateful=True is not supported")
    if layer.return_state:
        _refuse(layer, "return_state=True is not supported")
    if getattr(layer.cell, "implementation", 2) != 2:
        _refuse(layer, "implementation=1 has another op order than Keras' default (2)")
    if layer.compute_dtype != "float32":
        _refuse(layer, f"dtype {layer.compute_dtype} is not supported (float32 is)")
    return _Recurrent(layer, cell_type(layer))


def _block(layer) -> _Block:
    """The engine block for one Keras layer; raises EngineUnsupportedError if there is none."""
    if type(layer) in _CELLS:
        return _recurrent_block(layer)
    if type(layer) is keras.layers.Bidirectional:
        if layer.merge_mode not in ("concat", "sum", "ave", "mul"):
            _refuse(layer, f"merge_mode={layer.merge_mode!r} is not supported")
        if layer.return_state:
            _refuse(layer, "return_state=True is not supported")
        forward, backward = layer.forward_layer, layer.backward_layer
        if forward.go_backwards or not backward.go_backwards:
            _refuse(layer, "only the standard forward/backward pair of layers is supported")
        return _Bidirectional(layer, _recurrent_block(forward), _recurrent_block(backward))
    if type(layer) is keras.layers.Dense:
        _check_plain(layer)
        return _AffineActivation(_dense_affine(layer), _activation(layer.activation, layer,
                                                                   "activation"))
    if type(layer) is keras.layers.Conv1D:
        _check_plain(layer)
        if layer.data_format != "channels_last":
            _refuse(layer, "only data_format='channels_last' is supported")
        return _AffineActivation(_conv1d_affine(layer), _activation(layer.activation, layer,
                                                                    "activation"))
    if type(layer) is keras.layers.Activation:
        return _AffineActivation(lambda x: x, _activation(layer.activation, layer, "activation"))
    if type(layer) in _IDENTITY_LAYERS:
        return _Identity()
    if type(layer) in _LINEAR_LAYERS:
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            _refuse(layer, "only data_format='channels_last' is supported")
        return _AffineActivation(_layer_call(layer), _Activation("linear", lambda x: x))
    _refuse(
        layer,
        "layer type not supported by the DeepSHAP engine (supported: LSTM, GRU, SimpleRNN, "
        "Bidirectional, Dense, Conv1D, Activation, AveragePooling1D, GlobalAveragePooling1D, "
        "Flatten, Reshape, Dropout-type layers); helpers.explain.deep_shap uses shap's engine "
        "for such models",
    )


def _check_plain(layer):
    if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
        _refuse(layer, "LoRA or quantized layers are not supported")
    if layer.compute_dtype != "float32":
        _refuse(layer, f"dtype {layer.compute_dtype} is not supported (float32 is)")


def _layer_chain(model) -> list:
    """The model's layers in order, for a Sequential or single-chain functional model."""
    if isinstance(model, keras.Sequential):
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    elif internals.is_functional(model):
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise EngineUnsupportedError(
                f"Model {model.name!r}: only models with one input and one output are supported."
            )
        layers = _functional_chain(model)
    else:
        raise EngineUnsupportedError(
            f"Model {model.name!r} ({type(model).__name__}): only Sequential and functional "
            "models can be read layer by layer."
        )
    chain = []
    for layer in layers:  # nested Sequential/functional models are expanded
        chain.extend(_layer_chain(layer) if isinstance(layer, keras.Model) else [layer])
    return chain


def _functional_chain(model) -> list:
    """The layers of a functional model whose graph is a single chain, input to output."""
    chain, tensor = [], model.outputs[0]
    while True:
        layer, node_index, _ = internals.keras_history(tensor)
        if isinstance(layer, keras.layers.InputLayer):
            break
        node = internals.inbound_node(layer, node_index)
        arguments = internals.node_arguments(node)
        inputs = tf.nest.flatten(arguments.keras_tensors)
        if len(inputs) != 1:
            _refuse(layer, "takes several inputs; only single-chain models are supported")
        if arguments.kwargs and any(
            k not in ("training",) for k, v in arguments.kwargs.items() if v is not None
        ):
            _refuse(layer, f"called with arguments {sorted(arguments.kwargs)}")
        chain.append(layer)
        tensor = inputs[0]
    if tensor is not model.inputs[0]:
        raise EngineUnsupportedError(f"Model {model.name!r}: the chain does not reach its input.")
    return chain[::-1]


def _blocks(model) -> list[_Block]:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    return [_block(layer) for layer in _layer_chain(model)]


def engine_supports(model: keras.Model) -> str | None:
    """Tell whether the engine can explain ``model``.

    Parameters
    ----------
    model : keras.Model
        A Sequential or single-chain functional model.

    Returns
    -------
    str or None
        None if supported, else the reason (the message of :class:`EngineUnsupportedError`).
    """
    try:
        _blocks(model)
        _input_window_shape(model)
    except EngineUnsupportedError as error:
        return str(error)
    return None


def _input_window_shape(model) -> tuple[int, int]:
    shape = model.input_shape
    if not isinstance(shape, tuple) or len(shape) != 3 or None in shape[1:]:
        raise EngineUnsupportedError(
            f"Model {model.name!r}: the input must be (batch, window, n_features) with a fixed "
            f"window and number of features; got {shape}."
        )
    return int(shape[1]), int(shape[2])


# --------------------------------------------------------------------------------------------
# 7. The engine: chunks of (window, background) pairs through one traced function
# --------------------------------------------------------------------------------------------


def _chunk_function(blocks: list[_Block], window_shape: tuple[int, int]):
    """A traced ``(windows (k, T, F), background (m, T, F)) -> values (k, T, F)``."""
    spec = tf.TensorSpec((None, *window_shape), tf.float32)

    @tf.function(input_signature=[spec, spec])
    def explain_chunk(windows, background):
        k, m = tf.shape(windows)[0], tf.shape(background)[0]
        x_half = tf.repeat(windows, m, axis=0)  # pair p = (window p // m, background p % m)
        r_half = tf.tile(background, [k, 1, 1])
        pair = tf.stack([x_half, r_half])
        saved = []
        for block in blocks:
            pair, block_saved = block.forward(pair)
            saved.append(block_saved)
        grad = tf.ones_like(pair[1])  # shap seeds the gradient of the output with ones
        for block, block_saved in zip(reversed(blocks), reversed(saved), strict=True):
            grad = block.backward(block_saved, grad)
        contributions = tf.reshape(grad * (x_half - r_half), [k, m, *window_shape])
        return tf.reduce_mean(contributions, axis=1)

    return explain_chunk


#: Traced chunk functions per model (and window shape), so repeated calls skip tracing.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached_chunk_function(model, window_shape):
    per_model = _CACHE.setdefault(model, {})
    if window_shape not in per_model:
        blocks = _blocks(model)
        per_model[window_shape] = (blocks, _chunk_function(blocks, window_shape))
    return per_model[window_shape]


def _floats_per_pair(model, window_shape) -> int:
    """A rough count of the float32 values the engine keeps per (window, background) pair."""
    total = 4 * math.prod(window_shape)
    for layer in _layer_chain(model):
        recurrent = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        if type(recurrent) in _CELLS:
            n_steps = window_shape[0]
            units = recurrent.cell.units
            per_step = (_CELLS[type(recurrent)].saved_per_unit + 4 * 4 + 6) * units
            directions = 2 if recurrent is not layer else 1
            total += directions * n_steps * per_step
        else:
            size = math.prod(s for s in layer.output.shape[1:] if s is not None)
            total += 6 * size
    return total


def windows_per_chunk(
    model: keras.Model, n_background: int, memory_budget_mb: float = 256
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

    Returns
    -------
    int
        At least 1.
    """
    floats = _floats_per_pair(model, _input_window_shape(model)) * n_background
    return max(1, int(memory_budget_mb * 2**20 // (4 * floats)))


def _predictions(model, windows: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs (n,) in float32; refuses models with more than one output value."""
    outputs = []
    for start in range(0, len(windows), batch_size):
        output = model(windows[start : start + batch_size], training=False)
        if isinstance(output, (list, tuple, dict)) or math.prod(output.shape[1:]) != 1:
            raise EngineUnsupportedError(
                f"Model {model.name!r}: only models with one output value per window are "
                "supported."
            )
        outputs.append(np.asarray(output, np.float32).reshape(-1))
    return np.concatenate(outputs)


def engine_shap_values(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    *,
    memory_budget_mb: float = 256,
    tolerance: float = 1e-5,
    progress: bool = False,
) -> tuple[np.ndarray, float]:
    """DeepSHAP values of a Keras recurrent model, equal to shap's on the unrolled twin.

    Parameters
    ----------
    model : keras.Model
        Sequential or single-chain functional model, input ``(batch, window, n_features)``,
        one output value per window; layers as listed in :func:`engine_supports`.
    X : array of shape (n, window, n_features)
        The windows to explain.
    background : array of shape (m, window, n_features)
        The reference windows.
    memory_budget_mb : float
        Memory for one chunk of (window, background) pairs; chunks hold whole windows.
    tolerance : float
        Largest allowed additivity error ``|sum(values) + base_value - prediction|``.
    progress : bool
        Show a progress bar over the chunks (needs tqdm).

    Returns
    -------
    values : numpy.ndarray of shape (n, window, n_features), float64
        The SHAP values of output 0.
    base_value : float
        Mean prediction on the background (shap's ``expected_value``).

    Raises
    ------
    EngineUnsupportedError
        If a layer or option is not supported (the message names the layer and the reason).
    EngineAdditivityError
        If the values do not add up to the model's predictions within ``tolerance``.
    """
    window_shape = _input_window_shape(model)
    X = np.ascontiguousarray(X, dtype=np.float32)
    background = np.ascontiguousarray(background, dtype=np.float32)
    for name, array in (("X", X), ("background", background)):
        if array.ndim != 3 or array.shape[1:] != window_shape or len(array) == 0:
            raise ValueError(
                f"{name} must have shape (n, {window_shape[0]}, {window_shape[1]}); "
                f"got {array.shape}."
            )
    outputs = _predictions(model, np.concatenate([X, background]))
    predictions, background_outputs = outputs[: len(X)].astype(np.float64), outputs[len(X) :]
    base_value = float(tf.reduce_mean(background_outputs))  # as shap's expected_value
    _, explain_chunk = _cached_chunk_function(model, window_shape)

    k = windows_per_chunk(model, len(background), memory_budget_mb)
    starts = range(0, len(X), k)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="DeepSHAP engine", unit="chunk")
    values = np.concatenate(
        [explain_chunk(X[start : start + k], background).numpy() for start in starts]
    ).astype(np.float64)

    error = float(np.max(np.abs(values.sum(axis=(1, 2)) + base_value - predictions)))
    if not error <= tolerance:
        raise EngineAdditivityError(
            f"DeepSHAP engine: values plus base value differ from the model's predictions by up "
            f"to {error:.2e} (tolerance {tolerance:.0e}); use "
            "helpers.explain.deep_shap(..., engine='shap')."
        )
    return values, base_value
