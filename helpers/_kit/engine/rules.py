"""DeepLIFT's rules as shap applies them, on pairs of (window, background) activations.

The lowest layer of the batched DeepSHAP engine (:mod:`helpers._kit.engine`): pure tensor
maths, no Keras model and no TensorFlow state.

DeepSHAP in one paragraph
-------------------------
For a window ``x`` and one background window ``r``, DeepLIFT replaces every local derivative
of the chain rule by a *multiplier* computed from the two forward passes, on ``x`` and on ``r``.
The attribution of input ``j`` is ``multiplier_j * (x_j - r_j)``; DeepSHAP averages it over
the background windows, and the base value is the mean prediction on the background. shap
(``shap/explainers/_deep/deep_tf.py``) uses these rules, reproduced here operation by
operation:

- **Linear operations** (MatMul, BiasAdd, Add, Split, Concat, Reshape, Mean, AvgPool, Conv,
  Pad, Reverse, ...): ``passthrough`` - the ordinary gradient.
- **One-input nonlinearities** (sigmoid, tanh, relu, elu, selu, softplus, exp): the
  *rescale rule*, multiplier ``(f(x) - f(r)) / (x - r)``; where ``|x - r| < 1e-6`` shap falls
  back to the ordinary gradient.
- **Products of two varying tensors** (the gates of LSTM and GRU cells, ``merge_mode="mul"``):
  the *two-input Shapley rule*. For ``y = a * b`` the multiplier of ``a`` is
  ``0.5 * [(a_x b_x - a_r b_x) + (a_x b_r - a_r b_r)] / (a_x - a_r)`` (and symmetrically for
  ``b``), set to 0 where ``|a_x - a_r| < 1e-7``. When only one input varies - a product with
  the recurrent layer's initial state (zeros, which do not depend on the input) at the first
  time step - the product is linear and the multiplier is the other factor.

Which gradient shap keeps
-------------------------
shap stacks ``[x tiled m times; the m background windows]`` into one batch of ``2m`` rows,
seeds the gradient with ones and multiplies the gradient of the **second (background) half**
by ``(x - r)``. Every rule above gives both halves the same multiplier, except the rescale
rule's fallback, where each half gets the derivative at its own point; so the gradient shap
uses is the chain of multipliers with ``f'(r)`` in the fallback. That single stream is all
this engine propagates backwards.

Halves on rows, multipliers on pairs
------------------------------------
The forward pass of a window does not depend on the background window it is paired with, nor
the other way round. So a :class:`Pair` holds the activations of the k windows explained (its
x-half, ``k`` rows) and of the m background windows (its r-half, ``m`` rows): the forward pass
runs on ``k + m`` rows, not on ``2 k m``. Only the multipliers need both halves; they have one
value per (window, background) pair, shape ``(k, m, ...)``, as has the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import keras
import tensorflow as tf

from helpers._kit.engine.errors import EngineUnsupportedError

#: shap's threshold below which the rescale rule falls back to the ordinary gradient.
RESCALE_THRESHOLD = 1e-6
#: shap's threshold below which the two-input Shapley rule gives a multiplier of 0.
PRODUCT_THRESHOLD = 1e-7

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


class Pair(NamedTuple):
    """One activation of the explained windows (x-half) and of the background windows (r-half).

    ``x`` has shape (k, ...) and ``r`` (m, ...): pair (i, j), window i with background window j,
    has the halves ``x[i]`` and ``r[j]``.
    """

    x: tf.Tensor
    r: tf.Tensor

    def map(self, function: Callable[[tf.Tensor], tf.Tensor]) -> Pair:
        """``function`` applied to each half."""
        return Pair(function(self.x), function(self.r))


def each_half(function: Callable[..., tf.Tensor], *pairs: Pair) -> Pair:
    """``function`` of the pairs' x-halves, and of their r-halves: ``Pair(f(a.x, b.x), ...)``."""
    return Pair(function(*(pair.x for pair in pairs)), function(*(pair.r for pair in pairs)))


def split(pair: Pair, n: int) -> list[Pair]:
    """Both halves split into ``n`` equal parts along the last axis (e.g. a cell's gates)."""
    return [Pair(x, r) for x, r in zip(tf.split(pair.x, n, -1), tf.split(pair.r, n, -1),
                                       strict=True)]


def concat(pairs: list[Pair]) -> Pair:
    """Pairs side by side along the last axis."""
    return each_half(lambda *halves: tf.concat(halves, axis=-1), *pairs)


def broadcast(pair: Pair) -> tuple[tf.Tensor, tf.Tensor]:
    """The halves as (k, 1, ...) and (1, m, ...): combined, they give one value per pair."""
    return tf.expand_dims(pair.x, 1), tf.expand_dims(pair.r, 0)


def difference(pair: Pair) -> tf.Tensor:
    """``x - r`` for every (window, background) pair: shape (k, m, ...)."""
    x, r = broadcast(pair)
    return x - r


def as_rows(per_pair: tf.Tensor) -> tf.Tensor:
    """(k, m, ...) -> (k m, ...): one row per pair, for a matrix product."""
    return tf.reshape(per_pair, [-1, *per_pair.shape[2:]])


def as_pairs(rows: tf.Tensor, k: tf.Tensor, m: tf.Tensor) -> tf.Tensor:
    """(k m, ...) -> (k, m, ...), the inverse of :func:`as_rows`."""
    return tf.reshape(rows, [k, m, *rows.shape[1:]])


