"""The batched DeepSHAP engine computes shap's values (helpers.explain.deep_shap) on every
covered architecture, adds up to the predictions, and refuses what it does not cover."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import explain
from helpers._kit.engine import shap_values, windows_per_chunk
from helpers._kit.engine import supports as engine_supports
from helpers._kit.engine.errors import EngineUnsupportedError
from helpers._kit.engine.rules import DERIVATIVES, Pair, product, rescale_multiplier
from helpers.config import COURSE


def engine_shap_values(model, X, background, memory_budget_mb=COURSE.memory_budget_mb):
    """The engine's values and the base value deep_shap gives them (mean background prediction)."""
    values = shap_values(model, X, background, memory_budget_mb=memory_budget_mb)
    return values, float(np.mean(model(background, training=False).numpy()))

WINDOW, N_FEATURES = 8, 5
L = keras.layers


def _data(seed=0, n=12, m=15):
    """Inputs with std 1.5, so gates and activations work in their non-linear range."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=1.5, size=(n, WINDOW, N_FEATURES)).astype("float32")
    background = rng.normal(scale=1.5, size=(m, WINDOW, N_FEATURES)).astype("float32")
    return X, background


def _model(layers, seed=1):
    """A seeded random model, weights doubled and biases randomised (non-linear regimes)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((WINDOW, N_FEATURES)), *layers])
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        noise = 0.3 * rng.normal(size=weight.shape) if "bias" in weight.path else 0.0
        weight.assign(weight.numpy() * 2.0 + noise)
    return model


def _functional_chain():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((WINDOW, N_FEATURES))
    x = L.Conv1D(6, 3, padding="same", activation="elu")(inputs)
    x = L.GRU(7, return_sequences=True)(x)
    x = L.AveragePooling1D(2)(x)
    x = L.LSTM(5)(x)
    x = L.Dense(4, activation="softplus")(x)
    return keras.Model(inputs, L.Dense(1)(x))


ARCHITECTURES = {
    "lstm": lambda: [L.LSTM(8), L.Dense(1)],
    "gru_reset_after": lambda: [L.GRU(8), L.Dense(1)],
    "gru_reset_before": lambda: [L.GRU(8, reset_after=False), L.Dense(1)],
    "gru_no_bias": lambda: [L.GRU(6, use_bias=False), L.Dense(1)],
    "simple_rnn": lambda: [L.SimpleRNN(8), L.Dense(1)],
    "simple_rnn_backwards_relu_head": lambda: [
        L.SimpleRNN(6, go_backwards=True), L.Dense(3, activation="relu"), L.Dense(1)
    ],
    "bidirectional_lstm": lambda: [L.Bidirectional(L.LSTM(6)), L.Dense(1)],
    "bidirectional_gru_sum_sequences": lambda: [
        L.Bidirectional(L.GRU(6, return_sequences=True), merge_mode="sum"),
        L.GlobalAveragePooling1D(),
        L.Dense(1),
    ],
    "bidirectional_lstm_ave": lambda: [
        L.Bidirectional(L.LSTM(5), merge_mode="ave"), L.Dense(1)
    ],
    "bidirectional_gru_mul": lambda: [
        L.Bidirectional(L.GRU(5, reset_after=False), merge_mode="mul"), L.Dense(1)
    ],
    "stacked_lstm_dropout": lambda: [
        L.LSTM(8, return_sequences=True),
        L.Dropout(0.2),
        L.LSTM(6),
        L.Dense(4, activation="relu"),
        L.Dense(1),
    ],
    "conv1d_lstm": lambda: [
        L.Conv1D(6, 3, padding="causal", activation="relu"),
        L.SpatialDropout1D(0.1),
        L.LSTM(8),
        L.Dense(1, activation="tanh"),
    ],
    "lstm_sequences_gap": lambda: [
        L.LSTM(6, return_sequences=True), L.GlobalAveragePooling1D(), L.Dense(1)
    ],
    "lstm_sequences_reshape_activation_layer": lambda: [
        L.LSTM(6, return_sequences=True),
        L.Reshape((WINDOW * 6,)),
        L.Dense(4),
        L.Activation("selu"),
        L.Dense(1),
    ],
    "lstm_sequences_flatten_tanh_head": lambda: [
        L.LSTM(6, return_sequences=True),
        L.Flatten(),
        L.Dense(5, activation="tanh"),
        L.Dense(1, activation="sigmoid"),
    ],
}


