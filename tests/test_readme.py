"""The README's recipe is the notebook's recipe, and it works on a model it has not seen."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers import paths, records

pytest.importorskip("shap")


def readme_recipe():
    """The Python block that defines exact_deep_shap in the README."""
    text = (paths.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "def exact_deep_shap" in block)


def notebook_recipe():
    """The notebook 03 cell that defines exact_deep_shap."""
    path = paths.REPO_ROOT / "notebooks" / "03_shap_error_and_fix.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    return next(cell for cell in cells if "def exact_deep_shap" in cell)


def test_readme_and_notebook_give_the_same_recipe():
    assert readme_recipe().strip() == notebook_recipe().strip()


def test_recipe_function_stays_short():
    """15 lines until it checked additivity and refused clearly itself (issue 9): now 23."""
    body = readme_recipe().split("def exact_deep_shap")[1].strip().splitlines()[1:]
    code = [line for line in body if line.strip() and not line.strip().startswith('"""')]
    assert len(code) <= 23


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


def own_data_steps():
    """The three Python blocks of the README's 'Your own data' section, by their first line."""
    text = (paths.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own data")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    steps = {block.split(".")[0].removeprefix("# "): block for block in blocks}
    assert sorted(steps) == ["1", "2", "3"], "expected the blocks '# 1.', '# 2.' and '# 3.'"
    return steps


def _run(code, namespace):
    exec(code, namespace)
    trained, explanation = namespace["trained"], namespace["explanation"]
    assert explanation.values.shape == (len(trained.data.test), 12, len(namespace["features"]))
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
