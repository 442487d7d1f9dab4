"""Model building, shape checks, deterministic training and the load-or-train path."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from helpers import (
    training,  # noqa: E402
    windowing,  # noqa: E402
)

# the 120-month record leaves 23 test windows: the short-test-period warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore:the test period has only")

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


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"window": 0}, "window must be a whole number"),
        ({"window": True}, "window must be a whole number"),
        ({"n_features": -1}, "positive integer"),
        ({"n_features": True}, "positive integer"),
        ({"units": 2.5}, "positive integer"),
    ],
)
def test_build_lstm_refuses_bad_sizes(bad, message):
    with pytest.raises(ValueError, match=message):
        training.build_lstm(**bad)


def test_input_shape_mismatch_is_named():
    model = training.build_lstm(window=12, n_features=9, units=4)
    with pytest.raises(
        ValueError, match=r"expects windows of shape \(n, 12, 9\) but got .*\(5, 12, 8\)"
    ):
        training.check_input_shape(model, np.zeros((5, 12, 8)))


def test_training_is_deterministic(record):
    first = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    second = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    for w1, w2 in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
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
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    first = training.load_or_train(path, **args)
    assert first.trained_now and path.exists() and path.with_suffix(".json").exists()
    second = training.load_or_train(path, **args)
    assert not second.trained_now
    np.testing.assert_allclose(
        first.model.predict(first.data.test.X, verbose=0),
        second.model.predict(second.data.test.X, verbose=0),
        atol=1e-6,
    )


def test_load_or_train_retrains_when_data_or_settings_change(record, tmp_path):
    path = tmp_path / "model.keras"
    args = dict(features=["a", "b", "c"], target="q", verbose=False)
    training.load_or_train(path, record=record, config=TINY, **args)
    changed = record.copy()
    changed.iloc[0, 0] += 1.0
    assert training.load_or_train(path, record=changed, config=TINY, **args).trained_now
    assert training.load_or_train(
        path, record=changed, config={**TINY, "units": 5}, **args
    ).trained_now


def test_load_or_train_retrains_when_target_or_feature_order_changes(record, tmp_path, capsys):
    path = tmp_path / "model.keras"
    training.load_or_train(
        path, record=record, features=["a", "b"], target="q", config=TINY, verbose=False
    )
    swapped = training.load_or_train(
        path, record=record, features=["b", "a"], target="q", config=TINY
    )
    assert swapped.trained_now
    assert "trained on features ['a', 'b'], not ['b', 'a']" in capsys.readouterr().out
    other_target = training.load_or_train(
        path, record=record, features=["b", "a"], target="c", config=TINY
    )
    assert other_target.trained_now
    assert "to predict 'q', not 'c'" in capsys.readouterr().out


def test_fingerprint_includes_features_and_target(record):
    base = training.fingerprint(record, TINY, ["a", "b"], "q")
    assert base != training.fingerprint(record, TINY, ["b", "a"], "q")
    assert base != training.fingerprint(record, TINY, ["a", "b"], "c")
    assert base == training.fingerprint(record.assign(extra=1.0), TINY, ["a", "b"], "q")


def test_sidecar_fields_are_all_read(record, tmp_path, capsys):
    """A sidecar whose scaler was tampered with makes load_or_train retrain."""
    import json

    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY)
    training.load_or_train(path, verbose=False, **args)
    info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(info) == {"features", "target", "scaler", "config", "fingerprint"}
    info["scaler"]["target_mean"] += 1.0
    path.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
    assert training.load_or_train(path, **args).trained_now
    assert "scaler differs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("model", r"could not load the saved model model\.keras .*delete it and model\.json"),
        ("sidecar", r"sidecar model\.json is not valid JSON.*delete model\.keras and model\.json"),
        ("keys", r"sidecar model\.json lacks scaler.*run again to retrain"),
    ],
)
def test_damaged_model_files_are_named(record, tmp_path, damage, message):
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    training.load_or_train(path, **args)
    if damage == "model":
        path.write_bytes(b"not a zip file")
    elif damage == "sidecar":
        path.with_suffix(".json").write_text("{ half a file", encoding="utf-8")
    else:
        path.with_suffix(".json").write_text('{"features": [], "target": "q"}', encoding="utf-8")
    with pytest.raises(training.ModelFileError, match=message):
        training.load_or_train(path, **args)


def test_predict_returns_target_units(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    scaled = trained.model.predict(trained.data.test.X, verbose=0).ravel()
    mm = training.predict(trained.model, trained.data.test, trained.data.scaler)
    np.testing.assert_allclose(mm, trained.data.scaler.inverse_target(scaled), rtol=1e-6)


def test_model_path_per_seed():
    assert training.model_path(training.DEFAULT_CONFIG["seed"]) == training.MODEL_PATH
    other = training.model_path(1)
    assert other.parent == training.MODEL_PATH.parent and other.suffix == ".keras"
    assert other != training.model_path(2) != training.MODEL_PATH
