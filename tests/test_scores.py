"""Scores by calendar year and by training seed: the numbers they return, the input they refuse."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from helpers import metrics, scores, training

# the 120-month record leaves 23 test windows: the short-test-period warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore:the test period has only")

TINY = {"units": 4, "max_epochs": 3, "patience": 2, "window": 6, "seed": 7}


# `record`: 120 months of three inputs and a target (tests/conftest.py)


def test_nse_by_year_scores_each_calendar_year_on_its_own():
    dates = pd.date_range("2001-01-01", periods=24, freq="MS")
    observed = np.r_[np.arange(12.0), 10 + np.arange(12.0)]
    table = pd.DataFrame({"observed": observed, "LSTM": observed,
                          "ridge": observed + np.r_[np.zeros(12), np.ones(12)]}, index=dates)
    table["climatology"] = table["observed"].groupby(dates.year).transform("mean")
    by_year = scores.nse_by_year(table)
    assert list(by_year.index) == [2001, 2002] and list(by_year.columns) == list(scores.MODELS)
    np.testing.assert_allclose(by_year["LSTM"], 1.0)
    np.testing.assert_allclose(by_year["climatology"], 0.0, atol=1e-12)  # each year's own mean
    second_year = table.loc["2002"]
    assert by_year.loc[2002, "ridge"] == metrics.nse(second_year["observed"], second_year["ridge"])
    assert by_year.loc[2001, "ridge"] == 1.0


def test_nse_by_year_refuses_a_table_it_cannot_score():
    dates = pd.date_range("2001-01-01", periods=12, freq="MS")
    with pytest.raises(ValueError, match=r"lacks the columns \['ridge', 'climatology'\]"):
        scores.nse_by_year(pd.DataFrame({"observed": range(12), "LSTM": range(12)}, index=dates))
    with pytest.raises(ValueError, match="indexed by date"):
        scores.nse_by_year(pd.DataFrame({"observed": range(3), "LSTM": range(3)}), ["LSTM"])


def test_nse_by_seed_retrains_with_each_other_seed_only(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    by_seed = scores.nse_by_seed(trained, [7, 8])
    assert list(by_seed.index) == ["seed 7", "seed 8"]
    own = scores.predictions(trained)
    assert by_seed["seed 7"] == metrics.nse(own["observed"], own["LSTM"])  # not retrained
    other = training.train_from_record(record, ["a", "b", "c"], "q", {**TINY, "seed": 8},
                                       verbose=False)
    again = scores.predictions(other)
    assert by_seed["seed 8"] == metrics.nse(again["observed"], again["LSTM"])
    assert by_seed["seed 8"] != by_seed["seed 7"]


def test_nse_by_seed_needs_a_seed(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    with pytest.raises(ValueError, match="at least one seed"):
        scores.nse_by_seed(trained, [])