def _shap_route(model, X, background):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return explain.deep_shap(model, X, background, engine="shap")


def _assert_engine_equals_shap(model, X, background, **options):
    reference = _shap_route(model, X, background)
    values, base_value = engine_shap_values(model, X, background, **options)

    assert values.shape == X.shape
    # Equal to float32 rounding: 1e-5, scaled up where the outputs are larger than 1 (these
    # stress models have outputs up to ~10; float32 keeps ~7 significant digits, and DeepLIFT's
    # ratios (f(x) - f(r)) / (x - r) amplify rounding where x and r are close).
    predictions = model(X, training=False).numpy()[:, 0]
    scale = max(1.0, float(np.abs(predictions).max()))
    assert np.abs(values - reference.values).max() <= 1e-5 * scale
    assert abs(base_value - reference.base_values[0]) <= 1e-6 * scale
    assert np.abs(values.sum(axis=(1, 2)) + base_value - predictions).max() <= 1e-5
    # a real explanation, not zeros: values of the order of the outputs' spread
    assert np.abs(values).max() > 1e-2


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_engine_equals_shap_route(name):
    model = _model(ARCHITECTURES[name]())
    assert engine_supports(model) is None
    _assert_engine_equals_shap(model, *_data())


def test_functional_chain_model():
    model = _functional_chain()
    assert engine_supports(model) is None
    _assert_engine_equals_shap(model, *_data(seed=4))


def test_rules_give_multiplier_i_j_to_window_i_and_background_window_j():
    """The rules on a Pair of k window rows and m background rows equal shap's formulas
    evaluated pair by pair (window i, background window j), thresholds included."""
    rng = np.random.default_rng(7)
    x, r = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    r[:, 1, 0] = x[:, 2, 0]  # pair (2, 1), unit 0: equal halves, below both thresholds
    a = Pair(tf.constant(x[0], tf.float32), tf.constant(r[0], tf.float32))
    b = Pair(tf.constant(x[1], tf.float32), tf.constant(r[1], tf.float32))
    out, m_a, m_b = product(a, b)
    tanh = a.map(tf.tanh)
    m_tanh = rescale_multiplier(a, tanh, DERIVATIVES["tanh"]).numpy()
    assert m_a.shape == m_b.shape == m_tanh.shape == (3, 5, 4)
    np.testing.assert_allclose(out.x, x[0] * x[1], rtol=1e-6)
    np.testing.assert_allclose(out.r, r[0] * r[1], rtol=1e-6)
    for i in range(3):
        for j in range(5):
            (a_x, b_x), (a_r, b_r) = x[:, i], r[:, j]
            shap_a = 0.5 * ((a_x * b_x - a_r * b_x) + (a_x * b_r - a_r * b_r)) / (a_x - a_r)
            shap_b = 0.5 * ((a_x * b_x - a_x * b_r) + (a_r * b_x - a_r * b_r)) / (b_x - b_r)
            rescale = (np.tanh(a_x) - np.tanh(a_r)) / (a_x - a_r)
            if (i, j) == (2, 1):
                shap_a[0] = shap_b[0] = 0.0
                rescale[0] = 1 - np.tanh(a_r[0]) ** 2
            np.testing.assert_allclose(m_a[i, j], shap_a, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(m_b[i, j], shap_b, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(m_tanh[i, j], rescale, rtol=1e-4, atol=1e-6)


def test_small_chunks_give_the_same_values():
    """One window per chunk (tiny budget) and one chunk for all give the same values.

    Not bit for bit: MatMul rounds differently for other batch sizes, and DeepLIFT's ratios
    (f(x) - f(r)) / (x - r) amplify that rounding where x and r are close.
    """
    model = _model(ARCHITECTURES["stacked_lstm_dropout"]())
    X, background = _data(seed=5)
    assert windows_per_chunk(model, len(background), memory_budget_mb=1e-6) == 1
    small, base_small = engine_shap_values(model, X, background, memory_budget_mb=1e-6)
    large, base_large = engine_shap_values(model, X, background, memory_budget_mb=1024)
    assert np.abs(small - large).max() <= 1e-5
    assert base_small == base_large


def test_additivity_check_raises_once_for_the_batched_engine():
    model = _model(ARCHITECTURES["lstm"]())
    with pytest.raises(explain.AdditivityError, match="differ from the model's predictions"):
        explain.deep_shap(model, *_data(), tolerance=0.0)


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        (L.LayerNormalization(name="norm"), "norm"),
        (L.BatchNormalization(name="batch_norm"), "batch_norm"),
        (L.MaxPooling1D(2, name="max_pool"), "max_pool"),
    ],
)
def test_refuses_unsupported_layer(layer, name):
    model = _model([L.LSTM(4, return_sequences=True), layer, L.GlobalAveragePooling1D(),
                    L.Dense(1)])
    assert name in engine_supports(model)
    with pytest.raises(EngineUnsupportedError, match=name):
        engine_shap_values(model, *_data())


