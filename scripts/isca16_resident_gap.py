"""What paper mode's named difference [resident] is worth in energy (not a test, a diagnostic).

A tile none of whose loops above a level iterates stays there in dfsim; the ISCA 2016 framework's
formulas reload it once per pass of the loops outside (docs/design/paper_mode.md, [resident]).
For every paper-mode row of RS, OS_C and NLR in a results folder of scripts/compare --rules
isca16, this recomputes the DRAM reads the framework's formulas charge for the row's own
mapping variables where dfsim keeps the tile (the DRAM terms of tests/isca16_oracle_test.cpp's
expectations, restated here from docs/design/isca16_framework.md), prices them at the run's DRAM
cost per word and prints, per run, that extra energy as a share of the run's energy.

Usage: scripts/isca16_resident_gap [--results DIR]
  DIR: a paper-mode results folder (default results/alexnet/paper_pe256); each run's layers and
  DRAM cost come from its own config.json.
"""

import argparse
import glob
import json
import os
import sys


def cdiv(a, b):
    return -(-a // b)


def framework_dims(layer, batch):
    """The layer in the framework's symbols (per group; H, W padded)."""
    if layer["type"] == "fc":
        c, h, w = layer.get("in_shape", [layer["in_features"], 1, 1])
        return dict(N=batch, C=c, M=layer["out_features"], H=h, W=w, R=h, S=w, E=1, F=1, U=1,
                    G=1)
    g = layer.get("groups", 1)
    pad = layer.get("padding", 0)  # n, [rows, cols] or [top, bottom, left, right]
    if isinstance(pad, int):
        pad = [pad, pad, pad, pad]
    elif len(pad) == 2:
        pad = [pad[0], pad[0], pad[1], pad[1]]
    stride = layer.get("stride", 1)
    rows_stride = stride if isinstance(stride, int) else stride[0]
    return dict(N=batch, C=layer["C"] // g, M=layer["M"] // g, H=layer["H"] + pad[0] + pad[1],
                W=layer["W"] + pad[2] + pad[3], R=layer["R"], S=layer["S"], E=layer["P"],
                F=layer["Q"], U=rows_stride, G=g)


def strip_cols(f_out, f, u, s):
    """[strips]: the input columns k = ceil(F/f) strips of f output columns fetch."""
    k = cdiv(f_out, f)
    return u * (f_out - k) + k * s


def resident_words(dataflow, x, v):
    """DRAM words the framework reads beyond dfsim for one layer, where [resident] applies."""
    n_w = x["G"] * x["M"] * x["C"] * x["R"] * x["S"]
    if dataflow == "rs":
        passes_c = cdiv(x["C"], v["q"] * v["r"])
        passes_m = cdiv(x["M"], v["p"] * v["t"])
        strips = cdiv(x["F"], v["f"])
        inputs = x["G"] * x["N"] * x["C"] * x["H"] * strip_cols(x["F"], v["f"], x["U"], x["S"])
        extra = 0
        if strips == 1 and passes_c == 1:
            extra += inputs * (cdiv(x["M"], v["m"]) - 1)
        if passes_m == 1 and passes_c == 1:
            extra += n_w * (cdiv(x["N"], v["n"]) * strips - 1)
        return extra
    if dataflow == "os_c":
        windows = x["G"] * x["N"] * x["C"] * x["E"] * x["F"] * x["R"] * x["S"]
        if cdiv(x["N"], v["n"]) * x["E"] * x["F"] == 1:
            return windows * (cdiv(x["M"], v["m"]) - 1)
        return 0
    if dataflow == "nlr":
        ke, kf = cdiv(x["E"], v["e"]), cdiv(x["F"], v["f"])
        extra = 0
        if cdiv(x["N"], v["n"]) * ke * kf * cdiv(x["C"], v["q"]) == 1:
            inputs = (x["G"] * x["N"] * x["C"] * strip_cols(x["E"], v["e"], x["U"], x["R"]) *
                      strip_cols(x["F"], v["f"], x["U"], x["S"]))
            extra += inputs * (cdiv(x["M"], v["m"]) - 1)
        if cdiv(x["M"], v["m"]) * cdiv(x["C"], v["q"]) == 1:
            extra += n_w * (cdiv(x["N"], v["n"]) * ke * kf - 1)
        return extra
    return 0


def run_gap(stats, layers, dram_cost):
    """(extra energy, run energy) of one run's stats.json under the framework's reloads."""
    extra = 0.0
    total = 0.0
    for row in stats["layers"]:
        if not row["macs"]:
            continue
        variables = row["mapper"].get("variables")
        if variables is None:
            raise SystemExit(f"isca16_resident_gap: {row['name']}: not a paper-mode row")
        x = framework_dims(layers[row["name"]], row["batch"])
        extra += dram_cost * resident_words(row["dataflow"], x, variables)
        total += row["energy"]["total"]
    return extra, total


def results_gaps(results):
    """[(run name, extra energy / run energy)] of every RS, OS_C and NLR run (with mapped
    layers) under `results`/raw, in name order."""
    out = []
    for path in sorted(glob.glob(os.path.join(results, "raw", "*", "stats.json"))):
        name = os.path.basename(os.path.dirname(path))
        if name.split("-")[0] not in ("rs", "os_c", "nlr"):
            continue
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
        with open(os.path.join(os.path.dirname(path), "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        layers = {l["name"]: l for l in config["network"]["layers"]}
        energy = config["energy"]
        dram = energy["dram"] if "dram" in energy else energy["levels"]["dram"]
        extra, total = run_gap(stats, layers, dram["read"])
        if total > 0:
            out.append((name, extra / total))
    return out


def main(argv):
    ap = argparse.ArgumentParser(prog="isca16_resident_gap", description=__doc__.split("\n")[0])
    ap.add_argument("--results", default="results/alexnet/paper_pe256")
    args = ap.parse_args(argv)
    gaps = results_gaps(args.results)
    if not gaps:
        raise SystemExit(f"isca16_resident_gap: {args.results}/raw/*/stats.json: no RS, OS_C or "
                         "NLR runs")
    print(f"{'run':<16} {'framework extra':>15}  (DRAM reloads of tiles dfsim keeps, share of "
          "the run's energy)")
    for name, share in gaps:
        print(f"{name:<16} {100 * share:>14.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
