"""The large synthetic sample, its truth, the driver bookkeeping and the regional data."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import pandas as pd
import pytest

from helpers import regional, windowing
from helpers._kit import sample
from helpers._kit.catchment.truth import true_sensitivity
from helpers._kit.columns import FEATURES, TARGET
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
    return {n: regional.catchment_truth(records[n], attributes.loc[n], records[n].index[-30:],
                                        WINDOW) for n in attributes.index}


@pytest.fixture(scope="module")
def data(records, attributes):
    return regional.prepare_regional(records, regional.static_attributes(records, attributes))


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


def test_draw_sample_is_the_attributes_and_their_records(attributes, records):
    drawn, generated = regional.draw_sample(3, seed=1)
    pd.testing.assert_frame_equal(drawn, attributes)
    for name, record in records.items():
        pd.testing.assert_frame_equal(generated[name], record)


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
    assert {t["driver"] for t in truths.values()} <= set(regional.DRIVERS)
    for truth in truths.values():
        assert truth["shares"][list(regional.DRIVERS)].sum() == pytest.approx(1)


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
    shares = regional.driver_shares(one_credit(position), tmean, FEATURES)
    assert regional.dominant_driver(shares) == expected
    assert shares[expected] == pytest.approx(1) and shares["temperature"] == 0


def test_stand_ins_count_for_their_variable_and_bad_shapes_are_refused():
    values = np.zeros((2, WINDOW, len(FEATURES)))
    values[:, -1, FEATURES.index("sunshine")] = -2.0  # a stand-in for precipitation
    values[:, -1, FEATURES.index("tmax")] = 2.0  # a stand-in for temperature
    shares = regional.driver_shares(values, np.full((2, WINDOW), 10.0), FEATURES)
    assert shares["recent rainfall"] == 1 and shares["temperature"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="tmean"):
        regional.driver_shares(values, np.zeros((2, 5)), FEATURES)
    with pytest.raises(ValueError, match="no credit"):
        regional.driver_shares(np.zeros_like(values), np.zeros((2, WINDOW)), FEATURES)


def test_lag_profile_puts_lag_zero_first():
    profile = regional.lag_profile(one_credit(-2), FEATURES)
    assert profile.loc["precip", 1] == 1 and profile.to_numpy().sum() == 1


# ------------------------------------------------------------------------------- regional data
def test_regional_windows_are_windowings_split_and_scaled_on_training_months(records, data):
    assert not data.skipped and len(data.channel_names) == len(FEATURES) + len(sample.STATIC)
    for name, windows in data.catchments.items():
        assert windows.train.target_dates.max() < windows.validation.target_dates.min()
        assert windows.validation.target_dates.max() < windows.test.target_dates.min()
        static = windows.test.X[..., len(FEATURES):]
        assert np.ptp(static, axis=(0, 1)).max() == 0  # constant within a catchment
        # the course's one split rule: windowing.prepare_windows, then validation_split
        own = windowing.prepare_windows(records[name], FEATURES, TARGET)
        fit_part, validation = windowing.validation_split(own.train)
        assert [len(windows.train), len(windows.validation), len(windows.test)] == [
            len(fit_part), len(validation), len(own.test)]
        # the target by the catchment's own training months, as windowing scales it
        assert windows.scaler.target_mean == pytest.approx(own.scaler.target_mean, rel=1e-12)
        np.testing.assert_allclose(windows.scaler.inverse_target(windows.test.y),
                                   records[name][TARGET].loc[windows.test.target_dates],
                                   rtol=1e-5, atol=1e-4)
    until = {n: windowing.prepare_windows(r, FEATURES, TARGET).scaler.fitted_until
             for n, r in records.items()}
    months = np.concatenate([r[FEATURES].loc[: until[n]].to_numpy() for n, r in records.items()])
    scaler = next(iter(data.catchments.values())).scaler
    np.testing.assert_allclose([scaler.feature_mean[f] for f in FEATURES], months.mean(axis=0),
                               rtol=1e-9)


def test_the_split_rule_is_windowings_499_of_588():
    from helpers import data as course_data

    record = course_data.load_catchment()  # 746 months: 735 windows, 588 of them training
    with pytest.raises(DataError, match="constant"):  # one catchment: static channels constant
        regional.prepare_regional({"only": record}, pd.DataFrame({"a": [1.0]}, index=["only"]))
    wetter = record.assign(precip=record["precip"] * 1.1)
    data = regional.prepare_regional({"one": record, "two": wetter},
                                     pd.DataFrame({"a": [1.0, 2.0]}, index=["one", "two"]))
    windows = data.catchments["one"]
    assert (len(windows.train), len(windows.validation), len(windows.test)) == (499, 89, 147)


def test_short_records_and_missing_attributes_are_named_and_the_rest_kept():
    attributes = sample.draw_attributes(4, seed=1)
    records = sample.generate_records(attributes)
    names = list(records)
    damaged = dict(records)
    damaged[names[0]] = records[names[0]].iloc[:30]
    statics = regional.static_attributes(damaged, attributes.drop(index=names[1]))
    data = regional.prepare_regional(damaged, statics)
    assert list(data.catchments) == names[2:]
    assert f"catchment {names[0]!r}: 30 months" in data.skipped[names[0]]
    assert f"catchment {names[1]!r}: static attributes missing" in data.skipped[names[1]]
    lacking = regional.prepare_regional({**records, "dry": records[names[2]].drop(columns="tmean")},
                                        regional.static_attributes(records, attributes))
    assert "dry" not in lacking.catchments and "tmean" in lacking.skipped["dry"]
    with pytest.raises(DataError, match="no usable catchment"):
        regional.prepare_regional({names[0]: damaged[names[0]]}, statics)


def test_training_scoring_and_local_training_run_on_the_courses_path(data):
    model, history = regional.train_regional(data, {"units": 4, "max_epochs": 2})
    assert len(history["loss"]) == 2 and model.input_shape[1:] == (WINDOW, 14)
    from helpers import training

    outputs = {n: training.predict(model, w.test) for n, w in data.catchments.items()}
    table = regional.score_test_period(data, outputs)
    assert list(table.columns) == ["lstm", "climatology", "ridge", "beats_climatology"]
    assert np.isfinite(table[["lstm", "climatology", "ridge"]].to_numpy()).all()
    local = regional.train_catchment(next(iter(data.catchments.values())),
                                     {"units": 4, "max_epochs": 2})
    assert local["test_prediction"].shape == (len(next(iter(data.catchments.values())).test),)


def test_static_channels_get_exactly_zero_credit(data, tmp_path):
    from helpers import training

    windows = next(iter(data.catchments.values()))
    training.make_deterministic(0)
    model = training.build_lstm(WINDOW, len(data.channel_names), units=4)
    model.save(tmp_path / "tiny.keras")
    result = regional.explain_catchment(str(tmp_path / "tiny.keras"), windows.test.X[:5],
                                        regional.background_windows(windows, 10))
    assert (result["values"][..., len(FEATURES):] == 0).all()
    assert np.abs(result["values"][..., :len(FEATURES)]).sum() > 0
    assert result["additivity_error"] < 1e-5
