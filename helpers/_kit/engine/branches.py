"""The batched engine for models with two inputs: a window and a vector of static attributes.

A regional model takes statics beside the window in one of three ways: a dense branch whose
output is concatenated with the LSTM's, the LSTM's initial state (``initial_state=[h0, c0]``
from Dense layers of the statics), or statics repeated at every time step as extra channels
(``RepeatVector`` + ``Concatenate``). Its graph is not a chain: this module reads it as a list
of *nodes* in the order Keras computes them, each a layer with the tensors it takes (tensor 0 is
the window, tensor 1 the statics, tensor ``2 + i`` the output of node ``i``), and runs shap's
rules through it: forward on the pairs' halves node by node, backward from the output's seed,
summing the gradients of a tensor that feeds several nodes (shap's passthrough for the fork).
The contributions of each input are its gradient times ``x - r``, averaged over the background.

What a layer computes is the chain engine's own (:mod:`layers`, :mod:`recurrent`); what is new
is the walk, ``Concatenate`` (passthrough: the gradient split back to its inputs) and a
recurrent layer's initial state (whose gradient the time loop's backward pass hands back).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from helpers._kit.engine import internals
from helpers._kit.engine.errors import EngineUnsupportedError
from helpers._kit.engine.reading import CELL_KINDS, layer_settings, layer_variables, refuse
from helpers._kit.engine.recurrent import BidirectionalSettings, RecurrentSettings
from helpers._kit.engine.rules import Pair, difference

#: Floats kept per pair and input value: gradient, difference x - r and their product.
INPUT_FLOATS_PER_VALUE = 3
#: Floats a Concatenate keeps per pair and output value: the gradient, split (1 + 1).
CONCAT_FLOATS_PER_VALUE = 2
#: Bytes of one float32, and the most pairs per chunk (as the chain engine, ``runner``).
FLOAT32_BYTES = 4
MAX_PAIRS_PER_CHUNK = 4096


@dataclass(frozen=True)
class ConcatSettings:
    """``Concatenate`` on the last axis: the sizes of its inputs there."""

    sizes: tuple[int, ...]

    def block(self, weights: Sequence[tf.Tensor]) -> Concat:
        return Concat(self.sizes)


class Concat:
    """Inputs side by side on the last axis; backward, the gradient split back (passthrough)."""

    def __init__(self, sizes: tuple[int, ...]):
        self.sizes = sizes

    def forward(self, pairs: list[Pair]) -> tuple[Pair, None]:
        return Pair(tf.concat([p.x for p in pairs], -1), tf.concat([p.r for p in pairs], -1)), None

    def backward(self, saved: None, grad: tf.Tensor) -> list[tf.Tensor]:
        return tf.split(grad, list(self.sizes), axis=-1)


@dataclass(frozen=True)
class Node:
    """One layer call: its settings and variables, the tensors it takes, its memory per pair.

    ``kind`` is ``"layer"`` (one input), ``"concat"`` or ``"stateful"`` (a recurrent layer
    given ``initial_state``: its inputs are the sequence, then the states).
    """

    settings: object
    variables: tuple
    inputs: tuple[int, ...]
    kind: str
    floats_per_pair: int


def _call_inputs(layer, arguments) -> tuple[list, str]:
    """The symbolic tensors a layer call takes, in the engine's order, and the node's kind."""
    kwargs = {k: v for k, v in arguments.kwargs.items() if v is not None and k != "training"}
    if type(layer) is keras.layers.Concatenate:
        if layer.axis not in (-1, len(layer.output.shape) - 1):
            refuse(layer, "only concatenation on the last axis is supported")
        return list(tf.nest.flatten(arguments.args)), "concat"
    if set(kwargs) == {"initial_state"} and type(layer) in CELL_KINDS and not layer.go_backwards:
        return [*tf.nest.flatten(arguments.args), *tf.nest.flatten(kwargs["initial_state"])], (
            "stateful")
    if kwargs:
        refuse(layer, f"called with arguments {sorted(kwargs)}")
    inputs = tf.nest.flatten(arguments.args)
    if len(inputs) != 1:
        refuse(layer, "takes several inputs (Concatenate and initial_state are supported)")
    return inputs, "layer"


def _node(layer, tensors: list, ids: tuple[int, ...], kind: str, output) -> Node:
    """The :class:`Node` of one call of ``layer`` on ``tensors`` (known as tensors ``ids``)."""
    if kind == "concat":
        return Node(ConcatSettings(tuple(int(t.shape[-1]) for t in tensors)), (), ids, kind,
                    CONCAT_FLOATS_PER_VALUE * math.prod(output.shape[1:]))
    settings = layer_settings(layer)
    if isinstance(settings, (RecurrentSettings, BidirectionalSettings)):
        n_steps, n_inputs = tensors[0].shape[1], tensors[0].shape[-1]
        if n_steps is None:
            refuse(layer, "an undefined window length is not supported with two inputs")
        floats = settings.floats_per_pair(n_steps, n_inputs)
    else:
        floats = settings.floats_per_pair(math.prod(output.shape[1:]))
    return Node(settings, layer_variables(layer), ids, kind, floats)


def graph_plan(model: keras.Model) -> list[Node]:
    """The nodes of a functional model with inputs [window, static], in computing order.

    Raises
    ------
    EngineUnsupportedError
        For a layer, an option or a call the engine does not cover (names which, and why).
    """
    if not internals.is_functional(model) or len(model.outputs) != 1:
        raise EngineUnsupportedError(f"Model {model.name!r}: only functional models with one "
                                     "output are read with two inputs.")
    ids = {id(tensor): i for i, tensor in enumerate(model.inputs)}
    nodes: list[Node] = []

    def visit(tensor) -> int:
        if id(tensor) not in ids:
            layer, node_index, _ = internals.keras_history(tensor)
            if isinstance(layer, (keras.layers.InputLayer, keras.Model)):
                refuse(layer, "nested models and inputs other than the model's are not "
                              "supported with two inputs")
            node = internals.inbound_node(layer, node_index)
            tensors, kind = _call_inputs(layer, internals.node_arguments(node))
            inputs = tuple(visit(t) for t in tensors)
            nodes.append(_node(layer, tensors, inputs, kind, tensor))
            ids[id(tensor)] = len(model.inputs) + len(nodes) - 1
        return ids[id(tensor)]

    visit(model.outputs[0])
    if math.prod(model.outputs[0].shape[1:]) != 1:
        raise EngineUnsupportedError(
            f"Model {model.name!r}: only models with one output value per row are supported."
        )
    return nodes


def _forward(nodes, blocks, inputs: list[Pair]) -> tuple[list[Pair], list]:
    """Every tensor's pair, node by node, and what each node keeps for its backward pass."""
    tensors, saved = list(inputs), []
    for node, block in zip(nodes, blocks, strict=True):
        taken = [tensors[i] for i in node.inputs]
        if node.kind == "concat":
            out, kept = block.forward(taken)
        elif node.kind == "stateful":
            out, kept = block.forward(taken[0], initial_state=taken[1:])
        else:
            out, kept = block.forward(taken[0])
        tensors.append(out)
        saved.append(kept)
    return tensors, saved


