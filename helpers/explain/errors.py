"""The errors every SHAP route raises, and the routes named in their messages.

The lowest layer of :mod:`helpers.explain`: it imports nothing, so the engine's pure maths, the
input checks and the routes raise the same classes without pulling in each other's modules.
"""

from __future__ import annotations

#: Recurrent-model SHAP routes that work for any model, named in error messages.
MODEL_AGNOSTIC_ROUTES = (
    "helpers.explain.variable_shapley (exact, one player per variable) or "
    "helpers.explain.permutation_shap (one value per month and variable)"
)


class UnsupportedOpError(RuntimeError):
    """The model uses TensorFlow ops for which shap's DeepExplainer has no (exact) rule.

    ``op_types`` lists the ops, ``layers`` maps each op to the Keras layers that use it
    (``{"SelectV2": ["masking (Masking)", "lstm (LSTM)"]}``), and ``reasons`` holds a note for
    ops that have a rule in shap that does not fit them.
    """

    def __init__(self, op_types, layers: dict | None = None, reasons: dict | None = None):
        self.op_types = sorted(op_types)
        self.layers = {op: list((layers or {}).get(op, [])) for op in self.op_types}
        by_layer: dict[str, list[str]] = {}
        for op in self.op_types:
            for layer in self.layers[op] or ["(layer not found)"]:
                by_layer.setdefault(layer, []).append(op)
        where = "; ".join(
            f"{'' if layer.startswith('(') else 'layer '}{layer}: {', '.join(ops)}"
            for layer, ops in by_layer.items()
        )
        notes = "".join(f" {op}: {note}." for op, note in sorted((reasons or {}).items()))
        super().__init__(
            "DeepSHAP cannot explain this model exactly: shap.DeepExplainer has no attribution "
            f"rule for TensorFlow op(s) that these Keras layers use — {where}.{notes} Replace "
            "the layer if you can, or use a model-agnostic route instead: "
            + MODEL_AGNOSTIC_ROUTES + "."
        )


class DeepShapFailure(RuntimeError):
    """shap.DeepExplainer failed on a model that passed every check beforehand."""


class AdditivityError(RuntimeError):
    """SHAP values plus base value do not add up to the model's prediction."""


class EngineUnsupportedError(NotImplementedError):
    """The batched engine cannot reproduce shap's DeepSHAP values for this model (use shap's)."""


class EngineAdditivityError(AdditivityError):
    """The batched engine's values plus base value do not add up to the model's predictions."""
