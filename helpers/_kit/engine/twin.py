"""The unrolled twin: the same model with its recurrent time loops written out.

An LSTM with ``unroll=True`` computes the same function as without, but its graph holds one copy
of the cell per time step instead of a ``While`` loop over ``TensorList`` ops, which
DeepExplainer has no rules for.
"""

from __future__ import annotations

import keras
import numpy as np
from numpy.typing import ArrayLike

from helpers._kit.engine import internals
from helpers.explain.errors import MODEL_AGNOSTIC_ROUTES
from helpers.explain.graph import fixed_window_shape, model_window_shape
from helpers.explain.prediction import model_outputs


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


def _max_prediction_difference(model_a: keras.Model, model_b: keras.Model, windows) -> float:
    outputs_a = model_outputs(lambda batch: model_a(batch, training=False), windows)
    outputs_b = model_outputs(lambda batch: model_b(batch, training=False), windows)
    return float(np.max(np.abs(outputs_a - outputs_b)))


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
        ``(window, n_features)`` of the twin's input. Needed when the model was defined with an
        undefined window length (``keras.Input((None, n_features))``): an unrolled layer must
        know its number of time steps. Defaults to the model's own input shape.

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
    if not internals.is_sequential_or_functional(model):
        raise TypeError(
            f"Cannot build an unrolled twin of the subclassed model {type(model).__name__}: "
            "only Sequential and functional Keras models can be cloned layer by layer. Use a "
            "model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
        )
    window_shape = fixed_window_shape(model, window_shape)
    if model_window_shape(model) == window_shape:
        twin = keras.models.clone_model(model, clone_function=_unrolled_copy)
    elif isinstance(model, keras.Sequential):  # any window length: the twin is built for this one
        layers = [_unrolled_copy(layer) for layer in model.layers]
        twin = keras.Sequential([keras.Input(window_shape), *layers], name=model.name)
    else:
        inputs = keras.Input(window_shape)
        twin = keras.models.clone_model(model, input_tensors=inputs, clone_function=_unrolled_copy)
    twin.set_weights(model.get_weights())
    _finalize_states(twin)

    if check_windows is None:
        check_windows = np.random.default_rng(0).normal(size=(8, *window_shape))
    difference = _max_prediction_difference(model, twin, np.asarray(check_windows, np.float32))
    if difference > tolerance:
        raise RuntimeError(
            f"The unrolled twin predicts differently from the model (max difference "
            f"{difference:.2e} > {tolerance:.0e}); it cannot stand in for it. A layer whose "
            "state is not in its weights or configuration (a custom or stateful layer) can cause "
            "this. Use a model-agnostic route instead: " + MODEL_AGNOSTIC_ROUTES + "."
        )
    return twin
