"""Run one task per catchment — serially, or as tasks on Dask — and keep every finished result.

The same task function runs either way; what changes is where. Each catchment's result is
written to its own ``.npz`` file as soon as it is done, and a later run reuses the files it
finds, so a run that is interrupted — a worker killed, the kernel restarted — loses only the
catchments in flight.

The saved results are kept by the course's one result cache (:mod:`helpers._kit.cache`, also
behind ``helpers.explain.cached``): the folder is named by a hash of everything the results
depend on (:func:`digest`: the jobs' arguments and the helpers' source code), each entry is
written whole or not at all, and an entry that cannot be read (damaged by a run cut short) is
computed again.

Where the tasks run (:func:`connect`):

- nothing to start by hand: a ``distributed.LocalCluster`` on this machine (2 worker processes,
  1 thread each by default, TensorFlow on one thread in each), closed again at the end;
- an existing cluster: its scheduler address (``tcp://host:8786``) as ``scheduler=`` or in the
  environment variable ``COURSE_DASK_SCHEDULER``; an address that does not answer within
  ``timeout`` seconds is an error that names it.

A task that raises (a catchment with too short a record, say) is not retried: its error is
reported with the catchment's name and the other catchments go on. A worker that dies is
replaced by Dask and its task run again (up to ``distributed.scheduler.allowed-failures``
times, 3 by default).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from helpers._kit import cache

if TYPE_CHECKING:  # imported when used: the module loads without starting Dask
    from distributed import Client

#: Environment variable naming the scheduler of an existing Dask cluster.
SCHEDULER_ENV = "COURSE_DASK_SCHEDULER"

#: Where a LocalCluster's dashboard listens: this machine only, on a free port (on all interfaces,
#: Windows' firewall would ask the learner to allow it into the network).
DASHBOARD = "127.0.0.1:0"

#: Environment of each LocalCluster worker: TensorFlow on one thread, like the worker itself,
#: so that two workers on two cores do not each start a thread pool as large as the machine.
_ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


@dataclass
class Outcome:
    """What a run produced.

    Attributes
    ----------
    results : dict
        Catchment -> its result (a dict of NumPy arrays), for every catchment that succeeded.
    failures : dict
        Catchment -> the error message, for every catchment whose task raised.
    computed, reused : list of str
        Catchments computed in this run, and those whose saved result was reused.
    seconds : float
        Wall time of the run.
    """

    results: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    computed: list = field(default_factory=list)
    reused: list = field(default_factory=list)
    seconds: float = 0.0


def digest(jobs: Mapping) -> str:
    """A short hash of the jobs' arguments and of the helpers' code: name a results folder with
    it, so that saved results are reused only for the same inputs computed by the same code
    (NumPy arrays hash by their bytes; an updated engine computes afresh)."""
    return cache.key(jobs, length=12)  # the one result cache's key


def result_path(results_dir: Path | str, name: str) -> Path:
    """File holding the result of catchment ``name``."""
    return Path(results_dir) / f"{name}.npz"


def _run_and_save(task: Callable[..., dict], arguments: Mapping, path: str) -> str:
    """Run ``task(**arguments)``, save its result to ``path``, return ``path`` (runs anywhere)."""
    # TensorFlow's notices (a re-traced function: each catchment has its own number of
    # windows) would print from a worker into the notebook's output
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    cache.save(path, task(**arguments))  # whole or not at all
    return path


def connect(scheduler: str | None = None, n_workers: int = 2, timeout: float = 10.0) -> Client:
    """A Dask client: to ``scheduler`` (or ``$COURSE_DASK_SCHEDULER``), else a LocalCluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    n_workers : int
        Worker processes of the LocalCluster (one thread each); ignored with a scheduler.
    timeout : float
        Seconds to wait for a scheduler to answer.

    Returns
    -------
    distributed.Client
        Close it (``client.close()``, and ``client.cluster.close()`` for a LocalCluster).

    Raises
    ------
    ConnectionError
        If no scheduler answers at the address within ``timeout`` seconds.
    """
    import logging

    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address is None:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=DASHBOARD, silence_logs=logging.ERROR,
                               env=_ONE_THREAD)
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as error:
            raise ConnectionError(
                f"no Dask scheduler answered at {address!r} within {timeout:g} s ({error}). "
                f"Check the address (and {SCHEDULER_ENV}), or leave both unset to run on a "
                "LocalCluster on this machine."
            ) from None
    print(f"Dask: {len(client.scheduler_info()['workers'])} workers; "
          f"dashboard {client.dashboard_link}")
    return client


def _pending(jobs: Mapping[str, Mapping], results_dir: Path, outcome: Outcome) -> dict:
    """Jobs without a readable saved result; the saved ones are loaded into ``outcome``."""
    pending = {}
    for name, arguments in jobs.items():
        path = result_path(results_dir, name)
        try:
            outcome.results[name] = cache.load(path)
            outcome.reused.append(name)
        except cache.UNREADABLE:
            pending[name] = arguments  # not computed yet, or damaged: computed (again)
    return pending


def _finish(outcome: Outcome, name: str, path: str | None, error: BaseException | None) -> None:
    """Record one finished task in ``outcome``."""
    if error is None:
        outcome.results[name] = cache.load(path)
        outcome.computed.append(name)
    else:
        outcome.failures[name] = f"catchment {name!r}: {type(error).__name__}: {error}"


def run_serial(
    task: Callable[..., dict], jobs: Mapping[str, Mapping], results_dir: Path | str,
    progress: bool = True,
) -> Outcome:
    """Run ``task(**jobs[name])`` for every catchment in this process, one after the other.

    Parameters
    ----------
    task : callable
        Returns a dict of NumPy arrays (the catchment's result).
    jobs : mapping
        Catchment name -> keyword arguments of ``task``.
    results_dir : path
        Where each result is saved (and reused from on the next run).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Outcome
    """
    start, outcome = time.perf_counter(), Outcome()
    pending = _pending(jobs, Path(results_dir), outcome)
    for name, arguments in tqdm(pending.items(), desc="catchments", disable=not progress):
        path = str(result_path(results_dir, name))
        try:
            _finish(outcome, name, _run_and_save(task, arguments, path), None)
        except Exception as error:  # noqa: BLE001 - reported per catchment, the rest go on
            _finish(outcome, name, None, error)
    outcome.seconds = time.perf_counter() - start
    return outcome


def run_on_dask(
    task: Callable[..., dict], jobs: Mapping[str, Mapping], results_dir: Path | str,
    client: Client, progress: bool = True,
) -> Outcome:
    """Run the same tasks as :func:`run_serial` on a Dask cluster, one task per catchment.

    Parameters
    ----------
    task, jobs, results_dir, progress
        As in :func:`run_serial`; ``task`` must be importable on the workers (a function of a
        module, not one defined in a notebook cell), and ``results_dir`` reachable from them.
    client : distributed.Client
        From :func:`connect`.

    Returns
    -------
    Outcome
    """
    from distributed import as_completed

    start, outcome = time.perf_counter(), Outcome()
    pending = _pending(jobs, Path(results_dir), outcome)
    futures = {
        client.submit(_run_and_save, task, arguments, str(result_path(results_dir, name)),
                      key=f"catchment-{name}-{time.time_ns()}", retries=0): name
        for name, arguments in pending.items()
    }
    completed = as_completed(futures)
    for future in tqdm(completed, total=len(futures), desc="catchments", disable=not progress):
        name = futures[future]
        if future.status == "finished":
            _finish(outcome, name, future.result(), None)
        else:
            _finish(outcome, name, None, future.exception())
    outcome.seconds = time.perf_counter() - start
    return outcome
