"""Tests for helpers.windowing: window geometry, chronological split and a leak-free scaler."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers.config import COURSE
from helpers.data import DataError
from helpers.windowing import (
    PreparedData,
    Scaler,
    Windows,
    make_windows,
    prepare_windows,
    validation_split,
)

FEATURES = ["precip", "tmean", "wind"]
TARGET = "runoff"


def make_record(n_months=746, seed=1):
    """A date-indexed record like load_record returns (746 months = Jan 1960 .. Feb 2022)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("1960-01-01", periods=n_months, freq="MS", name="date")
    return pd.DataFrame(
        {
            "precip": rng.gamma(2.0, 30.0, n_months),
            "tmean": rng.normal(8.0, 6.0, n_months),
            "wind": rng.uniform(1.0, 6.0, n_months),
            TARGET: rng.gamma(2.0, 20.0, n_months),
        },
        index=index,
    )


@pytest.fixture(scope="module")
def record():
    return make_record()


@pytest.fixture(scope="module")
def prepared(record):
    return prepare_windows(record, FEATURES, TARGET, window=12, train_fraction=0.8)


# ---------------------------------------------------------------------------------------------
# make_windows
# ---------------------------------------------------------------------------------------------


def test_window_shapes_and_dtypes(record):
    windows = make_windows(record, FEATURES, TARGET, window=12)
    assert len(windows) == 735
    assert windows.X.shape == (735, 12, 3)
    assert windows.y.shape == (735,)
    assert windows.X.dtype == np.float32 and windows.y.dtype == np.float32
    assert windows.window == 12
    assert windows.feature_names == FEATURES
    assert len(windows.target_dates) == 735


def test_window_contents_match_the_record_month_by_month():
    small = make_record(40)
    windows = make_windows(small, ["wind", "precip"], TARGET, window=5)
    assert len(windows) == 36
    i = 7
    months = small.index[i : i + 5]
    np.testing.assert_array_equal(
        windows.X[i], small.loc[months, ["wind", "precip"]].to_numpy(np.float32)
    )
    assert windows.target_dates[i] == months[-1]  # the target is the window's LAST month
    assert windows.y[i] == np.float32(small.loc[months[-1], TARGET])
    assert windows.target_dates[0] == small.index[4]
    assert windows.target_dates[-1] == small.index[-1]
    pd.testing.assert_index_equal(
        windows.input_dates(i), pd.DatetimeIndex(months), check_names=False
    )


def test_past_runoff_is_not_an_input(record):
    windows = make_windows(record, FEATURES, TARGET)
    changed = record.copy()
    changed[TARGET] = changed[TARGET] * 3 + 1
    np.testing.assert_array_equal(make_windows(changed, FEATURES, TARGET).X, windows.X)


def test_window_of_one_month_and_of_the_whole_record():
    small = make_record(30)
    assert make_windows(small, FEATURES, TARGET, window=1).X.shape == (30, 1, 3)
    assert make_windows(small, FEATURES, TARGET, window=30).X.shape == (1, 30, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0}, r"window must be a whole number of months >= 1, got 0"),
        ({"window": 2.5}, r"window must be a whole number"),
        ({"window": 31}, r"too few rows for one window: 30 months, window of 31"),
        ({"window": True}, r"window must be a whole number of months >= 1, got True"),
        ({"features": ["rain"]}, r"unknown feature column\(s\) 'rain'"),
        ({"features": []}, r"features is empty"),
        ({"target": "flow"}, r"target column 'flow' not found"),
        ({"features": ["precip", TARGET]}, r"'runoff' is both the target and a feature"),
    ],
)
def test_make_windows_refuses_bad_arguments(kwargs, message):
    arguments = {"features": FEATURES, "target": TARGET, "window": 12} | kwargs
    with pytest.raises(DataError, match=message):
        make_windows(make_record(30), **arguments)


