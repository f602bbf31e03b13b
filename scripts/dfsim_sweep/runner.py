"""Runs the point tasks: in this process (--serial), on a local Dask cluster (the default: one
single-threaded worker per core, as threads of this process, since each task's real work is a
dfsim subprocess; while it imports and starts, a thread of the sweep already runs points) or
on an existing one (--scheduler tcp://HOST:PORT).

Every task runs dfsim as a subprocess on its worker, with the paths of the job: workers must
see the same file system at the same paths (the same machine, or a shared file system) and
have Debian's python3 with python3-distributed. The task module is shipped to the workers by
value, so they need nothing of this repository but dfsim and the input files.
"""

import contextlib
import itertools
import logging
import os
import signal
import socket
import threading
import time
import uuid
import warnings

from dfsim_import.common import InputError

from . import task

CONNECT_TIMEOUT_S = 10
PROBE_TIMEOUT_S = 3  # the TCP check of --scheduler before anything is created
WINDOW_PER_WORKER = 3  # tasks submitted and not finished, per worker
CLOSE_TIMEOUT_S = 10
STOP_WAIT_S = 5
QUIET_LOGGERS = ("distributed", "tornado", "asyncio", "bokeh")
# The local cluster's settings for many short tasks: every task goes to a worker at once (no
# round trip to the scheduler between two points; work stealing still balances), and no
# statistical profiler sampling the workers' stacks every 10 ms.
LOCAL_CONFIG = {"distributed.scheduler.worker-saturation": float("inf"),
                "distributed.worker.profile.enabled": False}


def failed_result(job, error):
    """The result of a job whose task raised instead of returning (e.g. a worker died)."""
    return {"index": job["index"], "hash": None, "status": "failed", "error": error,
            "seconds": 0.0, "dfsim_calls": 0, "by_key": False,
            "runs": {df: {"status": "failed", "error": error, "seconds": 0.0}
                     for df in job["dataflows"]}}


def cores():
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class SerialRunner:
    """Runs every task in this process, one after the other (the reference for tests)."""

    description = "in-process, serial"
    workers = 1

    def run(self, jobs, on_result):
        """Calls on_result(result) for each job of the iterable `jobs` (consumed lazily), in
        job order; a task that raises (say, an unwritable folder) fails its point, as on
        Dask."""
        for job in jobs:
            try:
                result = task.run_point(job)
            except Exception as e:
                result = failed_result(job, f"task error: {type(e).__name__}: {e}")
            on_result(result)

    def close(self):
        """Nothing to release."""


class _EarlyThread:
    """Runs jobs one after the other in a thread of this process while the local Dask cluster
    imports and starts (about 0.8 s), so that a core is not idle meanwhile. handoff() stops
    it taking new jobs and returns the iterator of those left; stop() also kills its running
    dfsim."""

    def __init__(self, jobs, deliver):
        self.queue = jobs  # an iterator, read under the lock
        self.open = True
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.deliver = deliver
        self.thread = threading.Thread(target=self._work, name="dfsim-sweep-early",
                                       daemon=True)
        self.thread.start()

    def _work(self):
        while not self.stopped.is_set():
            with self.lock:
                job = next(self.queue, None) if self.open else None
                if job is None:
                    return
            try:
                result = task.run_point(job, should_stop=self.stopped.is_set)
            except Exception as e:
                result = failed_result(job, f"task error: {type(e).__name__}: {e}")
            if not self.stopped.is_set():
                self.deliver(result)

    def handoff(self):
        """The iterator of the jobs not started; the thread finishes the one it is
        running."""
        with self.lock:
            self.open = False
        return self.queue

    def join(self):
        self.thread.join()

    def stop(self):
        """Stops taking jobs, kills the running dfsim (if any) and waits for the thread."""
        self.stopped.set()
        self.handoff()
        self.thread.join(timeout=STOP_WAIT_S)


