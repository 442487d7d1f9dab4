"""Model building, shape checks, deterministic training and the load-or-train path."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from helpers import training  # noqa: E402
from helpers import windowing  # noqa: E402

TINY = {"units": 4, "max_epochs": 3, "patience": 2, "window": 6, "seed": 7}


@pytest.fixture
def record():
    """120 months of three inputs and a target that depends on the last two months."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=120, freq="MS", name="date")
    frame = pd.DataFrame(rng.normal(size=(120, 3)), index=dates, columns=["a", "b", "c"])
    frame["q"] = frame["a"] + 0.5 * frame["a"].shift(1).fillna(0) + 0.1 * rng.normal(size=120)
    return frame


def test_build_lstm_shapes():
    model = training.build_lstm(window=12, n_features=9, units=8)
    assert model.input_shape == (None, 12, 9)
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize("bad", [{"window": 0}, {"n_features": -1}, {"units": 2.5}])
def test_build_lstm_refuses_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        training.build_lstm(**bad)


def test_input_shape_mismatch_is_named():
    model = training.build_lstm(window=12, n_features=9, units=4)
    with pytest.raises(ValueError, match=r"expects windows of shape \(n, 12, 9\) but got .*\(5, 12, 8\)"):
        training.check_input_shape(model, np.zeros((5, 12, 8)))


def test_training_is_deterministic(record):
    first = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    second = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    for w1, w2 in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(w1, w2)


def test_validation_is_carved_from_training_period(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    assert trained.fit_part.target_dates.max() < trained.validation.target_dates.min()
    assert trained.validation.target_dates.max() < trained.data.test.target_dates.min()
    assert len(trained.fit_part) + len(trained.validation) == len(trained.data.train)


def test_train_model_refuses_validation_before_training(record):
    prepared = windowing.prepare_windows(record, ["a", "b", "c"], "q", window=6)
    fit_part, validation = windowing.validation_split(prepared.train, fraction=0.2)
    model = training.build_lstm(window=6, n_features=3, units=4)
    with pytest.raises(ValueError, match="after the training windows"):
        training.train_model(model, validation, fit_part, max_epochs=1, verbose=False)


def test_load_or_train_trains_saves_then_loads(record, tmp_path):
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY,
                verbose=False)
    first = training.load_or_train(path, **args)
    assert first.trained_now and path.exists() and path.with_suffix(".json").exists()
    second = training.load_or_train(path, **args)
    assert not second.trained_now
    np.testing.assert_allclose(
        first.model.predict(first.data.test.X, verbose=0),
        second.model.predict(second.data.test.X, verbose=0), atol=1e-6)


def test_load_or_train_retrains_when_data_or_settings_change(record, tmp_path):
    path = tmp_path / "model.keras"
    args = dict(features=["a", "b", "c"], target="q", verbose=False)
    training.load_or_train(path, record=record, config=TINY, **args)
    changed = record.copy()
    changed.iloc[0, 0] += 1.0
    assert training.load_or_train(path, record=changed, config=TINY, **args).trained_now
    assert training.load_or_train(path, record=changed, config={**TINY, "units": 5}, **args).trained_now


def test_predict_returns_target_units(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    scaled = trained.model.predict(trained.data.test.X, verbose=0).ravel()
    mm = training.predict(trained.model, trained.data.test, trained.data.scaler)
    np.testing.assert_allclose(mm, trained.data.scaler.inverse_target(scaled), rtol=1e-6)