def _backward(nodes, blocks, saved, tensors: list[Pair], n_inputs: int) -> list:
    """The gradient of every tensor, from the output's seed (ones) back to the inputs."""
    grads: list = [None] * len(tensors)
    grads[-1] = tf.ones_like(difference(tensors[-1]))  # shap seeds the output with ones
    for i in reversed(range(len(nodes))):
        node, block, grad = nodes[i], blocks[i], grads[n_inputs + i]
        if grad is None:
            continue
        if node.kind == "concat":
            taken = block.backward(saved[i], grad)
        elif node.kind == "stateful":
            d_sequence, d_state = block.backward_with_state(saved[i], grad)
            taken = [d_sequence, *d_state]
        else:
            taken = [block.backward(saved[i], grad)]
        for j, g in zip(node.inputs, taken, strict=True):
            grads[j] = g if grads[j] is None else grads[j] + g  # a fork: gradients add
    return grads


def _trace(nodes: Sequence[Node], shapes: tuple) -> Callable:
    """A traced ``(x, background, weights) -> (window values, static values)`` of one chunk."""
    specs = [tf.TensorSpec((None, *shape), tf.float32) for shape in shapes]
    weight_specs = [tf.TensorSpec(v.shape, tf.float32) for node in nodes for v in node.variables]
    counts = np.cumsum([0, *(len(node.variables) for node in nodes)])

    @tf.function(input_signature=[specs, specs, weight_specs])
    def explain_chunk(x, background, weights):
        blocks = [node.settings.block(weights[counts[i] : counts[i + 1]])
                  for i, node in enumerate(nodes)]
        inputs = [Pair(a, b) for a, b in zip(x, background, strict=True)]
        tensors, saved = _forward(nodes, blocks, inputs)
        grads = _backward(nodes, blocks, saved, tensors, len(inputs))
        values = []
        for pair, grad in zip(inputs, grads, strict=False):
            delta = difference(pair)
            contributions = delta * 0.0 if grad is None else grad * delta  # (k, m, ...)
            values.append(tf.reduce_mean(tf.cast(contributions, tf.float64), axis=1))
        return values

    return explain_chunk


#: Traced computations by architecture: the nodes (settings, inputs), weight and input shapes.
_TRACED: dict[tuple, Callable] = {}


def shap_values(
    model: keras.Model, X: list[np.ndarray], background: list[np.ndarray], *,
    memory_budget_mb: float, plan: Sequence[Node] | None = None,
) -> list[np.ndarray]:
    """DeepSHAP values of [window, static] (float64, X's shapes), equal to shap's on the twin.

    The caller checks X and background (float32, finite, the model's shapes), computes the
    base value (the mean prediction on the background) and checks additivity.
    """
    nodes = graph_plan(model) if plan is None else plan
    shapes = tuple(tuple(part.shape[1:]) for part in X)
    signature = (tuple((n.settings, n.inputs, n.kind) for n in nodes),
                 tuple(tuple(v.shape) for n in nodes for v in n.variables), shapes)
    if signature not in _TRACED:
        _TRACED[signature] = _trace(nodes, shapes)
    weights = [tf.convert_to_tensor(v) for node in nodes for v in node.variables]
    floats = INPUT_FLOATS_PER_VALUE * sum(math.prod(s) for s in shapes) + sum(
        node.floats_per_pair for node in nodes)
    m = len(background[0])
    k = max(1, min(int(memory_budget_mb * 2**20 // (FLOAT32_BYTES * floats * m)),
                   MAX_PAIRS_PER_CHUNK // m))
    bg = [np.ascontiguousarray(part, np.float32) for part in background]
    chunks = [_TRACED[signature]([np.ascontiguousarray(part[start : start + k], np.float32)
                                  for part in X], bg, weights)
              for start in range(0, len(X[0]), k)]
    return [np.concatenate([chunk[i].numpy() for chunk in chunks]) for i in range(len(X))]
