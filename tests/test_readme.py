"""The README's recipe is the notebook's recipe, and it works on a model it has not seen."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers import config
from helpers._kit import records

pytest.importorskip("shap")
import keras

L = keras.layers


def readme_recipe():
    """The Python block that defines exact_deep_shap in the README."""
    text = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "def exact_deep_shap" in block)


def notebook_recipe():
    """The notebook 03 cell that defines exact_deep_shap."""
    path = config.REPO_ROOT / "notebooks" / "03_shap_error_and_fix.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    return next(cell for cell in cells if "def exact_deep_shap" in cell)


def test_readme_and_notebook_give_the_same_recipe():
    assert readme_recipe().strip() == notebook_recipe().strip()


def recipe_code_lines():
    """The lines of exact_deep_shap's body that are not blank and not its docstring."""
    body = readme_recipe().split("def exact_deep_shap")[1].strip().splitlines()[1:]
    return [line for line in body if line.strip() and not line.strip().startswith('"""')]


def test_recipe_function_stays_short():
    """15 lines until it checked additivity and refused clearly itself (issue 9), 23 after.

    37 since issue 20: +2 give shap <= 0.40 the old name of TensorFlow's record_gradient (the
    first user's AttributeError), +2 quote the error's own line rather than the last line of
    Keras's argument list, +10 say what a model has that the recipe cannot explain (several
    inputs or outputs, an undefined window length, a subclassed model, global max pooling).
    """
    assert len(recipe_code_lines()) <= 37


def test_notebook_states_the_recipe_length():
    notebook = (config.REPO_ROOT / "notebooks" / "03_shap_error_and_fix.ipynb").read_text(
        encoding="utf-8"
    )
    assert f"{len(recipe_code_lines())} lines of code" in notebook


def test_recipe_is_exact_on_a_stacked_bidirectional_model():
    import keras

    from helpers import explain

    namespace = {}
    exec(readme_recipe(), namespace)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
            keras.layers.GRU(3),
            keras.layers.Dense(1),
        ]
    )
    rng = np.random.default_rng(0)
    X, background = rng.normal(size=(5, 6, 3)), rng.normal(size=(20, 6, 3))
    values, base_value = namespace["exact_deep_shap"](
        model, X.astype("float32"), background.astype("float32")
    )
    predictions = model.predict(X, verbose=0).ravel()
    assert values.shape == (5, 6, 3)
    np.testing.assert_allclose(values.sum(axis=(1, 2)) + base_value, predictions, atol=1e-5)
    assert not explain.tensorflow_gradients_are_patched()


def test_recipe_leaves_shap_and_tensorflow_untouched_when_it_fails():
    import keras
    from shap.explainers._deep import deep_tf

    from helpers import explain

    namespace = {}
    exec(readme_recipe(), namespace)
    model = keras.Sequential(
        [
            keras.Input((4, 2)),
            keras.layers.LSTM(3),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(1),
        ]
    )
    rng = np.random.default_rng(1)
    X, background = rng.normal(size=(3, 4, 2)), rng.normal(size=(10, 4, 2))
    # shap has no rule for LayerNormalization's ops: the recipe says so, and what to do next
    with pytest.raises(RuntimeError, match="cannot explain this model exactly.*deep_shap") as info:
        namespace["exact_deep_shap"](model, X.astype("float32"), background.astype("float32"))
    assert "no entry for: shap_" in str(info.value)  # the cause, in a line
    assert not explain.tensorflow_gradients_are_patched()
    assert "Split" not in deep_tf.op_handlers


def two_inputs():
    a, b = keras.Input((4, 2)), keras.Input((4, 2))
    merged = L.Concatenate()([a, b])
    return keras.Model([a, b], L.Dense(1)(L.LSTM(3)(merged)))


def two_heads():
    x = keras.Input((4, 2))
    hidden = L.LSTM(3)(x)
    return keras.Model(x, [L.Dense(1)(hidden), L.Dense(1)(hidden)])


def subclassed():
    class Forecaster(keras.Model):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = L.LSTM(3), L.Dense(1)

        def call(self, x):
            return self.head(self.lstm(x))

    model = Forecaster()
    model(np.zeros((1, 4, 2), "float32"))
    return model


def sequential(*layers, shape=(4, 2)):
    return keras.Sequential([keras.Input(shape), *layers])