def test_refuses_masking():
    model = _model([L.Masking(name="mask"), L.LSTM(4), L.Dense(1)])
    with pytest.raises(EngineUnsupportedError, match="mask.*Masking"):
        engine_shap_values(model, *_data())


@pytest.mark.parametrize(
    ("layer", "reason"),
    [
        (L.LSTM(4, recurrent_activation="hard_sigmoid", name="lstm_hs"), "hard_sigmoid"),
        (L.GRU(4, stateful=True, name="gru_st"), "stateful"),
        (L.LSTM(4, implementation=1, name="lstm_i1"), "implementation"),
    ],
)
def test_refuses_unsupported_options(layer, reason):
    if getattr(layer, "stateful", False):
        model = keras.Sequential([keras.Input((WINDOW, N_FEATURES), batch_size=12), layer,
                                  L.Dense(1)])
    else:
        model = _model([layer, L.Dense(1)])
    message = engine_supports(model)
    assert message is not None and reason in message and layer.name in message
    assert issubclass(EngineUnsupportedError, NotImplementedError)


def test_refuses_several_outputs():
    model = _model([L.LSTM(4), L.Dense(2)])
    with pytest.raises(EngineUnsupportedError, match="one output"):
        engine_shap_values(model, *_data())


def test_deep_shap_uses_the_engine_and_falls_back_to_shap():
    X, background = _data(seed=6)
    lstm = _model(ARCHITECTURES["lstm"]())
    fast = explain.deep_shap(lstm, X, background)
    assert fast.engine == "batched" and fast.engine_note is None
    slow = explain.deep_shap(lstm, X, background, engine="shap")
    assert slow.engine == "shap"
    assert np.abs(fast.values - slow.values).max() <= 1e-5
    pooled = _model([L.LSTM(4, return_sequences=True), L.MaxPooling1D(2, name="max_pool"),
                     L.GlobalAveragePooling1D(), L.Dense(1)])
    fallback = explain.deep_shap(pooled, X, background)
    assert fallback.engine == "shap" and "max_pool" in fallback.engine_note
    assert fallback.max_additivity_error <= 1e-5
    with pytest.raises(ValueError, match="engine must be"):
        explain.deep_shap(lstm, X, background, engine="fast")
