"""readings.explain_test_period: the set-up notebooks 04, 04b and 04c share, on a tiny model."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from helpers import explain, readings, training

# the 120-month record leaves 23 test windows: the short-test-period warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore:the test period has only")

TINY = {"units": 4, "max_epochs": 3, "patience": 2, "window": 6, "seed": 7}
FEATURES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def trained():
    """A tiny LSTM on 120 months of three inputs (the target follows ``a``)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=120, freq="MS", name="date")
    record = pd.DataFrame(rng.normal(size=(120, 3)), index=dates, columns=FEATURES)
    record["q"] = record["a"] + 0.5 * record["a"].shift(1).fillna(0) + 0.1 * rng.normal(size=120)
    return training.train_from_record(record, FEATURES, "q", TINY, verbose=False)


def test_it_explains_the_test_windows_as_the_routes_do(trained, tmp_path):
    period = readings.explain_test_period(trained, background_size=20, cache_dir=tmp_path)
    prepared = trained.prepared
    n, window = len(prepared.test), TINY["window"]
    expected = explain.training_background(prepared.train.X, size=20, seed=0)
    np.testing.assert_array_equal(period.background, expected)
    direct = explain.deep_shap(trained.model, prepared.test.X, expected, feature_names=FEATURES)
    np.testing.assert_allclose(period.explanation.values, direct.values, atol=1e-6)
    assert period.exact.values.shape == (n, 3)
    assert period.shap_mm.values.shape == (n, window, 3)
    assert period.variables_mm.values.shape == period.exact_mm.values.shape == (n, 3)
    # in the target's units the values still add up to the predictions (mm, not z-scores)
    predicted = training.predict(trained.model, prepared.test, prepared.scaler)
    for values in (period.variables_mm, period.exact_mm):
        np.testing.assert_allclose(values.values.sum(axis=1) + values.base_values, predicted,
                                   atol=1e-4)
    # the inputs come back in their own units
    unscaled = prepared.test.X[..., 0] * prepared.scaler.feature_std["a"]
    np.testing.assert_allclose(period.shap_mm.data[..., 0],
                               unscaled + prepared.scaler.feature_mean["a"], atol=1e-5)


def test_a_second_call_loads_the_cache(trained, tmp_path):
    first = readings.explain_test_period(trained, background_size=20, cache_dir=tmp_path)
    saved = sorted(path.name for path in tmp_path.iterdir())
    assert len(saved) == 2  # one DeepSHAP and one exact Shapley entry
    second = readings.explain_test_period(trained, background_size=20, cache_dir=tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == saved
    np.testing.assert_array_equal(first.explanation.values, second.explanation.values)
    np.testing.assert_array_equal(first.exact.values, second.exact.values)


def test_a_cached_entry_that_does_not_add_up_is_refused(trained, tmp_path):
    readings.explain_test_period(trained, background_size=20, cache_dir=tmp_path)
    entry = next(tmp_path.glob("deep_shap-*.npz"))
    with np.load(entry) as stored:
        fields = dict(stored)
    fields["values"] = fields["values"] + 0.01  # a tampered (or stale) entry
    with open(entry, "wb") as handle:
        np.savez(handle, **fields)
    with pytest.raises(RuntimeError, match="DeepSHAP values miss the model's predictions by"):
        readings.explain_test_period(trained, background_size=20, cache_dir=tmp_path)
