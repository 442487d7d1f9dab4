"""Benchmark of deep_shap's batched engine against the gradient floor, as ratios.

Cases (random-weight models with seeded inputs; the course's trained model is not needed):

(a) window 12, 147 windows x 100 background, LSTM(16), 9 features (the course's size);
(b) window 365, 50 windows x 100 background, LSTM(32), 9 features (a daily window).

Each case runs in its own child process, and everything of one case is measured in that one
process, in this order:

- ``first call``: the process's first ``helpers.explain.deep_shap`` call (traces the engine's
  computation for this architecture and window);
- ``warm``: the best of three further calls on the same model;
- ``new model``: the first call on a second model of the same architecture (other weights):
  the computation is traced once per architecture, so this call does not trace again;
- ``floor``: one plain forward + backward pass (``tf.GradientTape`` gradient of the output with
  respect to the input) over all (window, background) pairs, traced once first, at the best of
  several batch sizes: what any DeepLIFT-style method must pay at least;
- ``shap's route``: ``deep_shap(..., engine="shap")`` once, and the largest difference between
  its values and the engine's.

Prints a markdown table of times and the ratios the course's targets are stated in (a warm call
within 3x of the floor, a first call within 2x of a warm one), and the machine's load average.

Usage::

    python benchmarks/deepshap_engine.py [--no-shap] [--case a]

``--no-shap`` leaves out shap's route (slow at window 365); ``--case`` runs one case only.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_FEATURES, N_BACKGROUND = 9, 100
CASES = {
    "a": {"window": 12, "n": 147, "units": 16},
    "b": {"window": 365, "n": 50, "units": 32},
}
#: Pairs per batch tried for the floor; the fastest counts.
FLOOR_BATCHES = (1024, 4096, 16384)
WARM_REPEATS = 3


def model_and_data(window, n, units, seed=0):
    """A seeded random-weight Input(window, 9) -> LSTM(units) -> Dense(1) and its data."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((window, N_FEATURES)), keras.layers.LSTM(units), keras.layers.Dense(1)]
    )
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, window, N_FEATURES)).astype("float32")
    background = rng.normal(size=(N_BACKGROUND, window, N_FEATURES)).astype("float32")
    return model, X, background


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def floor_seconds(model, X, background):
    """Best warm time of one forward + backward pass over all pairs, over FLOOR_BATCHES."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, *X.shape[1:]), tf.float32)

    @tf.function(input_signature=[spec])
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = model(x, training=False)
        return tape.gradient(y, x)

    pairs = np.repeat(X, len(background), axis=0)

    def all_pairs(batch):
        for start in range(0, len(pairs), batch):
            gradient(pairs[start : start + batch]).numpy()

    all_pairs(FLOOR_BATCHES[0])  # traces
    best = {batch: timed(all_pairs, batch)[0] for batch in FLOOR_BATCHES}
    batch = min(best, key=best.get)
    return best[batch], batch


def child(case, out_path, with_shap):
    """Measure one case in this process; write a JSON summary to out_path."""
    from helpers import explain

    spec = CASES[case]
    model, X, background = model_and_data(**spec)
    first, _ = timed(explain.deep_shap, model, X, background)
    warm = min(timed(explain.deep_shap, model, X, background)[0] for _ in range(WARM_REPEATS))
    other, _, _ = model_and_data(**spec, seed=1)
    new_model, explanation = timed(explain.deep_shap, other, X, background)
    floor, floor_batch = floor_seconds(model, X, background)
    summary = {"first": first, "warm": warm, "new_model": new_model, "floor": floor,
               "floor_batch": floor_batch, "engine": explanation.engine,
               "additivity": explanation.max_additivity_error}
    if with_shap:
        engine_values = explain.deep_shap(model, X, background).values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, reference = timed(explain.deep_shap, model, X, background, engine="shap")
        summary["shap"] = seconds
        summary["difference"] = float(np.abs(engine_values - reference.values).max())
    Path(out_path).write_text(json.dumps(summary), encoding="utf-8")


def spawn(case, out_dir, with_shap):
    print(f"running case {case} ...", file=sys.stderr, flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_ENABLE_ONEDNN_OPTS="0")
    out_path = Path(out_dir) / f"{case}.json"
    command = [sys.executable, __file__, "--child", case, str(out_path), str(int(with_shap))]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return json.loads(out_path.read_text(encoding="utf-8"))


def label(case):
    spec = CASES[case]
    return f"({case}) window {spec['window']}, {spec['n']}×{N_BACKGROUND}, LSTM({spec['units']})"


def report(results, loads):
    print("\n| case | first call (s) | warm (s) | new model, same architecture (s) | floor (s) "
          "| warm / floor | first / warm | new model / warm | shap's route (s) | "
          "max abs(engine − shap) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case, r in results.items():
        shap_seconds = f"{r['shap']:.2f}" if "shap" in r else "–"
        difference = f"{r['difference']:.1e}" if "difference" in r else "–"
        print(f"| {label(case)} | {r['first']:.2f} | {r['warm']:.2f} | {r['new_model']:.2f} | "
              f"{r['floor']:.2f} ({r['floor_batch']} pairs/batch) | "
              f"{r['warm'] / r['floor']:.2f}× | {r['first'] / r['warm']:.2f}× | "
              f"{r['new_model'] / r['warm']:.2f}× | {shap_seconds} | {difference} |")
    print("\n| target | case | measured | met |\n|---|---|---|---|")
    for case, r in results.items():
        for name, ratio, limit in (
            ("warm call ≤ 3× floor", r["warm"] / r["floor"], 3.0),
            ("first call ≤ 2× warm (new model, same architecture)", r["new_model"] / r["warm"],
             2.0),
            ("first call ≤ 2× warm (first in the process, traces)", r["first"] / r["warm"], 2.0),
        ):
            print(f"| {name} | ({case}) | {ratio:.2f}× | {'yes' if ratio <= limit else 'NO'} |")
    print(f"\nload average (1 min) before and after: {loads[0]:.2f}, {loads[1]:.2f} "
          f"on {os.cpu_count()} CPUs (ratios are within one process, so load shifts them less "
          "than the times)")


def main():
    with_shap = "--no-shap" not in sys.argv
    cases = [sys.argv[sys.argv.index("--case") + 1]] if "--case" in sys.argv else list(CASES)
    unknown = [case for case in cases if case not in CASES]
    if unknown:
        sys.exit(f"--case must be one of {', '.join(CASES)}; got {unknown[0]!r}.")
    out_dir = tempfile.mkdtemp(prefix="deepshap-engine-")
    before = os.getloadavg()[0]
    results = {case: spawn(case, out_dir, with_shap) for case in cases}
    report(results, (before, os.getloadavg()[0]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], bool(int(sys.argv[4])))
    else:
        main()
