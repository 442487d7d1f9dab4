"""Skill scores against values worked out by hand."""

import numpy as np
import pytest

from helpers import metrics

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
    import pandas as pd

    a = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]])
    assert metrics.spearman(a, a * 10) == pytest.approx(1.0)
    assert metrics.spearman(a, -a) == pytest.approx(-1.0)
    assert metrics.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="as many values"):
        metrics.spearman([1, 2, 3], [1, 2])
