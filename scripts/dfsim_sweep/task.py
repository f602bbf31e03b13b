"""One sweep point, as run on a worker (or in-process with --serial). Standard library only:
the runner ships this module to Dask workers by value, so they need nothing but Python.

A point is one dfsim process running every dataflow of the spec:
`dfsim run <base> --set ... --dataflow ws,rs <flags> --out POINTS/.tmp-<uuid> --quiet`. dfsim
writes config.json (the resolved configs after --set and --batch, as --dump-config prints
them), stats.json, layers.csv (a row per dataflow and layer), timing.json and mappings/. The
point's hash is the first 16 hex digits of the SHA-256 of that config.json together with the
run settings (dataflows, layers, --fast, --search objective): two spellings of one
configuration share the folder POINTS/<hash>/, into which the temporary folder is renamed only
after dfsim succeeded. POINTS/<hash>/keys/<input key> (empty files) record the input keys
(input_key()) that gave this folder, so that a resumed sweep finds a finished point without
running anything.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

HASH_DIGITS = 16
POLL_SECONDS = 0.5
MAX_ERROR_CHARS = 2000
TMP_PREFIX = ".tmp-"
# dfsim keeps its temporaries and lock beside its --out DIR, named after DIR (`.tmp-<uuid>.
# dfsim-tmp.<pid>`, `.tmp-<uuid>.dfsim-lock`: they start with TMP_PREFIX); a name made by
# prefixing DIR with "." (`..tmp-<uuid>.dfsim-...`) is recognised too.
DFSIM_TMP_PREFIX = "." + TMP_PREFIX
KEYS_DIR = "keys"
KEY_VERSION = 2  # bump when the layout or the meaning of a key changes


def _canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def point_hash(resolved, run_settings):
    """(hash, canonical text) of a resolved config (dfsim's config.json / --dump-config JSON)
    and the run settings: sorted keys, compact separators, so equal content gives equal
    hashes."""
    text = _canonical({"config": resolved, "run": run_settings})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_DIGITS], text


def file_digest(path):
    """SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def input_key(file_digests, sets, batch, run_settings):
    """The input key of a point: SHA-256 (hex) of everything that determines its run: the
    digests of the arch, network and energy files' contents, the --set texts in order, the
    batch and the run settings (layers, dataflows, fast, search)."""
    text = _canonical({"v": KEY_VERSION, "files": file_digests, "sets": list(sets),
                       "batch": batch, "run": run_settings})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def complete(point_dir):
    """Whether a point folder holds finished results: config.json, a stats.json that parses
    with its layers, and layers.csv."""
    try:
        with open(os.path.join(point_dir, "stats.json"), encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError):
        return False
    return (isinstance(stats, dict) and "layers" in stats
            and os.path.isfile(os.path.join(point_dir, "layers.csv"))
            and os.path.isfile(os.path.join(point_dir, "config.json")))


def key_index(points_dir):
    """{input key: hash} of every complete point folder (one directory scan)."""
    index = {}
    try:
        names = os.listdir(points_dir)
    except OSError:
        return index
    for name in names:
        if is_temporary(name):
            continue
        try:
            keys = os.listdir(os.path.join(points_dir, name, KEYS_DIR))
        except OSError:
            continue
        if keys and complete(os.path.join(points_dir, name)):
            for key in keys:
                index[key] = name
    return index


def error_text(stderr, code):
    """dfsim's error output as one line (or the exit status when it printed nothing)."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    text = " ".join(lines) if lines else f"dfsim exited with status {code} and no message"
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 3] + "..."


class _Stopped(Exception):
    """The sweep was interrupted, or (timed_out) the per-run timeout passed."""

    def __init__(self, message, timed_out=False):
        super().__init__(message)
        self.timed_out = timed_out


def _stop_check(job):
    """A function telling whether to stop (the sweep's Dask Event is set, this worker is
    closing, or the scheduler cancelled this task: the sweep's client is gone, killed with
    -9 say), or None outside Dask. Looked up lazily: short runs never pay for it."""
    name = job.get("stop_event")
    if not name:
        return None
    state = {}

    def should_stop():
        try:
            from distributed import Event, get_worker
            if "event" not in state:
                state["event"] = Event(name)
            worker = get_worker()
            if worker.status.name not in ("running", "paused"):
                return True
            ts = worker.state.tasks.get(worker.get_current_task())
            if ts is not None and ts.state == "cancelled":
                return True
            return state["event"].is_set()
        except Exception:  # no worker or no scheduler any more: stop
            return True
    return should_stop


def is_temporary(name):
    """Whether a name in POINTS is a temporary of a sweep or of its dfsim (never a result)."""
    return name.startswith(TMP_PREFIX) or name.startswith(DFSIM_TMP_PREFIX)


class Children:
    """The dfsim processes this process started and has not reaped yet, so that a signal
    handler can kill them all at once (kill_all). A plain dict (each update is atomic under
    the GIL; no lock, so that the module pickles by value for remote workers)."""

    def __init__(self):
        self._procs = {}

    def add(self, proc):
        self._procs[proc.pid] = proc

    def remove(self, proc):
        self._procs.pop(proc.pid, None)

    def kill_all(self):
        """SIGKILL to every live child's process group (each dfsim leads its own); safe in
        a signal handler of the main thread (no lock is waited for)."""
        for pid in list(self._procs):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


CHILDREN = Children()


def _with_death_signal(cmd):
    """`cmd` run through util-linux's `setpriv --pdeathsig KILL`: the child gets SIGKILL when
    the thread that started it (and waits on it) ends, the whole process included, kill -9 too
    (Linux PR_SET_PDEATHSIG, kept across setpriv's exec into dfsim). Not a preexec_fn: Python
    code between fork and exec in a threaded process (the local cluster's workers are threads)
    is unsafe, and CPython 3.11 can report "release unlocked lock" from it. `cmd` unchanged
    where setpriv is missing (it is in util-linux, essential on Debian)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] + list(cmd) if setpriv else list(cmd)


def _run(cmd, job, should_stop):
    """Runs one dfsim command: (exit code, stderr). Kills dfsim and raises _Stopped when
    should_stop() turns true or the job's timeout passes; kills it on any exception."""
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    timeout = job.get("timeout")
    start = time.monotonic()
    # Its own session: a Ctrl-C at the terminal reaches the sweep only, which stops dfsim
    # (then the point is not reported as failed by a dfsim killed under it). Started and
    # waited on in this thread, with the death signal: dfsim dies with this thread or
    # process, however they end.
    proc = subprocess.Popen(_with_death_signal(cmd), cwd=job["cwd"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    CHILDREN.add(proc)
    try:
        while True:
            wait = POLL_SECONDS
            if timeout:
                wait = max(0.01, min(wait, start + timeout - time.monotonic()))
            try:
                _, err = proc.communicate(timeout=wait)
                return proc.returncode, err
            except subprocess.TimeoutExpired:
                if timeout and time.monotonic() - start >= timeout:
                    raise _Stopped(f"timed out after {timeout:g} s", timed_out=True) from None
                if should_stop is not None and should_stop():
                    raise _Stopped("stopped: the sweep was interrupted") from None
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    finally:
        CHILDREN.remove(proc)


def _touch(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def _seconds_by_dataflow(tmp):
    """{dataflow: simulate + search seconds} from dfsim's timing.json ({} if unreadable)."""
    try:
        with open(os.path.join(tmp, "timing.json"), encoding="utf-8") as f:
            jobs = json.load(f)["jobs"]
        out = {}
        for j in jobs:
            s = j.get("simulate_seconds", 0.0) + (j.get("search") or {}).get("seconds", 0.0)
            out[j["dataflow"]] = out.get(j["dataflow"], 0.0) + s
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def reused_result(job, digest):
    """The result of a point found by its input key: nothing ran."""
    return {"index": job["index"], "hash": digest, "status": "ok", "error": "",
            "seconds": 0.0, "dfsim_calls": 0, "by_key": True,
            "runs": {df: {"status": "reused", "error": "", "seconds": 0.0}
                     for df in job["dataflows"]}}


def run_point(job, should_stop=None):
    """Runs one point (one dfsim process for all its dataflows); returns a dict: index, hash
    (None when dfsim failed), status ("ok" or "failed"), error, seconds (the process's wall
    time), dfsim_calls, by_key (False) and runs {dataflow: {status: "simulated" | "reused" |
    "failed", error, seconds (dfsim's simulate + search time)}}.

    `job` holds: index, dfsim (absolute path), cwd, base (dfsim run options shared by every
    point: --arch, --network, --energy, --batch, --layer), sets (`path=value` texts),
    dataflows, flags (--fast, --search, --objective), run_settings (what besides the config
    enters the hash), key (the input key), points_dir, timeout (seconds, or None) and
    stop_event (a Dask Event name, or None). `should_stop`, when given, replaces the check of
    the stop event: a function telling whether to kill dfsim and give up.
    """
    dataflows = job["dataflows"]
    result = {"index": job["index"], "hash": None, "status": "failed", "error": "",
              "seconds": 0.0, "dfsim_calls": 1, "by_key": False, "runs": {}}

    def fail(error):
        result["error"] = error
        result["runs"] = {df: {"status": "failed", "error": error, "seconds": 0.0}
                          for df in dataflows}
        return result

    should_stop = should_stop or _stop_check(job)
    points_dir = job["points_dir"]
    tmp = os.path.join(points_dir, f"{TMP_PREFIX}{uuid.uuid4().hex}")
    cmd = ([job["dfsim"], "run"] + job["base"] + [a for s in job["sets"] for a in ("--set", s)]
           + ["--dataflow", ",".join(dataflows)] + job["flags"] + ["--out", tmp, "--quiet"])
    start = time.monotonic()
    try:
        try:
            code, err = _run(cmd, job, should_stop)
        except _Stopped as e:
            if not e.timed_out:
                raise
            return fail(str(e))
        finally:
            result["seconds"] = time.monotonic() - start
        if code != 0:
            return fail(error_text(err, code))
        try:
            with open(os.path.join(tmp, "config.json"), encoding="utf-8") as f:
                resolved = json.load(f)
        except (OSError, ValueError) as e:
            return fail(f"dfsim wrote no readable config.json ({e})")
        digest, _ = point_hash(resolved, job["run_settings"])
        result["hash"] = digest
        final = os.path.join(points_dir, digest)
        os.makedirs(os.path.join(tmp, KEYS_DIR), exist_ok=True)
        _touch(os.path.join(tmp, KEYS_DIR, job["key"]))
        seconds = _seconds_by_dataflow(tmp)
        status = "simulated"
        if os.path.lexists(final) and not complete(final):
            shutil.rmtree(final, ignore_errors=True)  # left half-made by something else
        try:
            os.rename(tmp, final)
        except OSError:
            if not complete(final):
                raise
            # Another spelling of the same configuration finished first: keep its folder.
            os.makedirs(os.path.join(final, KEYS_DIR), exist_ok=True)
            _touch(os.path.join(final, KEYS_DIR, job["key"]))
            status = "reused"
    except _Stopped as e:
        result["error"] = str(e)
        return result
    finally:
        if os.path.lexists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    result["status"] = "ok"
    result["runs"] = {df: {"status": status, "error": "",
                           "seconds": round(seconds.get(df, 0.0), 6)} for df in dataflows}
    return result
