"""One row of docs/compatibility.md: run inside a compat environment by scripts/compat/compat.py.

Runs the README's recipe (extracted from README.md as written) and, where the helpers can
import, helpers.explain.deep_shap on a few tiny seeded recurrent models, and prints one JSON
line: the versions, and per route whether every model gave additive values (within 1e-5), the
largest additivity error and the time. With --session, a user's session instead: a trained
LSTM, the user's own two DeepExplainer lines (which fail on every stack), the recipe in the
same session, and more training. Needs only TensorFlow, Keras, shap (and numpy); runs on
Python 3.9 too.
"""

import json
import platform
import re
import sys
import time
import traceback
from pathlib import Path

import keras
import numpy as np
import shap
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5
WINDOW, FEATURES = 8, 4


def readme_recipe() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "def exact_deep_shap" in block)


def models():
    layers = keras.layers
    yield "LSTM", [layers.LSTM(6), layers.Dense(1)]
    yield "GRU", [layers.GRU(6), layers.Dense(1)]
    yield "stacked LSTM + Dropout", [layers.LSTM(5, return_sequences=True), layers.Dropout(0.2),
                                     layers.LSTM(4), layers.Dense(1)]
    yield "Bidirectional LSTM", [layers.Bidirectional(layers.LSTM(4)), layers.Dense(1)]
    yield "Conv1D + LSTM", [layers.Conv1D(4, 3, activation="relu"), layers.LSTM(4),
                            layers.Dense(1)]


def harder_models():
    """Models the recipe refuses and deep_shap explains exactly: (name, layers, shape, output)."""
    layers = keras.layers
    norm = layers.Normalization()
    norm.adapt(np.random.default_rng(5).normal(2.0, 3.0, size=(50, WINDOW, FEATURES)))
    yield "adapted Normalization", [norm, layers.LSTM(4), layers.Dense(1)], None, None
    inner = keras.Sequential([keras.Input((WINDOW, FEATURES)), layers.LSTM(4), layers.Dense(3)])
    yield "nested Sequential", [inner, layers.Dense(1)], None, None
    yield "Dense(2), output=1", [layers.LSTM(4), layers.Dense(2)], None, 1
    yield "Input((None, n))", [layers.LSTM(4), layers.Dense(1)], (None, FEATURES), None
    hard = layers.LSTM(4, recurrent_activation="hard_sigmoid")
    yield "hard_sigmoid", [hard, layers.Dense(1)], None, None


def build(stack, shape=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape or (WINDOW, FEATURES)), *stack])
    model.compile("adam", "mse")
    return model


def route(explain_one, cases=None) -> dict:
    errors, start = [], time.perf_counter()
    for name, stack, shape, output in cases or ((*case, None, None) for case in models()):
        model = build(stack, shape)
        rng = np.random.default_rng(1)
        X = rng.normal(size=(10, WINDOW, FEATURES)).astype("float32")
        background = rng.normal(size=(20, WINDOW, FEATURES)).astype("float32")
        try:
            values, base = explain_one(model, X, background, output)
        except Exception as error:  # noqa: BLE001 - reported in the table
            message = f"{name}: {type(error).__name__}: {str(error).splitlines()[0][:150]}"
            traceback.print_exc(file=sys.stderr)
            return {"works": False, "error": message, "seconds": time.perf_counter() - start}
        predictions = np.asarray(model(X, training=False)).reshape(len(X), -1)[:, output or 0]
        totals = np.asarray(values).reshape(len(X), -1).sum(axis=1) + base
        errors.append(float(np.max(np.abs(totals - predictions))))
    worst = max(errors)
    return {"works": worst <= TOLERANCE, "max_additivity_error": worst,
            "seconds": time.perf_counter() - start,
            **({} if worst <= TOLERANCE else {"error": f"additivity error {worst:.1e}"})}


