"""SHAP values for Keras recurrent models (LSTM, GRU, SimpleRNN): the fix and its cross-checks.

Why ``shap.DeepExplainer(model, background).shap_values(X)`` fails on a Keras LSTM
-----------------------------------------------------------------------------------
DeepExplainer (DeepLIFT / DeepSHAP) replaces the gradient of every TensorFlow op between the
model's input and output by its own attribution rule, looked up by op type in shap's rule
table. A Keras LSTM runs its time steps in a ``While`` loop built from ``TensorList*`` ops;
shap has no rule for those, so the lookup fails
(``LookupError: gradient registry has no entry for: shap_TensorListStack``).
:func:`ops_without_shap_rule` shows this as computed evidence.

The fix: :func:`deep_shap` explains the model's *unrolled twin* (:func:`unrolled_twin`, the
same layers with ``unroll=True`` and the same weights), gives the linear ``Split`` op shap's
``passthrough`` rule, and checks that the values add up to the predictions. By default it
computes the same values with a batched engine (``_engine``: all window-background pairs at
once, the time loop kept as a loop, traced once per architecture), several times faster;
``engine="shap"`` runs shap on the twin itself.
What it cannot explain exactly it refuses, naming the Keras layer and the op
(:func:`layers_using_ops`).

Repair: a failed ``shap.DeepExplainer`` call of your own leaves TensorFlow patched (a later
``model.fit`` fails with ``no entry for: shap_DivNoNan``); :func:`repair_tensorflow` puts it
back, with no snapshot needed. :func:`preserved_shap_state` avoids the damage in the first place.

Cross-checks: :func:`gradient_shap` (expected gradients, approximately additive),
:func:`permutation_shap` (model-agnostic, slow), :func:`variable_shapley` (exact Shapley values
with one player per variable).

The modules, by job (from the bottom up)
----------------------------------------
- ``errors``       the errors every route raises (imports nothing)
- ``internals``    every private TensorFlow/Keras/shap attribute used, in one place
- ``prediction``   the one path from windows to a model's predictions
- ``state``        the global state DeepExplainer changes: snapshot, restore, repair
- ``graph``        which ops lie between input and output, which lack a shap rule
- ``twin``         the unrolled twin
- ``checks``       input checks and additivity
- ``explanation``  names per lag, sums per variable or lag, target units, flattening for plots
- ``_engine``      the batched engine (private package): DeepLIFT's rules, the layers, the
  recurrent cells and their time loop, reading a model, running it traced once per architecture
- ``deep``         the fix (:func:`deep_shap`, :func:`shap_on_unrolled_twin`), the engine choice
  and the background (:func:`training_background`)
- ``crosschecks``  :func:`gradient_shap`, :func:`permutation_shap`
- ``shapley``      :func:`variable_shapley` and the Shapley weights
- ``importance``   permutation importance (skill lost when a variable is shuffled)
- ``cache``        computing an explanation once, reusing it later
- ``readings``     the test period's explanations that notebooks 04, 04b and 04c read, in one
  call (:func:`explain_test_period`)

Shapes: windows are ``(n, window, n_features)``, e.g. ``(147, 12, 9)``; window explanations
have the same shape.
"""

from helpers.explain.cache import cached
from helpers.explain.checks import additivity_error
from helpers.explain.crosschecks import gradient_shap, permutation_shap
from helpers.explain.deep import deep_shap, training_background
from helpers.explain.errors import AdditivityError, DeepShapFailure, UnsupportedOpError
from helpers.explain.explanation import (
    by_lag,
    by_variable,
    flatten,
    in_target_units,
    lagged_feature_names,
    variable_importance,
)
from helpers.explain.graph import graph_op_types, layers_using_ops, ops_without_shap_rule
from helpers.explain.importance import permutation_importance
from helpers.explain.readings import PeriodExplanations, explain_test_period
from helpers.explain.shapley import shapley_weights, variable_shapley
from helpers.explain.state import (
    preserved_shap_state,
    repair_tensorflow,
    restore_shap_state,
    shap_state_snapshot,
    tensorflow_gradients_are_patched,
)
from helpers.explain.twin import unrolled_twin

__all__ = [
    "AdditivityError",
    "DeepShapFailure",
    "PeriodExplanations",
    "UnsupportedOpError",
    "additivity_error",
    "by_lag",
    "by_variable",
    "cached",
    "deep_shap",
    "explain_test_period",
    "flatten",
    "gradient_shap",
    "graph_op_types",
    "in_target_units",
    "lagged_feature_names",
    "layers_using_ops",
    "ops_without_shap_rule",
    "permutation_importance",
    "permutation_shap",
    "preserved_shap_state",
    "repair_tensorflow",
    "restore_shap_state",
    "shap_state_snapshot",
    "shapley_weights",
    "tensorflow_gradients_are_patched",
    "training_background",
    "unrolled_twin",
    "variable_importance",
    "variable_shapley",
]
