"""The global state ``shap.DeepExplainer`` changes: the machinery of snapshot, restore, repair.

DeepExplainer patches TensorFlow's op recorder ``execute.record_gradient`` (restored only if
the explanation succeeds), TensorFlow's gradient registry (``shap_<op>`` entries, swapped
gradient functions) and shap's own rule table ``op_handlers``. ``helpers.explain`` shows the
course-facing functions; their bodies are here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from helpers._kit.engine import internals

#: Linear ops that shap has no rule for; shap's ``passthrough`` rule (the ordinary gradient) is
#: exact for them. ``Split`` cuts the unrolled LSTM/GRU cells' gate pre-activations into the
#: gates; ``SplitV``, its variant with uneven sizes, is not used by Keras 3's cells but is
#: registered in case another release or a custom cell uses it.
_LINEAR_OPS_WITHOUT_SHAP_RULE = ("Split", "SplitV")

#: One-input element-wise nonlinearities that shap has no rule for; shap's rescale rule for such
#: ops ((f(x) - f(r)) / (x - r), as for ``Relu`` or ``Sigmoid``) is exact for them too. ``Relu6``
#: is Keras 3's ``hard_sigmoid`` (the LSTM/GRU option ``recurrent_activation="hard_sigmoid"``)
#: and ``relu6``; ``LeakyRelu`` is ``keras.layers.LeakyReLU``.
_ELEMENTWISE_OPS_WITHOUT_SHAP_RULE = ("Relu6", "LeakyRelu")

#: Ops that shap has a rule for that does not fit them, with the reason (named in refusals).
#: shap treats ``Max`` as element-wise, but it is a reduction (``GlobalMaxPooling1D``,
#: ``keras.ops.max``): its rule fails with a shape error.
OPS_WITH_UNFIT_SHAP_RULE = {
    "Max": "shap's rule treats Max as element-wise, but it is a reduction over time or features",
}

#: Ops that shap puts into TensorFlow's gradient registry by itself (besides ``shap_<op>``).
_SHAP_PREREGISTERED_OPS = ("TensorListReserve",)


def snapshot() -> dict:
    """Copies of the op recorder, the gradient registry and shap's rule table."""
    return {
        "record_gradient": internals.record_gradient(),
        "gradient_registry": {
            op: dict(entry) for op, entry in internals.gradient_registry().items()
        },
        "op_handlers": dict(internals.shap_rules()),
    }


def restore(saved: dict) -> None:
    """Put back the state recorded by :func:`snapshot`."""
    internals.set_record_gradient(saved["record_gradient"])

    registry = internals.gradient_registry()
    for op in list(registry):
        added_by_shap = op.startswith("shap_") or op in _SHAP_PREREGISTERED_OPS
        if op not in saved["gradient_registry"] and added_by_shap:
            del registry[op]
    for op, entry in saved["gradient_registry"].items():
        registry[op] = dict(entry)

    rules = internals.shap_rules()
    rules.clear()
    rules.update(saved["op_handlers"])


def is_patched() -> bool:
    """True if the op recorder is not TensorFlow's, or the registry holds shap's entries."""
    if internals.record_gradient() is not internals.original_record_gradient():
        return True
    shap_gradient = internals.shap_gradient_function()
    for op, entry in internals.gradient_registry().items():
        if op.startswith("shap_"):
            return True
        if getattr(entry["type"], "__func__", None) is shap_gradient:
            return True
    return False


def repair() -> list[str]:
    """Put TensorFlow's op recorder and gradient registry back; what was repaired."""
    repaired = []
    if internals.record_gradient() is not internals.original_record_gradient():
        internals.set_record_gradient(internals.original_record_gradient())
        repaired.append("execute.record_gradient")
    registry = internals.gradient_registry()
    for op in list(registry):
        entry = registry[op]
        if op.startswith("shap_"):
            del registry[op]
            repaired.append(f"removed gradient {op}")
        elif op in _SHAP_PREREGISTERED_OPS and entry.get("type") is None:
            del registry[op]
            repaired.append(f"removed gradient {op}")
        elif getattr(entry.get("type"), "__func__", None) is internals.shap_gradient_function():
            original = internals.swapped_out_gradient(entry, op)
            if original is None:  # TensorFlow has no gradient function to give back
                del registry[op]
            else:
                entry["type"] = original
            repaired.append(f"restored gradient {op}")
    return repaired


def require_healthy_tensorflow() -> None:
    """Refuse to work while an earlier, failed DeepExplainer call left TensorFlow patched."""
    if is_patched():
        raise RuntimeError(
            "TensorFlow's gradient recording is still patched by an earlier, failed "
            "shap.DeepExplainer call in this process. Call helpers.explain.repair_tensorflow() "
            "(and next time wrap such calls in `with helpers.explain.preserved_shap_state():`)."
        )


@contextlib.contextmanager
def linear_op_rules() -> Iterator[None]:
    """Context manager: rules for the exact ops shap lacks, while inside.

    shap's ``passthrough`` rule for the linear ``Split``/``SplitV`` (and ``AddV2``, which older
    shap releases lack): for a linear op, DeepLIFT's multiplier equals the ordinary gradient,
    which is exactly what ``passthrough`` uses. shap's rescale rule for the element-wise
    nonlinearities of :data:`_ELEMENTWISE_OPS_WITHOUT_SHAP_RULE`. The ops of
    :data:`OPS_WITH_UNFIT_SHAP_RULE` lose their rule, so that they are reported instead of
    failing inside shap. shap's rule table is put back as it was on leaving, also on failure.
    """
    rules = internals.shap_rules()
    saved = dict(rules)
    try:
        for op_type in (*_LINEAR_OPS_WITHOUT_SHAP_RULE, "AddV2"):
            rules.setdefault(op_type, internals.passthrough_rule())
        for op_type in _LINEAR_OPS_WITHOUT_SHAP_RULE:
            rules[op_type] = internals.passthrough_rule()
        for op_type in _ELEMENTWISE_OPS_WITHOUT_SHAP_RULE:
            rules.setdefault(op_type, internals.elementwise_rule())
        for op_type in OPS_WITH_UNFIT_SHAP_RULE:
            rules.pop(op_type, None)
        yield
    finally:
        rules.clear()
        rules.update(saved)


def in_float64(data: np.ndarray | list) -> np.ndarray | list[np.ndarray]:
    """``data`` (an array or a list of arrays, one per input) as float64, for DeepExplainer.

    DeepExplainer feeds the model its input's dtype (float32 here: the values are unchanged),
    but averages ``multipliers * (x - references)`` over the references in the data's dtype,
    along a strided axis where numpy sums one by one: in float32 that loses ~n*eps of the
    values' scale (7.95e-05 at values ~60 over 1,000 references). In float64 it does not.
    """
    if isinstance(data, list | tuple):
        return [np.asarray(part, np.float64) for part in data]
    return np.asarray(data, np.float64)