def agreement(recipe, deep_shap) -> dict:
    """deep_shap's default engine against the recipe (shap itself) on the basic models."""
    differences, engines = [], set()
    for _, stack in models():
        model = build(stack)
        rng = np.random.default_rng(1)
        X = rng.normal(size=(10, WINDOW, FEATURES)).astype("float32")
        background = rng.normal(size=(20, WINDOW, FEATURES)).astype("float32")
        try:
            values, _ = recipe(model, X, background)
            explanation = deep_shap(model, X, background)
        except Exception as error:  # noqa: BLE001 - reported in the table
            return {"works": False, "error": f"{type(error).__name__}: {error}"[:150]}
        engines.add(explanation.engine)
        differences.append(float(np.max(np.abs(explanation.values - values))))
    worst = max(differences)
    return {"works": worst <= TOLERANCE, "max_difference": worst, "engines": sorted(engines)}


def own_line(error: Exception) -> str:
    """The error's type and its own message line, without Autograph's and Keras's wrapping."""
    text = re.sub(r"\x1b\[\d*m", "", str(error))
    text = re.split(r"\s*(Call a|A)rguments received by", text)[0]
    line = f"{type(error).__name__}: {text}".strip().splitlines()[-1].strip()
    return line if re.match(r"\w+:", line) else f"{type(error).__name__}: {line}"


def session(exact_deep_shap) -> dict:
    """The first user's session: train, their own DeepExplainer lines, the recipe, train again."""
    lstm = keras.layers.LSTM(6, name="LSTM")
    model = build([lstm, keras.layers.Dense(1)])
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, WINDOW, FEATURES)).astype("float32")
    y = X[:, -3:, 0].sum(axis=1, keepdims=True)
    model.fit(X, y, epochs=2, verbose=0)
    background, X_test = X[:40], X[40:]
    try:  # the user's own lines
        explainer = shap.DeepExplainer(model, background)
        explainer.shap_values(X_test)
        own = {"fails": False}
    except Exception as error:  # noqa: BLE001 - reported in the table
        own = {"fails": True, "error": own_line(error)}
    result = {"own_lines": own}
    try:
        values, base = exact_deep_shap(model, X_test, background)
        totals = values.sum(axis=(1, 2)) + base
        result["recipe_additivity"] = float(np.max(np.abs(
            totals - np.asarray(model(X_test, training=False)).ravel())))
        before = np.concatenate([w.ravel() for w in lstm.get_weights()])
        losses = model.fit(X, y, epochs=2, verbose=0).history["loss"]  # the model explained
        moved = not np.array_equal(before, np.concatenate([w.ravel() for w in lstm.get_weights()]))
        fresh = build([keras.layers.GRU(4), keras.layers.Dense(1)])  # and a new one
        losses += fresh.fit(X, y, epochs=2, verbose=0).history["loss"]
        result["trains_after"] = bool(moved and np.all(np.isfinite(losses)))
    except Exception as error:  # noqa: BLE001 - reported in the table
        traceback.print_exc(file=sys.stderr)
        result.update(trains_after=False, error=own_line(error)[:200])
    return result


def main() -> None:
    namespace: dict = {}
    exec(readme_recipe(), namespace)
    if sys.argv[1:] == ["--session"]:  # a process of its own: the user's lines break TensorFlow
        print(json.dumps(session(namespace["exact_deep_shap"])))
        return
    row = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "shap": shap.__version__,
        "numpy": np.__version__,
    }
    row["recipe"] = route(lambda model, X, background, output: namespace["exact_deep_shap"](
        model, X, background))

    if keras.__version__.startswith("2."):
        row["deep_shap"] = {"skipped": "the helpers need Keras 3"}
    else:
        from helpers import explain

        def helpers_route(model, X, background, output):
            explanation = explain.deep_shap(model, X, background, output=output)
            return explanation.values, np.asarray(explanation.base_values)

        row["deep_shap"] = route(helpers_route)
        row["deep_shap_harder"] = route(helpers_route, list(harder_models()))
        row["agreement"] = agreement(namespace["exact_deep_shap"], explain.deep_shap)
    print(json.dumps(row))


if __name__ == "__main__":
    main()
