"""Tasks per catchment on Dask: the same values as the serial run, a killed worker survived,
saved results reused, bad input reported with the catchment's (or the scheduler's) name.

One 2-worker LocalCluster (processes, 1 thread each) serves the module; the model is tiny.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from helpers import regional, training
from helpers._kit import cache, parallel

# the workers cannot import this test module: its task functions travel by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

N_CATCHMENTS = 4


@pytest.fixture(scope="module")
def client():
    client = parallel.connect(n_workers=2)
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """A tiny saved LSTM and, per catchment, 20 windows to explain and 10 background windows."""
    training.make_deterministic(0)
    model = training.build_lstm(window=12, n_features=5, units=4)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    return {
        f"c{i}": {"model_path": str(path), "X": rng.normal(size=(20, 12, 5)).astype("float32"),
                  "background": rng.normal(size=(10, 12, 5)).astype("float32")}
        for i in range(N_CATCHMENTS)
    }


def test_dask_gives_the_serial_values(client, jobs, tmp_path):
    serial = parallel.run_serial(regional.explain_catchment, jobs, tmp_path / "serial",
                                 progress=False)
    on_dask = parallel.run_on_dask(regional.explain_catchment, jobs, tmp_path / "dask", client,
                                   progress=False)
    assert not serial.failures and not on_dask.failures
    assert sorted(on_dask.computed) == sorted(jobs)
    for name in jobs:
        np.testing.assert_allclose(on_dask.results[name]["values"],
                                   serial.results[name]["values"], rtol=0, atol=1e-6)
        assert on_dask.results[name]["additivity_error"] < 1e-5
        assert np.abs(serial.results[name]["values"]).sum() > 0


def die_once(marker: str, value: float) -> dict:
    """Kill the worker process the first time (leaving a marker), return ``value`` after."""
    if marker and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return {"value": np.array(value)}


def test_a_killed_worker_is_replaced_and_no_catchment_is_lost(client, tmp_path):
    marker = tmp_path / "killed-once"
    work = {"a": {"marker": "", "value": 1.0}, "b": {"marker": str(marker), "value": 2.0},
            "c": {"marker": "", "value": 3.0}}
    outcome = parallel.run_on_dask(die_once, work, tmp_path / "results", client, progress=False)
    assert marker.exists(), "the task did not kill its worker: the test tested nothing"
    assert not outcome.failures
    assert {k: float(v["value"]) for k, v in outcome.results.items()} == {"a": 1, "b": 2, "c": 3}
    client.wait_for_workers(2, timeout=120)  # the nanny starts a new worker process


def test_saved_results_are_reused_and_only_missing_ones_run(client, tmp_path):
    work = {n: {"marker": "", "value": float(i)} for i, n in enumerate(["c0", "c1", "c2"])}
    first = parallel.run_on_dask(die_once, work, tmp_path, client, progress=False)
    assert sorted(first.computed) == ["c0", "c1", "c2"] and not first.reused
    parallel.result_path(tmp_path, "c1").unlink()
    second = parallel.run_on_dask(die_once, work, tmp_path, client, progress=False)
    assert second.computed == ["c1"] and sorted(second.reused) == ["c0", "c2"]
    assert {k: float(v["value"]) for k, v in second.results.items()} == {"c0": 0, "c1": 1, "c2": 2}


def fail_for(name: str) -> dict:
    """A task that fails for catchment ``bad`` only."""
    if name == "bad":
        raise ValueError("only 20 months in the record")
    return {"ok": np.array(1)}


def test_a_failing_catchment_is_named_and_the_others_are_kept(client, tmp_path):
    work = {n: {"name": n} for n in ("good1", "bad", "good2")}
    outcome = parallel.run_on_dask(fail_for, work, tmp_path, client, progress=False)
    assert sorted(outcome.results) == ["good1", "good2"]
    assert list(outcome.failures) == ["bad"]
    assert "'bad'" in outcome.failures["bad"] and "20 months" in outcome.failures["bad"]
    assert not parallel.result_path(tmp_path, "bad").exists()
    serial = parallel.run_serial(fail_for, work, tmp_path / "serial", progress=False)
    assert serial.failures == outcome.failures


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_an_unreachable_scheduler_fails_fast_naming_its_address(how, monkeypatch):
    address = "tcp://127.0.0.1:9"  # the discard port: nothing answers
    if how == "environment":
        monkeypatch.setenv(parallel.SCHEDULER_ENV, address)
    with pytest.raises(ConnectionError, match=r"tcp://127\.0\.0\.1:9.*within 2 s"):
        parallel.connect(address if how == "argument" else None, timeout=2)


def test_results_are_written_atomically(tmp_path):
    path = parallel.result_path(tmp_path, "x")
    cache.save(path, {"values": np.arange(3)})
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]  # no temporary file left
    np.testing.assert_array_equal(cache.load(path)["values"], np.arange(3))


def test_a_damaged_result_is_computed_again(tmp_path):
    work = {n: {"marker": "", "value": float(i)} for i, n in enumerate(["c0", "c1"])}
    parallel.run_serial(die_once, work, tmp_path, progress=False)
    parallel.result_path(tmp_path, "c1").write_bytes(b"PK\x03\x04 cut short")
    again = parallel.run_serial(die_once, work, tmp_path, progress=False)
    assert again.computed == ["c1"] and again.reused == ["c0"] and not again.failures
    assert float(again.results["c1"]["value"]) == 1


def test_the_regional_hand_offs_run_here_or_on_dask(client, jobs, tmp_path):
    one = {name: jobs[name] for name in list(jobs)[:1]}
    here = regional.run_tasks(regional.explain_catchment, one, tmp_path / "here", progress=False)
    there = regional.run_tasks(regional.explain_catchment, one, tmp_path / "there", client,
                               progress=False)
    name = next(iter(one))
    np.testing.assert_allclose(here.results[name]["values"], there.results[name]["values"],
                               rtol=0, atol=1e-6)
    assert regional.digest(one) == regional.digest(one) != regional.digest({})


def test_the_dashboard_listens_on_this_machine_only(client):
    """On all interfaces, Windows' firewall would ask for an exception when notebook 06 runs."""
    import psutil

    port = client.scheduler_info()["services"]["dashboard"]
    listening = {c.laddr.ip for c in psutil.Process().net_connections(kind="tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    assert listening == {"127.0.0.1"}


def test_tensorflows_notices_stay_out_of_a_tasks_output(tmp_path):
    """A re-traced function's notice (each catchment has its own number of windows) printed
    from a worker broke notebook 06's progress line; a task runs with them silenced."""
    import logging

    def task():
        logging.getLogger("tensorflow").warning("5 out of the last 5 calls triggered "
                                                "tf.function retracing")
        return {"values": np.arange(3)}

    class Recorder(logging.Handler):
        def emit(self, record):
            shown.append(record.getMessage())

    shown, logger, recorder = [], logging.getLogger("tensorflow"), Recorder()
    level = logger.level
    logger.setLevel(logging.WARNING)  # as a fresh worker process has it
    logger.addHandler(recorder)
    try:
        parallel._run_and_save(task, {}, str(parallel.result_path(tmp_path, "c0")))
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
    assert shown == []
    np.testing.assert_array_equal(cache.load(parallel.result_path(tmp_path, "c0"))["values"],
                                  np.arange(3))
