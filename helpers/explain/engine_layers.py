"""The layers of the batched DeepSHAP engine: each Keras layer's forward pass on pairs.

Every block computes both halves of its input pair (window and background) and, for its
nonlinearities and products, shap's multipliers; its backward pass multiplies the gradient back
through them. Recurrent layers keep their time loop as a ``tf.while_loop``, forward and back.
See :mod:`helpers.explain.deeplift` for the rules and :mod:`helpers.explain.engine` for how the
blocks are chained and run.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from helpers.explain import internals
from helpers.explain.deeplift import (
    _DERIVATIVES,
    _Activation,
    _activation,
    _matmul,
    _merge_halves,
    _split_halves,
    _value,
    product,
    rescale_multiplier,
)

# --------------------------------------------------------------------------------------------
# 3. Non-recurrent layers: an affine map, optionally followed by an activation
# --------------------------------------------------------------------------------------------


class _Block:
    """One layer of the chain: ``forward(pair) -> (pair, saved)``, ``backward(saved, g) -> g``."""

    def forward(self, pair):
        raise NotImplementedError

    def backward(self, saved, grad):
        raise NotImplementedError


class _Identity(_Block):
    """Dropout-type layers: the identity at inference."""

    def forward(self, pair):
        return pair, None

    def backward(self, saved, grad):
        return grad


class _AffineActivation(_Block):
    """A linear/affine Keras computation (Dense, Conv1D, pooling, Flatten, ...) + activation.

    The linear part passes gradients through (shap's ``passthrough``/``linearity_1d``); its
    transpose is taken with a GradientTape (exact, because the map is affine).
    """

    def __init__(self, affine: Callable[[tf.Tensor], tf.Tensor], activation: _Activation):
        self.affine = affine
        self.activation = activation

    def forward(self, pair):
        pre = _split_halves(self.affine(_merge_halves(pair)))
        out, multiplier = self.activation(pre)
        return out, (tf.zeros_like(pair[1]), multiplier)

    def backward(self, saved, grad):
        zeros, multiplier = saved
        if multiplier is not None:
            grad = grad * multiplier
        with tf.GradientTape() as tape:
            tape.watch(zeros)
            out = self.affine(zeros)
        return tape.gradient(out, zeros, output_gradients=grad)


def _dense_affine(layer):
    def affine(x):
        y = keras.ops.matmul(x, _value(layer.kernel))
        return keras.ops.add(y, _value(layer.bias)) if layer.use_bias else y

    return affine


def _conv1d_affine(layer):
    def affine(x):
        padding = layer.padding
        if padding == "causal":
            x = keras.ops.pad(x, internals.causal_padding(layer))
            padding = "valid"
        y = keras.ops.conv(
            x,
            _value(layer.kernel),
            strides=list(layer.strides),
            padding=padding,
            dilation_rate=layer.dilation_rate,
            data_format=layer.data_format,
        )
        if layer.use_bias:
            y = keras.ops.add(y, keras.ops.reshape(_value(layer.bias), (1, 1, layer.filters)))
        return y

    return affine


def _layer_call(layer):
    return lambda x: layer(x, training=False)


# --------------------------------------------------------------------------------------------
# 4. Recurrent cells: one time step forward (pairs) and backward (multipliers)
# --------------------------------------------------------------------------------------------


class _Cell:
    """Weights and one time step of a Keras recurrent cell.

    ``project`` computes the input's contribution to the gate pre-activations for all steps at
    once; ``step`` does one step on pairs and returns the multipliers the backward step needs;
    ``backward_step`` maps the gradient of the step's output (and carried state gradients) to
    the gradient of the projected input and of the previous output.
    """

    n_gates: int
    n_carries = 0  # state gradients carried besides dh (the LSTM's c)
    saved_per_unit: int

    def __init__(self, layer):
        cell = layer.cell
        self.units = cell.units
        self.use_bias = cell.use_bias
        self.kernel = cell.kernel
        self.recurrent_kernel = cell.recurrent_kernel
        self.bias = cell.bias if cell.use_bias else None

    def initial_state(self, n_pairs) -> tuple[tf.Tensor, ...]:
        zeros = tf.zeros(tf.stack([2, n_pairs, self.units]))
        return (zeros,) * (1 + self.n_carries)

    def input_gradient(self, d_projected: tf.Tensor) -> tf.Tensor:
        return _matmul(d_projected, tf.transpose(_value(self.kernel)))


class _LSTMCell(_Cell):
    """Keras 3 LSTMCell, ``implementation=2``: z = (x K + h U) + b, gates i, f, c, o."""

    n_gates, n_carries, n_saved, saved_per_unit = 4, 1, 3, 6

    def __init__(self, layer):
        super().__init__(layer)
        self.act = _activation(layer.cell.activation, layer, "activation")
        self.rec_act = _activation(layer.cell.recurrent_activation, layer, "recurrent_activation")

    def project(self, x):
        return _matmul(x, _value(self.kernel))

    def step(self, first, xk, state):
        h, c = state
        z = xk + _matmul(h, _value(self.recurrent_kernel))
        if self.use_bias:
            z = z + _value(self.bias)
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
        i, f, g, o = (self.rec_act.apply(z_i), self.rec_act.apply(z_f), self.act.apply(z_c),
                      self.rec_act.apply(z_o))
        fc, m_f, m_c = product(f, c, b_is_initial_state=first)
        ig, m_i, m_g = product(i, g)
        c_new = fc + ig
        tanh_c, r_tc = self.act(c_new)
        h_new, m_o, m_tc = product(o, tanh_c)
        # the rescale rule for the four gate activations at once (one op per step, not four)
        r_gates = self._gate_rescale(z, tf.concat([i, f, g, o], axis=-1))
        gates = tf.concat([m_i, m_f, m_g, m_o], axis=-1) * r_gates
        return (h_new, c_new), h_new, (gates, _times(m_tc, r_tc), m_c)

    def _gate_rescale(self, pre, out):
        """Rescale multipliers of the gates i, f, c, o (recurrent activation, except c)."""
        derivative = _DERIVATIVES[self.rec_act.name]
        if self.act.name != self.rec_act.name:
            u = self.units
            is_c = tf.range(4 * u) // u == 2
            rec, act = derivative, _DERIVATIVES[self.act.name]

            def derivative(p, y):
                return tf.where(is_c, act(p, y), rec(p, y))

        return rescale_multiplier(pre, out, derivative)

    def backward_step(self, saved, dh, carries):
        gates, c_from_h, m_c = saved
        (dc,) = carries
        dc_new = dc + dh * c_from_h
        dz = tf.concat([dc_new, dc_new, dc_new, dh], axis=-1) * gates
        dh_prev = tf.matmul(dz, _value(self.recurrent_kernel), transpose_b=True)
        return dz, dh_prev, (dc_new * m_c,)


class _GRUCell(_Cell):
    """Keras 3 GRUCell, ``implementation=2``, gates z, r, h; ``reset_after`` True or False.

    reset_after=True:  x_* from x K + b_in; inner = h U + b_rec;
                       hh = act(x_h + r * inner_h)   (r * inner_h: product of two varying)
    reset_after=False: x_* from x K + b; inner = h U[:, :2u];
                       hh = act(x_h + (r * h) U[:, 2u:])
    both:              h_new = z * h + (1 - z) * hh
    """

    n_gates, saved_per_unit = 3, 5

    def __init__(self, layer):
        super().__init__(layer)
        self.reset_after = layer.cell.reset_after
        self.n_saved = 3 if self.reset_after else 4
        self.act = _activation(layer.cell.activation, layer, "activation")
        self.rec_act = _activation(layer.cell.recurrent_activation, layer, "recurrent_activation")

    def _biases(self):
        if not self.use_bias:
            return None, None
        bias = _value(self.bias)
        return (bias[0], bias[1]) if self.reset_after else (bias, None)

    def project(self, x):
        xk = _matmul(x, _value(self.kernel))
        input_bias, _ = self._biases()
        return xk if input_bias is None else xk + input_bias

    def _mix(self, first, z, r_z, h, hh, r_hh):
        """h_new = z * h + (1 - z) * hh; multipliers of z's pre-activation, of hh, of h."""
        zh, m_z, m_h = product(z, h, b_is_initial_state=first)
        z_bar_hh, m_zbar, m_hh = product(1.0 - z, hh)
        return zh + z_bar_hh, _times(m_z - m_zbar, r_z), _times(m_hh, r_hh), m_h

    def step(self, first, xk, state):
        (h,) = state
        u = self.units
        x_z, x_r, x_h = tf.split(xk, 3, axis=-1)
        kernel = _value(self.recurrent_kernel)
        if self.reset_after:
            inner = _matmul(h, kernel)
            _, recurrent_bias = self._biases()
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            z, r_z = self.rec_act(x_z + inner[..., :u])
            r, r_r = self.rec_act(x_r + inner[..., u : 2 * u])
            rh, m_r, m_inner_h = product(r, inner[..., 2 * u :], b_is_initial_state=first)
            hh, r_hh = self.act(x_h + rh)
            h_new, mz, mh, m_h = self._mix(first, z, r_z, h, hh, r_hh)
            gates = tf.concat([mz, _times(_times(mh, m_r), r_r), mh], axis=-1)
            return (h_new,), h_new, (gates, m_inner_h, m_h)
        inner = _matmul(h, kernel[:, : 2 * u])
        z, r_z = self.rec_act(x_z + inner[..., :u])
        r, r_r = self.rec_act(x_r + inner[..., u:])
        rh, m_r, m_h_reset = product(r, h, b_is_initial_state=first)
        hh, r_hh = self.act(x_h + _matmul(rh, kernel[:, 2 * u :]))
        h_new, mz, mh, m_h = self._mix(first, z, r_z, h, hh, r_hh)
        return (h_new,), h_new, (tf.concat([mz, mh], -1), _times(m_r, r_r), m_h_reset, m_h)

    def backward_step(self, saved, dh, carries):
        u = self.units
        kernel = _value(self.recurrent_kernel)
        if self.reset_after:
            gates, m_inner_h, m_h = saved
            dx = tf.tile(dh, [1, 3]) * gates
            d_inner = tf.concat([dx[:, : 2 * u], dx[:, 2 * u :] * m_inner_h], axis=-1)
            dh_prev = dh * m_h + tf.matmul(d_inner, kernel, transpose_b=True)
            return dx, dh_prev, ()
        zh_gates, r_mult, m_h_reset, m_h = saved
        dz_pre, dhh_pre = tf.split(tf.tile(dh, [1, 2]) * zh_gates, 2, axis=-1)
        d_rh = tf.matmul(dhh_pre, kernel[:, 2 * u :], transpose_b=True)
        dr_pre = d_rh * r_mult
        d_zr = tf.concat([dz_pre, dr_pre], axis=-1)
        dh_prev = (
            dh * m_h + d_rh * m_h_reset + tf.matmul(d_zr, kernel[:, : 2 * u], transpose_b=True)
        )
        return tf.concat([dz_pre, dr_pre, dhh_pre], axis=-1), dh_prev, ()


class _SimpleRNNCell(_Cell):
    """Keras 3 SimpleRNNCell: h_new = act((x K + b) + h U)."""

    n_gates, n_saved, saved_per_unit = 1, 1, 1

    def __init__(self, layer):
        super().__init__(layer)
        self.act = _activation(layer.cell.activation, layer, "activation")

    def project(self, x):
        xk = _matmul(x, _value(self.kernel))
        return xk + _value(self.bias) if self.use_bias else xk

    def step(self, first, xk, state):
        (h,) = state
        h_new, r_h = self.act(xk + _matmul(h, _value(self.recurrent_kernel)))
        if r_h is None:
            r_h = tf.ones_like(h_new[1])
        return (h_new,), h_new, (r_h,)

    def backward_step(self, saved, dh, carries):
        (r_h,) = saved
        d_pre = dh * r_h
        return d_pre, tf.matmul(d_pre, _value(self.recurrent_kernel), transpose_b=True), ()


def _times(a: tf.Tensor, b: tf.Tensor | None) -> tf.Tensor:
    """``a * b``, where ``b=None`` (a linear activation's multiplier) means 1."""
    return a if b is None else a * b


# --------------------------------------------------------------------------------------------
# 5. Recurrent layers: the time loop forward and backward
# --------------------------------------------------------------------------------------------


class _Recurrent(_Block):
    """An LSTM/GRU/SimpleRNN layer: ``tf.while_loop`` over time, forward and backward."""

    def __init__(self, layer, cell: _Cell):
        self.cell = cell
        self.return_sequences = layer.return_sequences
        self.go_backwards = layer.go_backwards

    def forward(self, pair):
        cell = self.cell
        n_pairs = tf.shape(pair)[1]
        projected = tf.transpose(cell.project(pair), [2, 0, 1, 3])  # (T, 2, B, gates * u)
        if self.go_backwards:
            projected = tf.reverse(projected, [0])
        n_steps = pair.shape[2]

        def body(t, state, outputs, saved):
            state, h, multipliers = cell.step(tf.equal(t, 0), projected[t], state)
            outputs = outputs.write(t, h) if self.return_sequences else h
            saved = tuple(array.write(t, m) for array, m in zip(saved, multipliers, strict=True))
            return t + 1, state, outputs, saved

        state = cell.initial_state(n_pairs)
        saved = tuple(tf.TensorArray(tf.float32, size=n_steps) for _ in range(cell.n_saved))
        outputs = tf.TensorArray(tf.float32, size=n_steps) if self.return_sequences else state[0]
        _, _, outputs, saved = tf.while_loop(
            lambda t, *_: t < n_steps, body, (tf.constant(0), state, outputs, saved)
        )
        if self.return_sequences:
            outputs = tf.transpose(outputs.stack(), [1, 2, 0, 3])  # (2, B, T, u)
        return outputs, (tuple(array.stack() for array in saved), tf.shape(pair[1]))

    def backward(self, saved, grad):
        cell = self.cell
        multipliers, input_shape = saved
        n_steps = multipliers[0].shape[0]
        if self.return_sequences:
            grad_steps = tf.transpose(grad, [1, 0, 2])  # (T, B, u), processing order
            dh = tf.zeros_like(grad_steps[0])
        else:
            grad_steps, dh = None, grad
        carries = (tf.zeros_like(dh),) * cell.n_carries

        def body(t, dh, carries, d_projected):
            if grad_steps is not None:
                dh = dh + grad_steps[t]
            step_saved = tuple(m[t] for m in multipliers)
            dx, dh, carries = cell.backward_step(step_saved, dh, carries)
            return t - 1, dh, carries, d_projected.write(t, dx)

        d_projected = tf.TensorArray(tf.float32, size=n_steps)
        _, _, _, d_projected = tf.while_loop(
            lambda t, *_: t >= 0, body, (tf.constant(n_steps - 1), dh, carries, d_projected)
        )
        d_projected = d_projected.stack()  # (T, B, gates * u)
        if self.go_backwards:
            d_projected = tf.reverse(d_projected, [0])
        d_input = cell.input_gradient(d_projected)  # (T, B, F)
        return tf.reshape(tf.transpose(d_input, [1, 0, 2]), input_shape)


class _Bidirectional(_Block):
    """``Bidirectional``: forward and backward layer, merged by concat, sum, ave or mul."""

    def __init__(self, layer, forward: _Recurrent, backward: _Recurrent):
        self.forward_layer, self.backward_layer = forward, backward
        self.merge_mode = layer.merge_mode
        self.return_sequences = layer.return_sequences

    def forward(self, pair):
        y, saved_f = self.forward_layer.forward(pair)
        y_rev, saved_b = self.backward_layer.forward(pair)
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [2])
        m_y = m_rev = None
        if self.merge_mode == "concat":
            out = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        else:  # "mul"
            out, m_y, m_rev = product(y, y_rev)
        return out, (saved_f, saved_b, m_y, m_rev, y.shape[-1])

    def backward(self, saved, grad):
        saved_f, saved_b, m_y, m_rev, units = saved
        if self.merge_mode == "concat":
            g_y, g_rev = grad[..., :units], grad[..., units:]
        elif self.merge_mode == "sum":
            g_y = g_rev = grad
        elif self.merge_mode == "ave":
            g_y = g_rev = grad / 2
        else:
            g_y, g_rev = grad * m_y, grad * m_rev
        if self.return_sequences:
            g_rev = tf.reverse(g_rev, [1])
        return self.forward_layer.backward(saved_f, g_y) + self.backward_layer.backward(
            saved_b, g_rev
        )