def test_make_windows_refuses_nan_and_unsorted_index():
    small = make_record(30)
    with_nan = small.copy()
    with_nan.iloc[4, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=r"'tmean' has missing or infinite values, first at 1960-05-01",
    ):
        make_windows(with_nan, FEATURES, TARGET)
    with pytest.raises(ValueError, match=r"not in increasing order: row 2 \(1962-05-01\)"):
        make_windows(small.iloc[::-1], FEATURES, TARGET)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(index=r.index[7]), r"1 month missing .* 1960-08; the windows need"),
        (lambda r: r.drop(index=r.index[3:5]), r"2 months missing .* 1960-04, 1960-05"),
        (lambda r: r.set_axis(r.index.where(r.index != "1960-03-01", pd.Timestamp(
            "1960-02-15"))), r"month 1960-02 appears more than once"),
    ],
    ids=["one month", "two months", "two rows in a month"],
)
def test_make_windows_refuses_a_gap_in_the_months(change, message):
    """Windows across a missing month would pair months that are not neighbours."""
    with pytest.raises(DataError, match=message):
        make_windows(change(make_record(30)), FEATURES, TARGET, window=3)


def test_chinese_names_flow_through_windows_and_prepare_windows():
    names = {"precip": "降水量(mm)", "tmean": "平均气温(℃)", "wind": "风速(m/s)",
             TARGET: "径流量(mm)"}
    record = make_record(240).rename(columns=names)
    features = [names[f] for f in FEATURES]
    windows = make_windows(record, features, names[TARGET])
    assert windows.feature_names == features
    prepared = prepare_windows(record, features, names[TARGET])
    assert prepared.features == prepared.train.feature_names == features
    assert prepared.scaler.features == features and prepared.scaler.target == "径流量(mm)"
    state = json.loads(json.dumps(prepared.scaler.to_dict(), ensure_ascii=False))
    assert Scaler.from_dict(state).features == features


def test_windows_subset_and_repr(record):
    windows = make_windows(record, FEATURES, TARGET)
    part = windows.subset(slice(10, 20))
    assert len(part) == 10
    np.testing.assert_array_equal(part.X, windows.X[10:20])
    assert part.target_dates[0] == windows.target_dates[10]
    one = windows.subset(3)
    assert one.X.shape == (1, 12, 3)
    assert "735 windows of 12 months x 3 features" in repr(windows)


def test_windows_refuse_inconsistent_lengths():
    dates = pd.date_range("2000", periods=3, freq="MS")
    with pytest.raises(ValueError, match=r"3 windows but y has shape \(2,\)"):
        Windows(np.zeros((3, 4, 2)), np.zeros(2), dates, ["a", "b"])


# ---------------------------------------------------------------------------------------------
# prepare_windows: split and scaling
# ---------------------------------------------------------------------------------------------


def test_split_sizes_and_order(prepared):
    assert isinstance(prepared, PreparedData)
    assert len(prepared.train) == 588
    assert len(prepared.test) == 147
    assert prepared.train.target_dates.max() < prepared.test.target_dates.min()
    assert prepared.train.target_dates.is_monotonic_increasing
    assert prepared.test.target_dates[-1] == pd.Timestamp("2022-02-01")
    assert prepared.window == 12 and prepared.features == FEATURES and prepared.target == TARGET


def test_windows_hold_scaled_inputs_of_their_target_month(prepared, record):
    scaled = prepared.scaler.transform(record)
    for windows in (prepared.train, prepared.test):
        for i in (0, 17, len(windows) - 1):
            date = windows.target_dates[i]
            np.testing.assert_array_equal(
                windows.X[i, -1], scaled.loc[date, FEATURES].to_numpy(np.float32)
            )
            assert windows.y[i] == np.float32(scaled.loc[date, TARGET])
            assert windows.y[i] != np.float32(record.loc[date, TARGET])  # really scaled


