"""Walking a model's TensorFlow graph: the ops between input and output, and their layers.

The machinery behind ``helpers.explain.graph_op_types`` and ``ops_without_shap_rule``: trace
the forward pass, walk the ops that depend on the input and feed the output (loop bodies and
function calls included), and name the Keras layer each op belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import keras
import tensorflow as tf

from helpers._kit.engine import internals


def model_window_shape(model: keras.Model) -> tuple | None:
    """(window, n_features) from ``model.input_shape``; None where the model does not say.

    Returns None for subclassed models, which have no ``input_shape``; a size is None when the
    model was defined with an undefined window length, e.g. ``keras.Input((None, 9))``.
    """
    try:
        input_shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(input_shape, list):
        raise ValueError(f"Only models with one input are supported; got inputs {input_shape}.")
    if len(input_shape) != 3:
        raise ValueError(
            "Expected a model whose input is (batch, window, n_features); "
            f"got input shape {input_shape}."
        )
    return tuple(input_shape[1:])


def fixed_window_shape(model: keras.Model, window_shape: tuple | None = None) -> tuple:
    """The fixed (window, n_features) of a model: ``window_shape`` if given, else from the model."""
    if window_shape is not None and _several(window_shape):  # a window and statics
        return tuple(tuple(int(size) for size in shape) for shape in window_shape)
    if window_shape is not None:
        return tuple(int(size) for size in window_shape)
    shape = model_window_shape(model)
    if shape is None or None in shape:
        raise ValueError(
            f"Cannot read a fixed (window, n_features) from the model (got {shape}); pass "
            "window_shape=(window, n_features), or define the model with "
            "keras.Input((window, n_features))."
        )
    return shape


def _several(shape) -> bool:
    """True for a list of per-input shapes (a window and statics), False for one shape."""
    return len(shape) > 0 and isinstance(shape[0], (tuple, list))


def _trace_forward_pass(model, window_shape):
    """The graph of ``model(inputs, training=False)`` for any batch, and its input tensors.

    ``window_shape`` is (window, n_features), or one shape per input for a two-input model.
    """
    shapes = list(window_shape) if _several(window_shape) else [window_shape]
    specs = [tf.TensorSpec((None, *shape), tf.float32) for shape in shapes]
    forward = tf.function(lambda *inputs: model(
        inputs[0] if len(inputs) == 1 else list(inputs), training=False
    ))
    graph = forward.get_concrete_function(*specs).graph
    return graph, graph.inputs[: len(specs)]


def _ops_between(sources, targets):
    """Ops that depend on a ``sources`` tensor and feed a ``targets`` tensor.

    Like shap, the walk stops at ops whose output does not depend on the input values
    (``Shape`` etc., shap's ``break_dependence`` rule).
    """
    breaker = internals.break_dependence_rule()
    breakers = {op for op, rule in internals.shap_rules().items() if rule is breaker}

    upstream, stack = set(), [t.op for t in targets]
    while stack:
        op = stack.pop()
        if op in upstream or op.type in breakers:
            continue
        upstream.add(op)
        stack.extend(t.op for t in op.inputs)

    between, stack = set(), [op for t in sources for op in t.consumers()]
    while stack:
        op = stack.pop()
        if op in between or op not in upstream:
            continue
        between.add(op)
        stack.extend(consumer for t in op.outputs for consumer in t.consumers())
    return between


def _nested_function_graphs(op):
    """Graphs of the functions an op runs: a While loop's body, an If's branches, a call."""
    names = []
    for attr in ("body", "then_branch", "else_branch", "f"):  # not a While's "cond"
        if attr in op.node_def.attr:
            names.append(op.get_attr(attr).name)
    if "branches" in op.node_def.attr:
        names.extend(branch.name for branch in op.get_attr("branches"))

    graphs = []
    for name in names:
        graph = internals.function_graph(op.graph, name)
        if graph is not None:
            graphs.append(graph)
    return graphs


def _ops_on_path(sources, targets, scope=""):
    """(op type, op name) of the ops between sources and targets, loop bodies and calls included.

    An op inside a function body is named after the op that runs the body (whose name carries
    the Keras layer's name scope), e.g. ``sequential/lstm/while/TensorListStack``.
    """
    for op in _ops_between(sources, targets):
        name = f"{scope}/{op.name}" if scope else op.name
        yield op.type, name
        for body in _nested_function_graphs(op):
            # inside a body, values (float) and tensor lists (variant) carry the input;
            # loop counters (int) and weights (resource) do not
            body_sources = [t for t in body.inputs if t.dtype.is_floating or t.dtype == tf.variant]
            yield from _ops_on_path(body_sources, body.outputs, name)


def _op_types_on_path(sources, targets):
    """Op types between sources and targets, including inside loop bodies and calls."""
    return {op_type for op_type, _ in _ops_on_path(sources, targets)}


def op_types(model: keras.Model, window_shape: tuple | None = None) -> set[str]:
    """Op types between the model's input and output, loop bodies and calls included."""
    graph, inputs = _trace_forward_pass(model, fixed_window_shape(model, window_shape))
    return _op_types_on_path(inputs, graph.outputs)


def _layers_by_name(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """Every layer of a model by name: nested models' layers and wrapped layers included."""
    layers = {}
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        layers.setdefault(layer.name, layer)
        stack.extend(getattr(layer, "layers", []) if isinstance(layer, keras.Model) else [])
        for attribute in ("layer", "forward_layer", "backward_layer"):
            inner = getattr(layer, attribute, None)
            if isinstance(inner, keras.layers.Layer):
                stack.append(inner)
    return layers


def _layer_of(op_name: str, layers: dict, suffixed: bool) -> str | None:
    """The innermost layer whose name scope an op's name lies in (``lstm`` in ``seq/lstm/x``).

    Keras may make a scope unique with a suffix (layer ``dense`` in scope ``dense_1``, layer
    ``dense_1`` in ``dense_1_2``); ``suffixed`` says whether it did (seen on the model's scope).
    """
    found = None
    for part in op_name.split("/")[:-1]:
        candidate = re.sub(r"_\d+$", "", part) if suffixed else part
        if candidate in layers:
            found = candidate
    return found


def _label(layer: keras.layers.Layer) -> str:
    """``"dense (Dense, activation swish)"``: a layer's name, class and non-linear activation."""
    activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
    extra = "" if activation == "linear" else f", activation {activation}"
    return f"{layer.name} ({type(layer).__name__}{extra})"


def layers_using_ops(
    model: keras.Model, op_types: Iterable[str], window_shape: tuple | None = None
) -> dict[str, list[str]]:
    """For each op type, the Keras layers whose forward pass uses it on the input-output path.

    Parameters
    ----------
    model : keras.Model
        A model taking windows of shape ``(batch, window, n_features)``.
    op_types : iterable of str
        Op types to look for, e.g. ``["SelectV2"]``.
    window_shape : tuple of int, optional
        ``(window, n_features)``; read from ``model.input_shape`` if omitted.

    Returns
    -------
    dict
        ``op type -> ["masking (Masking)", "lstm (LSTM)"]`` (layers named with their class);
        an op outside any layer's name scope (e.g. mask propagation between layers) is listed as
        ``"(outside any layer)"``.
    """
    wanted = set(op_types)
    layers = _layers_by_name(model)
    graph, inputs = _trace_forward_pass(model, fixed_window_shape(model, window_shape))
    found: dict[str, set[str]] = {op_type: set() for op_type in wanted}
    on_path = list(_ops_on_path(inputs, graph.outputs))
    suffixed = any(name.split("/")[0] != model.name for _, name in on_path if "/" in name)
    for op_type, name in on_path:
        if op_type in wanted:
            layer = _layer_of(name, layers, suffixed)
            found[op_type].add("(outside any layer)" if layer is None else _label(layers[layer]))
    return {op_type: sorted(names) for op_type, names in found.items()}
