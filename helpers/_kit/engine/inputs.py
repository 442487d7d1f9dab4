"""Explanations of a model with two inputs, a window and statics: one shap.Explanation each.

``helpers.explain.deep_shap(model, [window, static], background=[window_bg, static_bg])``
returns an :class:`InputExplanations`: a list of two ``shap.Explanation`` in the model's input
order (as ``shap.DeepExplainer`` returns a list of arrays, one per input), also reachable as
``.window`` and ``.static``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shap
from numpy.typing import ArrayLike

from helpers._kit.engine.checks import lagged_names


class InputExplanations(list):
    """One ``shap.Explanation`` per model input: ``[window, static]``.

    ``window``: values ``(n, window, n_features)`` named ``"precip (t-3)"``; ``static``: values
    ``(n, n_static)`` named by the statics. Both have the same ``base_values`` (n,): the mean
    prediction over the background; the values of *both* add up to the prediction minus it.
    ``max_additivity_error``, ``engine`` and ``engine_note`` are set by ``deep_shap``.
    """

    max_additivity_error: float
    engine: str
    engine_note: str | None

    @property
    def window(self) -> shap.Explanation:
        """The window input's explanation, (n, window, n_features)."""
        return self[0]

    @property
    def static(self) -> shap.Explanation:
        """The static input's explanation, (n, n_static)."""
        return self[1]

    @property
    def base_values(self) -> np.ndarray:
        """The base value of each explained row (shared by both inputs), (n,)."""
        return self[0].base_values

    def combined(self) -> shap.Explanation:
        """Both inputs' values side by side, (n, window * n_features + n_static), for checks.

        ``data`` stays the windows (additivity checks read the number of rows from it).
        """
        n = len(self[0].values)
        combined = shap.Explanation(
            values=np.concatenate([part.values.reshape(n, -1) for part in self], axis=1),
            base_values=self.base_values,
            data=self[0].data,
        )
        combined.engine = getattr(self, "engine", None)
        return combined

    def shares(self) -> dict[str, float]:
        """Each input's share of the credit: its sum of ``|value|`` over the total (sums to 1)."""
        totals = {name: float(np.abs(part.values).sum())
                  for name, part in zip(("window", "static"), self, strict=True)}
        grand = sum(totals.values())
        return {name: (total / grand if grand > 0 else float("nan"))
                for name, total in totals.items()}


def explanations(
    values: Sequence[np.ndarray],
    base_value: float,
    X: Sequence[np.ndarray],
    names: tuple[Sequence[str], Sequence[str]],
) -> InputExplanations:
    """An :class:`InputExplanations` from the values of [window, static] and the names."""
    window, static = X
    base_values = np.full(len(window), float(base_value))
    lagged = lagged_names(names[0], window.shape[1])
    return InputExplanations([
        shap.Explanation(
            values=np.asarray(values[0], np.float64), base_values=base_values, data=window,
            feature_names=np.broadcast_to(lagged, window.shape).tolist(),
        ),
        shap.Explanation(
            values=np.asarray(values[1], np.float64), base_values=base_values.copy(), data=static,
            feature_names=list(names[1]),
        ),
    ])


def window_explanation(
    values: ArrayLike, base_values: ArrayLike, X: np.ndarray, feature_names: Sequence[str]
) -> shap.Explanation:
    """A shap.Explanation of shape (n, window, n_features) with per-(lag, variable) names."""
    names = lagged_names(feature_names, X.shape[1])
    return shap.Explanation(
        values=np.asarray(values, dtype=np.float64),
        base_values=np.asarray(base_values, dtype=np.float64).reshape(len(X)),
        data=X,
        feature_names=np.broadcast_to(names, X.shape).tolist(),
    )
