"""explain.repair_tensorflow repairs a session that the user's own DeepExplainer call broke.

Run in a fresh interpreter: the session is broken by a plain ``shap.DeepExplainer`` call on an
LSTM *before* the helpers are imported, so the repair cannot rely on any snapshot.
"""

import os
import re
import subprocess
import sys
import textwrap

from helpers import config

BROKEN_THEN_REPAIRED = textwrap.dedent(
    """
    import keras
    import numpy as np
    import shap

    def fresh_model():
        model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
        model.compile("adam", "mse")
        return model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 6, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    try:  # the user's own call, unguarded: it fails and leaves TensorFlow patched
        shap.DeepExplainer(fresh_model(), X[:4]).shap_values(X[4:])
    except Exception as error:
        print("DeepExplainer failed:", "shap_" in str(error))
    try:
        fresh_model().fit(X, y, epochs=1, verbose=0)
        print("fit before repair: works")
    except Exception as error:
        print("fit before repair: fails", "no entry for: shap_" in str(error))

    from helpers import explain  # imported only now: no snapshot of the healthy state exists

    print("patched:", explain.tensorflow_gradients_are_patched())
    print("repaired:", len(explain.repair_tensorflow()) > 0)
    print("patched after repair:", explain.tensorflow_gradients_are_patched())
    history = fresh_model().fit(X, y, epochs=2, verbose=0)
    print("fit after repair: works", np.isfinite(history.history["loss"]).all())
    print("repair again:", explain.repair_tensorflow())
    print("gradient explainer works:",
          np.asarray(shap.GradientExplainer(fresh_model(), X[:4]).shap_values(X[4:6])).size > 0)
    """
)


def test_repair_after_a_failed_deepexplainer_call_before_the_helpers_were_imported():
    environment = {**os.environ, "PYTHONPATH": str(config.REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", BROKEN_THEN_REPAIRED],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "DeepExplainer failed: True",
        "fit before repair: fails True",
        "patched: True",
        "repaired: True",
        "patched after repair: False",
        "fit after repair: works True",
        "repair again: []",
        "gradient explainer works: True",
    ]


def readme_repair():
    """The README's repair call and its helper-free one-liner (right after the error messages)."""
    text = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    intro = text.split("## Quick start")[0]
    assert "shap_TensorListStack" in intro and "Repair a broken session" in intro
    call = re.search(r"```python\n(.*?)```", intro, flags=re.S).group(1)
    one_liner = re.search(r"`(from tensorflow\.python\.eager import [^`]*)`", intro).group(1)
    return call, one_liner


def test_readme_shows_the_repair_right_after_the_error_messages():
    call, _ = readme_repair()
    assert "explain.repair_tensorflow()" in call


def test_readme_one_liner_repairs_without_the_helpers():
    _, one_liner = readme_repair()
    script = BROKEN_THEN_REPAIRED.split("from helpers import explain")[0] + one_liner + "\n" + (
        "history = fresh_model().fit(X, y, epochs=1, verbose=0)\n"
        "print('fit after the one-liner: works', np.isfinite(history.history['loss']).all())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          encoding="utf-8", env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "fit after the one-liner: works True"
