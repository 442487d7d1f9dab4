"""The engine's own error, and the routes that work for any model (named in refusals)."""

from __future__ import annotations

#: Recurrent-model SHAP routes that work for any model, named in error messages.
MODEL_AGNOSTIC_ROUTES = (
    "helpers.crosschecks.variable_shapley (exact, one player per variable) or "
    "helpers.crosschecks.permutation_shap (one value per month and variable)"
)


class EngineUnsupportedError(NotImplementedError):
    """The batched engine cannot reproduce shap's DeepSHAP values for this model (use shap's)."""
