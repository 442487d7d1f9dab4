"""The machinery of the unrolled twin (``helpers.explain.unrolled_twin``), and output picking.

Copying a model layer by layer with ``unroll=True`` on every recurrent layer (nested models and
``Bidirectional`` included), giving the copy the model's weights, and comparing the two models'
outputs; picking one output value of a model with several.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers._kit.engine import internals
from helpers._kit.engine.errors import MODEL_AGNOSTIC_ROUTES
from helpers._kit.engine.graph import model_window_shape


def _unrolled_copy(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A new layer like ``layer``, with ``unroll=True`` if it is (or wraps) a recurrent layer.

    A nested Sequential or functional model is copied the same way, layer by layer (Keras's
    ``clone_model`` does not recurse into nested models by itself in every Keras 3 version).
    """
    if isinstance(layer, keras.Model) and internals.is_sequential_or_functional(layer):
        return keras.models.clone_model(layer, clone_function=_unrolled_copy)
    config = layer.get_config()
    if isinstance(layer, keras.layers.RNN):
        config["unroll"] = True
    elif isinstance(layer, keras.layers.Bidirectional):
        config["layer"]["config"]["unroll"] = True
        config["backward_layer"]["config"]["unroll"] = True
    return layer.__class__.from_config(config)


def _all_layers(model: keras.Model):
    """Every layer of a model, nested models' layers included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def _finalize_states(model: keras.Model) -> None:
    """Recompute state derived from weights (an adapted ``Normalization``'s mean and variance).

    ``set_weights`` restores the adapted statistics as variables, but a ``Normalization`` layer
    computes with tensors derived from them in ``finalize_state`` (which ``keras.models.
    load_model`` calls after loading weights, and ``set_weights`` does not).
    """
    for layer in _all_layers(model):
        if callable(getattr(layer, "finalize_state", None)):
            layer.finalize_state()


def unrolled_copy(model: keras.Model, window_shape: tuple) -> keras.Model:
    """The model with every recurrent layer unrolled, for windows of ``window_shape``."""
    several = len(getattr(model, "inputs", None) or ()) > 1  # a window and statics: fixed shapes
    if several or model_window_shape(model) == window_shape:
        twin = keras.models.clone_model(model, clone_function=_unrolled_copy)
    elif isinstance(model, keras.Sequential):  # any window length: the twin is built for this one
        layers = [_unrolled_copy(layer) for layer in model.layers]
        twin = keras.Sequential([keras.Input(window_shape), *layers], name=model.name)
    else:
        inputs = keras.Input(window_shape)
        twin = keras.models.clone_model(model, input_tensors=inputs, clone_function=_unrolled_copy)
    twin.set_weights(model.get_weights())
    _finalize_states(twin)
    return twin


def as_float32(inputs: ArrayLike | list) -> np.ndarray | list[np.ndarray]:
    """Windows as one float32 array, or a list of them for a two-input model ([window, static])."""
    if isinstance(inputs, (list, tuple)):
        return [np.asarray(part, np.float32) for part in inputs]
    return np.asarray(inputs, np.float32)


def rows(inputs: np.ndarray | list, start: int, stop: int) -> np.ndarray | list:
    """Rows ``start:stop`` of the windows, or of each input of a list ([window, static])."""
    return tf.nest.map_structure(lambda part: part[start:stop], inputs)


def stacked(X: np.ndarray | list, background: np.ndarray | list) -> np.ndarray | list:
    """X's rows, then the background's: one array, or one per input for [window, static]."""
    if isinstance(X, list):
        return [np.concatenate(parts) for parts in zip(X, background, strict=True)]
    return np.concatenate([X, background])


def all_outputs(
    model: keras.Model, windows: np.ndarray | list, batch_size: int = 4096
) -> np.ndarray:
    """Every output value of an untraced model call, side by side: float64 (n, n_values).

    ``windows`` is an array, or a list [window, static] for a two-input model.
    """
    batches = []
    for start in range(0, len(tf.nest.flatten(windows)[0]), batch_size):
        parts = tf.nest.flatten(model(rows(windows, start, start + batch_size), training=False))
        parts = [np.asarray(part, np.float64) for part in parts]
        batches.append(np.concatenate([part.reshape(len(part), -1) for part in parts], axis=1))
    return np.concatenate(batches)


def max_output_difference(
    model_a: keras.Model, model_b: keras.Model, windows: np.ndarray, batch_size: int = 4096
) -> float:
    """Largest absolute difference between two models' outputs (all of them) on ``windows``."""
    outputs_a = all_outputs(model_a, windows, batch_size)
    return float(np.max(np.abs(outputs_a - all_outputs(model_b, windows, batch_size))))


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


def outputs_as_one_tensor(model: keras.Model) -> keras.Model:
    """The model itself if it has one output tensor (batch, k), else its outputs side by side."""
    outputs = tf.nest.flatten(model.outputs) if hasattr(model, "outputs") else []
    if len(outputs) == 1 and len(outputs[0].shape) == 2:
        return model
    return keras.Model(model.inputs, _flat_outputs(model))


def selected_output(model: keras.Model, output: int) -> keras.Model:
    """A model giving only value ``output`` of ``model``'s outputs (flattened in order)."""
    return keras.Model(model.inputs, _flat_outputs(model)[:, output : output + 1])


def values_per_input(
    values: np.ndarray | list, X: np.ndarray | list, output: int
) -> np.ndarray | list[np.ndarray]:
    """shap.DeepExplainer's values of output ``output`` in X's shapes: one array, or one per input.

    Older shap gives a list over outputs; newer shap a trailing output axis; for a two-input
    model, a list over the inputs.
    """
    parts = tf.nest.flatten(X)
    if isinstance(values, list) and len(parts) == 1:  # older shap: one array per output
        values = [values[output if len(values) > 1 else 0]]
    elif isinstance(values, list) and isinstance(values[0], list):  # older shap, two inputs
        values = values[output if len(values) > 1 else 0]
    elif not isinstance(values, list):
        values = [values]
    arrays = []
    for value, part in zip(values, parts, strict=True):
        value = np.asarray(value)
        if value.ndim == part.ndim + 1:  # newer shap adds an output axis: (n, ..., n_outputs)
            value = value[..., output]
        arrays.append(value.reshape(part.shape))
    return arrays[0] if len(arrays) == 1 else arrays