def test_scaler_is_fitted_on_training_period_only(prepared, record):
    scaler = prepared.scaler
    last_train_target = prepared.train.target_dates[-1]
    assert scaler.fitted_until == last_train_target
    assert last_train_target == record.index[12 - 1 + 588 - 1]
    train_rows = record.loc[:last_train_target]
    assert len(train_rows) == 599
    for feature in FEATURES:
        assert scaler.feature_mean[feature] == pytest.approx(train_rows[feature].mean(), rel=1e-12)
        expected_std = train_rows[feature].std(ddof=0)
        assert scaler.feature_std[feature] == pytest.approx(expected_std, rel=1e-12)
        assert scaler.feature_mean[feature] != pytest.approx(record[feature].mean(), rel=1e-9)
    assert scaler.target_mean == pytest.approx(train_rows[TARGET].mean(), rel=1e-12)
    assert scaler.target_std == pytest.approx(train_rows[TARGET].std(ddof=0), rel=1e-12)


def test_changing_the_test_period_changes_neither_scaler_nor_training_windows(prepared, record):
    changed = record.copy()
    after = changed.index > prepared.scaler.fitted_until
    changed.loc[after, FEATURES + [TARGET]] = changed.loc[after, FEATURES + [TARGET]] * 5 + 100
    again = prepare_windows(changed, FEATURES, TARGET, window=12, train_fraction=0.8)
    assert again.scaler == prepared.scaler
    np.testing.assert_array_equal(again.train.X, prepared.train.X)
    np.testing.assert_array_equal(again.train.y, prepared.train.y)
    assert not np.array_equal(again.test.y, prepared.test.y)  # the change did reach the test set


def test_changing_the_training_period_does_change_the_scaler(prepared, record):
    # The counterpart of the leakage test: it shows the comparison above can fail.
    changed = record.copy()
    changed.iloc[0, 0] += 50.0
    again = prepare_windows(changed, FEATURES, TARGET)
    assert again.scaler != prepared.scaler


def test_prepare_windows_validates_the_record(record):
    with pytest.raises(DataError, match=r"1 month missing.*1961-01"):
        prepare_windows(record.drop(index=record.index[12]), FEATURES, TARGET)
    with pytest.raises(ValueError, match=r"train_fraction must be between 0 and 1"):
        prepare_windows(record, FEATURES, TARGET, train_fraction=1.0)


def test_prepare_windows_takes_the_config_whole(prepared, record):
    """The config, a dict of changes, or keywords that override the config: the same windows."""
    for again in (
        prepare_windows(record, FEATURES, TARGET),
        prepare_windows(record, FEATURES, TARGET, config=COURSE),
        prepare_windows(record, FEATURES, TARGET, {"window": 12}),
        prepare_windows(record, FEATURES, TARGET, COURSE.replace(window=6), window=12),
    ):
        assert again.scaler == prepared.scaler
        np.testing.assert_array_equal(again.test.X, prepared.test.X)
    shorter = prepare_windows(record, FEATURES, TARGET, {"window": 6, "train_fraction": 0.5})
    assert (shorter.window, len(shorter.train), len(shorter.test)) == (6, 370, 371)


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"window": 0}, DataError, r"window must be a whole number of months >= 1, got 0"),
        ({"window": 12.0}, DataError, r"window must be a whole number"),
        ({"train_fraction": 0}, ValueError, r"train_fraction must be between 0 and 1"),
        ({"lookback": 6}, TypeError, r"unknown setting\(s\) lookback"),
        (12, TypeError, r"config must be a CourseConfig or a dict of settings, got int"),
    ],
)
def test_prepare_windows_refuses_bad_settings(record, config, error, message):
    with pytest.raises(error, match=message):
        prepare_windows(record, FEATURES, TARGET, config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.iloc[:30], r"the record is too short: 30 months, but a 12-month window "
                                r"needs at least 35 months"),
        (lambda r: r.assign(wind="calm"), r"column 'wind' is not numeric"),
        (lambda r: r.assign(precip=np.where(r.index.year == 1990, np.nan, r["precip"])),
         r"'precip' has missing or infinite values, first at 1990-01-01"),
        (lambda r: r.reset_index(drop=True), r"frame must be indexed by dates"),
        (lambda r: r.iloc[::-1], r"not in increasing order"),
    ],
    ids=["too short", "text", "NaN", "no dates", "reversed"],
)
def test_prepare_windows_refuses_a_record_it_cannot_window(record, change, message):
    """A frame passed straight to prepare_windows (not through load_record) is refused."""
    with pytest.raises(DataError, match=message):
        prepare_windows(change(record), FEATURES, TARGET)


