"""Recurrent cells of the engine: one time step forward (pairs) and backward (multipliers).

Each cell is built from its settings (:class:`CellSettings`) and weight tensors
(:class:`CellWeights`). ``project`` computes the input's contribution to the gate
pre-activations of one step; ``step`` does one step on the halves (a
:class:`~helpers._kit.engine.rules.Pair` of the windows' rows and the background's rows)
and returns the multipliers the backward step needs, one per (window, background) pair (a named
tuple per cell); ``backward_step`` maps the gradient of the step's output (and of the carried
state), one row per pair, to the gradient of the projected input and of the previous output.
The time loop around them is in :mod:`helpers._kit.engine.recurrent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import tensorflow as tf

from helpers._kit.engine.rules import (
    DERIVATIVES,
    LINEAR,
    Activation,
    Pair,
    concat,
    difference,
    each_half,
    matmul,
    product,
    rescale_multiplier,
    split,
    times,
)

#: Keras' order of an LSTM's gates in its kernels and pre-activations: input, forget, cell
#: candidate, output.
LSTM_GATES = ("i", "f", "c", "o")
#: Keras' order of a GRU's gates: update, reset, candidate.
GRU_GATES = ("z", "r", "h")


@dataclass(frozen=True)
class CellSettings:
    """What a cell's computation depends on, besides its weights.

    ``kind`` is ``"lstm"``, ``"gru"`` or ``"simple_rnn"``; ``recurrent_activation`` and
    ``reset_after`` matter only where the cell has them.
    """

    kind: str
    units: int
    use_bias: bool
    activation: Activation
    recurrent_activation: Activation = LINEAR
    reset_after: bool = False


class CellWeights(NamedTuple):
    """A cell's weight tensors, in the order of Keras' ``cell.weights``."""

    kernel: tf.Tensor
    recurrent_kernel: tf.Tensor
    bias: tf.Tensor | None

    @classmethod
    def of(cls, weights: Sequence[tf.Tensor]) -> CellWeights:
        kernel, recurrent_kernel, *bias = weights
        return cls(kernel, recurrent_kernel, bias[0] if bias else None)


class Cell:
    """Weights and one time step of a Keras recurrent cell (see the module docstring)."""

    #: Names of the gates, in Keras' order.
    gates: tuple[str, ...] = ()
    #: The named tuple of multipliers one step stores for the backward pass.
    multipliers: type[NamedTuple]
    #: Multipliers the step stores per unit, for the backward pass.
    multipliers_per_unit: int = 0
    #: State gradients carried backwards besides the output's (the LSTM's cell state).
    n_carries: int = 0

    def __init__(self, settings: CellSettings, weights: CellWeights):
        self.settings = settings
        self.units = settings.units
        self.weights = weights

    def initial_state(self, inputs: Pair) -> tuple[Pair, ...]:
        """Zeros for the output (and the carried states) of every row of ``inputs``."""
        zeros = inputs.map(lambda half: tf.zeros([tf.shape(half)[0], self.units]))
        return (zeros,) * (1 + self.n_carries)

    def project(self, x: tf.Tensor) -> tf.Tensor:
        """The input's part of every gate pre-activation."""
        return matmul(x, self.weights.kernel)

    def recurrent(
        self, h: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | None = None
    ) -> tf.Tensor:
        """The previous output's part of gate pre-activations: ``h @ kernel (+ bias)``."""
        inner = matmul(h, kernel)
        return inner if bias is None else inner + bias

    def input_gradient(self, d_projected: tf.Tensor) -> tf.Tensor:
        return matmul(d_projected, tf.transpose(self.weights.kernel))


class LSTMMultipliers(NamedTuple):
    """What one LSTM step stores for its backward step."""

    gates: tf.Tensor  # of the four gate pre-activations, i, f, c, o side by side
    cell_to_output: tf.Tensor  # of the new cell state in h = o * tanh(c)
    previous_cell: tf.Tensor  # of the previous cell state in f * c


