"""Every private TensorFlow, Keras and shap attribute the course relies on, in one place.

DeepExplainer's failure and its repair live in private corners of TensorFlow and shap: the
function that records ops on a gradient tape, TensorFlow's gradient registry, shap's table of
attribution rules. Those corners can move in any release. Reaching them only through this
module means an upgrade breaks in one place, and :data:`PRIVATE_ATTRIBUTES` lets a test check
that each of them still exists (``tests/test_explain_internals.py``): the early warning.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from shap.explainers._deep import deep_tf
from tensorflow.python.eager import backprop as tf_backprop
from tensorflow.python.eager import execute as tf_execute
from tensorflow.python.framework import ops as tf_ops

#: (module, dotted attribute) of every private name used by the helpers.
PRIVATE_ATTRIBUTES = (
    ("tensorflow.python.eager.execute", "record_gradient"),
    ("tensorflow.python.eager.backprop", "record_gradient"),
    ("tensorflow.python.framework.ops", "_gradient_registry._registry"),
    ("tensorflow.python.framework.func_graph", "FuncGraph._get_function"),
    ("shap.explainers._deep.deep_tf", "op_handlers"),
    ("shap.explainers._deep.deep_tf", "passthrough"),
    ("shap.explainers._deep.deep_tf", "break_dependence"),
    ("shap.explainers._deep.deep_tf", "nonlinearity_1d"),
    ("shap.explainers._deep.deep_tf", "TFDeep.custom_grad"),
    # sets the explainer's ``orig_grads`` (the gradient functions it swapped out), read by
    # swapped_out_gradient()
    ("shap.explainers._deep.deep_tf", "TFDeep.execute_with_overridden_gradients"),
    ("keras.src.models.functional", "Functional"),
    ("keras.src.layers.convolutional.conv1d", "Conv1D._compute_causal_padding"),
)
# Instance attributes (checked on a small functional model in tests/test_explain_internals.py):
# KerasTensor._keras_history, Layer._inbound_nodes, Node.arguments.


def resolve(module: str, attribute: str) -> Any:
    """Return ``module.attribute`` (dotted), raising AttributeError with both names if absent."""
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def gradient_registry() -> dict:
    """TensorFlow's table ``op type -> gradient function`` (a private dict shap edits)."""
    return tf_ops._gradient_registry._registry


def record_gradient() -> Callable:
    """The function TensorFlow currently uses to record ops on a gradient tape."""
    return tf_execute.record_gradient


def set_record_gradient(function: Callable) -> None:
    """Install ``function`` as TensorFlow's op recorder (shap patches this while it works)."""
    tf_execute.record_gradient = function


def original_record_gradient() -> Callable:
    """TensorFlow's own op recorder, which shap's patch replaces."""
    return tf_backprop.record_gradient


def shap_rules() -> dict:
    """shap's DeepExplainer table ``op type -> attribution rule`` (edited in place)."""
    return deep_tf.op_handlers


def passthrough_rule() -> Callable:
    """shap's rule that uses the ordinary gradient (exact for linear ops)."""
    return deep_tf.passthrough


def elementwise_rule() -> Callable:
    """shap's rescale rule for a one-input element-wise op: (f(x) - f(r)) / (x - r)."""
    return deep_tf.nonlinearity_1d(0)


def break_dependence_rule() -> Callable:
    """shap's rule for ops whose output does not depend on input values (``Shape`` etc.)."""
    return deep_tf.break_dependence


def shap_gradient_function() -> Callable:
    """The gradient function shap swaps into TensorFlow's registry for every op it explains."""
    return deep_tf.TFDeep.custom_grad


def swapped_out_gradient(entry: dict, op_type: str) -> Callable | None:
    """TensorFlow's own gradient function for a registry entry shap swapped, if it can be found.

    shap replaces ``registry[op_type]["type"]`` by the bound method ``explainer.custom_grad`` and
    keeps the original in ``explainer.orig_grads[op_type]``; the bound method leads back to it.
    Returns None if the entry was not swapped by shap or the original is not recorded.
    """
    function = entry.get("type")
    if getattr(function, "__func__", None) is not shap_gradient_function():
        return None
    return getattr(function.__self__, "orig_grads", {}).get(op_type)


def function_graph(graph: Any, name: str) -> Any:
    """The graph of the function ``name`` defined in ``graph`` or a graph around it."""
    while graph is not None:
        function = graph._get_function(name)
        if function is not None:
            return function.graph
        graph = getattr(graph, "outer_graph", None)
    return None


def is_functional(model: Any) -> bool:
    """True for functional Keras models (built from ``keras.Input`` by calling layers)."""
    from keras.src.models.functional import Functional

    return isinstance(model, Functional)


def keras_history(tensor: Any) -> tuple:
    """``(layer, node_index, tensor_index)``: where a symbolic Keras tensor was made."""
    return tensor._keras_history


def inbound_node(layer: Any, node_index: int) -> Any:
    """The call of ``layer`` (a Keras ``Node``) that produced a symbolic tensor."""
    return layer._inbound_nodes[node_index]


def node_arguments(node: Any) -> Any:
    """The arguments of a layer call: ``.keras_tensors`` (inputs) and ``.kwargs``."""
    return node.arguments


def causal_padding(layer: Any) -> list:
    """The left padding a Conv1D layer with ``padding="causal"`` applies to its input."""
    return layer._compute_causal_padding()


def is_sequential_or_functional(model: Any) -> bool:
    """True for models Keras can clone layer by layer (Sequential and functional models)."""
    import keras
    from keras.src.models.functional import Functional

    return isinstance(model, (keras.Sequential, Functional))