SEVERAL_OUTPUTS = r"\(several outputs: deep_shap explains one \(output=k\)\)"
#: issue 20: models the recipe refused with numpy's or TensorFlow's words ("cannot reshape array
#: of size ...", "'NoneType' object cannot be interpreted as an integer"): what it says now.
REFUSED = {
    "two inputs": (two_inputs, r"\(2 inputs: give the model one \(time, variables\)\)"),
    "two heads": (two_heads, SEVERAL_OUTPUTS),
    "Dense(2)": (lambda: sequential(L.LSTM(3), L.Dense(2)), SEVERAL_OUTPUTS),
    "global max pooling": (
        lambda: sequential(L.LSTM(3, return_sequences=True), L.GlobalMaxPooling1D(), L.Dense(1)),
        r"\(GlobalMaxPooling: DeepSHAP has no exact rule for a maximum\)",
    ),
    "subclassed": (subclassed, r"\(a subclassed model \(Forecaster\): build it with keras"),
    "undefined window": (
        lambda: sequential(L.LSTM(3), L.Dense(1), shape=(None, 2)),
        r"\(an undefined window length: give keras.Input one\)",
    ),
}


@pytest.mark.filterwarnings("ignore:The structure of `inputs`")
@pytest.mark.parametrize("name", REFUSED)
def test_recipe_says_what_the_model_has_that_it_cannot_explain(name):
    from helpers import explain

    build, expected = REFUSED[name]
    namespace = {}
    exec(readme_recipe(), namespace)
    model = build()
    rng = np.random.default_rng(2)
    X, background = rng.normal(size=(3, 4, 2)), rng.normal(size=(10, 4, 2))
    with pytest.raises(RuntimeError, match=expected) as info:
        namespace["exact_deep_shap"](model, X.astype("float32"), background.astype("float32"))
    message = str(info.value)
    assert "helpers.explain.deep_shap" in message and "variable_shapley" in message  # what to do
    for internal in ("reshape", "NoneType", "list indices", "Dimensions must be", "clone_function"):
        assert internal not in message
    assert not explain.tensorflow_gradients_are_patched()


def test_recipe_quotes_the_error_not_the_arguments_keras_appends():
    """An error inside a layer's call: Keras appends the call's arguments; the cause is the error.

    On TensorFlow 2.9 + shap 0.40 without the old name (issue 20) the recipe's "cause" was the
    last line of that block, "• initial_state=None".
    """
    import tensorflow as tf

    class TracedOnlyEagerly(keras.layers.Layer):  # fails when shap traces the model in a graph
        def compute_output_shape(self, shape):
            return shape

        def call(self, x):
            if isinstance(x, tf.Tensor) and not tf.executing_eagerly():
                raise ValueError("this layer cannot be traced")
            return x

    namespace = {}
    exec(readme_recipe(), namespace)
    model = sequential(L.LSTM(3), TracedOnlyEagerly(), L.Dense(1))
    rng = np.random.default_rng(3)
    X, background = rng.normal(size=(3, 4, 2)), rng.normal(size=(10, 4, 2))
    with pytest.raises(RuntimeError) as info:
        namespace["exact_deep_shap"](model, X.astype("float32"), background.astype("float32"))
    assert "received by" in str(info.value.__cause__)  # Keras's block of arguments is there ...
    assert "exactly (ValueError: this layer cannot be traced). Use" in str(info.value)  # not here


def test_recipe_leaves_a_session_that_trains_after_the_users_own_lines_failed():
    """The first user's session: their own DeepExplainer call fails and leaves TensorFlow patched
    (a later fit fails with "no entry for: shap_DivNoNan"); the recipe puts TensorFlow's own
    recorder back, so a new model trains after it."""
    import shap
    from tensorflow.python.eager import backprop, execute

    namespace = {}
    exec(readme_recipe(), namespace)
    keras.utils.set_random_seed(0)
    model = sequential(L.LSTM(3), L.Dense(1))
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(30, 4, 2)).astype("float32"), rng.normal(size=(30, 1))
    with pytest.raises(Exception, match="shap_TensorList"):  # the user's own lines
        shap.DeepExplainer(model, X[:20]).shap_values(X[20:])
    assert execute.record_gradient is not backprop.record_gradient  # shap left it patched
    values, base_value = namespace["exact_deep_shap"](model, X[20:], X[:20])
    assert execute.record_gradient is backprop.record_gradient
    fresh = sequential(L.GRU(3), L.Dense(1))
    fresh.compile("adam", "mse")
    losses = fresh.fit(X, y, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))


