"""Timeloop / Accelergy problem YAML (one layer per file) -> dfsim network JSON.

A Timeloop problem file describes one layer:

  problem:
    shape: {name: CNN-Layer, ...}        # or `shape: cnn-layer` in older files
    instance: {C: 256, M: 384, R: 3, S: 3, N: 1, P: 13, Q: 13, Hstride: 1, Wstride: 1, ...}

Older files put the dimensions directly under `problem:`. Each file becomes one layer named
after the file (AlexNet_layer3.yaml -> AlexNet_layer3), in the order given; a directory stands
for its *.yaml files in natural order (layer2 before layer10).

Dimensions: C, M, R, S, P, Q required; N (1), G (1: grouped convolution, C and M per group as in
Timeloop's grouped shape), Hstride, Wstride (1), Hdilation, Wdilation (1, anything else is an
error: dfsim has no dilation). Timeloop has no padding: the input is the smallest one that gives
P x Q, (P-1)*stride + R by (Q-1)*stride + S. In Timeloop's CNN-Layer shape, R and P go with
Wstride and S and Q with Hstride; dfsim has one stride, so the two must agree (or not matter,
when that axis has one output). A layer whose outputs are 1x1 has its filter covering the whole
input: it is written as an FC layer (in_shape [C, R, S]). A depthwise shape (its name contains
"depthwise" or "dw", no M) has groups = C = M. `densities` (Timeloop's sparse extension) are not
modelled and are refused.
"""

import argparse
import os
import re

from .common import (InputError, conv_layer, fc_layer, load_yaml, network_document,
                     network_json, run_main, unique_name, write_text)

PROG = "import_timeloop"
DIMS = ["C", "M", "R", "S", "N", "P", "Q", "G", "Hstride", "Wstride", "Hdilation", "Wdilation"]


def _natural(s):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def expand(paths):
    """Files in the order given; a directory becomes its *.yaml / *.yml files, naturally sorted."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            files = sorted((f for f in os.listdir(p) if f.endswith((".yaml", ".yml"))),
                           key=_natural)
            if not files:
                raise InputError(p, "directory has no .yaml files")
            out += [os.path.join(p, f) for f in files]
        else:
            out.append(p)
    return out


def read_layer(path):
    """(name, dims, shape name) from one problem file."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("problem"), dict):
        raise InputError(path, "expected a Timeloop problem: a mapping with a 'problem' key "
                               "holding 'instance' (C, M, R, S, N, P, Q, Hstride, Wstride...)")
    problem = doc["problem"]
    shape = problem.get("shape", "cnn-layer")
    shape_name = shape.get("name", "") if isinstance(shape, dict) else str(shape)
    if "instance" in problem:
        dims = problem["instance"]
        where = "problem.instance"
    else:
        dims = {k: v for k, v in problem.items() if k not in ("shape", "version")}
        where = "problem"
    if not isinstance(dims, dict):
        raise InputError(path, f"{where}: expected a mapping of dimensions, got {dims!r}")
    if "densities" in dims:
        raise InputError(path, f"{where}.densities: sparse densities are not modelled by dfsim "
                               "(remove them to simulate the dense layer)")
    unknown = sorted(k for k in dims if k not in DIMS)
    if unknown:
        raise InputError(path, f"{where}.{unknown[0]}: unknown dimension; valid: "
                               f"{', '.join(sorted(DIMS))}")
    depthwise = bool(re.search(r"depthwise|(^|[^a-z])dw", shape_name.lower()))
    required = ["C", "R", "S", "P", "Q"] + ([] if depthwise else ["M"])
    for k in required:
        if k not in dims:
            raise InputError(path, f"{where}.{k}: missing required dimension (expected a "
                                   "positive integer)")
    values = {}
    for k in DIMS:
        v = dims.get(k, 1)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(path, f"{where}.{k}: expected a positive integer, got {v!r}")
        values[k] = v
    if depthwise and "M" not in dims:
        values["M"] = 1
    return os.path.splitext(os.path.basename(path))[0], values, shape_name, depthwise, where


def to_layer(path, name, d, depthwise, where):
    if d["Hdilation"] != 1 or d["Wdilation"] != 1:
        raise InputError(path, f"{where}: dilation (Hdilation {d['Hdilation']}, Wdilation "
                               f"{d['Wdilation']}) is not supported: dfsim has no dilation")
    g = d["G"]
    if depthwise:
        c = m = d["C"] * g
        groups = c
    else:
        c, m, groups = d["C"] * g, d["M"] * g, g
    r, s, p, q = d["R"], d["S"], d["P"], d["Q"]
    # Timeloop's CNN-Layer: R and P along W (Wstride), S and Q along H (Hstride).
    stride_rp, stride_sq = d["Wstride"], d["Hstride"]
    if stride_rp != stride_sq:
        if p == 1:
            stride_rp = stride_sq
        elif q == 1:
            stride_sq = stride_rp
        else:
            raise InputError(path, f"{where}: Hstride {d['Hstride']} and Wstride {d['Wstride']} "
                                   "differ; dfsim has one stride for both axes")
    stride = stride_rp
    n = d["N"]
    if p == 1 and q == 1 and groups == 1:
        return fc_layer(path, name, c * r * s, m, [c, r, s], N=n)
    h, w = (p - 1) * stride + r, (q - 1) * stride + s
    return conv_layer(path, name, c, m, h, w, r, s, stride, 0, groups, N=n)


def _network_name(stems):
    prefix = os.path.commonprefix(stems) if len(stems) > 1 else stems[0]
    prefix = re.sub(r"[_\-. ]*(layer|conv|l)?[_\-. ]*$", "", prefix, flags=re.I)
    return prefix or "timeloop"


def convert(paths, name=None):
    files = expand(paths)
    layers, used, stems = [], set(), []
    for path in files:
        stem, dims, _, depthwise, where = read_layer(path)
        layer = to_layer(path, stem, dims, depthwise, where)
        layer["name"] = unique_name(stem, used)
        stems.append(stem)
        layers.append(layer)
    batch = layers[0].pop("N")
    for layer in layers[1:]:
        if layer.get("N") == batch:
            del layer["N"]
    notes = ("Imported by scripts/import_timeloop from Timeloop problem files ("
             + ", ".join(os.path.basename(f) for f in files[:4])
             + (", ..." if len(files) > 4 else "")
             + "). Timeloop has no padding: each input is the smallest that gives the layer's "
               "P x Q outputs.")
    return network_document(name or _network_name(stems), layers, batch=batch, notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert Timeloop/Accelergy problem YAML files (one layer each) into one "
                    "dfsim network JSON (on stdout), layers in the order given.",
        epilog="examples:\n"
               "  import_timeloop layer_shapes/AlexNet/ --name alexnet > alexnet_tl.json\n"
               "  import_timeloop AlexNet_layer1.yaml AlexNet_layer2.yaml > two_layers.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problems", nargs="+",
                        help="problem .yaml files, or directories of them (natural order)")
    parser.add_argument("--name", help="network name (default: the files' common prefix)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    doc = convert(args.problems, args.name)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
