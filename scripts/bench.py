"""Per-layer wall time, simulated cycles per second and peak memory of dfsim runs.

Each layer x dataflow runs in its own process so that its peak memory (max RSS, from
getrusage of the finished child) and its wall time are its own.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

DATAFLOWS = ["ws", "os_a", "os_b", "os_c", "nlr", "rs"]


def layer_names(network_path):
    with open(network_path, encoding="utf-8") as f:
        net = json.load(f)
    return [l["name"] for l in net["layers"] if l.get("type") in ("conv", "fc")]


def run_one(dfsim, root, arch, network, dataflow, layer, batch, out_dir):
    cmd = [dfsim, "run", "--arch", arch, "--network", network, "--dataflow", dataflow,
           "--layer", layer, "--check", "--quiet", "--out", out_dir]
    if batch:
        cmd += ["--batch", str(batch)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
    _, err = proc.communicate()
    wall = time.monotonic() - start
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; wait4 gives this child's own.
    return proc.returncode, err.decode(), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dfsim", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--arch", default="configs/arch/eyeriss.json")
    ap.add_argument("--network", default="models/alexnet.json")
    ap.add_argument("--dataflow", default="all")
    ap.add_argument("--batch", type=int, default=0)
    args = ap.parse_args()
    dataflows = DATAFLOWS if args.dataflow == "all" else [args.dataflow]
    layers = layer_names(os.path.join(args.root, args.network))

    print(f"{'dataflow':8} {'layer':8} {'wall_s':>8} {'cycles':>14} {'cycles/s':>12} "
          f"{'peak_MiB':>9}")
    total_wall = 0.0
    total_cycles = 0
    peak_kib = 0
    with tempfile.TemporaryDirectory() as tmp:
        for df in dataflows:
            for layer in layers:
                out_dir = os.path.join(tmp, f"{df}-{layer}")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                code, err, wall = run_one(args.dfsim, args.root, args.arch, args.network, df,
                                          layer, args.batch, out_dir)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if code != 0:
                    print(f"{df:8} {layer:8} FAILED (exit {code}): {err.strip()}")
                    sys.exit(1)
                with open(os.path.join(out_dir, "stats.json"), encoding="utf-8") as f:
                    stats = json.load(f)
                cycles = sum(l["cycles"]["total"] for l in stats["layers"])
                # Peak RSS of this child: RUSAGE_CHILDREN reports the maximum over all children,
                # so it only grows; it is exact whenever this child set a new maximum.
                rss_kib = max(after.ru_maxrss, before.ru_maxrss)
                peak_kib = max(peak_kib, rss_kib)
                total_wall += wall
                total_cycles += cycles
                print(f"{df:8} {layer:8} {wall:8.2f} {cycles:14,d} {cycles / wall:12,.0f} "
                      f"{rss_kib / 1024:9.1f}", flush=True)
    print(f"{'TOTAL':8} {'':8} {total_wall:8.2f} {total_cycles:14,d} "
          f"{total_cycles / total_wall:12,.0f} {peak_kib / 1024:9.1f}")


if __name__ == "__main__":
    main()
