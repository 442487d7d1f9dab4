"""From a Keras model to the engine's plan: one step per layer, or a clear refusal.

The plan of a model is its chain of layers, each as *settings* (a small frozen dataclass: what
the computation depends on, besides the weights) and its *variables*. Two models with the same
settings (the same architecture) and the same window shape share one traced computation; the
variables are read at every call and passed to it as inputs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import NoReturn

import keras
import tensorflow as tf

from helpers._kit.engine import internals
from helpers._kit.engine.cells import CellSettings
from helpers._kit.engine.errors import EngineUnsupportedError
from helpers._kit.engine.layers import (
    ActivationSettings,
    Conv1DSettings,
    DenseSettings,
    IdentitySettings,
    LinearLayerSettings,
)
from helpers._kit.engine.recurrent import BidirectionalSettings, RecurrentSettings
from helpers._kit.engine.rules import activation

#: Keras recurrent layers and the ``CellSettings.kind`` of their cells.
CELL_KINDS = {
    keras.layers.LSTM: "lstm", keras.layers.GRU: "gru", keras.layers.SimpleRNN: "simple_rnn"
}
IDENTITY_LAYERS = (
    keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.GaussianDropout,
    keras.layers.GaussianNoise, keras.layers.AlphaDropout,
)
LINEAR_LAYERS = (
    keras.layers.AveragePooling1D, keras.layers.GlobalAveragePooling1D, keras.layers.Flatten,
    keras.layers.Reshape, keras.layers.RepeatVector,
)
SUPPORTED = (
    "LSTM, GRU, SimpleRNN, Bidirectional, Dense, Conv1D, Activation, AveragePooling1D, "
    "GlobalAveragePooling1D, Flatten, Reshape, RepeatVector, Dropout-type layers; with a window "
    "and a static input also Concatenate and initial_state"
)


@dataclass(frozen=True)
class LayerPlan:
    """One layer of the chain: its settings, its variables, the memory it needs per pair."""

    settings: object
    variables: tuple
    floats_per_pair: int


def refuse(layer: keras.layers.Layer, reason: str) -> NoReturn:
    """Raise :class:`EngineUnsupportedError` naming the layer and the reason."""
    raise EngineUnsupportedError(f"Layer {layer.name!r} ({type(layer).__name__}): {reason}.")


def _recurrent_settings(layer) -> RecurrentSettings:
    kind = CELL_KINDS.get(type(layer))
    if kind is None:
        refuse(layer, "recurrent layer type not supported (LSTM, GRU, SimpleRNN are)")
    if layer.stateful:
        refuse(layer, "stateful=True is not supported")
    if layer.return_state:
        refuse(layer, "return_state=True is not supported")
    if getattr(layer.cell, "implementation", 2) != 2:
        refuse(layer, "implementation=1 has another op order than Keras' default (2)")
    _check_float32(layer)
    cell = layer.cell
    settings = CellSettings(
        kind=kind,
        units=cell.units,
        use_bias=cell.use_bias,
        activation=activation(cell.activation, layer, "activation"),
        reset_after=getattr(cell, "reset_after", False),
    )
    if hasattr(cell, "recurrent_activation"):  # LSTM and GRU; SimpleRNN has none
        settings = dataclasses.replace(settings, recurrent_activation=activation(
            cell.recurrent_activation, layer, "recurrent_activation"
        ))
    return RecurrentSettings(settings, layer.return_sequences, layer.go_backwards)


def _bidirectional_settings(layer) -> BidirectionalSettings:
    if layer.merge_mode not in ("concat", "sum", "ave", "mul"):
        refuse(layer, f"merge_mode={layer.merge_mode!r} is not supported")
    if layer.return_state:
        refuse(layer, "return_state=True is not supported")
    forward, backward = layer.forward_layer, layer.backward_layer
    if forward.go_backwards or not backward.go_backwards:
        refuse(layer, "only the standard forward/backward pair of layers is supported")
    return BidirectionalSettings(
        _recurrent_settings(forward), _recurrent_settings(backward), len(layer_variables(forward)),
        layer.merge_mode, layer.return_sequences,
    )


def _conv1d_settings(layer) -> Conv1DSettings:
    _check_plain(layer)
    if layer.data_format != "channels_last":
        refuse(layer, "only data_format='channels_last' is supported")
    causal = layer.padding == "causal"
    return Conv1DSettings(
        strides=tuple(layer.strides),
        padding=layer.padding,
        dilation_rate=tuple(layer.dilation_rate),
        causal_padding=tuple(map(tuple, internals.causal_padding(layer))) if causal else None,
        use_bias=layer.use_bias,
        filters=layer.filters,
        activation=activation(layer.activation, layer, "activation"),
    )


#: What :func:`layer_settings` returns: one settings object per kind of layer.
LayerSettings = (
    RecurrentSettings
    | BidirectionalSettings
    | DenseSettings
    | Conv1DSettings
    | ActivationSettings
    | IdentitySettings
    | LinearLayerSettings
)


def layer_settings(layer: keras.layers.Layer) -> LayerSettings:
    """The engine's settings for one Keras layer; refuses (EngineUnsupportedError) if none."""
    if type(layer) in CELL_KINDS:
        return _recurrent_settings(layer)
    if type(layer) is keras.layers.Bidirectional:
        return _bidirectional_settings(layer)
    if type(layer) is keras.layers.Dense:
        _check_plain(layer)
        return DenseSettings(layer.use_bias, activation(layer.activation, layer, "activation"))
    if type(layer) is keras.layers.Conv1D:
        return _conv1d_settings(layer)
    if type(layer) is keras.layers.Activation:
        return ActivationSettings(activation(layer.activation, layer, "activation"))
    if type(layer) in IDENTITY_LAYERS:
        return IdentitySettings()
    if type(layer) in LINEAR_LAYERS:
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            refuse(layer, "only data_format='channels_last' is supported")
        return LinearLayerSettings.of(layer)
    refuse(
        layer,
        f"layer type not supported by the DeepSHAP engine (supported: {SUPPORTED}); "
        "helpers.explain.deep_shap uses shap's engine for such models",
    )


