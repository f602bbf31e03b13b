"""scripts/sweep at the edges (issue 12): the table files are committed as one set (a failure
between renames leaves each file old or new, complete, and no temporary); a full disk is one
line and exit 1 with the earlier results intact (a small tmpfs; root only); kill -9 of the
sweep leaves no living dfsim child (serial and local cluster) and a resume leaves no
temporaries; a dead --scheduler creates nothing; the grid is never held in memory, and the
Dask runner takes jobs only as its window has room.

Run with Debian's interpreter:
    /usr/bin/python3 -m unittest tests/python/test_sweep_edges.py -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import contextlib
import errno
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import MODELS, REPO, TINY_ARCH, dfsim_binary, load_spec  # noqa: E402

from dfsim_sweep import cli, points, runner  # noqa: E402

SWEEP = os.path.join(REPO, "scripts", "sweep")
WAIT_S = 60  # upper bound of every wait below (never a timing assertion)
TMPFS_SIZE = "512k"

# Two points of one dataflow on the tiny arch and network.
SPEC = {
    "arch": TINY_ARCH,
    "network": os.path.join(MODELS, "tiny_net.json"),
    "dataflows": ["rs"],
    "parameters": [{"name": "rf_words", "path": "arch.rf.words", "values": [8, 16]}],
}


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def temporaries(out):
    """Every leftover temporary under OUT: `.tmp-*` names and dfsim's `..tmp-*`."""
    found = []
    for folder, dirs, files in os.walk(out):
        for name in dirs + files:
            if name.startswith(".tmp-") or name.startswith("..tmp-"):
                found.append(os.path.relpath(os.path.join(folder, name), out))
    return found