def own_data_steps():
    """The three Python blocks of the README's 'Your own data' section, by their first line."""
    text = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own data")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(# \d\..*?)```", section, flags=re.S)
    steps = {block.split(".")[0].removeprefix("# "): block for block in blocks}
    assert sorted(steps) == ["1", "2", "3"], "expected the blocks '# 1.', '# 2.' and '# 3.'"
    return steps


def _run(code, namespace):
    exec(code, namespace)
    trained, explanation = namespace["trained"], namespace["explanation"]
    assert explanation.values.shape == (len(trained.prepared.test), 12, len(namespace["features"]))
    assert explanation.max_additivity_error < 1e-5


@pytest.mark.filterwarnings(
    "ignore:the test period has only", "ignore:Only [0-9]+ training windows"
)
def test_own_data_steps_run_as_written(tmp_path, monkeypatch, capsys):
    """Steps 1-3 as written: the Fulda record from spotpy, with the default settings."""
    monkeypatch.chdir(tmp_path)
    steps = own_data_steps()
    namespace = {}
    _run(steps["1"] + steps["2"] + steps["3"], namespace)
    assert len(namespace["record"]) == 120
    assert (tmp_path / "models" / "my_lstm.keras").exists()
    printed = capsys.readouterr().out
    assert all(name in printed for name in ("LSTM", "ridge", "climatology", "NSE"))


@pytest.mark.filterwarnings(
    "ignore:the test period has only",
    "ignore:Only [0-9]+ training windows",
    "ignore:kept the longest run",
)
@pytest.mark.parametrize("name", [n for n in records.RECORDS if n != "fulda"])
def test_own_data_steps_2_and_3_run_on_every_real_record(name, tmp_path, monkeypatch):
    """Steps 2 and 3 as written, with step 1 describing another real record."""
    monkeypatch.chdir(tmp_path)
    spec = records.RECORDS[name]
    columns = dict(spec.rename)
    how = {
        column: records.MONTHLY[column]
        for column in [*columns.values(), "runoff"]
        if column != "discharge"
    }
    namespace = {
        "path": records.package_file(spec.package, spec.file),
        "read": dict(spec.read),
        "columns": columns,
        "how": how,
        "area_km2": spec.area_km2,
        "flow_unit": spec.flow_unit,
    }
    steps = own_data_steps()
    _run(steps["2"] + steps["3"], namespace)
    pd.testing.assert_frame_equal(namespace["record"], records.load_monthly(name))


def test_step_1_describes_the_fulda_record_of_helpers_records():
    namespace = {}
    exec(own_data_steps()["1"], namespace)
    fulda = records.RECORDS["fulda"]
    assert namespace["columns"] == fulda.rename
    assert namespace["read"] == fulda.read
    assert (namespace["area_km2"], namespace["flow_unit"]) == (fulda.area_km2, fulda.flow_unit)


@pytest.mark.filterwarnings(
    "ignore:the test period has only", "ignore:Only [0-9]+ training windows"
)
def test_own_data_step_3_runs_on_a_generated_monthly_csv(tmp_path, monkeypatch):
    """The monthly route: data.load_record replaces step 2, step 3 runs as written."""
    from helpers import data

    rng = np.random.default_rng(0)
    dates = [f"{1990 + m // 12}-{m % 12 + 1:02d}-01" for m in range(180)]
    season = np.cos(2 * np.pi * (np.arange(180) % 12 - 6) / 12)
    precip = rng.gamma(4.0, 20.0, 180)
    tmean = 8 + 10 * season + rng.normal(0, 1.5, 180)
    pet = np.clip(30 + 3 * tmean + rng.normal(0, 2, 180), 0, None)
    runoff = np.clip(0.5 * precip + 0.2 * np.roll(precip, 1) - 0.3 * pet + 20, 1, None)
    lines = ["date,precip,tmean,pet,runoff"] + [
        f"{d},{p:.2f},{t:.2f},{e:.2f},{q:.2f}"
        for d, p, t, e, q in zip(dates, precip, tmean, pet, runoff, strict=True)
    ]
    (tmp_path / "my_catchment.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    features = ["precip", "tmean", "pet"]
    record = data.load_record("my_catchment.csv", features=features, target="runoff")
    namespace = {"record": record, "features": features}
    _run(own_data_steps()["3"], namespace)
    assert (tmp_path / "models" / "my_lstm.keras").exists()
