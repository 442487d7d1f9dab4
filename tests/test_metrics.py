"""Skill scores against values worked out by hand; the baselines; scores by year and by seed."""

import numpy as np
import pandas as pd
import pytest

from helpers import metrics, training, windowing

TINY = {"units": 4, "max_epochs": 3, "patience": 2, "window": 6, "seed": 7}
# the 120-month record leaves 23 test windows: the short-test-period warning is expected there
SHORT_TEST = pytest.mark.filterwarnings("ignore:the test period has only")

OBS = np.array([1.0, 2.0, 3.0, 4.0])
SIM = np.array([1.0, 3.0, 2.0, 6.0])
# By hand: errors 0, 1, -1, 2 -> SSE = 6, MSE = 1.5; obs mean 2.5, SST = 5.
# sum(sim - obs) = 2, sum(obs) = 10.


def test_nse_by_hand():
    assert metrics.nse(OBS, SIM) == pytest.approx(1 - 6 / 5)


def test_nse_perfect_and_mean_prediction():
    assert metrics.nse(OBS, OBS) == 1.0
    assert metrics.nse(OBS, np.full(4, OBS.mean())) == pytest.approx(0.0)


def test_rmse_by_hand():
    assert metrics.rmse(OBS, SIM) == pytest.approx(np.sqrt(1.5))


def test_pbias_by_hand():
    assert metrics.pbias(OBS, SIM) == pytest.approx(20.0)


def test_kge_by_hand():
    r = np.corrcoef(OBS, SIM)[0, 1]  # components computed separately from the formula
    alpha = np.std(SIM) / np.std(OBS)  # sqrt(3.5) / sqrt(1.25)
    beta = 3.0 / 2.5
    expected = 1 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2)
    assert alpha == pytest.approx(np.sqrt(3.5 / 1.25))
    assert metrics.kge(OBS, SIM) == pytest.approx(expected)


def test_kge_perfect_and_mean_prediction():
    assert metrics.kge(OBS, OBS) == pytest.approx(1.0)
    # A constant prediction at the mean: r = 0, alpha = 0, beta = 1 -> 1 - sqrt(2).
    assert metrics.kge(OBS, np.full(4, OBS.mean())) == pytest.approx(1 - np.sqrt(2))


@pytest.mark.parametrize("score", [metrics.nse, metrics.kge])
def test_constant_observations_are_refused(score):
    with pytest.raises(ValueError, match="constant"):
        score([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("score", [metrics.nse, metrics.kge, metrics.rmse, metrics.pbias])
def test_bad_input_is_refused(score):
    with pytest.raises(ValueError, match="3 values but simulated has 2"):
        score([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        score([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])


def test_pbias_zero_total_is_refused():
    with pytest.raises(ValueError, match="sum to zero"):
        metrics.pbias([1.0, -1.0], [1.0, 2.0])


def test_skill_table_keys():
    table = metrics.skill_table(OBS, SIM)
    assert list(table) == ["NSE", "KGE", "RMSE", "PBIAS %"]
    assert table["RMSE"] == pytest.approx(np.sqrt(1.5))


def test_spearman_ranks_tables_cell_by_cell():
    a = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]])
    assert metrics.spearman(a, a * 10) == pytest.approx(1.0)
    assert metrics.spearman(a, -a) == pytest.approx(-1.0)
    assert metrics.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="as many values"):
        metrics.spearman([1, 2, 3], [1, 2])


def test_monthly_climatology_is_the_calendar_month_mean_of_the_fitting_dates():
    dates = pd.date_range("2000-01-01", periods=36, freq="MS")
    target = pd.Series(np.arange(36.0), index=dates)
    values = metrics.monthly_climatology(target, dates[:24], dates[24:27])
    np.testing.assert_allclose(values, [6.0, 7.0, 8.0])  # mean of months 0 and 12, 1 and 13, ...
    with pytest.raises(ValueError, match=r"no training data for calendar month\(s\) \[12\]"):
        metrics.monthly_climatology(target, dates[:11], dates[11:12])


@SHORT_TEST
def test_ridge_recovers_a_linear_target(record):
    prepared = windowing.prepare_windows(record, ["a", "b", "c"], "q", window=6)
    fit_part, validation = windowing.validation_split(prepared.train, fraction=0.2)
    ridge = metrics.fit_ridge(fit_part, validation)
    forecast = metrics.ridge_forecast(ridge, prepared.test)
    assert forecast.shape == (len(prepared.test),)
    assert metrics.nse(prepared.test.y, forecast) > 0.8  # q is a linear mix of a's last months


def test_nse_by_year_scores_each_calendar_year_on_its_own():
    dates = pd.date_range("2001-01-01", periods=24, freq="MS")
    observed = np.r_[np.arange(12.0), 10 + np.arange(12.0)]
    table = pd.DataFrame({"observed": observed, "LSTM": observed,
                          "ridge": observed + np.r_[np.zeros(12), np.ones(12)]}, index=dates)
    table["climatology"] = table["observed"].groupby(dates.year).transform("mean")
    by_year = metrics.nse_by_year(table)
    assert list(by_year.index) == [2001, 2002] and list(by_year.columns) == list(metrics.MODELS)
    np.testing.assert_allclose(by_year["LSTM"], 1.0)
    np.testing.assert_allclose(by_year["climatology"], 0.0, atol=1e-12)  # each year's own mean
    second_year = table.loc["2002"]
    assert by_year.loc[2002, "ridge"] == metrics.nse(second_year["observed"], second_year["ridge"])
    assert by_year.loc[2001, "ridge"] == 1.0


def test_nse_by_year_refuses_a_table_it_cannot_score():
    dates = pd.date_range("2001-01-01", periods=12, freq="MS")
    with pytest.raises(ValueError, match=r"lacks the columns \['ridge', 'climatology'\]"):
        metrics.nse_by_year(pd.DataFrame({"observed": range(12), "LSTM": range(12)}, index=dates))
    with pytest.raises(ValueError, match="indexed by date"):
        metrics.nse_by_year(pd.DataFrame({"observed": range(3), "LSTM": range(3)}), ["LSTM"])


@SHORT_TEST
def test_against_baselines_scores_the_period_table(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    table = metrics.period_table(trained)
    scores = metrics.against_baselines(trained)
    assert list(scores.index) == list(metrics.MODELS) and scores.attrs["n_months"] == len(table)
    assert scores.loc["ridge", "NSE"] == metrics.nse(table["observed"], table["ridge"])
    assert len(metrics.period_table(trained, "train")) == len(trained.prepared.train)
    with pytest.raises(ValueError, match="period must be 'test' or 'train'"):
        metrics.period_table(trained, "validation")


@SHORT_TEST
def test_nse_by_seed_retrains_with_each_other_seed_only(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    by_seed = metrics.nse_by_seed(trained, [7, 8])
    assert list(by_seed.index) == ["seed 7", "seed 8"]
    own = metrics.period_table(trained)
    assert by_seed["seed 7"] == metrics.nse(own["observed"], own["LSTM"])  # not retrained
    other = training.train_from_record(record, ["a", "b", "c"], "q", {**TINY, "seed": 8},
                                       verbose=False)
    again = metrics.period_table(other)
    assert by_seed["seed 8"] == metrics.nse(again["observed"], again["LSTM"])
    assert by_seed["seed 8"] != by_seed["seed 7"]
    with pytest.raises(ValueError, match="at least one seed"):
        metrics.nse_by_seed(trained, [])
