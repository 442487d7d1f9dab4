"""The engine's non-recurrent blocks: each Keras layer's forward pass on pairs, and back.

A *block* is one layer of the chain, built inside the traced function from the layer's settings
(a small frozen dataclass: what the computation depends on, besides the weights) and its weight
tensors (inputs of the traced function, so that models of one architecture share one trace).
``forward(pair) -> (pair, saved)`` computes both halves of its input
(:class:`~helpers._kit.engine.rules.Pair`: the windows' rows and the background's rows) and
the multipliers of its nonlinearities, one per (window, background) pair; ``backward(saved,
grad) -> grad`` multiplies the gradient (k, m, ...) back through them. Recurrent layers are in
:mod:`helpers._kit.engine.recurrent`.

Memory per (window, background) pair
------------------------------------
Every block's settings state how many float32 values one pair keeps while a chunk runs
(``floats_per_pair``); the runner sizes its chunks from their sum.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import tensorflow as tf

from helpers._kit.engine.rules import LINEAR, Activation, Pair, as_pairs, as_rows

#: Floats an affine layer keeps per pair and output value: the rescale multiplier (1), the two
#: differences x - r of its input and output while the multiplier is computed (2) and the
#: gradient flowing back (1). Its activations are kept per window, not per pair.
AFFINE_FLOATS_PER_VALUE = 1 + 2 + 1


class Block:
    """One layer of the chain: ``forward(pair) -> (pair, saved)``, ``backward(saved, g) -> g``."""

    def forward(self, pair: Pair) -> tuple[Pair, object]:
        raise NotImplementedError

    def backward(self, saved: object, grad: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError


class Identity(Block):
    """Dropout-type layers: the identity at inference."""

    def forward(self, pair):
        return pair, None

    def backward(self, saved, grad):
        return grad


class AffineActivation(Block):
    """A linear/affine Keras computation (Dense, Conv1D, pooling, Flatten, ...) + activation.

    The linear part passes gradients through (shap's ``passthrough``/``linearity_1d``); its
    transpose is taken with a GradientTape (exact, because the map is affine).
    """

    def __init__(self, affine: Callable[[tf.Tensor], tf.Tensor], activation: Activation):
        self.affine = affine
        self.activation = activation

    def forward(self, pair):
        out, multiplier = self.activation(pair.map(self.affine))
        return out, (pair.x, multiplier)

    def backward(self, saved, grad):
        """The affine map's transpose, applied to the gradient of every pair (one per row)."""
        window_input, multiplier = saved  # the windows' input: its shape per row
        if multiplier is not None:
            grad = grad * multiplier
        n_windows, n_background = tf.shape(grad)[0], tf.shape(grad)[1]
        rows = as_rows(grad)
        zeros = tf.zeros([tf.shape(rows)[0], *window_input.shape[1:]])
        with tf.GradientTape() as tape:
            tape.watch(zeros)
            out = self.affine(zeros)
        rows = tape.gradient(out, zeros, output_gradients=rows)
        return as_pairs(rows, n_windows, n_background)


@dataclass(frozen=True)
class IdentitySettings:
    """A dropout-type layer: no settings, no weights."""

    def block(self, weights: Sequence[tf.Tensor]) -> Block:
        return Identity()

    def floats_per_pair(self, output_size: int) -> int:
        return 0


@dataclass(frozen=True)
class DenseSettings:
    """``Dense``: ``activation(x @ kernel + bias)``; weights (kernel, bias) or (kernel,)."""

    use_bias: bool
    activation: Activation

    def block(self, weights: Sequence[tf.Tensor]) -> Block:
        kernel, *bias = weights

        def affine(x):
            y = keras.ops.matmul(x, kernel)
            return keras.ops.add(y, bias[0]) if self.use_bias else y

        return AffineActivation(affine, self.activation)

    def floats_per_pair(self, output_size: int) -> int:
        return AFFINE_FLOATS_PER_VALUE * output_size


@dataclass(frozen=True)
class Conv1DSettings:
    """``Conv1D`` (channels last); causal padding is applied as explicit zeros, then "valid"."""

    strides: tuple[int, ...]
    padding: str
    dilation_rate: tuple[int, ...]
    causal_padding: tuple[tuple[int, int], ...] | None
    use_bias: bool
    filters: int
    activation: Activation

    def block(self, weights: Sequence[tf.Tensor]) -> Block:
        kernel, *bias = weights

        def affine(x):
            padding = self.padding
            if self.causal_padding is not None:
                x, padding = keras.ops.pad(x, self.causal_padding), "valid"
            y = keras.ops.conv(
                x, kernel, strides=list(self.strides), padding=padding,
                dilation_rate=self.dilation_rate, data_format="channels_last",
            )
            if self.use_bias:
                y = keras.ops.add(y, keras.ops.reshape(bias[0], (1, 1, self.filters)))
            return y

        return AffineActivation(affine, self.activation)

    def floats_per_pair(self, output_size: int) -> int:
        return AFFINE_FLOATS_PER_VALUE * output_size


@dataclass(frozen=True)
class ActivationSettings:
    """``Activation``: the nonlinearity alone."""

    activation: Activation

    def block(self, weights: Sequence[tf.Tensor]) -> Block:
        return AffineActivation(lambda x: x, self.activation)

    def floats_per_pair(self, output_size: int) -> int:
        return AFFINE_FLOATS_PER_VALUE * output_size


@dataclass(frozen=True)
class LinearLayerSettings:
    """A weightless linear Keras layer (pooling, Flatten, Reshape), called as it is.

    ``config`` (the layer's configuration as JSON, its name left out) is what two models must
    share; ``layer`` is a fresh copy made from it, so that no model is kept alive by the cache.
    """

    config: str
    layer: keras.layers.Layer = field(compare=False, hash=False)

    @classmethod
    def of(cls, layer: keras.layers.Layer) -> LinearLayerSettings:
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        text = json.dumps([type(layer).__name__, config], sort_keys=True, default=str)
        return cls(text, type(layer).from_config(layer.get_config()))

    def block(self, weights: Sequence[tf.Tensor]) -> Block:
        return AffineActivation(lambda x: self.layer(x, training=False), LINEAR)

    def floats_per_pair(self, output_size: int) -> int:
        return AFFINE_FLOATS_PER_VALUE * output_size
