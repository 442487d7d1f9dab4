"""Benchmark: catchments explained per minute, serially and on Dask with 1 and 2 workers.

Each catchment is one task of notebook 06: ``helpers.regional.explain_catchment`` on 70 test
windows of 12 months against 50 background windows, for a regional LSTM(32) with 14 input
channels (9 weather variables + 5 static attributes), loaded from its saved file. The weights
are random (seeded): the cost of an explanation does not depend on them.

Every route is warmed first (TensorFlow imported, the model loaded and traced once in each
process), so the rates compare the explaining itself; the cluster's start-up is reported apart.
Peak memory is the largest resident set of each process (``VmHWM`` on Linux).

The serial route runs in this process, where TensorFlow's own thread pool may keep more than
one core busy (the benchmark prints how many, on average); each Dask worker runs
TensorFlow on one thread (``regional.run_tasks`` hands the tasks to ``helpers._kit.parallel``),
so that workers do not compete for cores. Speed-ups are given against both: against the serial
process (what a learner gains on this machine) and against one worker (how Dask scales as
workers are added).

Then the cost of one (window, background) pair at 365 daily steps, measured on one worker
(one thread), gives an estimate for CAMELS-US on N single-threaded workers (671 basins, a
10-year test period of daily 365-step windows, 100 background windows)::

    hours = 671 * 3652 * 100 * cost_per_pair_365 / (3600 * N * efficiency)

with ``efficiency`` the measured speed-up of 2 workers over 1 worker, divided by 2.

Usage::

    python benchmarks/many_catchments.py [--catchments 24]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from helpers import regional  # noqa: E402

N_WINDOWS, N_BACKGROUND, CHANNELS, UNITS = 70, 50, 14, 32
CAMELS = {"basins": 671, "test_days": 3652, "background": 100}


def saved_model(folder: Path, window: int) -> str:
    """A seeded random-weight regional LSTM, saved; returns its path."""
    from helpers import training

    training.make_deterministic(0)
    path = folder / f"lstm_{window}.keras"
    training.build_lstm(window, CHANNELS, UNITS).save(path)
    return str(path)


def jobs_for(model_path: str, n_catchments: int, window: int = 12, n: int = N_WINDOWS,
             m: int = N_BACKGROUND) -> dict:
    """Seeded random windows per catchment (the static channels constant, as in the sample)."""
    rng = np.random.default_rng(1)
    jobs = {}
    for i in range(n_catchments):
        X = rng.normal(size=(n + m, window, CHANNELS)).astype("float32")
        X[..., 9:] = rng.normal(size=CHANNELS - 9)
        jobs[f"c{i:03d}"] = {"model_path": model_path, "X": X[:n], "background": X[n:]}
    return jobs


def peak_memory_mb() -> float:
    """Largest resident set of this process so far, MB (Linux: VmHWM; else ru_maxrss)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm(job: dict) -> float:
    """Explain one small piece of a job: imports TensorFlow, loads and traces the model."""
    regional.explain_catchment(job["model_path"], job["X"][:2], job["background"][:2])
    return peak_memory_mb()


def on_dask(jobs: dict, n_workers: int) -> dict:
    """Rate and peak memory per worker on a fresh LocalCluster of ``n_workers``."""
    start = time.perf_counter()
    client = regional.connect(n_workers=n_workers)
    startup = time.perf_counter() - start
    first = next(iter(jobs.values()))
    try:
        client.run(warm, first)
        with tempfile.TemporaryDirectory() as folder:
            outcome = regional.run_tasks(regional.explain_catchment, jobs, folder, client,
                                         progress=False)
        memory = client.run(peak_memory_mb)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert not outcome.failures, outcome.failures
    return {"seconds": outcome.seconds, "startup": startup, "memory": list(memory.values()),
            "results": outcome.results}


def on_one_worker(function, *arguments):
    """``function(*arguments)`` on the single worker of a fresh 1-worker LocalCluster."""
    client = regional.connect(n_workers=1)
    try:
        return next(iter(client.run(function, *arguments).values()))
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def serial(jobs: dict) -> dict:
    """Rate of the same tasks in this process."""
    warm(next(iter(jobs.values())))
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        outcome = regional.run_tasks(regional.explain_catchment, jobs, folder, progress=False)
    return {"seconds": outcome.seconds, "memory": [peak_memory_mb()], "results": outcome.results,
            "cores": (time.process_time() - cpu) / outcome.seconds}


def daily_pair_cost(model_path: str) -> float:
    """Seconds per (window, background) pair at 365 steps, warm, in the process that calls it."""
    job = jobs_for(model_path, 1, window=365, n=50, m=100)["c000"]
    regional.explain_catchment(**job)  # the first call traces for this shape
    start = time.perf_counter()
    regional.explain_catchment(**job)
    return (time.perf_counter() - start) / (50 * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catchments", type=int, default=24)
    n = parser.parse_args().catchments
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        jobs = jobs_for(saved_model(Path(folder), 12), n)
        runs = {"serial": serial(jobs), "1 worker": on_dask(jobs, 1),
                "2 workers": on_dask(jobs, 2)}
        pair_365 = on_one_worker(daily_pair_cost, saved_model(Path(folder), 365))
    gap = max(np.abs(runs[k]["results"][c]["values"] - runs["serial"]["results"][c]["values"]).max()
              for k in ("1 worker", "2 workers") for c in jobs)
    print(f"\n{n} catchments x {N_WINDOWS} windows x {N_BACKGROUND} background, window 12, "
          f"LSTM({UNITS}), {CHANNELS} channels; load average before "
          f"{load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (2 cores)\n")
    print("| route | seconds | catchments per minute | speed-up over serial "
          "| speed-up over 1 worker | peak memory per process (MB) |")
    print("|---|---|---|---|---|---|")
    for name, run in runs.items():
        over_serial = runs["serial"]["seconds"] / run["seconds"]
        over_one = (f"{runs['1 worker']['seconds'] / run['seconds']:.2f}x"
                    if name != "serial" else "—")
        memory = ", ".join(f"{m:.0f}" for m in run["memory"])
        print(f"| {name} | {run['seconds']:.1f} | {60 * n / run['seconds']:.1f} | "
              f"{over_serial:.2f}x | {over_one} | {memory} |")
    print(f"\nserial: {runs['serial']['cores']:.2f} cores busy on average (CPU time / wall time "
          f"of this process: TensorFlow's own threads)")
    print(f"cluster start-up (not in the times): {runs['2 workers']['startup']:.1f} s; "
          f"largest difference from the serial values: {gap:.1e}")
    efficiency = runs["1 worker"]["seconds"] / runs["2 workers"]["seconds"] / 2
    pairs = CAMELS["basins"] * CAMELS["test_days"] * CAMELS["background"]
    print(f"\nCAMELS-US estimate: cost per pair at 365 steps {pair_365 * 1e6:.0f} µs (measured "
          f"on one worker, one thread); {pairs:.3g} pairs = 671 basins x 3652 test days x "
          f"100 background")
    for workers in (1, 2, 16, 64):
        hours = pairs * pair_365 / (3600 * workers * (efficiency if workers > 1 else 1))
        print(f"  {workers:3d} workers: {hours:8.1f} h  (= pairs x cost / (3600 x N x "
              f"{efficiency if workers > 1 else 1:.2f}))")


if __name__ == "__main__":
    main()