class LSTMCell(Cell):
    """Keras 3 LSTMCell, ``implementation=2``: z = (x K + h U) + b, gates in order i, f, c, o."""

    gates = LSTM_GATES
    multipliers = LSTMMultipliers
    multipliers_per_unit = len(LSTM_GATES) + 2
    n_carries = 1

    def step(self, first, projected, state):
        h, c = state
        z = each_half(self._pre_activation, projected, h)
        rec, act = self.settings.recurrent_activation, self.settings.activation
        z_gate = dict(zip(LSTM_GATES, split(z, len(LSTM_GATES)), strict=True))
        gate = {
            name: z_gate[name].map((act if name == "c" else rec).apply) for name in LSTM_GATES
        }
        fc, m_f, m_c = product(gate["f"], c, b_is_initial_state=first)
        ig, m_i, m_g = product(gate["i"], gate["c"])
        c_new = each_half(tf.add, fc, ig)
        tanh_c, r_tc = act(c_new)
        h_new, m_o, m_tc = product(gate["o"], tanh_c)
        # the rescale rule for the four gate activations at once (one op per step, not four)
        r_gates = self._gate_rescale(z, concat([gate[name] for name in LSTM_GATES]))
        by_gate = {"i": m_i, "f": m_f, "c": m_g, "o": m_o}
        gates = tf.concat([by_gate[name] for name in LSTM_GATES], axis=-1) * r_gates
        return (h_new, c_new), h_new, LSTMMultipliers(gates, times(m_tc, r_tc), m_c)

    def _pre_activation(self, projected, h):
        """``(x K + h U) + b`` of one half, added in Keras' order."""
        z = projected + matmul(h, self.weights.recurrent_kernel)
        return z + self.weights.bias if self.settings.use_bias else z

    def _gate_rescale(self, pre, out):
        """Rescale multipliers of the gates (the recurrent activation, the activation for c)."""
        rec, act = self.settings.recurrent_activation, self.settings.activation
        derivative = DERIVATIVES[rec.name]
        if act.name != rec.name:
            u = self.units
            is_c = tf.range(len(LSTM_GATES) * u) // u == LSTM_GATES.index("c")
            rec_derivative, act_derivative = derivative, DERIVATIVES[act.name]

            def derivative(p, y):
                return tf.where(is_c, act_derivative(p, y), rec_derivative(p, y))

        return rescale_multiplier(pre, out, derivative)

    def backward_step(self, saved: LSTMMultipliers, dh, carries):
        (dc,) = carries
        dc_new = dc + dh * saved.cell_to_output
        d_gate = {"i": dc_new, "f": dc_new, "c": dc_new, "o": dh}
        dz = tf.concat([d_gate[name] for name in LSTM_GATES], axis=-1) * saved.gates
        dh_prev = tf.matmul(dz, self.weights.recurrent_kernel, transpose_b=True)
        return dz, dh_prev, (dc_new * saved.previous_cell,)


class GRUResetAfterMultipliers(NamedTuple):
    """What one GRU step (``reset_after=True``) stores for its backward step."""

    gates: tf.Tensor  # of the pre-activations z, r, h side by side
    recurrent_candidate: tf.Tensor  # of (h U + b)_h in r * (h U + b)_h
    previous_output: tf.Tensor  # of h in z * h


class GRUResetBeforeMultipliers(NamedTuple):
    """What one GRU step (``reset_after=False``) stores for its backward step."""

    update_and_candidate: tf.Tensor  # of the pre-activations z and h side by side
    reset: tf.Tensor  # of r's pre-activation in r * h
    reset_output: tf.Tensor  # of h in r * h
    previous_output: tf.Tensor  # of h in z * h


