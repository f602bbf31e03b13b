"""scripts/bench_sweep: the overhead of scripts/sweep against a plain shell loop.

Runs N tiny points (configs/arch/tiny_4x4.json, models/tiny_conv.json, one dataflow, --fast;
the points differ in arch.dram.latency_cycles = 1..N) twice: (1) by a bash loop calling
`dfsim run ... --out DIR` back to back, one process per point, and (2) by scripts/sweep on its
local Dask cluster with W workers (whole command, cluster start and table included, charts
off). Prints both wall times and the ratio sweep_time x W / loop_time (the issue's target is at
most 1.5), with the sweep's own breakdown of where its time went, and for reference the same
ratio for W plain shell loops side by side (what the machine itself gives). Everything is
written to a temporary folder that is removed afterwards (--keep keeps it).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from dfsim_import.common import InputError

from . import runner

PROG = "bench_sweep"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCH = os.path.join(ROOT, "configs", "arch", "tiny_4x4.json")
NETWORK = os.path.join(ROOT, "models", "tiny_conv.json")
ENERGY = os.path.join(ROOT, "configs", "energy", "isca16_normalized.json")
PATH = "arch.dram.latency_cycles"


def spec_document(n, dataflow):
    """The benchmark's sweep spec: n points of one dataflow on the tiny arch and network."""
    return {"name": "bench", "description": f"{n} tiny points for scripts/bench_sweep",
            "arch": ARCH, "network": NETWORK, "energy": ENERGY, "dataflows": [dataflow],
            "fast": True, "parameters": [{"name": "dram_latency", "path": PATH,
                                          "values": list(range(1, n + 1))}]}


def loop_script(dfsim, n, dataflow, out, loops=1):
    """A bash loop running the same dfsim simulations back to back; with loops > 1, that
    many loops side by side, each over its share of the points."""
    body = []
    for k in range(loops):
        first, last = k * n // loops + 1, (k + 1) * n // loops
        body.append(f"for v in $(seq {first} {last}); do "
                    f"'{dfsim}' run --arch '{ARCH}' --network '{NETWORK}' --energy '{ENERGY}' "
                    f"--set {PATH}=$v --dataflow {dataflow} --fast --out '{out}'/$v --quiet "
                    f">/dev/null || exit 1; done" + (" &" if loops > 1 else ""))
    return "\n".join(body) + ("\nwait\n" if loops > 1 else "\n")


def timed(cmd, **kw):
    """(seconds, CompletedProcess) of a command; InputError-free: failures are reported."""
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.monotonic() - start, proc


def main(argv=None):
    """Runs the benchmark and prints the figures."""
    ap = argparse.ArgumentParser(prog=PROG, description="Overhead of scripts/sweep against a "
                                 "plain shell loop of the same dfsim runs.")
    ap.add_argument("--points", type=int, default=200, help="points (default 200)")
    ap.add_argument("--workers", type=int, help="local cluster workers (default: one per core)")
    ap.add_argument("--dataflow", default="rs", help="dataflow of every point (default rs)")
    ap.add_argument("--dfsim", help="dfsim executable (default: $DFSIM_BINARY, else "
                                    "build/dfsim)")
    ap.add_argument("--serial", action="store_true", help="also time scripts/sweep --serial")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    if args.points < 1 or (args.workers is not None and args.workers < 1):
        ap.error("--points and --workers take positive numbers")
    dfsim = os.path.abspath(args.dfsim or os.environ.get("DFSIM_BINARY")
                            or os.path.join(ROOT, "build", "dfsim"))
    if not os.access(dfsim, os.X_OK):
        raise InputError(dfsim, "not an executable (pass --dfsim)")
    workers = args.workers or runner.cores()

    tmp = tempfile.mkdtemp(prefix="dfsim-bench-sweep-")
    try:
        spec = os.path.join(tmp, "bench.json")
        with open(spec, "w", encoding="utf-8") as f:
            json.dump(spec_document(args.points, args.dataflow), f, indent=2)
        loop_out = os.path.join(tmp, "loop")
        os.makedirs(loop_out)
        env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
        print(f"{PROG}: {args.points} points, {args.dataflow}, tiny_4x4 + tiny_conv, --fast; "
              f"{workers} workers ({runner.cores()} cores)", file=sys.stderr, flush=True)
        loop_s, proc = timed(["bash", "-c", loop_script(dfsim, args.points, args.dataflow,
                                                        loop_out)], env=env)
        if proc.returncode != 0:
            raise InputError("shell loop", f"failed: {proc.stderr.strip()}")
        if workers > 1:
            par_out = os.path.join(tmp, "parallel_loops")
            os.makedirs(par_out)
            par_s, proc = timed(["bash", "-c", loop_script(dfsim, args.points, args.dataflow,
                                                           par_out, workers)], env=env)
            if proc.returncode != 0:
                raise InputError("parallel shell loops", f"failed: {proc.stderr.strip()}")
        sweep = os.path.join(ROOT, "scripts", "sweep")
        runs = [("local cluster", workers, ["--workers", str(workers)])]
        if args.serial:
            runs.append(("serial", 1, ["--serial"]))
        print(f"shell loop:            {loop_s:7.2f} s  ({loop_s / args.points * 1000:.1f} ms "
              f"per point, 1 core)")
        if workers > 1:
            print(f"{workers} shell loops at once: {par_s:7.2f} s  (how this machine scales plain "
                  f"dfsim processes: ratio {par_s * workers / loop_s:.2f})")
        for label, cores_used, extra in runs:
            out = os.path.join(tmp, label.replace(" ", "_"))
            sweep_s, proc = timed([sweep, spec, "--out", out, "--no-plot", "--quiet",
                                   "--dfsim", dfsim] + extra, env=env)
            if proc.returncode != 0:
                raise InputError("scripts/sweep", f"failed (exit {proc.returncode}): "
                                                  f"{proc.stderr.strip()}")
            with open(os.path.join(out, "sweep.json"), encoding="utf-8") as f:
                meta = json.load(f)
            sec, counts = meta["seconds"], meta["counts"]
            ratio = sweep_s * cores_used / loop_s
            print(f"sweep, {label + ',':15}{sweep_s:7.2f} s on {cores_used} core"
                  f"{'s' if cores_used > 1 else ''}: ratio sweep_time x cores / loop_time = "
                  f"{ratio:.2f} (target <= 1.5)")
            other = sweep_s - sec["total"]
            print(f"  inside the sweep: setup {sec['setup']:.2f} s, points {sec['run']:.2f} s "
                  f"(of which Dask import + cluster start {sec['cluster_start']:.2f} s, while "
                  f"a thread already runs points), table "
                  f"{sec['table']:.2f} s, Python start and exit {other:.2f} s; "
                  f"{counts['dfsim_calls']} dfsim processes for {counts['ran']} points "
                  f"(+ 1 --dump-config to check the base run)")
            print(f"  points phase alone: ratio {sec['run'] * cores_used / loop_s:.2f}")
        if args.keep:
            print(f"kept {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