def test_validation_split_defaults_to_the_course_fraction(prepared):
    fit, validation = validation_split(prepared.train)
    assert len(validation) == len(prepared.train) - int(len(prepared.train) * 0.85)
    assert COURSE.validation_fraction == 0.15


def test_constant_training_period_is_refused_by_the_scaler(record):
    changed = record.copy()
    changed.loc[: "2010-12-01", "wind"] = 0.1  # constant in training (to 2009-11), varies later
    with pytest.raises(
        DataError,
        match=r"'wind' is constant or missing over the fitting period 1960-01",
    ):
        prepare_windows(changed, FEATURES, TARGET)


# ---------------------------------------------------------------------------------------------
# Scaler
# ---------------------------------------------------------------------------------------------


def test_scaler_fit_uses_rows_up_to_until_only(record):
    scaler = Scaler.fit(record, FEATURES, TARGET, until="1969-12-15")
    assert scaler.fitted_until == pd.Timestamp("1969-12-01")  # last date actually used
    decade = record.loc[:"1969-12-01"]
    assert len(decade) == 120
    assert scaler.feature_mean["tmean"] == pytest.approx(decade["tmean"].mean(), rel=1e-12)
    assert scaler.target_std == pytest.approx(decade[TARGET].std(ddof=0), rel=1e-12)


def test_transform_standardises_the_fitting_period(record):
    scaler = Scaler.fit(record, FEATURES, TARGET, until="1999-12-01")
    scaled = scaler.transform(record)
    assert list(scaled.columns) == FEATURES + [TARGET]
    period = scaled.loc[:"1999-12-01"]
    np.testing.assert_allclose(period.mean().to_numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(period.std(ddof=0).to_numpy(), 1.0, rtol=1e-12)
    features_only = scaler.transform(record[FEATURES])
    assert list(features_only.columns) == FEATURES


def test_inverse_target_round_trips(prepared, record):
    scaler = prepared.scaler
    runoff = record[TARGET].to_numpy()
    round_trip = scaler.inverse_target(scaler.transform_target(runoff))
    np.testing.assert_allclose(round_trip, runoff, rtol=1e-12)
    back = scaler.inverse_target(prepared.test.y)
    np.testing.assert_allclose(back, record.loc[prepared.test.target_dates, TARGET], rtol=1e-5)


def test_scaler_round_trips_through_json(prepared):
    text = json.dumps(prepared.scaler.to_dict())
    state = json.loads(text)
    assert state["fitted_until"] == prepared.scaler.fitted_until.strftime("%Y-%m-%d")
    assert state["features"] == FEATURES
    assert all(type(value) is float for value in state["feature_mean"] + state["feature_std"])
    restored = Scaler.from_dict(state)
    assert restored == prepared.scaler
    assert restored.features == FEATURES


# ---------------------------------------------------------------------------------------------
# validation_split
# ---------------------------------------------------------------------------------------------


def test_validation_split_takes_the_last_windows(prepared):
    fit, validation = validation_split(prepared.train, fraction=0.15)
    assert (len(fit), len(validation)) == (499, 89)  # Keras's split point: floor(588 * 0.85)
    assert fit.target_dates.max() < validation.target_dates.min()
    assert validation.target_dates[-1] == prepared.train.target_dates[-1]
    np.testing.assert_array_equal(validation.X, prepared.train.X[499:])
    np.testing.assert_array_equal(fit.y, prepared.train.y[:499])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_validation_split_refuses_bad_fractions(prepared, fraction):
    with pytest.raises(ValueError, match=r"fraction must be between 0 and 1"):
        validation_split(prepared.train, fraction=fraction)


def test_validation_split_needs_windows_on_both_sides(prepared):
    with pytest.raises(ValueError, match=r"leaves 0 to fit and 2 to validate"):
        validation_split(prepared.train.subset(slice(0, 2)), fraction=0.9)
