"""Mapper search speed: candidates scored per second for every dataflow (not a test).

For each dataflow of `dfsim dataflows --json`, objective and tiling, one `dfsim run --search
--fast` process over the whole network (AlexNet at batch 4 on eyeriss by default); from its
timing.json the candidates tried and the search seconds (summed over the layers), and from
wait4 the process's own peak memory (max RSS). Wall times vary with the machine's load: run it
on an otherwise idle machine.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from dfsim_import import dataflows as dataflow_registry
from dfsim_import.common import InputError


def run_one(dfsim, root, args, dataflow, objective, tiling, out_dir):
    """Runs one dfsim process; returns (exit code, stderr, its own peak RSS KiB)."""
    cmd = [dfsim, "run", "--arch", args.arch, "--network", args.network, "--dataflow", dataflow,
           "--search", "--objective", objective, "--tiling", tiling, "--batch", str(args.batch),
           "--fast", "--quiet", "--out", out_dir]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
    err = proc.stderr.read()
    proc.stderr.close()
    # wait4 reaps this child and gives its own resource usage (ru_maxrss in KiB).
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), err.decode(), usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dfsim", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--arch", default="configs/arch/eyeriss.json")
    ap.add_argument("--network", default="models/alexnet.json")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--dataflow", default="all", help="one dataflow name, or all (default)")
    ap.add_argument("--objective", choices=["energy", "cycles", "edp", "both"], default="both",
                    help="the search objective; both (default): energy and edp")
    ap.add_argument("--tiling", choices=["ragged", "perfect", "both"], default="both",
                    help="the mappers' tilings; both (default): ragged and perfect")
    args = ap.parse_args()
    try:
        dataflows = (dataflow_registry.names(args.dfsim) if args.dataflow == "all"
                     else [args.dataflow])
    except InputError as e:
        sys.exit(f"bench_search: error: {e} (name one with --dataflow)")
    objectives = ["energy", "edp"] if args.objective == "both" else [args.objective]
    tilings = ["ragged", "perfect"] if args.tiling == "both" else [args.tiling]

    print(f"{'tiling':8} {'objective':9} {'dataflow':8} {'candidates':>11} {'search_s':>9} "
          f"{'M cand/s':>9} {'peak_MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for tiling in tilings:
            for objective in objectives:
                for df in dataflows:
                    out_dir = os.path.join(tmp, f"{tiling}-{objective}-{df}")
                    code, err, rss_kib = run_one(args.dfsim, args.root, args, df, objective,
                                                 tiling, out_dir)
                    if code != 0:
                        print(f"{tiling:8} {objective:9} {df:8} FAILED (exit {code}): "
                              f"{err.strip()}")
                        sys.exit(1)
                    with open(os.path.join(out_dir, "timing.json"), encoding="utf-8") as f:
                        jobs = json.load(f)["jobs"]
                    searched = [j["search"] for j in jobs if "search" in j]
                    tried = sum(s["tried"] for s in searched)
                    seconds = sum(s["seconds"] for s in searched)
                    rate = tried / seconds / 1e6 if seconds > 0 else float("nan")
                    print(f"{tiling:8} {objective:9} {df:8} {tried:11,d} {seconds:9.2f} "
                          f"{rate:9.2f} {rss_kib / 1024:9.1f}", flush=True)


if __name__ == "__main__":
    main()