class DaskRunner:
    """Runs the tasks on Dask: a LocalCluster of `workers` single-threaded workers (threads of
    this process: it starts in well under a second, and the GIL is no bottleneck since every
    task waits on a dfsim subprocess), or the scheduler at `address` (its workers get task.py
    by value). Logging of distributed is silenced unless `verbose`. The local cluster is
    started by run(), while a thread of this process already runs the first points."""

    def __init__(self, address=None, workers=None, verbose=False, expected=0):
        self.address, self.verbose, self.expected = address, verbose, expected
        self.cluster = self.client = None
        self.start_seconds = 0.0
        if address:
            self._connect(address)
            self.window = max(1, self.workers) * WINDOW_PER_WORKER
        else:
            self.workers = workers or cores()
            self.description = f"local Dask cluster, {self.workers} workers"
            self.window = self.workers * WINDOW_PER_WORKER

    def _connect(self, address):
        start = time.monotonic()
        check_scheduler(address)
        _quiet(self.verbose)
        import cloudpickle
        from distributed import Client
        cloudpickle.register_pickle_by_value(task)
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"--scheduler {address}", f"cannot connect ({e})") from None
        self.workers = len(self.client.scheduler_info().get("workers", {}))
        self.description = f"Dask scheduler {address} ({self.workers} workers)"
        self.start_seconds = time.monotonic() - start

    def _start_local(self):
        start = time.monotonic()  # the import of distributed (about 0.5 s) included
        _quiet(self.verbose)
        import dask
        from distributed import Client, LocalCluster
        dask.config.set(LOCAL_CONFIG)  # this process runs the scheduler and the workers
        level = logging.WARNING if self.verbose else logging.CRITICAL
        # A cluster interrupted while it starts cannot be closed cleanly: Ctrl-C and SIGTERM
        # wait until it is up (well under a second), then close it.
        pending = []
        def defer(signum, _frame):
            task.CHILDREN.kill_all()  # the dfsim of the early thread dies at once
            pending.append(signum)
        handlers = {s: signal.signal(s, defer) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=False, dashboard_address=None,
                                        memory_limit=0, silence_logs=level)
            self.client = Client(self.cluster)
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)
            if pending:
                self.close()
        if pending:
            raise KeyboardInterrupt(f"signal {pending[0]}")
        self.start_seconds = time.monotonic() - start

    def run(self, jobs, on_result):
        """Runs every job of the iterable `jobs` and calls on_result(result) as they finish
        (any order, never two calls at once). Jobs are taken from `jobs` only as the window
        has room (at most `window` submitted and not finished), so a grid of any size costs
        memory for the window only. On an exception (Ctrl-C included) stops the running dfsim
        processes and cancels what is left before re-raising."""
        lock = threading.Lock()

        def deliver(result):
            with lock:
                on_result(result)
        early = None
        jobs = iter(jobs)
        try:
            if self.client is None:
                if self.expected > 1:
                    early = _EarlyThread(jobs, deliver)
                self._start_local()
                if early is not None:
                    jobs = early.handoff()
            self._run_dask(jobs, deliver)
            if early is not None:
                early.join()
        except BaseException:
            if early is not None:
                early.stop()
            raise

    def _run_dask(self, jobs, deliver):
        """Submits the jobs of the iterator `jobs` in batches, keeping at most `window` of
        them submitted and unfinished; only those futures are held."""
        from distributed import Event, as_completed
        run_id = uuid.uuid4().hex[:12]
        stop = f"dfsim-sweep-stop-{run_id}"
        by_key = {}  # the futures in flight: key -> (future, job)
        pending = as_completed([])

        def top_up():
            batch = [dict(job, stop_event=stop)
                     for job in itertools.islice(jobs, self.window - len(by_key))]
            if not batch:
                return
            keys = [f"dfsim-sweep-{run_id}-{job['index']}" for job in batch]
            futures = self.client.map(task.run_point, batch, key=keys, pure=False)
            for f, job in zip(futures, batch):
                by_key[f.key] = (f, job)
            pending.update(futures)
        try:
            top_up()
            for future in pending:
                _, job = by_key.pop(future.key)
                try:
                    result = future.result()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:  # the task broke: worker lost, cancelled...
                    result = failed_result(job, f"task error: {type(e).__name__}: {e}")
                future.release()
                deliver(result)
                top_up()
        except BaseException:
            with contextlib.suppress(Exception):
                Event(stop, client=self.client).set()
            with contextlib.suppress(Exception):
                self.client.cancel([f for f, _ in by_key.values()])
            self._wait_idle()
            raise

    def _wait_idle(self):
        """After a stop, waits (a few seconds at most) until the local workers' threads have
        seen the stop event and killed their dfsim processes, so none outlives the sweep."""
        if self.cluster is None:
            return
        deadline = time.monotonic() + STOP_WAIT_S
        with contextlib.suppress(Exception):
            while time.monotonic() < deadline and any(
                    w.executing_count for w in self.cluster.workers.values()):
                time.sleep(0.05)

    def close(self):
        """Closes the client and the local cluster (if any), each with a timeout."""
        with contextlib.suppress(Exception):
            if self.client is not None:
                self.client.close(timeout=CLOSE_TIMEOUT_S)
        with contextlib.suppress(Exception):
            if self.cluster is not None:
                self.cluster.close(timeout=CLOSE_TIMEOUT_S)
        self.client = self.cluster = None


def check_scheduler(address):
    """Checks that a TCP connection to a tcp:// or tls:// scheduler address opens (within
    PROBE_TIMEOUT_S), so that a dead --scheduler is refused at once, before anything is
    created; InputError otherwise. Other protocols are left to Dask."""
    scheme, _, rest = address.partition("://")
    if scheme not in ("tcp", "tls"):
        return
    host, sep, port = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--scheduler {address}", "expected an address like tcp://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S).close()
    except OSError as e:
        why = e.strerror or str(e) or type(e).__name__
        raise InputError(f"--scheduler {address}", f"cannot connect ({why})") from None


def _quiet(verbose):
    """Silences distributed's logging and warnings (unless verbose)."""
    if verbose:
        return
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module="distributed")
    warnings.filterwarnings("ignore", category=UserWarning, message=".*Port .* is already in use")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
