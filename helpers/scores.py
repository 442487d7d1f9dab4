"""Score a trained model against the two baselines, in the target's own units, honestly.

``against_baselines(trained)`` is the one call that says whether an LSTM trained on your
data beats monthly climatology and ridge regression (both fitted on the training windows
only, as in notebook 02). ``bootstrap_nse`` shows how uncertain a test score from a few
dozen months is, by resampling blocks of consecutive test months; ``nse_by_year`` and
``nse_by_seed`` show two more sides of it: the calendar years of the test period, and the
training seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import baselines, metrics, training

#: The models ``against_baselines`` compares, in the order of its rows.
MODELS = ("LSTM", "ridge", "climatology")


def predictions(trained: training.TrainedModel, period: str = "test") -> pd.DataFrame:
    """Observed target and the predictions of the LSTM, ridge and climatology, in target units.

    Parameters
    ----------
    trained : helpers.training.TrainedModel
        From ``training.load_or_train`` or ``training.train_from_record``.
    period : {"test", "train"}
        Which windows to predict.

    Returns
    -------
    pandas.DataFrame
        Indexed by target month; columns ``observed`` and ``MODELS``.
    """
    if period not in ("test", "train"):
        raise ValueError(f"period must be 'test' or 'train', got {period!r}")
    prepared = trained.prepared
    windows = prepared.test if period == "test" else prepared.train
    scaler = prepared.scaler
    target = prepared.record[prepared.target]
    ridge = baselines.fit_ridge(trained.fit_part, trained.validation)
    return pd.DataFrame(
        {
            "observed": target.loc[windows.target_dates].to_numpy(),
            "LSTM": training.predict(trained.model, windows, scaler),
            "ridge": scaler.inverse_target(baselines.predict_ridge(ridge, windows)),
            "climatology": baselines.monthly_climatology(
                target, prepared.train.target_dates, windows.target_dates
            ),
        },
        index=pd.DatetimeIndex(windows.target_dates, name="date"),
    )


def against_baselines(trained: training.TrainedModel, period: str = "test") -> pd.DataFrame:
    """NSE, KGE, RMSE and percent bias of the LSTM, ridge and climatology on one period.

    Parameters
    ----------
    trained : helpers.training.TrainedModel
    period : {"test", "train"}

    Returns
    -------
    pandas.DataFrame
        One row per model (``MODELS``); RMSE in the target's units. ``attrs["n_months"]``
        holds the number of months scored.

    Examples
    --------
    >>> print(scores.against_baselines(trained).round(2))  # doctest: +SKIP
    """
    table = predictions(trained, period)
    result = pd.DataFrame(
        {name: metrics.skill_table(table["observed"], table[name]) for name in MODELS}
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
        ``observed`` and one column per model, e.g. from :func:`predictions`.
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
    """NSE of each model within each calendar year of a table of predictions.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by date; ``observed`` and one column per model, e.g. from :func:`predictions`.
    models : sequence of str
        Columns to score.

    Returns
    -------
    pandas.DataFrame
        One row per calendar year, one column per model.
    """
    missing = [name for name in ["observed", *models] if name not in table.columns]
    if missing:
        raise ValueError(f"the table lacks the columns {missing}; make it with scores.predictions")
    if not isinstance(table.index, pd.DatetimeIndex):
        raise ValueError("the table must be indexed by date (as scores.predictions returns it)")
    rows = {
        year: {name: metrics.nse(part["observed"], part[name]) for name in models}
        for year, part in table.groupby(table.index.year)
    }
    return pd.DataFrame(rows).T.rename_axis("year")


def nse_by_seed(trained: training.TrainedModel, seeds: Sequence[int]) -> pd.Series:
    """Test NSE of the LSTM trained again with other seeds, everything else unchanged.

    The bootstrap of :func:`bootstrap_nse` resamples the test months of one trained model; a
    network trained from another random start is another model, with another score. This is
    that second uncertainty.

    Parameters
    ----------
    trained : helpers.training.TrainedModel
        The model, its record and its settings; its own seed is scored without retraining.
    seeds : sequence of int
        The training seeds to score (retraining takes seconds each for the course's model).

    Returns
    -------
    pandas.Series
        Test NSE per seed, indexed ``"seed 42"``, ``"seed 1"``, ...
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
        result[f"seed {seed}"] = metrics.nse(observed, simulated)
    return pd.Series(result, name="test NSE")
