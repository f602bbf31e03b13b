"""Per-layer wall time, simulated cycles per second and peak memory of dfsim runs.

Each layer x dataflow runs in its own process so that its peak memory (max RSS, from
wait4 of the finished child) and its wall time are its own.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from dfsim_import import dataflows as dataflow_registry
from dfsim_import.common import InputError


def layer_names(network_path):
    with open(network_path, encoding="utf-8") as f:
        net = json.load(f)
    return [l["name"] for l in net["layers"] if l.get("type") in ("conv", "fc")]


def run_one(dfsim, root, args, dataflow, layer, out_dir):
    """Runs one dfsim process; returns (exit code, stderr, wall seconds, its own peak RSS KiB)."""
    cmd = [dfsim, "run", "--arch", args.arch, "--network", args.network, "--dataflow", dataflow,
           "--layer", layer, "--fast" if args.fast else "--check", "--quiet", "--out", out_dir]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    if args.search:
        cmd.append("--search")
    if args.tiling:
        cmd += ["--tiling", args.tiling]
    for assignment in args.set or []:
        cmd += ["--set", assignment]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
    err = proc.stderr.read()
    proc.stderr.close()
    # wait4 reaps this child and gives its own resource usage (ru_maxrss in KiB).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err.decode(), wall, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dfsim", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--arch", default="configs/arch/eyeriss.json")
    ap.add_argument("--network", default="models/alexnet.json")
    ap.add_argument("--dataflow", default="all")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--fast", action="store_true",
                    help="run in --fast mode (counts and cycles, no values) instead of --check")
    ap.add_argument("--search", action="store_true",
                    help="searched mappings (--search) instead of the default ones")
    ap.add_argument("--tiling", choices=["ragged", "perfect"],
                    help="the mappers' tilings (dfsim run --tiling; default: dfsim's, ragged)")
    ap.add_argument("--set", action="append", metavar="PATH=VALUE",
                    help="passed to every dfsim run (repeatable), e.g. "
                         "arch.glb.halo_reuse=false")
    args = ap.parse_args()
    try:
        dataflows = (dataflow_registry.names(args.dfsim) if args.dataflow == "all"
                     else [args.dataflow])
    except InputError as e:
        sys.exit(f"bench: error: {e} (name one with --dataflow)")
    layers = layer_names(os.path.join(args.root, args.network))

    print(f"{'dataflow':8} {'layer':8} {'wall_s':>8} {'cycles':>14} {'cycles/s':>12} "
          f"{'PE-cycles/s':>14} {'peak_MiB':>9}")
    total_wall = 0.0
    total_cycles = 0
    total_pe_cycles = 0
    peak_kib = 0
    with tempfile.TemporaryDirectory() as tmp:
        for df in dataflows:
            for layer in layers:
                out_dir = os.path.join(tmp, f"{df}-{layer}")
                code, err, wall, rss_kib = run_one(args.dfsim, args.root, args, df, layer,
                                                   out_dir)
                if code != 0:
                    print(f"{df:8} {layer:8} FAILED (exit {code}): {err.strip()}")
                    sys.exit(1)
                with open(os.path.join(out_dir, "stats.json"), encoding="utf-8") as f:
                    stats = json.load(f)
                cycles = sum(l["cycles"]["total"] for l in stats["layers"])
                # The array's PEs x its cycles: the work of a simulator that steps every PE
                # every cycle.
                pe_cycles = sum(l["cycles"]["total"] * l["total_pes"] for l in stats["layers"])
                peak_kib = max(peak_kib, rss_kib)
                total_wall += wall
                total_cycles += cycles
                total_pe_cycles += pe_cycles
                print(f"{df:8} {layer:8} {wall:8.2f} {cycles:14,d} {cycles / wall:12,.0f} "
                      f"{pe_cycles / wall:14,.0f} {rss_kib / 1024:9.1f}", flush=True)
    print(f"{'TOTAL':8} {'':8} {total_wall:8.2f} {total_cycles:14,d} "
          f"{total_cycles / total_wall:12,.0f} {total_pe_cycles / total_wall:14,.0f} "
          f"{peak_kib / 1024:9.1f}")


if __name__ == "__main__":
    main()