def marked_pids(marker):
    """The pids of living processes whose argv contains `marker` (zombies excluded)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{name}/stat", encoding="utf-8") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            pids.append(int(name))
    return pids


def wait_for(condition, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def run_sweep(*args):
    return subprocess.run([SWEEP, *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=240)


class EdgeTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="dfsim-sweep-edges-")
        self.tmp = self._tmp.name
        self.spec = write_json(os.path.join(self.tmp, "spec.json"), SPEC)
        self.marker = f"dfsim-sweep-edge-{uuid.uuid4().hex}"
        self.mounts = []

    def tearDown(self):
        for pid in marked_pids(self.marker):  # only after a failure: never leave them
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for mnt in self.mounts:
            if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", mnt], capture_output=True)
        self._tmp.cleanup()

    def sweep_in_process(self, *args):
        """(exit code, stdout, stderr) of cli.main in this process, an OutputError reported
        as scripts/sweep does (one line, exit 1)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([*map(str, args), "--dfsim", dfsim_binary()])
            except SystemExit as e:
                code = e.code
            except Exception as e:
                if type(e).__name__ != "OutputError":
                    raise
                print(f"sweep: error: {e}", file=sys.stderr)
                code = 1
        return code, out.getvalue(), err.getvalue()

    # --- the table files are one set -------------------------------------------------------

    def test_failure_between_renames_leaves_old_or_new_complete_files(self):
        out = os.path.join(self.tmp, "out")
        code, _, err = self.sweep_in_process(self.spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(code, 0, err)
        old = {n: read_bytes(os.path.join(out, n)) for n in ("sweep.csv", "sweep.json")}
        # A new table (another description, a point skipped); the second rename fails.
        spec = write_json(os.path.join(self.tmp, "spec2.json"), dict(
            SPEC, name="spec", description="second",
            filters=[{"expr": "rf_words", "max": 8}]))
        real_replace = os.replace
        calls = []

        def replace(src, dst):
            calls.append(dst)
            if len(calls) == 2:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            return real_replace(src, dst)
        with mock.patch("os.replace", replace):
            code, _, err = self.sweep_in_process(spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(code, 1, err)
        self.assertEqual(err.strip().splitlines()[-1],
                         f"sweep: error: writing {out}/sweep.json: Input/output error")
        # sweep.csv is renamed first and is the new complete table; sweep.json (last) is
        # the old complete one; no temporary is left.
        self.assertEqual(calls, [os.path.join(out, "sweep.csv"),
                                 os.path.join(out, "sweep.json")])
        self.assertEqual(read_bytes(os.path.join(out, "sweep.json")), old["sweep.json"])
        with open(os.path.join(out, "sweep.csv"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual([line.split(",")[:2] for line in lines[1:]][-1][0], "1")
        self.assertIn(",skipped,", lines[-1])
        self.assertEqual(json.loads(old["sweep.json"])["counts"]["skipped"], 0)
        self.assertEqual(temporaries(out), [])

    # --- a full disk -----------------------------------------------------------------------

    def test_full_disk_is_one_line_and_keeps_the_results(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(mnt)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", mnt],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {proc.stderr.strip()}")
        self.mounts.append(mnt)
        out = os.path.join(mnt, "out")
        proc = run_sweep(self.spec, "--out", out, "--serial", "--no-plot", "--dfsim",
                         dfsim_binary())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        old = {n: read_bytes(os.path.join(out, n)) for n in ("sweep.csv", "sweep.json")}
        # Fill the file system to the last byte.
        with open(os.path.join(mnt, "filler"), "wb", buffering=0) as f:
            chunk = b"\0" * 4096
            try:
                while True:
                    f.write(chunk)
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)
            for size in (512, 64, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError:
                    pass
        proc = run_sweep(self.spec, "--out", out, "--serial", "--no-plot", "--dfsim",
                         dfsim_binary())
        self.assertEqual(proc.returncode, 1, proc.stderr)
        last = proc.stderr.strip().splitlines()[-1]
        self.assertRegex(last, rf"^sweep: error: writing {out}/sweep\.(csv|json): No space "
                               r"left on device$")
        self.assertNotIn("Traceback", proc.stderr)
        self.assertEqual({n: read_bytes(os.path.join(out, n)) for n in old}, old)
        self.assertEqual(temporaries(out), [])

    # --- children die with the sweep -------------------------------------------------------

    def fake_dfsim(self):
        """A dfsim that answers `dataflows` and --dump-config with the real one and, for a
        point, makes its --out folder and dfsim's own temporaries beside it (as a dfsim killed
        mid-run leaves them), then sleeps under a marker name."""
        path = os.path.join(self.tmp, "slow-dfsim")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"""#!/bin/bash
[ "$1" = dataflows ] && exec {dfsim_binary()} "$@"
for a in "$@"; do [ "$a" = --dump-config ] && exec {dfsim_binary()} "$@"; done
prev=; out=
for a in "$@"; do [ "$prev" = --out ] && out=$a; prev=$a; done
mkdir -p "$out" && echo '{{' > "$out/stats.json"
d=$(dirname "$out"); b=$(basename "$out")
case $b in .*) h=$b ;; *) h=.$b ;; esac
mkdir -p "$d/$h.dfsim-tmp.$$" && : > "$d/$h.dfsim-lock"
exec -a {self.marker} sleep 300
""")
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def kill_9_and_resume(self, where, children):
        out = os.path.join(self.tmp, "out")
        spec = write_json(os.path.join(self.tmp, "four.json"), dict(SPEC, parameters=[
            {"name": "rf_words", "path": "arch.rf.words", "values": [8, 16, 24, 32]}]))
        proc = subprocess.Popen([SWEEP, spec, "--out", out, "--no-plot", "-q", *where,
                                 "--dfsim", self.fake_dfsim()], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            self.assertTrue(wait_for(lambda: len(marked_pids(self.marker)) >= children),
                            "the sweep started no dfsim")
        finally:
            proc.kill()  # kill -9 of the sweep only (not its group)
            proc.wait()
        wait_for(lambda: not marked_pids(self.marker))
        self.assertEqual(marked_pids(self.marker), [], "dfsim children outlived the sweep")
        self.assertNotEqual(temporaries(out), [])  # what the killed run left
        done = run_sweep(spec, "--out", out, "--serial", "--no-plot", "--dfsim",
                         dfsim_binary())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(temporaries(out), [])
        self.assertEqual(sorted(n for n in os.listdir(out) if n.startswith(".")),
                         [".sweep.lock"])

    def test_kill_9_of_a_serial_sweep_kills_dfsim(self):
        self.kill_9_and_resume(["--serial"], children=1)

    def test_kill_9_of_a_local_cluster_sweep_kills_dfsim(self):
        self.kill_9_and_resume(["--workers", "2"], children=2)

    # --- a dead scheduler ------------------------------------------------------------------

    def test_dead_scheduler_creates_nothing(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        out = os.path.join(self.tmp, "never")
        proc = run_sweep(self.spec, "--out", out, "--scheduler", f"tcp://127.0.0.1:{port}",
                         "--dfsim", dfsim_binary())
        self.assertFalse(os.path.exists(out))
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(proc.stderr.splitlines(), [
            f"sweep: error: --scheduler tcp://127.0.0.1:{port}: cannot connect (Connection "
            f"refused)"])

    # --- memory: the grid is never held ----------------------------------------------------

    def live_points_peak(self, *args):
        """(exit code, stderr, the largest number of Point objects alive at once) of an
        in-process sweep."""
        state = {"live": 0, "peak": 0}

        class Counted(points.Point):
            def __init__(self, *a):
                super().__init__(*a)
                state["live"] += 1
                state["peak"] = max(state["peak"], state["live"])

            def __del__(self):
                state["live"] -= 1
        with mock.patch.object(points, "Point", Counted):
            code, _, err = self.sweep_in_process(*args)
        return code, err, state["peak"]

    def test_the_grid_is_never_held(self):
        # 20,000 points; a filter keeps 3 (rf_words 8 with lat 1 or 2, 16 with lat 1).
        doc = dict(SPEC, parameters=[
            {"name": "rf_words", "path": "arch.rf.words", "values": list(range(8, 1608, 8))},
            {"name": "lat", "path": "arch.dram.latency_cycles", "values": list(range(1, 101))}],
            filters=[{"expr": "rf_words * lat", "max": 16}])
        spec = write_json(os.path.join(self.tmp, "big.json"), doc)
        out = os.path.join(self.tmp, "big")
        for reused in (0, 3):  # the points run, then are found done
            code, err, peak = self.live_points_peak(spec, "--out", out, "--serial",
                                                    "--no-plot")
            self.assertEqual(code, 0, err)
            self.assertLess(peak, 100)  # of 20,000
            meta = json.loads(read_bytes(os.path.join(out, "sweep.json")))
            self.assertEqual((meta["counts"]["ok"], meta["counts"]["reused_by_key"]),
                             (3, reused))
        self.assertEqual(len(meta["points"]), 20000)
        self.assertEqual([p["point"] for p in meta["points"] if p["status"] == "ok"],
                         [0, 1, 100])

    def test_dask_runner_takes_jobs_as_its_window_has_room(self):
        spec = load_spec(write_json(os.path.join(self.tmp, "ten.json"), dict(
            SPEC, parameters=[{"name": "lat", "path": "arch.dram.latency_cycles",
                               "values": list(range(1, 11))}])))
        points_dir = os.path.join(self.tmp, "points")
        os.makedirs(points_dir)
        jobs = cli.Jobs(spec, dfsim_binary(), points_dir, None)
        taken, ahead, results = [0], [], []

        def generate():
            for p in points.iterate(spec):
                taken[0] += 1
                yield jobs.job(p)

        def on_result(result):
            results.append(result)
            ahead.append(taken[0] - len(results))
        run = runner.DaskRunner(workers=1, expected=10)
        try:
            run.run(generate(), on_result)
        finally:
            run.close()
        self.assertEqual(sorted(r["status"] for r in results), ["ok"] * 10)
        # Never more than the window (plus the early thread's job) taken and unfinished.
        self.assertLessEqual(max(ahead), run.window + 1)
        self.assertEqual(taken[0], 10)


if __name__ == "__main__":
    unittest.main()
