"""Interrupted writes: files written whole or not at all, damaged cache entries recomputed."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import shap

from helpers import explain
from helpers._kit import files


def test_replaced_atomically_writes_under_the_real_name_only_at_the_end(tmp_path):
    path = tmp_path / "sub" / "entry.npz"
    with files.replaced_atomically(path) as temporary:
        assert temporary.parent == path.parent and temporary.suffix == ".npz"
        np.savez(temporary, values=np.arange(3))
        assert not path.exists()  # nothing under the real name while writing
    with np.load(path) as saved:
        np.testing.assert_array_equal(saved["values"], np.arange(3))
    assert [p.name for p in path.parent.iterdir()] == ["entry.npz"]  # no temporary left


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "model.json"
    files.write_text_atomically(path, '{"old": true}')

    def interrupted_write():
        with files.replaced_atomically(path) as temporary:
            temporary.write_text('{"new": tr', encoding="utf-8")  # half written ...
            raise KeyboardInterrupt  # ... when the learner interrupts the kernel

    with pytest.raises(KeyboardInterrupt):
        interrupted_write()
    assert path.read_text(encoding="utf-8") == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_text_is_written_as_utf8(tmp_path):
    path = tmp_path / "sidecar.json"
    files.write_text_atomically(path, '{"features": ["降水量(mm)"]}')
    assert path.read_bytes().decode("utf-8") == '{"features": ["降水量(mm)"]}'


@pytest.fixture
def small_case():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3, 4, 2)).astype("float32")
    background = rng.normal(size=(5, 4, 2)).astype("float32")
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    return model, X, background


def counting_route(calls):
    """A stand-in explanation route that counts its calls (the cache, not SHAP, is tested)."""

    def fake_shap(model, X, background, **options):
        calls.append(1)
        explanation = shap.Explanation(
            values=np.full(X.shape, len(calls), dtype=float), base_values=np.zeros(len(X)),
            data=X, feature_names=["a", "b"],
        )
        explanation.max_additivity_error = 0.0
        return explanation

    return fake_shap


@pytest.mark.parametrize("damage", ["truncated", "empty", "not a zip"])
def test_a_damaged_cache_entry_is_recomputed_with_a_warning_naming_it(
    tmp_path, small_case, damage
):
    model, X, background = small_case
    calls = []
    route = counting_route(calls)
    explain.cached(route, model, X, background, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("fake_shap-*.npz")
    content = entry.read_bytes()
    entry.write_bytes({"truncated": content[: len(content) // 2], "empty": b"",
                       "not a zip": b"PK but not really"}[damage])
    with pytest.warns(UserWarning, match=rf"cached explanation {entry.name} is damaged .*again"):
        again = explain.cached(route, model, X, background, cache_dir=tmp_path)
    assert len(calls) == 2 and again.values[0, 0, 0] == 2  # computed afresh
    loaded = explain.cached(route, model, X, background, cache_dir=tmp_path)  # whole again
    assert len(calls) == 2
    np.testing.assert_array_equal(loaded.values, again.values)
    assert [p.name for p in tmp_path.iterdir()] == [entry.name]