#: Derivative f'(r) from the input r and the output f(r), for shap's fallback (|x - r| < 1e-6).
DERIVATIVES: dict[str, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    "sigmoid": lambda pre, out: out * (1.0 - out),
    "tanh": lambda pre, out: 1.0 - out * out,
    "relu": lambda pre, out: tf.cast(pre > 0.0, pre.dtype),
    "elu": lambda pre, out: tf.where(pre > 0.0, tf.ones_like(out), out + 1.0),
    "selu": lambda pre, out: tf.where(
        pre > 0.0, SELU_SCALE * tf.ones_like(out), out + SELU_SCALE * SELU_ALPHA
    ),
    "softplus": lambda pre, out: tf.sigmoid(pre),
    "exponential": lambda pre, out: out,
    "linear": lambda pre, out: tf.ones_like(out),
}


@dataclass(frozen=True)
class Activation:
    """A Keras activation, by name, applied to pairs with its rescale-rule multiplier."""

    name: str

    @property
    def is_linear(self) -> bool:
        return self.name == "linear"

    def apply(self, pre: tf.Tensor) -> tf.Tensor:
        """Only ``f(pre)``."""
        return pre if self.is_linear else keras.activations.get(self.name)(pre)

    def __call__(self, pre: Pair) -> tuple[Pair, tf.Tensor | None]:
        """Return ``(f(pre), multiplier)``; the multiplier is None for the identity."""
        if self.is_linear:
            return pre, None
        out = pre.map(self.apply)
        return out, rescale_multiplier(pre, out, DERIVATIVES[self.name])


LINEAR = Activation("linear")


def activation(function: Callable, layer: keras.layers.Layer, role: str) -> Activation:
    """The :class:`Activation` of a Keras layer's ``role`` (e.g. ``"recurrent_activation"``).

    Raises
    ------
    EngineUnsupportedError
        If the function is not one of :data:`DERIVATIVES` (names the layer and the function).
    """
    for name in DERIVATIVES:
        if function is keras.activations.get(name):
            return Activation(name)
    raise EngineUnsupportedError(
        f"Layer {layer.name!r} ({type(layer).__name__}): {role} "
        f"{getattr(function, '__name__', function)!r} has no DeepSHAP rule in this engine "
        f"(supported: {', '.join(DERIVATIVES)})."
    )


def rescale_multiplier(
    pre: Pair, out: Pair, derivative: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
) -> tf.Tensor:
    """DeepLIFT's rescale rule for ``out = f(pre)``, as shap's ``nonlinearity_1d_handler``.

    Parameters
    ----------
    pre, out : Pair
        Input and output of the nonlinearity.
    derivative : callable
        ``f'`` from (input, output), used where ``|x - r| < 1e-6`` (at the r-half's point).

    Returns
    -------
    tf.Tensor of shape (k, m, ...)
        The multiplier of the background-half gradient, per pair.
    """
    pre_x, pre_r = broadcast(pre)
    out_x, out_r = broadcast(out)
    delta = pre_x - pre_r
    ratio = (out_x - out_r) / delta
    return tf.where(tf.abs(delta) < RESCALE_THRESHOLD, derivative(pre_r, out_r), ratio)


def product(
    a: Pair, b: Pair, b_is_initial_state: tf.Tensor | None = None
) -> tuple[Pair, tf.Tensor, tf.Tensor]:
    """``a * b`` on pairs with shap's two-input Shapley rule (``nonlinearity_2d_handler``).

    Parameters
    ----------
    a, b : Pair
        The factors.
    b_is_initial_state : scalar bool tf.Tensor, optional
        True when ``b`` is (computed only from) a recurrent layer's initial state: it then does
        not vary, the product is linear in ``a`` (shap's ``linearity_1d``), and ``a``'s
        multiplier is ``b`` itself.

    Returns
    -------
    (Pair, tf.Tensor, tf.Tensor)
        The product and the multipliers of ``a`` and ``b`` per pair, (k, m, ...).
    """
    out = each_half(tf.multiply, a, b)
    out11, out00 = broadcast(out)
    (a_x, a_r), (b_x, b_r) = broadcast(a), broadcast(b)
    out10, out01 = a_x * b_r, a_r * b_x
    delta_a, delta_b = a_x - a_r, b_x - b_r
    m_a = tf.where(
        tf.abs(delta_a) < PRODUCT_THRESHOLD, 0.0, 0.5 * (out11 - out01 + out10 - out00) / delta_a
    )
    m_b = tf.where(
        tf.abs(delta_b) < PRODUCT_THRESHOLD, 0.0, 0.5 * (out11 - out10 + out01 - out00) / delta_b
    )
    if b_is_initial_state is not None:
        m_a = tf.where(b_is_initial_state, b_r, m_a)
    return out, m_a, m_b


def times(a: tf.Tensor, b: tf.Tensor | None) -> tf.Tensor:
    """``a * b``, where ``b=None`` (a linear activation's multiplier) means 1."""
    return a if b is None else a * b


def matmul(x: tf.Tensor, w: tf.Tensor) -> tf.Tensor:
    """``x @ w`` over the last axis for a tensor of any rank, as one 2-D MatMul."""
    rows = tf.reshape(x, [-1, x.shape[-1]])
    out = tf.matmul(rows, w)
    return tf.reshape(out, tf.concat([tf.shape(x)[:-1], [w.shape[-1]]], axis=0))

