"""The ground truth SHAP is checked against: runoff's true sensitivity to each input and lag.

Perturb one input in one month, re-run the process model from the stores of that month, and
record the change of runoff in a later month (:func:`true_sensitivity`); summarise it by lag
or by calendar month (:func:`sensitivity_summary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.catchment.process import process_drivers, run_process_model
from helpers._kit.catchment.record import as_record, start_states
from helpers._kit.catchment.settings import TEACHING_CATCHMENT, Catchment
from helpers._kit.columns import FEATURES


def perturbation_sizes(
    record: pd.DataFrame, delta: Mapping | None = None, n_std: float = 1.0
) -> pd.DataFrame:
    """Size of the perturbation of each variable in each month, in the variable's unit.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record`; needs the nine ``FEATURES``.
    delta : mapping, optional
        Fixed perturbation per variable (all nine), in its unit. By default each variable is
        perturbed by ``n_std`` standard deviations of its values in the same calendar month
        (its anomaly for that month), computed over the record.
    n_std : float
        Multiplier of the standard deviation when ``delta`` is None (e.g. -1 to subtract).

    Returns
    -------
    pandas.DataFrame
        Same index as the record, one column per feature.
    """
    frame = as_record(record, FEATURES)
    if delta is None:
        monthly_sd = frame[FEATURES].groupby(frame.index.month).std()
        return n_std * monthly_sd.loc[frame.index.month].set_axis(frame.index)
    missing = [v for v in FEATURES if v not in delta]
    if missing:
        raise ValueError(f"delta must give a size for every feature; missing {missing}")
    return pd.DataFrame({v: float(delta[v]) for v in FEATURES}, index=frame.index)


def _check_lags(lags: Iterable[int]) -> np.ndarray:
    """Sorted unique non-negative integer lags; ValueError otherwise."""
    lags = np.unique(np.asarray(list(lags)))
    if lags.size == 0 or not np.issubdtype(lags.dtype, np.integer) or lags[0] < 0:
        raise ValueError(f"lags must be non-negative integers, got {lags}")
    return lags


def _target_positions(index: pd.DatetimeIndex, target_dates: ArrayLike | None) -> np.ndarray:
    """Row positions of ``target_dates`` in ``index`` (all rows if None)."""
    if target_dates is None:
        return np.arange(len(index))
    targets = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(target_dates)))
    positions = index.get_indexer(targets)
    if len(targets) == 0 or np.any(positions < 0):
        raise ValueError(
            "target_dates must be month starts inside the record; not found: "
            f"{list(targets[positions < 0].strftime('%Y-%m-%d'))}"
        )
    return np.unique(positions)


def _perturbed_runoff(
    frame: pd.DataFrame, sizes: np.ndarray, starts: np.ndarray, horizon: int, catchment: Catchment
) -> np.ndarray:
    """Runoff change, shape (n_features, n_starts, horizon), after perturbing month ``start``.

    Batch member 0 is the unperturbed run, member ``j + 1`` perturbs ``FEATURES[j]`` in the
    first month; every run restarts from the stores the record had at that month's start.
    """
    n, n_var = len(frame), len(FEATURES)
    window = np.minimum(starts[:, None] + np.arange(horizon), n - 1)  # (n_starts, horizon)
    inputs = np.repeat(frame[FEATURES].to_numpy()[window][None], n_var + 1, axis=0)
    for j in range(n_var):
        inputs[j + 1, :, 0, j] += sizes[starts, j]
    radiation, days = process_drivers(frame.index, catchment.latitude)
    states = start_states(frame, catchment)
    flat = inputs.reshape(-1, horizon, n_var)
    run = run_process_model(
        flat[..., FEATURES.index("precip")],
        flat[..., FEATURES.index("tmean")],
        np.tile(radiation[window], (n_var + 1, 1)),
        np.tile(days[window], (n_var + 1, 1)),
        catchment.process,
        {k: np.tile(v[starts], n_var + 1) for k, v in states.items()},
    )
    runoff = run["runoff"].reshape(n_var + 1, len(starts), horizon)
    return runoff[1:] - runoff[0]


def true_sensitivity(
    record: pd.DataFrame,
    target_dates: ArrayLike | None,
    lags: Iterable[int],
    delta: Mapping | None = None,
    n_std: float = 1.0,
    catchment: Catchment = TEACHING_CATCHMENT,
) -> pd.DataFrame:
    """The process model's true sensitivity of runoff to each input at each lag.

    Definition: for a target month ``t``, a variable ``v`` and a lag ``k``, add the
    perturbation of :func:`perturbation_sizes` (by default +1 standard deviation of ``v`` in
    its calendar month) to ``v`` in month ``t - k`` only, re-run the process model from the
    stores it had at the start of month ``t - k``, and record the change of the noise-free
    runoff in month ``t``::

        delta_runoff(v, k, t) = Q(t | v[t-k] + delta) - Q(t)      (mm/month, signed)

    All nine features are perturbed the same way; the model reads only ``precip`` and
    ``tmean``, so the seven others come out exactly 0 — computed, not assumed. A perturbed
    ``precip`` below 0 is set to 0. Pairs whose month ``t - k`` precedes the record are left
    out. All runs go through the model in one batch.

    Parameters
    ----------
    record : pandas.DataFrame
        See :func:`as_record` (DatetimeIndex or ``date`` column); needs the nine ``FEATURES``.
    target_dates : array_like of dates or None
        Months whose runoff is examined (e.g. the test period); None for every month.
    lags : iterable of int
        Lags in months (0 = the target month itself), e.g. ``range(window)``.
    delta : mapping, optional
        Fixed perturbation per variable; see :func:`perturbation_sizes`.
    n_std : float
        Perturbation in standard deviations when ``delta`` is None.
    catchment : Catchment
        As in :func:`simulate_record`.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``variable``, ``lag``, ``target_date``, ``target_month`` (1-12),
        ``perturbed_date``, ``input_delta`` (perturbation in the variable's unit) and
        ``delta_runoff`` (mm/month); ordered by variable (as ``FEATURES``), lag, target date.
    """
    frame = as_record(record, FEATURES)
    lags, targets = _check_lags(lags), _target_positions(frame.index, target_dates)
    sizes = perturbation_sizes(frame, delta, n_std).to_numpy()
    starts = np.unique((targets[:, None] - lags[None, :]).ravel())
    starts = starts[starts >= 0]
    change = _perturbed_runoff(frame, sizes, starts, int(lags[-1]) + 1, catchment)
    # every (target, lag) pair whose perturbed month lies inside the record
    t_grid, k_grid = np.meshgrid(targets, lags, indexing="ij")
    keep = t_grid >= k_grid
    t_pos, k_pos = t_grid[keep], k_grid[keep]
    s_pos, n_var = np.searchsorted(starts, t_pos - k_pos), len(FEATURES)
    out = pd.DataFrame(
        {
            "variable": np.repeat(FEATURES, len(t_pos)),
            "lag": np.tile(k_pos, n_var),
            "target_date": np.tile(frame.index[t_pos], n_var),
            "target_month": np.tile(frame.index.month[t_pos], n_var),
            "perturbed_date": np.tile(frame.index[t_pos - k_pos], n_var),
            "input_delta": sizes[t_pos - k_pos].T.ravel(),
            "delta_runoff": change[:, s_pos, k_pos].ravel(),
        }
    )
    out["variable"] = pd.Categorical(out["variable"], categories=FEATURES, ordered=True)
    return out.sort_values(["variable", "lag", "target_date"], ignore_index=True)


def sensitivity_summary(sensitivity: pd.DataFrame, by: str = "lag") -> pd.DataFrame:
    """Mean absolute true sensitivity, variable by ``lag`` or by ``target_month``.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        Output of :func:`true_sensitivity`.
    by : {"lag", "target_month"}

    Returns
    -------
    pandas.DataFrame
        Rows: variables (in ``FEATURES`` order); columns: the values of ``by``; cells: mean of
        ``|delta_runoff|`` (mm/month).
    """
    if by not in ("lag", "target_month"):
        raise ValueError(f"by must be 'lag' or 'target_month', got {by!r}")
    table = sensitivity.assign(abs_change=sensitivity["delta_runoff"].abs()).pivot_table(
        index="variable", columns=by, values="abs_change", aggfunc="mean", observed=False
    )
    return table.reindex(FEATURES)


