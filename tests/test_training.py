"""Model building, shape checks, deterministic training and the load-or-train path."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
import keras

from helpers import training, windowing
from helpers._kit import model_files
from helpers.config import COURSE, CourseConfig

# the 120-month record leaves 23 test windows: the short-test-period warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore:the test period has only")

TINY = {"units": 4, "max_epochs": 3, "patience": 2, "window": 6, "seed": 7}


# `record`: 120 months of three inputs and a target (tests/conftest.py)


def test_build_lstm_shapes():
    model = training.build_lstm(window=12, n_features=9, units=8)
    assert model.input_shape == (None, 12, 9)
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"window": 0}, "window must be a whole number"),
        ({"window": True}, "window must be a whole number"),
        ({"n_features": -1}, "n_features must be a whole number of input variables >= 1"),
        ({"n_features": True}, "n_features must be a whole number"),
        ({"units": 2.5}, "units must be a whole number >= 1, got 2.5"),
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
        training._check_input_shape(model, np.zeros((5, 12, 8)))


def test_training_is_deterministic(record):
    first = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    second = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    for w1, w2 in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(w1, w2)


def test_validation_is_carved_from_training_period(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    assert trained.fit_part.target_dates.max() < trained.validation.target_dates.min()
    assert trained.validation.target_dates.max() < trained.prepared.test.target_dates.min()
    assert len(trained.fit_part) + len(trained.validation) == len(trained.prepared.train)


def test_train_model_refuses_validation_before_training(record):
    prepared = windowing.prepare_windows(record, ["a", "b", "c"], "q", window=6)
    fit_part, validation = windowing.validation_split(prepared.train, fraction=0.2)
    model = training.build_lstm(window=6, n_features=3, units=4)
    with pytest.raises(ValueError, match="after the training windows"):
        training.train_model(model, validation, fit_part, {"max_epochs": 1}, verbose=False)


def test_load_or_train_trains_saves_then_loads(record, tmp_path):
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    first = training.load_or_train(path, **args)
    assert first.trained_now and path.exists() and path.with_suffix(".json").exists()
    second = training.load_or_train(path, **args)
    assert not second.trained_now
    np.testing.assert_allclose(
        first.model.predict(first.prepared.test.X, verbose=0),
        second.model.predict(second.prepared.test.X, verbose=0),
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
    versions = ("2.0", "3.0")
    base = model_files.fingerprint(record, TINY, ["a", "b"], "q", versions)
    assert base != model_files.fingerprint(record, TINY, ["b", "a"], "q", versions)
    assert base != model_files.fingerprint(record, TINY, ["a", "b"], "c", versions)
    assert base != model_files.fingerprint(record, TINY, ["a", "b"], "q", ("2.1", "3.0"))
    assert base != model_files.fingerprint(record, {**TINY, "units": 5}, ["a", "b"], "q", versions)
    assert base == model_files.fingerprint(record.assign(extra=1.0), TINY, ["a", "b"], "q",
                                           versions)


def test_sidecar_fields_are_all_read(record, tmp_path, capsys):
    """A sidecar whose scaler was tampered with makes load_or_train retrain."""
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY)
    training.load_or_train(path, verbose=False, **args)
    info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(info) == {"features", "target", "scaler", "config", "fingerprint"}
    info["scaler"]["target_mean"] += 1.0
    path.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
    assert training.load_or_train(path, **args).trained_now
    assert "scaler differs" in capsys.readouterr().out


DELETE_BOTH = r"delete model\.keras and model\.json, then call training\.load_or_train again"


def _truncate(path):
    """Keep the first half of a file, as an interrupted write leaves it."""
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated model", r"saved model model\.keras is damaged: it is not a complete \.keras"),
        ("model", r"saved model model\.keras is damaged: it is not a complete \.keras"),
        ("truncated sidecar", r"sidecar model\.json is damaged: not valid JSON"),
        ("keys", r"sidecar model\.json lacks scaler, config, fingerprint"),
    ],
)
def test_damaged_model_files_are_refused_by_name(record, tmp_path, damage, message):
    path = tmp_path / "model.keras"
    sidecar = path.with_suffix(".json")
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    training.load_or_train(path, **args)
    if damage == "truncated model":
        _truncate(path)
    elif damage == "model":
        path.write_bytes(b"not a zip file")
    elif damage == "truncated sidecar":
        _truncate(sidecar)
    else:
        sidecar.write_text('{"features": [], "target": "q"}', encoding="utf-8")
    with pytest.raises(training.ModelFileError, match=message) as refusal:
        training.load_or_train(path, **args)
    assert refusal.match(DELETE_BOTH)
    assert "File not found" not in str(refusal.value)  # Keras's words for a file that is there
    assert str(tmp_path) not in str(refusal.value)  # no machine path


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: "", r"the model path is empty: pass a file name ending in \.keras"),
        (lambda tmp: tmp, r"is a folder: pass a file name inside it ending in \.keras"),
        (lambda tmp: tmp / "流域", r"the model path '流域' must end in \.keras .* 流域\.keras"),
        (lambda tmp: tmp / "model.h5", r"'model\.h5' must end in \.keras"),
    ],
    ids=["empty", "folder", "no suffix", ".h5"],
)
def test_a_path_that_cannot_hold_a_model_is_refused_before_training(
    record, tmp_path, monkeypatch, make_path, message
):
    monkeypatch.setattr(training, "train_from_record", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(ValueError, match=message):
        training.load_or_train(make_path(tmp_path), record=record, features=["a", "b", "c"],
                               target="q", config=TINY, verbose=False)


def test_a_damaged_model_inside_the_archive_is_named(record, tmp_path):
    """A complete zip whose content Keras cannot read: Keras's reason, quoted, and the fix."""
    import zipfile

    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    training.load_or_train(path, **args)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{ half a configuration")
    damaged = r"could not load the saved model model\.keras"
    with pytest.raises(training.ModelFileError, match=damaged):
        training.load_or_train(path, **args)


def test_predict_returns_target_units(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    scaled = trained.model.predict(trained.prepared.test.X, verbose=0).ravel()
    mm = training.predict(trained.model, trained.prepared.test, trained.prepared.scaler)
    np.testing.assert_allclose(mm, trained.prepared.scaler.inverse_target(scaled), rtol=1e-6)


def test_model_path_per_seed():
    assert training.model_path(COURSE.seed) == training.MODEL_PATH
    other = training.model_path(1)
    assert other.parent == training.MODEL_PATH.parent and other.suffix == ".keras"
    assert other != training.model_path(2) != training.MODEL_PATH


def test_settings_are_the_course_config_with_overrides(record, tmp_path):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    assert isinstance(trained.config, CourseConfig)
    assert trained.config == COURSE.replace(**TINY)
    assert trained.model.get_layer(index=0).units == TINY["units"]
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", verbose=False)
    training.save_trained(trained, path)
    assert not training.load_or_train(path, config=COURSE.replace(**TINY), **args).trained_now


def test_explanation_settings_do_not_retrain(record, tmp_path):
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", verbose=False)
    training.load_or_train(path, config=TINY, **args)
    sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(sidecar["config"]) == {
        "window", "train_fraction", "validation_fraction", "units", "learning_rate",
        "batch_size", "max_epochs", "patience", "seed",
    }
    looser = {**TINY, "tolerance": 1e-3, "memory_budget_mb": 64.0}
    assert not training.load_or_train(path, config=looser, **args).trained_now


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"epochs": 3}, TypeError, r"unknown setting\(s\) epochs; the course's settings are wi"),
        ([("units", 4)], TypeError, "config must be a CourseConfig or a dict of settings"),
    ],
)
def test_bad_settings_are_named(record, config, error, message):
    with pytest.raises(error, match=message):
        training.train_from_record(record, ["a", "b", "c"], "q", config, verbose=False)


