"""explain.deep_shap for models with two inputs: a window and a vector of static attributes.

Three ways a regional model takes statics (a dense branch beside the LSTM's output, the LSTM's
initial state, statics repeated as channels), each explained on both routes: values of both
inputs plus the base value equal the model's predictions (at the default tolerance), the two
routes agree, a linear model gets its closed-form values (x - mean) * w; bad input is refused
with a message naming what is wrong. Small on purpose (window 6, 3 variables, 2 statics).
"""

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shap  # noqa: E402

from helpers import crosschecks, explain  # noqa: E402
from helpers.config import COURSE  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs`")
L = keras.layers
W, F, S = 6, 3, 2
NAMES, STATICS = ["precip", "temp", "pet"], ["area", "aridity"]


def inputs():
    return keras.Input((W, F), name="window"), keras.Input((S,), name="static")


def dense_branch():
    """(a) statics through a dense branch, concatenated with the LSTM's output."""
    window, static = inputs()
    merged = L.Concatenate()([L.LSTM(4)(window), L.Dense(3, activation="relu")(static)])
    return keras.Model([window, static], L.Dense(1)(L.Dense(4, activation="tanh")(merged)))


def initial_state():
    """(b) statics into the LSTM's initial state: h0 = tanh(Dense(statics)), c0 = Dense(...)."""
    window, static = inputs()
    h0, c0 = L.Dense(4, activation="tanh")(static), L.Dense(4)(static)
    return keras.Model([window, static], L.Dense(1)(L.LSTM(4)(window, initial_state=[h0, c0])))


def repeated_channels():
    """(c) statics repeated at every time step as extra channels (RepeatVector + Concatenate)."""
    window, static = inputs()
    channels = L.Concatenate()([window, L.RepeatVector(W)(static)])
    return keras.Model([window, static], L.Dense(1)(L.LSTM(4)(channels)))


def gru_initial_state():
    """(b) with a GRU, whose one state h0 comes from the statics."""
    window, static = inputs()
    h0 = L.Dense(4, activation="tanh")(static)
    return keras.Model([window, static], L.Dense(1)(L.GRU(4)(window, initial_state=[h0])))


def added_branches():
    """Statics added to the LSTM's output (Add): the batched engine does not read Add."""
    window, static = inputs()
    merged = L.Add()([L.LSTM(4)(window), L.Dense(4)(static)])
    return keras.Model([window, static], L.Dense(1)(merged))


ARCHITECTURES = {"dense_branch": dense_branch, "initial_state": initial_state,
                 "repeated_channels": repeated_channels, "gru_initial_state": gru_initial_state}

rng = np.random.default_rng(3)
X = [rng.normal(size=(8, W, F)).astype("float32"), rng.normal(size=(8, S)).astype("float32")]
BACKGROUND = [rng.normal(size=(20, W, F)).astype("float32"),
              rng.normal(size=(20, S)).astype("float32")]


def build(name):
    keras.utils.set_random_seed(0)
    return ARCHITECTURES[name]()


def predictions(model, X):
    return np.asarray(model(X), np.float64)[:, 0]


def explained(model, engine, X=X, background=BACKGROUND):
    return explain.deep_shap(model, X, background, feature_names=NAMES, static_names=STATICS,
                             engine=engine)


@pytest.mark.parametrize("engine", ["batched", "shap"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_both_inputs_values_add_up_to_the_predictions(name, engine):
    model = build(name)
    result = explained(model, engine)
    assert isinstance(result, list) and len(result) == 2
    assert all(isinstance(part, shap.Explanation) for part in result)
    assert result.window.values.shape == (8, W, F) and result.static.values.shape == (8, S)
    totals = (result.window.values.sum(axis=(1, 2)) + result.static.values.sum(axis=1)
              + result.base_values)
    error = np.max(np.abs(totals - predictions(model, X)))
    assert error <= COURSE.tolerance, error
    assert result.max_additivity_error == pytest.approx(error, abs=1e-9)
    # the base value is the mean prediction over the background
    np.testing.assert_allclose(result.base_values, predictions(model, BACKGROUND).mean(),
                               atol=1e-6)
    # the statics carry some credit in every architecture (they enter the output)
    assert np.abs(result.static.values).sum() > 0
    assert result.engine == engine  # both engines read these architectures


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_two_routes_give_the_same_values(name):
    model = build(name)
    batched, by_shap = explained(model, "batched"), explained(model, "shap")
    assert (batched.engine, by_shap.engine) == ("batched", "shap")
    scale = max(np.abs(part.values).max() for part in by_shap)
    for a, b in zip(batched, by_shap, strict=True):
        np.testing.assert_allclose(a.values, b.values, atol=1e-6 * max(1.0, scale))
        np.testing.assert_allclose(a.base_values, b.base_values, atol=1e-6)
    assert not explain.tensorflow_gradients_are_patched()


def test_a_graph_the_batched_engine_does_not_read_goes_to_shaps_route():
    keras.utils.set_random_seed(0)
    model = added_branches()
    result = explained(model, "batched")
    assert result.engine == "shap"
    assert re.search(r"Layer 'add(_\d+)?' \(Add\)", result.engine_note), result.engine_note
    totals = (result.window.values.sum(axis=(1, 2)) + result.static.values.sum(axis=1)
              + result.base_values)
    assert np.max(np.abs(totals - predictions(model, X))) <= COURSE.tolerance


def test_chunks_give_the_same_values():
    """One window per chunk (a tiny budget) and one chunk for all: equal to float32 rounding
    (MatMul rounds differently for other batch sizes; the rescale rule's ratios amplify it)."""
    model = build("initial_state")
    whole = explained(model, "batched")
    one_window_per_chunk = explain.deep_shap(model, X, BACKGROUND, engine="batched",
                                             memory_budget_mb=1e-3)
    for a, b in zip(whole, one_window_per_chunk, strict=True):
        np.testing.assert_allclose(a.values, b.values, atol=1e-5)


def test_a_linear_model_gets_its_closed_form_values():
    """Flatten(window) and statics into one Dense(1): values are (x - mean of background) * w."""
    window, static = inputs()
    model = keras.Model([window, static],
                        L.Dense(1)(L.Concatenate()([L.Flatten()(window), static])))
    weights = model.layers[-1].get_weights()[0][:, 0]
    for engine in ("batched", "shap"):
        result = explained(model, engine)
        assert result.engine == engine
        expected_window = (X[0] - BACKGROUND[0].mean(axis=0)) * weights[: W * F].reshape(W, F)
        expected_static = (X[1] - BACKGROUND[1].mean(axis=0)) * weights[W * F :]
        np.testing.assert_allclose(result.window.values, expected_window, atol=1e-5)
        np.testing.assert_allclose(result.static.values, expected_static, atol=1e-5)


def test_names_and_shares():
    result = explained(build("dense_branch"), "shap")
    assert result.window.feature_names[0][0] == ["precip (t-5)", "temp (t-5)", "pet (t-5)"]
    assert result.window.feature_names[0][-1] == ["precip (t)", "temp (t)", "pet (t)"]
    assert result.static.feature_names == STATICS
    np.testing.assert_array_equal(result.static.data, X[1])
    shares = result.shares()
    assert shares["window"] + shares["static"] == pytest.approx(1.0)
    total = np.abs(result.window.values).sum() + np.abs(result.static.values).sum()
    assert shares["static"] == pytest.approx(np.abs(result.static.values).sum() / total)
    default = explain.deep_shap(build("dense_branch"), X, BACKGROUND, engine="shap")
    assert default.static.feature_names == ["static0", "static1"]


def test_the_one_input_call_is_unchanged():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((W, F)), L.LSTM(4), L.Dense(1)])
    result = explain.deep_shap(model, X[0], BACKGROUND[0], feature_names=NAMES)
    assert type(result) is shap.Explanation and result.values.shape == (8, W, F)
    assert result.engine == "batched"
    with pytest.raises(ValueError, match=r"static_names names a model's static input"):
        explain.deep_shap(model, X[0], BACKGROUND[0], static_names=STATICS)


def three_inputs():
    window, static = inputs()
    extra = keras.Input((1,))
    merged = L.Concatenate()([L.LSTM(4)(window), static, extra])
    return keras.Model([window, static, extra], L.Dense(1)(merged))


def two_windows():
    a, b = keras.Input((W, F)), keras.Input((W, F))
    return keras.Model([a, b], L.Dense(1)(L.LSTM(4)(L.Add()([a, b]))))


REFUSALS = {
    "window and statics of different lengths": (
        "dense_branch", [X[0], X[1][:5]], BACKGROUND,
        r"X\[0\] holds 8 windows but X\[1\] 5 rows of statics"),
    "background of different lengths": (
        "dense_branch", X, [BACKGROUND[0], BACKGROUND[1][:7]],
        r"background\[0\] holds 20 windows but background\[1\] 7 rows"),
    "background for the window only": (
        "dense_branch", X, BACKGROUND[0],
        r"takes 2 input\(s\) but background gives 1: pass background as a list \[window, static\]"),
    "X as windows only, background for both": (
        "dense_branch", X[0], BACKGROUND,
        r"takes 2 input\(s\) but X gives 1: pass X as a list \[window, static\]"),
    "two inputs given to a one-input model": (
        "one_input", X, BACKGROUND, r"takes 1 input\(s\) but X gives 2"),
    "statics with the wrong number of attributes": (
        "dense_branch", [X[0], np.zeros((8, 3), "float32")], BACKGROUND,
        r"X\[1\] \(statics\) must have shape \(n, 2\) .* got shape \(8, 3\)"),
    "statics given as windows": (
        "dense_branch", [X[0], np.zeros((8, W, S), "float32")], BACKGROUND,
        r"X\[1\] \(statics\) must have shape \(n, 2\)"),
    "windows of the wrong shape": (
        "dense_branch", [X[0][:, :4], X[1]], BACKGROUND,
        r"X\[0\] \(windows\) must have shape \(n, 6, 3\)"),
    "non-finite statics": (
        "dense_branch", [X[0], np.where(np.eye(8, S, dtype=bool), np.nan, X[1])], BACKGROUND,
        r"X\[1\] \(statics\) has NaN or infinite values in 2 row\(s\), first at index 0"),
    "three inputs": (
        "three_inputs", [*X, np.zeros((8, 1), "float32")],
        [*BACKGROUND, np.zeros((20, 1), "float32")],
        r"models with one or two inputs \(a window .* and a static vector .*\) are supported; "
        r"this model takes 3 input"),
    "a second window instead of statics": (
        "two_windows", [X[0], X[0]], [BACKGROUND[0], BACKGROUND[0]],
        r"models with one or two inputs .* this model's inputs are \[\(None, 6, 3\), "
        r"\(None, 6, 3\)\]"),
    "background sharing a row with X": (
        "dense_branch", X, [np.concatenate([BACKGROUND[0], X[0][:1]]),
                            np.concatenate([BACKGROUND[1], X[1][:1]])],
        r"The background shares 1 window\(s\) with X"),
}
BUILDERS = {**ARCHITECTURES, "three_inputs": three_inputs, "two_windows": two_windows,
            "one_input": lambda: keras.Sequential([keras.Input((W, F)), L.LSTM(4), L.Dense(1)])}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_input_is_refused_naming_what_is_wrong(case):
    name, X_given, background, message = REFUSALS[case]
    keras.utils.set_random_seed(0)
    model = BUILDERS[name]()
    for engine in ("batched", "shap"):
        with pytest.raises(ValueError, match=message):
            explain.deep_shap(model, X_given, background, engine=engine)
    assert not explain.tensorflow_gradients_are_patched()


def test_static_names_are_checked():
    with pytest.raises(ValueError, match=r"static_names must name the 2 variables; got 1"):
        explain.deep_shap(build("dense_branch"), X, BACKGROUND, static_names=["area"])


def test_routes_for_one_input_refuse_two_input_models_clearly():
    with pytest.raises(ValueError, match=r"explains models with one input .*deep_shap\(model, "
                                         r"\[window, static\]"):
        crosschecks.gradient_shap(build("dense_branch"), X, BACKGROUND)


def test_the_cache_refuses_two_inputs_clearly(tmp_path):
    with pytest.raises(TypeError, match=r"cached keeps explanations of one input"):
        explain.cached(explain.deep_shap, build("dense_branch"), X, BACKGROUND, cache_dir=tmp_path)
