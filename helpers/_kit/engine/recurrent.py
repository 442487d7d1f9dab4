"""Recurrent layers of the engine: the time loop forward and backward, and Bidirectional.

The loop is a ``tf.while_loop``, so the traced graph and its tracing time do not grow with the
window length. The forward loop runs on the windows' rows and the background's rows; each
step's multipliers (one per pair) are stored in ``TensorArray``s, one row per pair, for the
backward loop, which runs on the pairs.
The cells themselves are in :mod:`helpers._kit.engine.cells`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import tensorflow as tf

from helpers._kit.engine.cells import CELLS, CellSettings, CellWeights
from helpers._kit.engine.layers import Block
from helpers._kit.engine.rules import Pair, as_pairs, as_rows, each_half, product

#: Floats a recurrent layer keeps per pair, time step and input value: the input gradient of
#: each step, collected (1), stacked (1) and transposed (1).
FLOATS_PER_INPUT = 1 + 1 + 1
#: Floats per pair, time step and unit besides the cell's multipliers: the output's gradient,
#: as it comes (1) and time-major (1), where the layer returns sequences (its outputs are kept
#: per window, not per pair).
FLOATS_PER_OUTPUT = 1 + 1


@dataclass(frozen=True)
class RecurrentSettings:
    """An LSTM/GRU/SimpleRNN layer: its cell, and how it runs over time."""

    cell: CellSettings
    return_sequences: bool
    go_backwards: bool

    def block(self, weights: Sequence[tf.Tensor]) -> Recurrent:
        return Recurrent(self, CellWeights.of(weights))

    def floats_per_pair(self, n_steps: int, n_inputs: int) -> int:
        """Floats one pair keeps: the cell's multipliers of every step, inputs and outputs."""
        cell = CELLS[self.cell.kind]
        outputs = FLOATS_PER_OUTPUT if self.return_sequences else 0
        per_step = (cell.multipliers_per_unit + outputs) * self.cell.units
        return n_steps * (per_step + FLOATS_PER_INPUT * n_inputs)


class Recurrent(Block):
    """An LSTM/GRU/SimpleRNN layer: ``tf.while_loop`` over time, forward and backward."""

    def __init__(self, settings: RecurrentSettings, weights: CellWeights):
        self.cell = CELLS[settings.cell.kind](settings.cell, weights)
        self.return_sequences = settings.return_sequences
        self.go_backwards = settings.go_backwards

    def forward(self, pair, initial_state: Sequence[Pair] | None = None):
        """Both halves through the time loop; the multipliers of every step, kept for backward.

        The input is projected one step at a time (not all steps at once) and the multipliers
        stay in their ``TensorArray``s, read back step by step: a pair keeps only what
        :meth:`RecurrentSettings.floats_per_pair` counts, so chunks can hold more pairs.
        ``initial_state`` (Keras's ``initial_state=[h0, c0]``, computed from a model input)
        replaces the zeros; the products with it are then products of two varying tensors.
        """
        cell = self.cell
        inputs = pair.map(lambda half: tf.transpose(half, [1, 0, 2]))  # (T, rows, F)
        if self.go_backwards:
            inputs = inputs.map(lambda half: tf.reverse(half, [0]))
        n_steps = pair.x.shape[1]

        def body(t, state, outputs, saved):
            projected = inputs.map(lambda half: cell.project(half[t]))
            first = tf.equal(t, 0) if initial_state is None else tf.constant(False)
            state, h, multipliers = cell.step(first, projected, state)
            if self.return_sequences:
                outputs = each_half(lambda array, h: array.write(t, h), outputs, h)
            else:
                outputs = h
            saved = tuple(
                array.write(t, as_rows(m)) for array, m in zip(saved, multipliers, strict=True)
            )
            return t + 1, state, outputs, saved

        state = cell.initial_state(pair) if initial_state is None else tuple(initial_state)
        n_saved = len(cell.multipliers._fields)
        saved = tuple(tf.TensorArray(tf.float32, size=n_steps) for _ in range(n_saved))
        outputs = state[0]
        if self.return_sequences:
            outputs = outputs.map(lambda _: tf.TensorArray(tf.float32, size=n_steps))
        _, _, outputs, saved = tf.while_loop(
            lambda t, *_: t < n_steps, body, (tf.constant(0), state, outputs, saved)
        )
        if self.return_sequences:
            outputs = outputs.map(lambda array: tf.transpose(array.stack(), [1, 0, 2]))
        return outputs, (saved, n_steps, pair.x.shape[-1])

    def backward(self, saved, grad):
        """The gradient of the input, step by step back through the kept multipliers."""
        return self.backward_with_state(saved, grad)[0]

    def backward_with_state(self, saved, grad):
        """The gradients of the input (k, m, T, F) and of the initial state, (k, m, u) each."""
        cell = self.cell
        multipliers, n_steps, n_inputs = saved
        n_windows, n_background = tf.shape(grad)[0], tf.shape(grad)[1]
        if self.return_sequences:
            grad_steps = tf.transpose(as_rows(grad), [1, 0, 2])  # (T, pairs, u), processing order
            dh = tf.zeros_like(grad_steps[0])
        else:
            grad_steps, dh = None, as_rows(grad)
        carries = (tf.zeros_like(dh),) * cell.n_carries

        def body(t, dh, carries, d_inputs):
            if grad_steps is not None:
                dh = dh + grad_steps[t]
            step_multipliers = cell.multipliers._make(array.read(t) for array in multipliers)
            d_projected, dh, carries = cell.backward_step(step_multipliers, dh, carries)
            return t - 1, dh, carries, d_inputs.write(t, cell.input_gradient(d_projected))

        d_inputs = tf.TensorArray(tf.float32, size=n_steps)
        _, dh, carries, d_inputs = tf.while_loop(
            lambda t, *_: t >= 0, body, (tf.constant(n_steps - 1), dh, carries, d_inputs)
        )
        d_inputs = d_inputs.stack()  # (T, pairs, F)
        if self.go_backwards:
            d_inputs = tf.reverse(d_inputs, [0])
        d_inputs.set_shape([n_steps, None, n_inputs])  # the static shape that as_pairs keeps
        d_state = tuple(as_pairs(d, n_windows, n_background) for d in (dh, *carries))
        return as_pairs(tf.transpose(d_inputs, [1, 0, 2]), n_windows, n_background), d_state


