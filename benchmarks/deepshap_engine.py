"""Benchmark of the batched DeepSHAP engine against shap's route and the gradient floor.

Cases (random-weight models with seeded inputs; the course's trained model is not needed):

(a) window 12, 147 windows x 100 background, LSTM(16), 9 features (the course's size);
(b) window 365, 50 windows x 100 background, LSTM(32), 9 features.

Routes, each measured in its own child process so that peak memory (RSS) does not mix:

- ``shap``: ``helpers.explain.deep_shap(..., engine="shap")`` (shap.DeepExplainer on the
  unrolled twin);
- ``engine``: ``helpers.explain.engine.engine_shap_values``, first call (with tracing) and a
  second, warm call;
- ``floor``: one forward + backward pass (``tf.GradientTape`` gradient of the output w.r.t.
  the input) over all (window, background) pairs, in the engine's chunks, traced once first.

Then the engine and the floor for windows of 12, 48, 96 and 365 months (50 x 100 pairs,
LSTM(32)), plotted to ``build/benchmark_engine.png``. Prints a markdown table and the targets.

Usage::

    python benchmarks/deepshap_engine.py
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_FEATURES, N_BACKGROUND = 9, 100
CASES = {
    "a": {"window": 12, "n": 147, "units": 16},
    "b": {"window": 365, "n": 50, "units": 32},
}
SWEEP_WINDOWS = (12, 48, 96, 365)


# --------------------------------------------------------------------------------------------
# Child side: one route, one case
# --------------------------------------------------------------------------------------------


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


def predictions(model, X):
    return np.asarray(model(X, training=False), np.float64)[:, 0]


def additivity(values, base_value, model, X):
    return float(np.max(np.abs(values.sum(axis=(1, 2)) + base_value - predictions(model, X))))


def run_shap(model, X, background):
    import warnings

    from helpers import explain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        explanation = explain.deep_shap(model, X, background, engine="shap")
        seconds = time.perf_counter() - start
    values, base = explanation.values, float(explanation.base_values[0])
    return {"warm": seconds, "values": values, "additivity": additivity(values, base, model, X)}


def run_engine(model, X, background):
    from helpers.explain.engine import engine_shap_values

    start = time.perf_counter()
    engine_shap_values(model, X, background)
    first = time.perf_counter() - start
    start = time.perf_counter()
    values, base = engine_shap_values(model, X, background)
    warm = time.perf_counter() - start
    return {"first": first, "warm": warm, "values": values,
            "additivity": additivity(values, base, model, X)}


def floor_function(model, window):
    import tensorflow as tf

    spec = tf.TensorSpec((None, window, N_FEATURES), tf.float32)

    @tf.function(input_signature=[spec])
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = model(x, training=False)
        return tape.gradient(y, x)

    return gradient


def run_floor(model, X, background):
    """Forward + backward over all pairs (x-half only, as a plain model would), same chunks."""
    from helpers.explain.engine import windows_per_chunk

    k = windows_per_chunk(model, len(background))
    gradient = floor_function(model, X.shape[1])
    pairs = np.repeat(X, len(background), axis=0)
    chunk = k * len(background)

    def all_pairs():
        for start in range(0, len(pairs), chunk):
            gradient(pairs[start : start + chunk]).numpy()

    start = time.perf_counter()
    all_pairs()  # traces
    first = time.perf_counter() - start
    start = time.perf_counter()
    all_pairs()
    return {"first": first, "warm": time.perf_counter() - start, "windows_per_chunk": k}


def run_sweep():
    results = {}
    for window in SWEEP_WINDOWS:
        model, X, background = model_and_data(window, CASES["b"]["n"], CASES["b"]["units"])
        engine = run_engine(model, X, background)
        floor = run_floor(model, X, background)
        results[window] = {"engine_first": engine["first"], "engine": engine["warm"],
                           "floor": floor["warm"], "additivity": engine["additivity"]}
        print(f"  window {window}: engine {engine['warm']:.2f} s, floor {floor['warm']:.2f} s",
              file=sys.stderr, flush=True)
    return results


def child(route, case, out_dir):
    """Run one route on one case; write values (.npy) and a JSON summary to out_dir."""
    if route == "sweep":
        summary = run_sweep()
    else:
        model, X, background = model_and_data(**CASES[case])
        runner = {"shap": run_shap, "engine": run_engine, "floor": run_floor}[route]
        summary = runner(model, X, background)
        if "values" in summary:
            np.save(Path(out_dir) / f"{route}-{case}.npy", summary.pop("values"))
        summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (Path(out_dir) / f"{route}-{case}.json").write_text(json.dumps(summary), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Parent side: children, table, targets, plot
# --------------------------------------------------------------------------------------------


def spawn(route, case, out_dir):
    print(f"running {route} on case {case} ...", file=sys.stderr, flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_ENABLE_ONEDNN_OPTS="0")
    subprocess.run([sys.executable, __file__, "--child", route, case, out_dir], check=True,
                   env=env, cwd=ROOT)
    return json.loads((Path(out_dir) / f"{route}-{case}.json").read_text(encoding="utf-8"))


def fmt(value, spec=".2f"):
    return "–" if value is None else format(value, spec)


def plot(sweep, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    windows = sorted(int(w) for w in sweep)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("engine", "engine (warm)"), ("engine_first", "engine (first call)"),
                       ("floor", "floor: forward + backward")):
        ax.plot(windows, [sweep[str(w)][key] for w in windows], "o-", label=label)
    ax.set_xlabel("window length (time steps)")
    ax.set_ylabel("seconds (50 windows x 100 background, LSTM(32))")
    ax.set_title("DeepSHAP engine: time against window length")
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    out_dir = tempfile.mkdtemp(prefix="deepshap-engine-")
    results = {}
    for case in CASES:
        routes = ("shap", "engine", "floor")
        results[case] = {route: spawn(route, case, out_dir) for route in routes}
        engine = np.load(Path(out_dir) / f"engine-{case}.npy")
        shap_values = np.load(Path(out_dir) / f"shap-{case}.npy")
        results[case]["difference"] = float(np.abs(engine - shap_values).max())
    sweep = spawn("sweep", "-", out_dir)
    plot(sweep, ROOT / "build" / "benchmark_engine.png")

    print("\n| case | route | first call (s) | warm (s) | peak RSS (MB) | additivity | "
          "engine/floor | shap/engine | max abs(engine − shap) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case, spec in CASES.items():
        r = results[case]
        label = (f"({case}) window {spec['window']}, {spec['n']}×{N_BACKGROUND}, "
                 f"LSTM({spec['units']})")
        ratio_floor = r["engine"]["warm"] / r["floor"]["warm"]
        ratio_shap = r["shap"]["warm"] / r["engine"]["warm"]
        print(f"| {label} | shap's route | – | {fmt(r['shap']['warm'])} | "
              f"{fmt(r['shap']['peak_rss_mb'], '.0f')} | {fmt(r['shap']['additivity'], '.1e')} "
              "| | | |")
        print(f"| | engine | {fmt(r['engine']['first'])} | {fmt(r['engine']['warm'])} | "
              f"{fmt(r['engine']['peak_rss_mb'], '.0f')} | "
              f"{fmt(r['engine']['additivity'], '.1e')} | {ratio_floor:.2f} | "
              f"{ratio_shap:.1f} | {r['difference']:.1e} |")
        print(f"| | floor ({r['floor']['windows_per_chunk']} windows/chunk) | "
              f"{fmt(r['floor']['first'])} | {fmt(r['floor']['warm'])} | "
              f"{fmt(r['floor']['peak_rss_mb'], '.0f')} | | | | |")

    print("\n| window | engine first call (s) | engine warm (s) | floor (s) | engine/floor |")
    print("|---|---|---|---|---|")
    for window in SWEEP_WINDOWS:
        s = sweep[str(window)]
        print(f"| {window} | {s['engine_first']:.2f} | {s['engine']:.2f} | {s['floor']:.2f} | "
              f"{s['engine'] / s['floor']:.2f} |")

    a, b = results["a"], results["b"]
    additive = max(r[route]["additivity"] for r in (a, b) for route in ("shap", "engine"))
    additive = max(additive, *(s["additivity"] for s in sweep.values()))
    targets = [
        ("(b) engine ≤ 3× floor", b["engine"]["warm"] <= 3 * b["floor"]["warm"],
         f"{b['engine']['warm'] / b['floor']['warm']:.2f}×"),
        ("(b) engine peak RSS ≤ 1.5 GB", b["engine"]["peak_rss_mb"] <= 1536,
         f"{b['engine']['peak_rss_mb']:.0f} MB"),
        ("(a) engine ≤ 0.5 s (warm)", a["engine"]["warm"] <= 0.5, f"{a['engine']['warm']:.2f} s"),
        ("(a) engine ≥ 6× faster than shap's route",
         a["shap"]["warm"] >= 6 * a["engine"]["warm"],
         f"{a['shap']['warm'] / a['engine']['warm']:.1f}×"),
        ("additivity ≤ 1e-5 everywhere", additive <= 1e-5, f"{additive:.1e}"),
        ("engine equals shap's route ≤ 1e-5", max(a["difference"], b["difference"]) <= 1e-5,
         f"{max(a['difference'], b['difference']):.1e}"),
    ]
    print("\n| target | met | measured |\n|---|---|---|")
    for name, met, measured in targets:
        print(f"| {name} | {'yes' if met else 'NO'} | {measured} |")
    print(f"\nplot: {ROOT / 'build' / 'benchmark_engine.png'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
