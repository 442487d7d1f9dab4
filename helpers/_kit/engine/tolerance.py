"""The additivity check's allowance: an absolute tolerance, or float32's resolution at the
output's scale, whichever is larger.

A model computes in float32, so its own prediction of an output y carries a round-off of a few
``eps32 * |y|`` (eps32 = 2**-23 ~ 1.19e-07), and a sum of n SHAP values computed from float32
activations carries ~``sqrt(n)`` such errors (random signs). An absolute tolerance of 1e-5 is
below that resolution once outputs reach ~10: at outputs ~65 (shap's linear test: inputs
N(1, 10), weights 1 and 2) one float32 step of the prediction is already 7.6e-06. So the
allowance is::

    allowed = max(tolerance, K * eps32 * scale * sqrt(n_values + 1))

with ``scale`` the largest ``|output|`` among the explained windows' predictions and the base
value (the model's outputs, never the values being judged, so wrong values cannot widen their
own allowance), ``n_values`` the values per explained row (window x features) and the ``+ 1``
the base value. ``K = 8`` is a margin over what correct answers show: the error of shap's dense
cases, divided by ``eps32 * scale * sqrt(n_values + 1)``, was 0.25 to 0.4 with the references
summed in float64 and 6.0 when they were summed in float32 (8.05e-05 at scale 64.7, 2 values).

At the course's scale (standardised runoff, |output| ~ 1-3, window 12 x 9 variables) the
allowance stays 1e-5 to 3e-5. A missing DeepSHAP rule (the gradient in place of the rescale
rule on an LSTM's sigmoid and tanh, on either engine: ``tests/test_explain.py``) missed the
predictions by 0.096 to 0.19 of the output, at outputs ~1 and ~1000 alike: far outside it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: float32's machine epsilon (2**-23).
EPS32 = float(np.finfo(np.float32).eps)
#: Margin over the round-off correct answers show (see the module's docstring).
K = 8.0


def allowed_error(
    tolerance: float, predictions: ArrayLike, base_value: ArrayLike, n_values: int
) -> float:
    """``max(tolerance, K * eps32 * scale * sqrt(n_values + 1))``, as the module explains.

    Parameters
    ----------
    tolerance : float
        The absolute tolerance (the course's is 1e-5); the allowance is never below it.
    predictions : array
        The model's predictions of the explained rows.
    base_value : float or array
        The base value(s) of the explanation.
    n_values : int
        SHAP values summed per row (window length x features).

    Returns
    -------
    float
    """
    outputs = np.concatenate([np.ravel(predictions), np.ravel(base_value)]).astype(np.float64)
    scale = float(np.max(np.abs(outputs))) if outputs.size else 0.0
    if not math.isfinite(scale):  # non-finite predictions: only the absolute tolerance
        return tolerance
    return max(tolerance, K * EPS32 * scale * math.sqrt(n_values + 1))