def test_predict_checks_the_window_shape(record):
    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    other = windowing.prepare_windows(record, ["a", "b"], "q", window=6)
    with pytest.raises(ValueError, match=r"expects windows of shape \(n, 6, 3\)"):
        training.predict(trained.model, other.test, other.scaler)


def test_an_interrupted_save_never_leaves_a_truncated_model(record, tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    args = dict(record=record, features=["a", "b", "c"], target="q", config=TINY, verbose=False)
    trained = training.load_or_train(path, **args)
    before = path.read_bytes()

    def save_cut_short(filepath, *more, **options):
        Path(filepath).write_bytes(before[: len(before) // 2])
        raise KeyboardInterrupt  # the learner interrupts the kernel while saving

    monkeypatch.setattr(trained.model, "save", save_cut_short)
    with pytest.raises(KeyboardInterrupt):
        training.save_trained(trained, path)
    assert path.read_bytes() == before  # the old model, whole
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary, no sidecar
    monkeypatch.undo()
    assert training.load_or_train(path, **args).trained_now  # without its sidecar: retrained


def test_the_test_period_table_predicts_the_lstm_through_training_predict(record):
    from helpers import metrics

    trained = training.train_from_record(record, ["a", "b", "c"], "q", TINY, verbose=False)
    table = metrics.period_table(trained)
    expected = training.predict(trained.model, trained.prepared.test, trained.prepared.scaler)
    np.testing.assert_array_equal(table["LSTM"].to_numpy(), expected)
    np.testing.assert_array_equal(table["observed"], record.loc[table.index, "q"])


def test_chinese_column_names_survive_the_sidecar(record, tmp_path):
    features = ["降水量(mm)", "平均气温(℃)", "风速"]
    chinese = record.set_axis([*features, "径流量"], axis=1)
    path = tmp_path / "模型.keras"
    args = dict(record=chinese, features=features, target="径流量", config=TINY, verbose=False)
    training.load_or_train(path, **args)
    text = path.with_suffix(".json").read_text(encoding="utf-8")
    assert "降水量(mm)" in text and "径流量" in text  # readable, not \\u escapes
    reloaded = training.load_or_train(path, **args)
    assert not reloaded.trained_now
    assert reloaded.prepared.features == features and reloaded.prepared.target == "径流量"


def test_train_model_takes_the_settings_whole(record):
    prepared = windowing.prepare_windows(record, ["a", "b", "c"], "q", window=6)
    fit_part, validation = windowing.validation_split(prepared.train, fraction=0.2)
    model = training.build_lstm(window=6, n_features=3, units=4)
    history = training.train_model(model, fit_part, validation, {"max_epochs": 2, "patience": 5},
                                   verbose=False)
    assert len(history["loss"]) == 2
    with pytest.raises(TypeError, match=r"unknown setting\(s\) epochs"):
        training.train_model(model, fit_part, validation, {"epochs": 2}, verbose=False)


def test_train_model_pools_several_records(record):
    """helpers.regional trains one model on many records: each record's validation after its
    own training windows, all pooled."""
    parts = [windowing.validation_split(windowing.prepare_windows(
        frame, ["a", "b", "c"], "q", window=6).train, fraction=0.2)
        for frame in (record, record * 2.0)]
    model = training.build_lstm(window=6, n_features=3, units=4)
    history = training.train_model(model, [fit for fit, _ in parts], [val for _, val in parts],
                                   {"max_epochs": 1}, verbose=False)
    assert len(history["val_loss"]) == 1
    with pytest.raises(ValueError, match="after the training windows"):
        training.train_model(model, [val for _, val in parts], [fit for fit, _ in parts],
                             {"max_epochs": 1}, verbose=False)


def test_predict_takes_a_window_and_a_static_input():
    """[window, static] goes through the same path; batches are cut in both inputs alike."""
    window, static = keras.Input((4, 2)), keras.Input((3,))
    joined = keras.layers.Concatenate()([keras.layers.LSTM(2)(window), static])
    model = keras.Model([window, static], keras.layers.Dense(1)(joined))
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(7, 4, 2)).astype("float32"), rng.normal(size=(7, 3)).astype("float32")]
    expected = np.asarray(model(X, training=False)).ravel()
    np.testing.assert_allclose(training.predict(model, X, batch_size=3), expected, atol=1e-6)
