"""scripts/sweep end to end, on the tiny arch and network: serial, on a real Dask cluster
started here (a dask-scheduler and two dask-worker processes on 127.0.0.1) and on the default
local cluster, which must all give byte-identical tables; resume (by input key, without a
dfsim process; an edited base file recomputes); failed points; shared folders for two
spellings of one config; scripts/plot_sweep and scripts/bench_sweep.

Run with Debian's interpreter:
    /usr/bin/python3 -m unittest tests/python/test_sweep.py -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import MODELS, REPO, TINY_ARCH, dfsim_binary  # noqa: E402

SWEEP = os.path.join(REPO, "scripts", "sweep")
PLOT = os.path.join(REPO, "scripts", "plot_sweep")
BENCH = os.path.join(REPO, "scripts", "bench_sweep")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLUSTER_START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20

# Two dataflows x (GLB 1 or 2 KiB x RF 8 or 16 words), plus a derived column: 4 points.
SPEC = {
    "description": "tiny test sweep",
    "arch": TINY_ARCH,
    "network": os.path.join(MODELS, "tiny_net.json"),
    "dataflows": ["ws", "rs"],
    "parameters": [
        {"name": "glb_kib", "path": "arch.glb.size_kib", "values": [1, 2]},
        {"name": "rf_words", "path": "arch.rf.words", "values": [8, 16]},
    ],
    "derived": [{"name": "rf_total", "expr": "rf_words * 16", "unit": "words"}],
}


def sweep(*args, timeout=240):
    """Runs scripts/sweep with dfsim from DFSIM_BINARY; returns the CompletedProcess."""
    return subprocess.run([SWEEP, *map(str, args), "--dfsim", dfsim_binary()], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def read_table(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class DaskCluster:
    """A dask-scheduler and `workers` dask-worker processes on 127.0.0.1, each in its own
    process group; stop() ends them all (terminate, then kill after a timeout)."""

    def __init__(self, tmp, workers=2):
        self.procs = []
        scheduler_file = os.path.join(tmp, "scheduler.json")
        logs = os.path.join(tmp, "dask-logs")
        os.makedirs(logs)
        try:
            self._start(["dask-scheduler", "--host", "127.0.0.1", "--port", "0",
                         "--no-dashboard", "--scheduler-file", scheduler_file],
                        os.path.join(logs, "scheduler.log"))
            deadline = time.monotonic() + CLUSTER_START_TIMEOUT_S
            while not os.path.exists(scheduler_file):
                if time.monotonic() > deadline or self.procs[0].poll() is not None:
                    raise RuntimeError("dask-scheduler did not start")
                time.sleep(0.1)
            self.address = read_json(scheduler_file)["address"]
            for i in range(workers):
                self._start(["dask-worker", self.address, "--nthreads", "1", "--nworkers",
                             "1", "--no-dashboard", "--host", "127.0.0.1",
                             "--local-directory", os.path.join(tmp, f"worker{i}")],
                            os.path.join(logs, f"worker{i}.log"))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # tornado's, in Debian 12
                from distributed import Client
                with Client(self.address, timeout=CLUSTER_START_TIMEOUT_S) as client:
                    client.wait_for_workers(workers, timeout=CLUSTER_START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    def _start(self, cmd, log):
        with open(log, "w") as f:
            # A cwd without the repository's scripts: the workers get the task by value.
            self.procs.append(subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                               cwd=os.path.dirname(log),
                                               start_new_session=True))

    def stop(self):
        """Terminates workers first, then the scheduler; kills what is left."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the worker processes of a nanny too
            except ProcessLookupError:
                pass
            proc.wait(timeout=STOP_TIMEOUT_S)
        self.procs = []


class SweepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="dfsim-sweep-test-")
        cls.tmp = cls._tmp.name
        cls.spec = cls.write_spec("spec.json", SPEC)
        cls.serial_out = os.path.join(cls.tmp, "serial")
        cls.serial = sweep(cls.spec, "--out", cls.serial_out, "--serial")

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    @classmethod
    def write_spec(cls, name, doc):
        path = os.path.join(cls.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
        return path

    def setUp(self):
        self.assertEqual(self.serial.returncode, 0, self.serial.stderr)

    def table_text(self, out):
        with open(os.path.join(out, "sweep.csv"), encoding="utf-8") as f:
            return f.read()

    def test_serial_table(self):
        rows = read_table(os.path.join(self.serial_out, "sweep.csv"))
        self.assertEqual(list(rows[0])[:11], ["point", "hash", "glb_kib", "rf_words",
                                              "rf_total", "dataflow", "layer", "layer_type",
                                              "batch", "status", "error"])
        # 4 points x 2 dataflows x 3 simulated layers (the pool layer is left out).
        self.assertEqual(len(rows), 24)
        self.assertEqual({r["status"] for r in rows}, {"ok"})
        self.assertEqual([r["layer"] for r in rows[:6]], ["conv1", "conv2", "fc"] * 2)
        self.assertEqual([(r["point"], r["glb_kib"], r["rf_words"], r["rf_total"])
                          for r in rows[::6]],
                         [("0", "1", "8", "128"), ("1", "1", "16", "256"),
                          ("2", "2", "8", "128"), ("3", "2", "16", "256")])
        for r in rows:
            self.assertEqual(float(r["energy_per_mac"]),
                             float(f"{float(r['energy_total']) / float(r['macs']):.10g}"))
            self.assertEqual(r["energy_unit"], "MAC-energy")
        # Each point has its folder, named by the hash, holding one dfsim run of both
        # dataflows and the input key that gave it.
        hashes = sorted({r["hash"] for r in rows})
        self.assertEqual(len(hashes), 4)
        self.assertEqual(sorted(os.listdir(os.path.join(self.serial_out, "points"))), hashes)
        for h in hashes:
            folder = os.path.join(self.serial_out, "points", h)
            # (dfsim's own marker of a committed result, when it writes one, aside)
            self.assertEqual(sorted(n for n in os.listdir(folder) if n != ".dfsim-result"),
                             ["config.json", "keys", "layers.csv", "mappings", "stats.json",
                              "timing.json"])
            self.assertEqual(len(os.listdir(os.path.join(folder, "keys"))), 1)
            with open(os.path.join(folder, "layers.csv"), encoding="utf-8") as f:
                self.assertEqual({r["dataflow"] for r in csv.DictReader(f)}, {"ws", "rs", "-"})
        meta = read_json(os.path.join(self.serial_out, "sweep.json"))
        self.assertEqual(meta["counts"]["runs_simulated"], 8)
        self.assertEqual(meta["counts"]["dfsim_calls"], 4)  # one process per point
        self.assertIn("4 points ran (4 ok, 0 failed), 0 skipped", self.serial.stdout)
        self.assertIn("0 failed", self.serial.stderr)  # the progress line

    def test_charts(self):
        charts = sorted(os.listdir(os.path.join(self.serial_out, "plots")))
        self.assertEqual(charts, ["energy_breakdown_vs_glb_kib.png",
                                  "energy_total_vs_glb_kib.png"])
        for name in charts:
            with open(os.path.join(self.serial_out, "plots", name), "rb") as f:
                self.assertEqual(f.read(8), PNG_SIGNATURE)

    def test_plot_sweep(self):
        out = os.path.join(self.tmp, "charts")
        proc = subprocess.run([PLOT, os.path.join(self.serial_out, "sweep.csv"), "--out", out,
                               "--metric", "cycles", "--metric", "utilization",
                               "--x", "rf_words"], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["cycles_vs_rf_words.png",
                                                   "energy_breakdown_vs_rf_words.png",
                                                   "utilization_vs_rf_words.png"])
        for args, where, what in [(["--x", "glb"], "--x glb", "expected a parameter column of "
                                                              "the table (glb_kib, rf_words, "
                                                              "rf_total)"),
                                  (["--metric", "watts"], "--metric watts",
                                   "expected a metric (macs,")]:
            proc = subprocess.run([PLOT, os.path.join(self.serial_out, "sweep.csv"),
                                   "--out", out] + args, capture_output=True, text=True,
                                  timeout=120)
            self.assertEqual(proc.returncode, 2)
            self.assertEqual(proc.stderr.splitlines(), [proc.stderr.strip()])
            self.assertTrue(proc.stderr.startswith(f"plot_sweep: error: {where}: {what}"),
                            proc.stderr)

    def test_dask_cluster_gives_the_same_table(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        cluster = DaskCluster(tmp, workers=2)
        try:
            out = os.path.join(tmp, "dask")
            proc = sweep(self.spec, "--out", out, "--scheduler", cluster.address,
                         "--no-plot")
        finally:
            cluster.stop()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"Dask scheduler {cluster.address} (2 workers)", proc.stderr)
        self.assertEqual(self.table_text(out), self.table_text(self.serial_out))
        self.assertEqual(read_json(os.path.join(out, "sweep.json"))["counts"]
                         ["runs_simulated"], 8)

    def test_local_cluster_gives_the_same_table(self):
        out = os.path.join(self.tmp, "local")
        proc = sweep(self.spec, "--out", out, "--workers", "2", "--no-plot")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("local Dask cluster, 2 workers", proc.stderr)
        self.assertEqual(self.table_text(out), self.table_text(self.serial_out))
        self.assertNotIn("Traceback", proc.stderr)

    def test_resume_recomputes_nothing(self):
        out = os.path.join(self.tmp, "resume")
        shutil.copytree(self.serial_out, out)
        stats = [os.path.join(dp, "stats.json") for dp, _, files in
                 os.walk(os.path.join(out, "points")) if "stats.json" in files]
        self.assertEqual(len(stats), 4)
        mtimes = {p: os.stat(p).st_mtime_ns for p in stats}
        for where in (["--serial"], ["--workers", "2"]):
            proc = sweep(self.spec, "--out", out, "--no-plot", *where)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            counts = read_json(os.path.join(out, "sweep.json"))["counts"]
            self.assertEqual((counts["runs_simulated"], counts["runs_reused"]), (0, 8))
            self.assertEqual((counts["dfsim_calls"], counts["reused_by_key"]), (0, 4))
            self.assertEqual({p: os.stat(p).st_mtime_ns for p in stats}, mtimes)
            self.assertEqual(self.table_text(out), self.table_text(self.serial_out))

        # An interrupted run leaves temporary folders, and a damaged point folder is not
        # complete: neither counts as done; the next run recomputes exactly that point.
        points = os.path.join(out, "points")
        first = sorted(os.listdir(points))[0]
        os.unlink(os.path.join(points, first, "stats.json"))
        os.makedirs(os.path.join(points, ".tmp-deadbeef-ws-123"))
        proc = sweep(self.spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        counts = read_json(os.path.join(out, "sweep.json"))["counts"]
        self.assertEqual((counts["runs_simulated"], counts["runs_reused"]), (2, 6))
        self.assertEqual(counts["dfsim_calls"], 1)
        self.assertFalse(os.path.exists(os.path.join(points, ".tmp-deadbeef-ws-123")))
        self.assertEqual(self.table_text(out), self.table_text(self.serial_out))

    def test_bad_values_fail_their_points_only(self):
        doc = dict(SPEC, parameters=[
            # -1 KiB: dfsim refuses the config; 1 word: rs finds no mapping (ws does).
            {"name": "glb_kib", "path": "arch.glb.size_kib", "values": [1, -1]},
            {"name": "rf_words", "path": "arch.rf.words", "values": [16, 1]}])
        spec = self.write_spec("bad_values.json", doc)
        out = os.path.join(self.tmp, "bad_values")
        proc = sweep(spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        rows = read_table(os.path.join(out, "sweep.csv"))
        status = {}
        for r in rows:
            status.setdefault((r["glb_kib"], r["rf_words"], r["dataflow"]), set()).add(
                r["status"])
        # A point is one dfsim process of both dataflows: when rs finds no mapping, the
        # point (ws included) fails with dfsim's message.
        self.assertEqual(status, {
            ("1", "16", "ws"): {"ok"}, ("1", "16", "rs"): {"ok"},
            ("1", "1", "ws"): {"failed"}, ("1", "1", "rs"): {"failed"},
            ("-1", "16", "ws"): {"failed"}, ("-1", "16", "rs"): {"failed"},
            ("-1", "1", "ws"): {"failed"}, ("-1", "1", "rs"): {"failed"}})
        failed = [r for r in rows if r["status"] == "failed"]
        self.assertEqual(len(failed), 6)  # one row per failed point and dataflow
        for r in failed:
            self.assertEqual(r["hash"], "")
            self.assertEqual(r["layer"], "")
        refused = [r for r in failed if r["glb_kib"] == "-1"]
        for r in refused:
            self.assertIn("arch.glb.size_kib: expected a number >= 0, got -1", r["error"])
        no_mapping = [r for r in failed if r["glb_kib"] == "1"]
        self.assertIn("default rs mapping of conv1", no_mapping[0]["error"])
        self.assertIn("partition holds 1", no_mapping[0]["error"])
        self.assertEqual(len(os.listdir(os.path.join(out, "points"))), 1)  # the ok point
        meta = read_json(os.path.join(out, "sweep.json"))
        self.assertEqual((meta["counts"]["ok"], meta["counts"]["failed"]), (1, 3))
        self.assertIn("failed point 2:", proc.stdout)
        self.assertIn("4 points ran (1 ok, 3 failed)", proc.stdout)

    def test_two_spellings_share_a_folder(self):
        doc = dict(SPEC, dataflows=["rs"], derived=[], parameters=[
            {"name": "glb", "path": "arch.glb.size_kib", "values": [2, 2.0, 1]}])
        spec = self.write_spec("spellings.json", doc)
        out = os.path.join(self.tmp, "spellings")
        proc = sweep(spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = read_table(os.path.join(out, "sweep.csv"))
        by_point = {r["point"]: r["hash"] for r in rows}
        self.assertEqual(by_point["0"], by_point["1"])
        self.assertNotEqual(by_point["0"], by_point["2"])
        self.assertEqual(len(os.listdir(os.path.join(out, "points"))), 2)
        counts = read_json(os.path.join(out, "sweep.json"))["counts"]
        self.assertEqual((counts["runs_simulated"], counts["runs_reused"]), (2, 1))
        self.assertEqual(counts["dfsim_calls"], 3)
        # The shared folder records both spellings' input keys: a resume runs nothing.
        keys = os.path.join(out, "points", by_point["0"], "keys")
        self.assertEqual(len(os.listdir(keys)), 2)
        proc = sweep(spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        counts = read_json(os.path.join(out, "sweep.json"))["counts"]
        self.assertEqual((counts["dfsim_calls"], counts["reused_by_key"]), (0, 3))

    def test_editing_the_base_file_recomputes(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        arch = os.path.join(tmp, "arch.json")
        shutil.copyfile(TINY_ARCH, arch)
        doc = dict(SPEC, arch=arch, dataflows=["rs"], derived=[], parameters=[
            {"name": "rf_words", "path": "arch.rf.words", "values": [8, 16]}])
        spec = self.write_spec("edited.json", doc)
        out = os.path.join(tmp, "out")

        def counts():
            proc = sweep(spec, "--out", out, "--serial", "--no-plot")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            c = read_json(os.path.join(out, "sweep.json"))["counts"]
            return c["dfsim_calls"], c["reused_by_key"], c["runs_simulated"], c["runs_reused"]

        self.assertEqual(counts(), (2, 0, 2, 0))
        self.assertEqual(counts(), (0, 2, 0, 2))
        # Reformatted (same content for dfsim): new input keys, so dfsim runs, but the
        # resolved configs hash as before: the same folders are reused.
        with open(arch, encoding="utf-8") as f:
            text = f.read()
        with open(arch, "w", encoding="utf-8") as f:
            f.write(text + "\n\n")
        self.assertEqual(counts(), (2, 0, 0, 2))
        self.assertEqual(len(os.listdir(os.path.join(out, "points"))), 2)
        # A changed value that no --set overrides: new configs, new folders.
        base = json.loads(text)
        base["dram"]["latency_cycles"] = base["dram"]["latency_cycles"] + 7
        with open(arch, "w", encoding="utf-8") as f:
            json.dump(base, f, indent=2)
        self.assertEqual(counts(), (2, 0, 2, 0))
        self.assertEqual(len(os.listdir(os.path.join(out, "points"))), 4)

    def test_skipped_points_are_reported(self):
        doc = dict(SPEC, filters=[{"expr": "glb_kib * rf_words", "max": 16}])
        spec = self.write_spec("filtered.json", doc)
        out = os.path.join(self.tmp, "filtered")
        proc = sweep(spec, "--out", out, "--serial", "--no-plot")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("skipping point 3: filters[0]: glb_kib * rf_words = 32 is above its "
                      "max 16", proc.stderr)
        rows = [r for r in read_table(os.path.join(out, "sweep.csv")) if r["point"] == "3"]
        self.assertEqual([(r["status"], r["dataflow"]) for r in rows],
                         [("skipped", "ws"), ("skipped", "rs")])
        self.assertEqual(len(os.listdir(os.path.join(out, "points"))), 3)

    def test_bench_sweep_runs(self):
        proc = subprocess.run([BENCH, "--points", "4", "--workers", "1", "--dfsim",
                               dfsim_binary()], capture_output=True, text=True, timeout=240)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"shell loop: +[\d.]+ s")
        self.assertRegex(proc.stdout, r"ratio sweep_time x cores / loop_time = [\d.]+")


if __name__ == "__main__":
    unittest.main()
