"""Skill scores, the two baselines an LSTM must beat, and the LSTM scored against them.

- Skill scores, written out so a learner can read each formula: :func:`nse`, :func:`kge`,
  :func:`rmse`, :func:`pbias` (observed and simulated values of equal length, same units);
  :func:`spearman` compares two rankings (e.g. SHAP importance against the true sensitivity).
- Baselines, fitted on the training windows only, like the LSTM: :func:`monthly_climatology`
  and ridge regression (:func:`fit_ridge`, :func:`ridge_forecast`).
- Scores of a trained model: :func:`against_baselines` says whether it beats both;
  :func:`bootstrap_nse`, :func:`nse_by_year` and :func:`nse_by_seed` show how uncertain a test
  score from a few dozen months is (resampled months, calendar years, training seeds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge

from helpers import training
from helpers.windowing import Windows

#: The models :func:`against_baselines` compares, in the order of its rows.
MODELS = ("LSTM", "ridge", "climatology")

#: Ridge penalties :func:`fit_ridge` chooses from, on the validation windows.
_RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


def _as_pair(observed: ArrayLike, simulated: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Observed and simulated as 1-D float arrays, refusing bad input."""
    obs = np.asarray(observed, dtype=float).ravel()
    sim = np.asarray(simulated, dtype=float).ravel()
    if obs.shape != sim.shape:
        raise ValueError(f"observed has {obs.size} values but simulated has {sim.size}")
    if obs.size < 2:
        raise ValueError("skill scores need at least 2 values")
    if not (np.all(np.isfinite(obs)) and np.all(np.isfinite(sim))):
        raise ValueError("observed and simulated must not contain NaN or infinite values")
    return obs, sim


def _require_variation(obs: np.ndarray) -> None:
    """Refuse constant observations: NSE and KGE divide by their spread."""
    if np.ptp(obs) == 0:
        raise ValueError("observed values are constant: NSE and KGE are undefined (zero variance)")


