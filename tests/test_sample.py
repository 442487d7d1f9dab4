"""The large synthetic sample, its truth, the driver bookkeeping and the regional data."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import pandas as pd
import pytest

from helpers import drivers, regional
from helpers._kit import sample
from helpers._kit.catchment import FEATURES, true_sensitivity
from helpers._kit.errors import DataError

WINDOW = 12


@pytest.fixture(scope="module")
def attributes():
    return sample.draw_attributes(3, seed=1)  # one catchment per regime


@pytest.fixture(scope="module")
def records(attributes):
    return sample.generate_records(attributes)


@pytest.fixture(scope="module")
def truths(attributes, records):
    return {n: sample.catchment_truth(records[n], sample.catchment_of(attributes.loc[n]),
                                      records[n].index[-30:], WINDOW) for n in attributes.index}


# ------------------------------------------------------------------------------- the sample
def test_attributes_are_seeded_and_cycle_through_the_regimes():
    a, b = sample.draw_attributes(6, seed=3), sample.draw_attributes(6, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(sample.draw_attributes(6, seed=4))
    assert list(a["regime"]) == list(sample.REGIMES) * 2
    for regime, bounds in sample.REGIMES.items():
        rows = a[a["regime"] == regime]
        for column, (low, high) in bounds.items():
            assert rows[column].between(low, high).all()
    with pytest.raises(ValueError, match="n_catchments must be"):
        sample.draw_attributes(0)


def test_records_are_thirty_years_and_differ(records):
    lengths = {len(r) for r in records.values()}
    assert lengths == {360}
    first, second = list(records.values())[:2]
    assert not np.allclose(first["precip"], second["precip"])


def test_true_attributions_are_the_true_sensitivities_laid_out_as_windows(records, attributes):
    name = attributes.index[0]
    record, catchment = records[name], sample.catchment_of(attributes.loc[name])
    dates = record.index[-5:]
    values = sample.true_attributions(record, catchment, dates, WINDOW)
    assert values.shape == (5, WINDOW, len(FEATURES))
    table = true_sensitivity(record, dates, lags=[0, 4], catchment=catchment)
    precip = table[table["variable"] == "precip"].set_index(["lag", "target_date"])["delta_runoff"]
    column = FEATURES.index("precip")
    np.testing.assert_allclose(values[:, -1, column], precip.loc[0].to_numpy())
    np.testing.assert_allclose(values[:, -5, column], precip.loc[4].to_numpy())
    distractors = [FEATURES.index(v) for v in FEATURES if v not in ("precip", "tmean")]
    assert (values[..., distractors] == 0).all()


def test_the_truth_tells_the_regimes_apart(attributes, truths):
    by_regime = {attributes.loc[n, "regime"]: t for n, t in truths.items()}
    assert by_regime["snow"]["melt_share"] > 3 * by_regime["fast rain"]["melt_share"]
    assert by_regime["slow rain"]["memory_months"] > 2 * by_regime["fast rain"]["memory_months"]
    assert {t["driver"] for t in truths.values()} <= set(drivers.DRIVERS)
    for truth in truths.values():
        assert truth["shares"][list(drivers.DRIVERS)].sum() == pytest.approx(1)


# ------------------------------------------------------------------------------- drivers
def one_credit(position, n=4):
    """Attributions with all credit on precipitation at one window position."""
    values = np.zeros((n, WINDOW, len(FEATURES)))
    values[:, position, FEATURES.index("precip")] = 1.0
    return values


@pytest.mark.parametrize(("position", "temperature", "expected"), [
    (-1, 15.0, "recent rainfall"), (-3, 15.0, "recent rainfall"), (-4, 15.0,
                                                                   "historical rainfall"),
    (-6, -5.0, "snowmelt"), (-1, -5.0, "snowmelt")])
def test_dominant_driver_by_hand(position, temperature, expected):
    tmean = np.full((4, WINDOW), temperature)
    shares = drivers.driver_shares(one_credit(position), tmean, FEATURES)
    assert drivers.dominant_driver(shares) == expected
    assert shares[expected] == pytest.approx(1) and shares["temperature"] == 0


def test_stand_ins_count_for_their_variable_and_bad_shapes_are_refused():
    values = np.zeros((2, WINDOW, len(FEATURES)))
    values[:, -1, FEATURES.index("sunshine")] = -2.0  # a stand-in for precipitation
    values[:, -1, FEATURES.index("tmax")] = 2.0  # a stand-in for temperature
    shares = drivers.driver_shares(values, np.full((2, WINDOW), 10.0), FEATURES)
    assert shares["recent rainfall"] == 1 and shares["temperature"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="tmean"):
        drivers.driver_shares(values, np.zeros((2, 5)), FEATURES)
    with pytest.raises(ValueError, match="no credit"):
        drivers.driver_shares(np.zeros_like(values), np.zeros((2, WINDOW)), FEATURES)


def test_lag_profile_puts_lag_zero_first():
    profile = drivers.lag_profile(one_credit(-2), FEATURES)
    assert profile.loc["precip", 1] == 1 and profile.to_numpy().sum() == 1


# ------------------------------------------------------------------------------- regional data
def test_regional_windows_split_in_time_and_scale_on_training_only(records, attributes):
    data = regional.prepare_regional(records, regional.static_attributes(records, attributes))
    assert not data.skipped and len(data.channel_names) == len(FEATURES) + len(regional.STATIC)
    for windows in data.catchments.values():
        assert windows.dates["train"].max() < windows.dates["validation"].min()
        assert windows.dates["validation"].max() < windows.dates["test"].min()
        static = windows.X["test"][..., len(FEATURES):]
        assert np.ptp(static, axis=(0, 1)).max() == 0  # constant within a catchment
        np.testing.assert_allclose(windows.y["train"].mean(), 0, atol=1e-5)
    n_fit = len(next(iter(data.catchments.values())).X["train"])  # training windows
    fit = np.concatenate([r[FEATURES].to_numpy()[:n_fit + WINDOW - 1] for r in records.values()])
    np.testing.assert_allclose(data.feature_mean[:len(FEATURES)], fit.mean(axis=0), rtol=1e-9)


def test_short_records_and_missing_attributes_are_named_and_the_rest_kept(records, attributes):
    names = list(records)
    damaged = dict(records)
    damaged[names[0]] = records[names[0]].iloc[:30]
    statics = regional.static_attributes(damaged, attributes.drop(index=names[1]))
    data = regional.prepare_regional(damaged, statics)
    assert list(data.catchments) == [names[2]]
    assert f"catchment {names[0]!r}: 30 months" in data.skipped[names[0]]
    assert f"catchment {names[1]!r}: static attributes missing" in data.skipped[names[1]]
    with pytest.raises(DataError, match="no usable catchment"):
        regional.prepare_regional({names[0]: damaged[names[0]]}, statics)


def test_static_channels_get_exactly_zero_credit(records, attributes, tmp_path):
    from helpers import training

    data = regional.prepare_regional(records, regional.static_attributes(records, attributes))
    windows = next(iter(data.catchments.values()))
    training.make_deterministic(0)
    model = training.build_lstm(WINDOW, len(data.channel_names), units=4)
    model.save(tmp_path / "tiny.keras")
    result = regional.explain_catchment(str(tmp_path / "tiny.keras"), windows.X["test"][:5],
                                        regional.background_windows(windows, 10))
    assert (result["values"][..., len(FEATURES):] == 0).all()
    assert np.abs(result["values"][..., :len(FEATURES)]).sum() > 0
    assert result["additivity_error"] < 1e-5
