"""The README's recipe is the notebook's recipe, and it works on a model it has not seen."""

import json
import re

import numpy as np
import pytest

from helpers import paths

pytest.importorskip("shap")


def readme_recipe():
    """The Python block that defines exact_deep_shap in the README."""
    text = (paths.REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "def exact_deep_shap" in block)


def notebook_recipe():
    """The notebook 03 cell that defines exact_deep_shap."""
    notebook = json.loads((paths.REPO_ROOT / "notebooks" / "03_shap_error_and_fix.ipynb").read_text())
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    return next(cell for cell in cells if "def exact_deep_shap" in cell)


def test_readme_and_notebook_give_the_same_recipe():
    assert readme_recipe().strip() == notebook_recipe().strip()


def test_recipe_function_has_at_most_15_lines_of_code():
    body = readme_recipe().split("def exact_deep_shap")[1].strip().splitlines()[1:]
    code = [line for line in body if line.strip() and not line.strip().startswith('"""')]
    assert len(code) <= 15


def test_recipe_is_exact_on_a_stacked_bidirectional_model():
    import keras

    from helpers import explain

    namespace = {}
    exec(readme_recipe(), namespace)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
        keras.layers.GRU(3),
        keras.layers.Dense(1),
    ])
    rng = np.random.default_rng(0)
    X, background = rng.normal(size=(5, 6, 3)), rng.normal(size=(20, 6, 3))
    values, base_value = namespace["exact_deep_shap"](model, X.astype("float32"), background.astype("float32"))
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
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.LSTM(3),
                              keras.layers.LayerNormalization(), keras.layers.Dense(1)])
    rng = np.random.default_rng(1)
    X, background = rng.normal(size=(3, 4, 2)), rng.normal(size=(10, 4, 2))
    with pytest.raises(Exception):  # shap has no rule for LayerNormalization's ops
        namespace["exact_deep_shap"](model, X.astype("float32"), background.astype("float32"))
    assert not explain.tensorflow_gradients_are_patched()
    assert "Split" not in deep_tf.op_handlers


def test_own_data_snippet_runs_on_a_generated_csv(tmp_path, monkeypatch):
    """The README's 'Your own data' snippet, run as written on a small made-up catchment."""
    text = (paths.REPO_ROOT / "README.md").read_text()
    section = text.split("## Your own data")[1].split("\n## ")[0]
    snippet = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]

    rng = np.random.default_rng(0)
    dates = [f"{1990 + m // 12}-{m % 12 + 1:02d}-01" for m in range(180)]
    season = np.cos(2 * np.pi * (np.arange(180) % 12 - 6) / 12)
    precip = rng.gamma(4.0, 20.0, 180)
    tmean = 8 + 10 * season + rng.normal(0, 1.5, 180)
    pet = np.clip(30 + 3 * tmean + rng.normal(0, 2, 180), 0, None)
    runoff = np.clip(0.5 * precip + 0.2 * np.roll(precip, 1) - 0.3 * pet + 20, 1, None)
    lines = ["date,precip,tmean,pet,runoff"] + [
        f"{d},{p:.2f},{t:.2f},{e:.2f},{q:.2f}" for d, p, t, e, q in zip(dates, precip, tmean, pet, runoff)
    ]
    (tmp_path / "my_catchment.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)

    namespace = {}
    exec(snippet, namespace)
    explanation = namespace["explanation"]
    assert explanation.values.shape == (len(namespace["trained"].data.test), 12, 3)
    assert explanation.max_additivity_error < 1e-5
    assert (tmp_path / "models" / "my_lstm.keras").exists()