class GRUCell(Cell):
    """Keras 3 GRUCell, ``implementation=2``, gates z, r, h; ``reset_after`` True or False.

    reset_after=True:  x_* from x K + b_in; inner = h U + b_rec;
                       hh = act(x_h + r * inner_h)   (r * inner_h: product of two varying)
    reset_after=False: x_* from x K + b; inner = h U[:, :2u];
                       hh = act(x_h + (r * h) U[:, 2u:])
    both:              h_new = z * h + (1 - z) * hh
    """

    gates = GRU_GATES
    multipliers_per_unit = 5

    @property
    def multipliers(self) -> type[NamedTuple]:
        if self.settings.reset_after:
            return GRUResetAfterMultipliers
        return GRUResetBeforeMultipliers

    def _biases(self):
        if not self.settings.use_bias:
            return None, None
        bias = self.weights.bias
        return (bias[0], bias[1]) if self.settings.reset_after else (bias, None)

    def project(self, x):
        input_bias, _ = self._biases()
        projected = super().project(x)
        return projected if input_bias is None else projected + input_bias

    def _mix(self, first, z, r_z, h, hh, r_hh):
        """h_new = z * h + (1 - z) * hh; multipliers of z's pre-activation, of hh, of h."""
        zh, m_z, m_h = product(z, h, b_is_initial_state=first)
        z_bar_hh, m_zbar, m_hh = product(z.map(lambda half: 1.0 - half), hh)
        h_new = each_half(tf.add, zh, z_bar_hh)
        return h_new, times(m_z - m_zbar, r_z), times(m_hh, r_hh), m_h

    def step(self, first, projected, state):
        if self.settings.reset_after:
            return self._step_reset_after(first, projected, state)
        return self._step_reset_before(first, projected, state)

    def _step_reset_after(self, first, projected, state):
        (h,) = state
        rec, act = self.settings.recurrent_activation, self.settings.activation
        x_z, x_r, x_h = split(projected, len(GRU_GATES))
        _, recurrent_bias = self._biases()
        inner = h.map(lambda h: self.recurrent(h, self.weights.recurrent_kernel, recurrent_bias))
        inner_z, inner_r, inner_h = split(inner, len(GRU_GATES))
        z, r_z = rec(each_half(tf.add, x_z, inner_z))
        r, r_r = rec(each_half(tf.add, x_r, inner_r))
        rh, m_r, m_inner_h = product(r, inner_h, b_is_initial_state=first)
        hh, r_hh = act(each_half(tf.add, x_h, rh))
        h_new, m_z, m_hh, m_h = self._mix(first, z, r_z, h, hh, r_hh)
        gates = tf.concat([m_z, times(times(m_hh, m_r), r_r), m_hh], axis=-1)
        return (h_new,), h_new, GRUResetAfterMultipliers(gates, m_inner_h, m_h)

    def _step_reset_before(self, first, projected, state):
        (h,) = state
        u, rec, act = self.units, self.settings.recurrent_activation, self.settings.activation
        x_z, x_r, x_h = split(projected, len(GRU_GATES))
        kernel = self.weights.recurrent_kernel
        inner_z, inner_r = split(h.map(lambda h: self.recurrent(h, kernel[:, : 2 * u])), 2)
        z, r_z = rec(each_half(tf.add, x_z, inner_z))
        r, r_r = rec(each_half(tf.add, x_r, inner_r))
        rh, m_r, m_h_reset = product(r, h, b_is_initial_state=first)
        hh, r_hh = act(each_half(lambda x, rh: x + matmul(rh, kernel[:, 2 * u :]), x_h, rh))
        h_new, m_z, m_hh, m_h = self._mix(first, z, r_z, h, hh, r_hh)
        update_and_candidate = tf.concat([m_z, m_hh], -1)
        return (h_new,), h_new, GRUResetBeforeMultipliers(
            update_and_candidate, times(m_r, r_r), m_h_reset, m_h
        )

    def backward_step(self, saved, dh, carries):
        u, kernel = self.units, self.weights.recurrent_kernel
        if self.settings.reset_after:
            dx = tf.tile(dh, [1, len(GRU_GATES)]) * saved.gates
            d_inner = tf.concat([dx[:, : 2 * u], dx[:, 2 * u :] * saved.recurrent_candidate], -1)
            dh_prev = dh * saved.previous_output + tf.matmul(d_inner, kernel, transpose_b=True)
            return dx, dh_prev, ()
        dz_pre, dhh_pre = tf.split(tf.tile(dh, [1, 2]) * saved.update_and_candidate, 2, axis=-1)
        d_rh = tf.matmul(dhh_pre, kernel[:, 2 * u :], transpose_b=True)
        dr_pre = d_rh * saved.reset
        d_zr = tf.concat([dz_pre, dr_pre], axis=-1)
        dh_prev = (
            dh * saved.previous_output
            + d_rh * saved.reset_output
            + tf.matmul(d_zr, kernel[:, : 2 * u], transpose_b=True)
        )
        return tf.concat([dz_pre, dr_pre, dhh_pre], axis=-1), dh_prev, ()


class SimpleRNNMultipliers(NamedTuple):
    """What one SimpleRNN step stores for its backward step."""

    pre_activation: tf.Tensor  # the rescale multiplier of act


class SimpleRNNCell(Cell):
    """Keras 3 SimpleRNNCell: h_new = act((x K + b) + h U)."""

    gates = ("h",)
    multipliers = SimpleRNNMultipliers
    multipliers_per_unit = 1

    def project(self, x):
        projected = super().project(x)
        return projected + self.weights.bias if self.settings.use_bias else projected

    def step(self, first, projected, state):
        (h,) = state
        kernel = self.weights.recurrent_kernel
        h_new, r_h = self.settings.activation(
            each_half(lambda p, h: p + self.recurrent(h, kernel), projected, h)
        )
        if r_h is None:  # a linear activation: the multiplier is 1 for every pair
            r_h = tf.ones_like(difference(h_new))
        return (h_new,), h_new, SimpleRNNMultipliers(r_h)

    def backward_step(self, saved, dh, carries):
        d_pre = dh * saved.pre_activation
        return d_pre, tf.matmul(d_pre, self.weights.recurrent_kernel, transpose_b=True), ()


#: The cell class of each ``CellSettings.kind``.
CELLS: dict[str, type[Cell]] = {"lstm": LSTMCell, "gru": GRUCell, "simple_rnn": SimpleRNNCell}