def _check_plain(layer):
    if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
        refuse(layer, "LoRA or quantized layers are not supported")
    _check_float32(layer)


def _check_float32(layer):
    if layer.compute_dtype != "float32":
        refuse(layer, f"dtype {layer.compute_dtype} is not supported (float32 is)")


def layer_chain(model: keras.Model) -> list[keras.layers.Layer]:
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
        chain.extend(layer_chain(layer) if isinstance(layer, keras.Model) else [layer])
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
            refuse(layer, "takes several inputs; only single-chain models are supported")
        if arguments.kwargs and any(
            k not in ("training",) for k, v in arguments.kwargs.items() if v is not None
        ):
            refuse(layer, f"called with arguments {sorted(arguments.kwargs)}")
        chain.append(layer)
        tensor = inputs[0]
    if tensor is not model.inputs[0]:
        raise EngineUnsupportedError(f"Model {model.name!r}: the chain does not reach its input.")
    return chain[::-1]


def input_window_shape(model: keras.Model) -> tuple[int, int]:
    """The model's fixed (window, n_features); refuses an undefined window length."""
    shape = model.input_shape
    if not isinstance(shape, tuple) or len(shape) != 3 or None in shape[1:]:
        raise EngineUnsupportedError(
            f"Model {model.name!r}: the input must be (batch, window, n_features) with a fixed "
            f"window and number of features; got {shape}."
        )
    return int(shape[1]), int(shape[2])


def layer_variables(layer: keras.layers.Layer) -> tuple:
    """The layer's weights in the order its settings' ``block`` takes them."""
    if type(layer) is keras.layers.Bidirectional:
        return layer_variables(layer.forward_layer) + layer_variables(layer.backward_layer)
    owner = layer.cell if type(layer) in CELL_KINDS else layer
    if not hasattr(owner, "kernel"):
        return ()
    recurrent = (owner.recurrent_kernel,) if type(layer) in CELL_KINDS else ()
    bias = (owner.bias,) if owner.use_bias else ()
    return (owner.kernel, *recurrent, *bias)


def _plan_step(layer: keras.layers.Layer, n_steps: int) -> LayerPlan:
    settings = layer_settings(layer)
    if isinstance(settings, (RecurrentSettings, BidirectionalSettings)):
        # the window's length: an upper bound where pooling or strides shortened the sequence
        floats = settings.floats_per_pair(n_steps, layer.input.shape[-1])
    else:
        floats = settings.floats_per_pair(math.prod(s for s in layer.output.shape[1:] if s))
    return LayerPlan(settings, layer_variables(layer), floats)


def model_plan(model: keras.Model) -> list[LayerPlan]:
    """The plan of ``model``: one :class:`LayerPlan` per layer of its chain.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model.
    EngineUnsupportedError
        If a layer, an option or the model's structure is not covered (names which, and why).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    if len(getattr(model, "inputs", None) or ()) > 1:
        raise EngineUnsupportedError(
            f"Model {model.name!r}: a chain of layers has one input; a model with a window and "
            "a static input is read as a graph (helpers._kit.engine.branches.graph_plan)"
        )
    n_steps, _ = input_window_shape(model)
    plan = [_plan_step(layer, n_steps) for layer in layer_chain(model)]
    shape = model.output_shape
    if not isinstance(shape, tuple) or math.prod(size or 0 for size in shape[1:]) != 1:
        raise EngineUnsupportedError(
            f"Model {model.name!r}: only models with one output value per window are supported."
        )
    return plan