def nse(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Nash-Sutcliffe efficiency: ``1 - sum((sim - obs)^2) / sum((obs - mean(obs))^2)``.

    1 is perfect, 0 is as good as predicting the observed mean, below 0 is worse than that.
    """
    obs, sim = _as_pair(observed, simulated)
    _require_variation(obs)
    return float(1.0 - np.sum((sim - obs) ** 2) / np.sum((obs - obs.mean()) ** 2))


def kge(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Kling-Gupta efficiency (Gupta et al. 2009).

    ``KGE = 1 - sqrt((r - 1)^2 + (alpha - 1)^2 + (beta - 1)^2)`` with ``r`` the Pearson
    correlation, ``alpha = std(sim) / std(obs)`` and ``beta = mean(sim) / mean(obs)``.
    1 is perfect; predicting the observed mean scores about -0.41. Observed values must vary
    and have a non-zero mean.
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
    """Root mean square error, in the units of the data."""
    obs, sim = _as_pair(observed, simulated)
    return float(np.sqrt(np.mean((sim - obs) ** 2)))


def pbias(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Percent bias, ``100 * sum(sim - obs) / sum(obs)``: positive over-estimates the volume."""
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
    """Spearman rank correlation (-1 to 1) of two arrays or tables, compared cell by cell.

    ``a`` and ``b`` may have any shapes with the same number of elements (flattened in C
    order), e.g. two variables × lags tables with the same labels in the same order.
    """
    first, second = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
    if first.shape != second.shape:
        raise ValueError(f"a and b must have as many values; got {first.size} and {second.size}.")
    return float(spearmanr(first, second).statistic)


def monthly_climatology(
    target: pd.Series, fit_dates: pd.DatetimeIndex, predict_dates: pd.DatetimeIndex
) -> np.ndarray:
    """Each month's runoff as its calendar-month mean over the fitting period.

    Parameters
    ----------
    target : pandas.Series
        Runoff indexed by a monthly DatetimeIndex (unscaled, e.g. mm/month).
    fit_dates : pandas.DatetimeIndex
        Dates whose values form the climatology (the training targets).
    predict_dates : pandas.DatetimeIndex
        Dates to give a value for (one each, in order).
    """
    fit = target.loc[fit_dates]
    means = fit.groupby(fit.index.month).mean()
    missing = sorted(set(pd.DatetimeIndex(predict_dates).month) - set(means.index))
    if missing:
        raise ValueError(f"no training data for calendar month(s) {missing}")
    return means.loc[pd.DatetimeIndex(predict_dates).month].to_numpy()


def _flatten(X: ArrayLike) -> np.ndarray:
    """Windows (n, window, features) as rows (n, window * features) for a linear model."""
    return np.asarray(X).reshape(len(X), -1)


def fit_ridge(
    train: Windows, validation: Windows, alphas: Sequence[float] = _RIDGE_ALPHAS
) -> Ridge:
    """A ridge regression on flattened windows, its penalty chosen on a validation slice.

    Parameters
    ----------
    train, validation : helpers.windowing.Windows
        Training windows, and the chronologically later validation windows (scaled).
    alphas : sequence of float
        Penalties to try; the one with the best validation NSE is kept, then the model is
        refitted on train + validation.

    Returns
    -------
    sklearn.linear_model.Ridge
        Use it with :func:`ridge_forecast`.
    """
    scores = {}
    for alpha in alphas:
        model = Ridge(alpha=alpha).fit(_flatten(train.X), train.y)
        scores[alpha] = nse(validation.y, ridge_forecast(model, validation))
    best = max(scores, key=scores.get)
    X_all = np.concatenate([_flatten(train.X), _flatten(validation.X)])
    y_all = np.concatenate([train.y, validation.y])
    return Ridge(alpha=best).fit(X_all, y_all)


def ridge_forecast(model: Ridge, windows: Windows) -> np.ndarray:
    """A ridge model's (:func:`fit_ridge`) values for windows, in scaled target units."""
    return model.predict(_flatten(windows.X))


def period_table(trained: training.TrainedModel, period: str = "test") -> pd.DataFrame:
    """Observed target and the LSTM's, ridge's and climatology's values, in target units.

    Parameters
    ----------
    trained : helpers.training.TrainedModel
        From ``training.load_or_train`` or ``training.train_from_record``.
    period : {"test", "train"}

    Returns
    -------
    pandas.DataFrame
        Indexed by target month; columns ``observed`` and :data:`MODELS`.
    """
    if period not in ("test", "train"):
        raise ValueError(f"period must be 'test' or 'train', got {period!r}")
    prepared = trained.prepared
    windows = prepared.test if period == "test" else prepared.train
    scaler = prepared.scaler
    target = prepared.record[prepared.target]
    ridge = fit_ridge(trained.fit_part, trained.validation)
    return pd.DataFrame(
        {
            "observed": target.loc[windows.target_dates].to_numpy(),
            "LSTM": training.predict(trained.model, windows, scaler),
            "ridge": scaler.inverse_target(ridge_forecast(ridge, windows)),
            "climatology": monthly_climatology(
                target, prepared.train.target_dates, windows.target_dates
            ),
        },
        index=pd.DatetimeIndex(windows.target_dates, name="date"),
    )


def against_baselines(trained: training.TrainedModel, period: str = "test") -> pd.DataFrame:
    """NSE, KGE, RMSE and percent bias of the LSTM, ridge and climatology on one period.

    Returns one row per model (:data:`MODELS`), RMSE in the target's units;
    ``attrs["n_months"]`` holds the number of months scored. E.g.
    ``print(metrics.against_baselines(trained).round(2))``.
    """
    table = period_table(trained, period)
    result = pd.DataFrame(
        {name: skill_table(table["observed"], table[name]) for name in MODELS}
    ).T
    result.index.name = f"{period} ({len(table)} months)"
    result.attrs["n_months"] = len(table)
    return result


def bootstrap_nse(
    table: pd.DataFrame,
    models: Mapping | tuple = MODELS,
    n_resamples: int = 1000,
    block: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """NSE of each model on resampled test periods (moving blocks of consecutive months).

    Each resample draws ``ceil(n / block)`` blocks of ``block`` consecutive months with
    replacement, so neighbouring months (which share weather) stay together; every model is
    scored on the same resamples, so their differences are paired.

    Parameters
    ----------
    table : pandas.DataFrame
        ``observed`` and one column per model, e.g. from :func:`period_table`.
    models : sequence of str
        Columns to score.
    n_resamples, block, seed : int

    Returns
    -------
    pandas.DataFrame
        ``n_resamples`` rows, one column per model. Summarise with ``.quantile([0.05, 0.95])``
        or compare, e.g. ``(samples["LSTM"] > samples["ridge"]).mean()``.
    """
    observed = table["observed"].to_numpy(dtype="float64")
    n = len(observed)
    if not 1 <= block <= n:
        raise ValueError(f"block must be between 1 and the {n} months, got {block}")
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(n_resamples, n_blocks))
    rows = (starts[:, :, None] + np.arange(block)).reshape(n_resamples, -1)[:, :n]
    samples = {}
    for name in models:
        simulated = table[name].to_numpy(dtype="float64")
        obs, sim = observed[rows], simulated[rows]
        spread = ((obs - obs.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            samples[name] = 1.0 - ((sim - obs) ** 2).sum(axis=1) / spread
    return pd.DataFrame(samples)


def nse_by_year(table: pd.DataFrame, models: Sequence[str] = MODELS) -> pd.DataFrame:
    """NSE of each model (column of ``table``) within each calendar year: one row per year.

    ``table`` is indexed by date with ``observed`` and one column per model, as
    :func:`period_table` returns it.
    """
    missing = [name for name in ["observed", *models] if name not in table.columns]
    if missing:
        raise ValueError(f"the table lacks the columns {missing}; make it with "
                         "metrics.period_table")
    if not isinstance(table.index, pd.DatetimeIndex):
        raise ValueError("the table must be indexed by date (as metrics.period_table returns it)")
    rows = {
        year: {name: nse(part["observed"], part[name]) for name in models}
        for year, part in table.groupby(table.index.year)
    }
    return pd.DataFrame(rows).T.rename_axis("year")


def nse_by_seed(trained: training.TrainedModel, seeds: Sequence[int]) -> pd.Series:
    """Test NSE of the LSTM trained again with other seeds, everything else unchanged.

    The bootstrap of :func:`bootstrap_nse` resamples the test months of one trained model; a
    network trained from another random start is another model, with another score. This is
    that second uncertainty. ``trained``'s own seed is scored without retraining; the result
    is indexed ``"seed 42"``, ``"seed 1"``, ...
    """
    if len(seeds) == 0:
        raise ValueError("give at least one seed, e.g. seeds=(42, 1, 2)")
    prepared = trained.prepared
    observed = prepared.record[prepared.target].loc[prepared.test.target_dates].to_numpy()
    result = {}
    for seed in seeds:
        run = trained if seed == trained.config.seed else training.train_from_record(
            prepared.record, prepared.features, prepared.target,
            trained.config.replace(seed=seed), verbose=False,
        )
        simulated = training.predict(run.model, run.prepared.test, run.prepared.scaler)
        result[f"seed {seed}"] = nse(observed, simulated)
    return pd.Series(result, name="test NSE")