@dataclass(frozen=True)
class BidirectionalSettings:
    """``Bidirectional``: a forward and a backward layer, merged by concat, sum, ave or mul.

    The weights are the forward layer's (``n_forward_weights`` of them), then the backward's.
    """

    forward: RecurrentSettings
    backward: RecurrentSettings
    n_forward_weights: int
    merge_mode: str
    return_sequences: bool

    def block(self, weights: Sequence[tf.Tensor]) -> Bidirectional:
        split = self.n_forward_weights
        return Bidirectional(
            self, self.forward.block(weights[:split]), self.backward.block(weights[split:])
        )

    def floats_per_pair(self, n_steps: int, n_inputs: int) -> int:
        layers = (self.forward, self.backward)
        return sum(layer.floats_per_pair(n_steps, n_inputs) for layer in layers)


class BidirectionalMerge:
    """Saved by :class:`Bidirectional`'s forward pass for its backward pass."""

    def __init__(self, saved_forward, saved_backward, m_forward, m_backward, units):
        self.saved_forward, self.saved_backward = saved_forward, saved_backward
        self.m_forward, self.m_backward = m_forward, m_backward  # "mul" only
        self.units = units


class Bidirectional(Block):
    """``Bidirectional``: forward and backward layer, merged by concat, sum, ave or mul."""

    def __init__(self, settings: BidirectionalSettings, forward: Recurrent, backward: Recurrent):
        self.forward_layer, self.backward_layer = forward, backward
        self.merge_mode = settings.merge_mode
        self.return_sequences = settings.return_sequences

    def forward(self, pair: Pair):
        y, saved_forward = self.forward_layer.forward(pair)
        y_rev, saved_backward = self.backward_layer.forward(pair)
        if self.return_sequences:
            y_rev = y_rev.map(lambda half: tf.reverse(half, [1]))  # (rows, T, u)
        m_y = m_rev = None
        if self.merge_mode == "concat":
            out = each_half(lambda a, b: tf.concat([a, b], axis=-1), y, y_rev)
        elif self.merge_mode == "sum":
            out = each_half(tf.add, y, y_rev)
        elif self.merge_mode == "ave":
            out = each_half(lambda a, b: (a + b) / 2, y, y_rev)
        else:  # "mul"
            out, m_y, m_rev = product(y, y_rev)
        return out, BidirectionalMerge(saved_forward, saved_backward, m_y, m_rev, y.x.shape[-1])

    def backward(self, saved: BidirectionalMerge, grad):
        if self.merge_mode == "concat":
            g_y, g_rev = grad[..., : saved.units], grad[..., saved.units :]
        elif self.merge_mode == "sum":
            g_y = g_rev = grad
        elif self.merge_mode == "ave":
            g_y = g_rev = grad / 2
        else:
            g_y, g_rev = grad * saved.m_forward, grad * saved.m_backward
        if self.return_sequences:
            g_rev = tf.reverse(g_rev, [2])  # (k, m, T, u)
        return self.forward_layer.backward(saved.saved_forward, g_y) + (
            self.backward_layer.backward(saved.saved_backward, g_rev)
        )
