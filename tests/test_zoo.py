"""A zoo of Keras architectures through both routes: the README recipe and explain.deep_shap.

Each model is either explained exactly by a route — values plus base value equal the prediction
within 1e-5, and equal to the other route's values where both are exact — or refused with a
message that names the layer (deep_shap) or says what to do next (the recipe); never a raw shap
or TensorFlow error, never values that do not add up. Afterwards TensorFlow is not left patched
and a fresh model still trains.

Small on purpose (window 6, 4 variables, 10 windows, 20 background windows, 3-4 units).
"""

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import config, explain  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs`")
L = keras.layers
W, F = 6, 4
TOLERANCE = 1e-5
RECIPE_REFUSAL = r"exact_deep_shap cannot explain this model exactly .*helpers\.explain\.deep_shap"


def readme_recipe():
    text = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace = {}
    exec(next(block for block in blocks if "def exact_deep_shap" in block), namespace)
    return namespace["exact_deep_shap"]


def inp(shape=(W, F)):
    return keras.Input(shape)


def seq(*layers, shape=(W, F)):
    return keras.Sequential([inp(shape), *layers])


def functional_skip():
    x = inp()
    return keras.Model(x, L.Dense(1)(L.Concatenate()([L.LSTM(4)(x), L.Flatten()(x)])))


def nested_sequential():
    inner = keras.Sequential([inp(), L.LSTM(4), L.Dense(3)])
    x = inp()
    return keras.Model(x, L.Dense(1)(inner(x)))


def nested_functional_in_sequential():
    x = inp()
    return keras.Sequential([inp(), keras.Model(x, L.GRU(4)(x)), L.Dense(1)])


def adapted_normalization():
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(5).normal(2.0, 3.0, size=(50, W, F)).astype("float32"))
    return seq(norm, L.LSTM(4), L.Dense(1))


def two_heads():
    x = inp()
    hidden = L.LSTM(4)(x)
    return keras.Model(x, [L.Dense(1)(hidden), L.Dense(1)(hidden)])


def two_inputs():
    a, b = inp(), inp()
    return keras.Model([a, b], L.Dense(1)(L.LSTM(4)(L.Add()([a, b]))))


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.rnn, self.head = L.LSTM(4), L.Dense(1)

    def call(self, x):
        return self.head(self.rnn(x))


def subclassed():
    model = Subclassed()
    model(np.zeros((1, W, F), "float32"))
    return model


EXACT = "exact"
#: name: (builder, recipe outcome, deep_shap outcome, output index for deep_shap).
#: An outcome is EXACT or a regex the refusal must match.
ZOO = {
    # plain recurrent stacks: both routes exact
    "lstm": (lambda: seq(L.LSTM(4), L.Dense(1)), EXACT, EXACT, None),
    "gru": (lambda: seq(L.GRU(4), L.Dense(1)), EXACT, EXACT, None),
    "gru_reset_after_false": (lambda: seq(L.GRU(4, reset_after=False), L.Dense(1)),
                              EXACT, EXACT, None),
    "simple_rnn": (lambda: seq(L.SimpleRNN(4), L.Dense(1)), EXACT, EXACT, None),
    "stacked_lstm_dropout": (lambda: seq(L.LSTM(4, return_sequences=True), L.Dropout(0.3),
                                         L.LSTM(3), L.Dense(1)), EXACT, EXACT, None),
    "lstm_then_gru": (lambda: seq(L.LSTM(4, return_sequences=True), L.GRU(3), L.Dense(1)),
                      EXACT, EXACT, None),
    "bidirectional_lstm": (lambda: seq(L.Bidirectional(L.LSTM(3)), L.Dense(1)),
                           EXACT, EXACT, None),
    "bidirectional_gru_sum": (lambda: seq(L.Bidirectional(L.GRU(3), merge_mode="sum"),
                                          L.Dense(1)), EXACT, EXACT, None),
    "bidirectional_lstm_ave": (lambda: seq(L.Bidirectional(L.LSTM(3), merge_mode="ave"),
                                           L.Dense(1)), EXACT, EXACT, None),
    "conv1d_lstm": (lambda: seq(L.Conv1D(4, 3, activation="relu"), L.LSTM(3), L.Dense(1)),
                    EXACT, EXACT, None),
    "conv1d_maxpool_lstm": (lambda: seq(L.Conv1D(4, 2, activation="relu"), L.MaxPooling1D(2),
                                        L.LSTM(3), L.Dense(1)), EXACT, EXACT, None),
    "lstm_sequences_average_pooling": (lambda: seq(L.LSTM(4, return_sequences=True),
                                                   L.GlobalAveragePooling1D(), L.Dense(1)),
                                       EXACT, EXACT, None),
    "time_distributed_dense_lstm": (lambda: seq(L.TimeDistributed(L.Dense(3, activation="tanh")),
                                                L.LSTM(3), L.Dense(1)), EXACT, EXACT, None),
    "lstm_relu_head": (lambda: seq(L.LSTM(4), L.Dense(3, activation="relu"), L.Dense(1)),
                       EXACT, EXACT, None),
    "lstm_sigmoid_output": (lambda: seq(L.LSTM(4), L.Dense(1, activation="sigmoid")),
                            EXACT, EXACT, None),
    "lstm_batch_normalization": (lambda: seq(L.LSTM(4), L.BatchNormalization(), L.Dense(1)),
                                 EXACT, EXACT, None),
    "lstm_recurrent_dropout": (lambda: seq(L.LSTM(4, dropout=0.2, recurrent_dropout=0.2),
                                           L.Dense(1)), EXACT, EXACT, None),
    "lstm_without_bias": (lambda: seq(L.LSTM(4, use_bias=False), L.Dense(1)), EXACT, EXACT, None),
    "functional_skip_connection": (functional_skip, EXACT, EXACT, None),
    # exact with deep_shap only; the recipe refuses and points to it
    "lstm_hard_sigmoid": (lambda: seq(L.LSTM(4, recurrent_activation="hard_sigmoid"),
                                      L.Dense(1)), RECIPE_REFUSAL, EXACT, None),
    "lstm_leaky_relu_head": (lambda: seq(L.LSTM(4), L.Dense(3), L.LeakyReLU(), L.Dense(1)),
                             RECIPE_REFUSAL, EXACT, None),
    "nested_sequential_in_functional": (nested_sequential, RECIPE_REFUSAL, EXACT, None),
    "nested_functional_in_sequential": (nested_functional_in_sequential,
                                        RECIPE_REFUSAL, EXACT, None),
    "adapted_normalization": (adapted_normalization, RECIPE_REFUSAL, EXACT, None),
    "undefined_window_length": (lambda: seq(L.LSTM(4), L.Dense(1), shape=(None, F)),
                                RECIPE_REFUSAL, EXACT, None),
    "dense2_output": (lambda: seq(L.LSTM(4), L.Dense(2)), RECIPE_REFUSAL, EXACT, 1),
    "two_heads": (two_heads, RECIPE_REFUSAL, EXACT, 1),
    # refused by both, deep_shap naming the layer
    "lstm_sequences_max_pooling": (lambda: seq(L.LSTM(4, return_sequences=True),
                                               L.GlobalMaxPooling1D(), L.Dense(1)),
                                   RECIPE_REFUSAL, r"\(GlobalMaxPooling1D\): Max", None),
    "lstm_swish_head": (lambda: seq(L.LSTM(4), L.Dense(3, activation="swish"), L.Dense(1)),
                        RECIPE_REFUSAL, r"\(Dense, activation (swish|silu)\): IdentityN", None),
    "lstm_layer_normalization": (lambda: seq(L.LSTM(4), L.LayerNormalization(), L.Dense(1)),
                                 RECIPE_REFUSAL, r"_normalization(_\d+)? \(LayerNormalization\)",
                                 None),
    "masking": (lambda: seq(L.Masking(0.0), L.LSTM(4), L.Dense(1)),
                RECIPE_REFUSAL, r"masking(_\d+)? \(Masking\): .*SelectV2", None),
    # two windows: deep_shap explains a window and a static vector (tests/test_two_inputs.py)
    "two_inputs": (two_inputs, RECIPE_REFUSAL, r"one or two inputs \(a window .*\(None, 6, 4\), "
                   r"\(None, 6, 4\)\]", None),
    "subclassed": (subclassed, RECIPE_REFUSAL, r"subclassed model Subclassed.*variable_shapley",
                   None),
}

rng = np.random.default_rng(1)
X = rng.normal(size=(10, W, F)).astype("float32")
BACKGROUND = rng.normal(size=(20, W, F)).astype("float32")


def predictions(model, output):
    flat = [np.asarray(o).reshape(len(X), -1) for o in keras.tree.flatten(model(X))]
    return np.concatenate(flat, axis=1)[:, output or 0]


def outcome(route, model, output):
    """('exact', values) or ('refused', message); anything else fails the test."""
    try:
        if route == "recipe":
            values, base_value = readme_recipe()(model, X, BACKGROUND)
        else:
            explanation = explain.deep_shap(model, X, BACKGROUND, output=output)
            values, base_value = explanation.values, explanation.base_values[0]
    except (RuntimeError, ValueError, TypeError) as error:
        return "refused", error
    error = np.max(np.abs(values.sum(axis=(1, 2)) + base_value - predictions(model, output)))
    assert error <= TOLERANCE, f"{route}: values returned that miss the predictions by {error}"
    return "exact", values


def test_the_zoo_has_at_least_25_architectures():
    assert len(ZOO) >= 25


@pytest.mark.parametrize("name", list(ZOO))
def test_both_routes_are_exact_or_refuse_clearly(name):
    build, recipe_expected, deep_expected, output = ZOO[name]
    keras.utils.set_random_seed(0)
    model = build()
    results = {}
    for route, expected in (("recipe", recipe_expected), ("deep_shap", deep_expected)):
        kind, result = outcome(route, model, output)
        if expected == EXACT:
            assert kind == "exact", f"{route} refused: {result}"
        else:
            assert kind == "refused", f"{route} should refuse"
            assert re.search(expected, str(result), flags=re.S), f"{route}: {result}"
            assert type(result).__module__.startswith(("builtins", "helpers")), type(result)
        results[route] = result
        assert not explain.tensorflow_gradients_are_patched()
    if recipe_expected == deep_expected == EXACT:
        np.testing.assert_allclose(results["recipe"], results["deep_shap"], atol=TOLERANCE)


def test_several_outputs_need_an_output_index():
    keras.utils.set_random_seed(0)
    with pytest.raises(ValueError, match=r"2 values per window.*output=k"):
        explain.deep_shap(seq(L.LSTM(4), L.Dense(2)), X, BACKGROUND)
    with pytest.raises(ValueError, match=r"output=2 is out of range"):
        explain.deep_shap(seq(L.LSTM(4), L.Dense(2)), X, BACKGROUND, output=2)


def test_a_fresh_model_still_trains_after_the_zoo():
    keras.utils.set_random_seed(0)
    model = seq(L.LSTM(4), L.Dense(1))
    model.compile("adam", "mse")
    history = model.fit(X, np.zeros((len(X), 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
