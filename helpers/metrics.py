"""Skill scores for runoff simulations, written out so a learner can read each formula.

The skill scores take observed and simulated values of the same length, in the same units;
:func:`spearman` compares two rankings (e.g. SHAP importance against the true sensitivity).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import spearmanr


def _as_pair(observed, simulated):
    """Return observed and simulated as 1-D float arrays, refusing bad input."""
    obs = np.asarray(observed, dtype=float).ravel()
    sim = np.asarray(simulated, dtype=float).ravel()
    if obs.shape != sim.shape:
        raise ValueError(f"observed has {obs.size} values but simulated has {sim.size}")
    if obs.size < 2:
        raise ValueError("skill scores need at least 2 values")
    if not (np.all(np.isfinite(obs)) and np.all(np.isfinite(sim))):
        raise ValueError("observed and simulated must not contain NaN or infinite values")
    return obs, sim


def _require_variation(obs):
    """Refuse constant observations: NSE and KGE divide by their spread."""
    if np.ptp(obs) == 0:
        raise ValueError("observed values are constant: NSE and KGE are undefined (zero variance)")


def nse(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Nash-Sutcliffe efficiency.

    ``NSE = 1 - sum((sim - obs)^2) / sum((obs - mean(obs))^2)``. 1 is perfect, 0 is as good as
    predicting the observed mean, below 0 is worse than that.

    Parameters
    ----------
    observed, simulated : array-like
        Values of equal length.

    Returns
    -------
    float
    """
    obs, sim = _as_pair(observed, simulated)
    _require_variation(obs)
    return float(1.0 - np.sum((sim - obs) ** 2) / np.sum((obs - obs.mean()) ** 2))


def kge(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Kling-Gupta efficiency (Gupta et al. 2009).

    ``KGE = 1 - sqrt((r - 1)^2 + (alpha - 1)^2 + (beta - 1)^2)`` with ``r`` the Pearson
    correlation, ``alpha = std(sim) / std(obs)`` and ``beta = mean(sim) / mean(obs)``.
    1 is perfect; predicting the observed mean scores about -0.41.

    Parameters
    ----------
    observed, simulated : array-like
        Values of equal length; observed must vary and have a non-zero mean.

    Returns
    -------
    float
    """
    obs, sim = _as_pair(observed, simulated)
    _require_variation(obs)
    if obs.mean() == 0:
        raise ValueError("observed mean is zero: the bias ratio of KGE is undefined")
    r = np.corrcoef(obs, sim)[0, 1] if np.ptp(sim) > 0 else 0.0
    alpha = sim.std() / obs.std()
    beta = sim.mean() / obs.mean()
    return float(1.0 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2))


def rmse(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Root mean square error, in the units of the data.

    Parameters
    ----------
    observed, simulated : array-like
        Values of equal length.

    Returns
    -------
    float
    """
    obs, sim = _as_pair(observed, simulated)
    return float(np.sqrt(np.mean((sim - obs) ** 2)))


def pbias(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Percent bias: ``100 * sum(sim - obs) / sum(obs)``.

    Positive means the simulation over-estimates the total volume.

    Parameters
    ----------
    observed, simulated : array-like
        Values of equal length; observed must not sum to zero.

    Returns
    -------
    float
    """
    obs, sim = _as_pair(observed, simulated)
    if obs.sum() == 0:
        raise ValueError("observed values sum to zero: percent bias is undefined")
    return float(100.0 * np.sum(sim - obs) / np.sum(obs))


def skill_table(observed: ArrayLike, simulated: ArrayLike) -> dict[str, float]:
    """All four scores in a dict: ``{"NSE": ..., "KGE": ..., "RMSE": ..., "PBIAS %": ...}``."""
    return {
        "NSE": nse(observed, simulated),
        "KGE": kge(observed, simulated),
        "RMSE": rmse(observed, simulated),
        "PBIAS %": pbias(observed, simulated),
    }


def spearman(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of two equally sized arrays or tables, compared cell by cell.

    Parameters
    ----------
    a, b : array-like
        Any shapes with the same number of elements (they are flattened in C order), e.g. two
        variables × lags tables with the same labels in the same order.

    Returns
    -------
    float
        The rank correlation, from -1 to 1.
    """
    first, second = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
    if first.shape != second.shape:
        raise ValueError(f"a and b must have as many values; got {first.size} and {second.size}.")
    return float(spearmanr(first, second).statistic)
