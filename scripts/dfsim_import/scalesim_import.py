"""SCALE-Sim topology CSV -> dfsim network JSON.

Two forms, told apart by the header line (SCALE-Sim skips the first line; so do we, after
checking it):

  Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
  Layer, M, N, K,

Conv rows: SCALE-Sim has no padding (the IFMAP is the padded input) and computes the output size
rounded *up*, ceil((IFMAP - Filter + Stride) / Stride). dfsim rounds down, so where the two
differ (AlexNet's Conv1: 224, 11, stride 4 gives 55 in SCALE-Sim, 54 rounded down) the layer is
written with the smallest input that gives SCALE-Sim's output size (227) and a note: the MACs
then equal SCALE-Sim's. `--round-down` keeps the CSV's input size and rounds down instead.
A row whose filter covers the whole IFMAP is an FC layer (type fc, in_shape [C, H, W]). A row
whose name contains "DP" is depthwise, as in SCALE-Sim: every channel is its own group with
Num Filter filters (groups = Channels, M = Channels * Num Filter). An optional ninth value is
the column stride; dfsim has one stride, so it must equal the row stride (or not matter).

GEMM rows (M, N, K): an M x K by K x N product, written as a 1x1 convolution with C = K input
channels, M = N filters over an M x 1 input, which has the same MACs (M*N*K) and weights (K*N)
and keeps --batch meaningful.

Values may be padded with spaces; a trailing comma and a trailing comment field starting with
"#" (SCALE-Sim's own files use "#dw") are ignored; blank lines are skipped.
"""

import argparse
import math
import os
import re

from .common import (InputError, conv_layer, conv_output_size, fc_layer, network_document,
                     network_json, run_main, unique_name, write_text)

PROG = "import_scalesim"

CONV_COLUMNS = ["IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides"]
GEMM_COLUMNS = ["M", "N", "K"]
CONV_HEADER = "Layer name, " + ", ".join(CONV_COLUMNS) + ","
GEMM_HEADER = "Layer, M, N, K,"


def _fields(line):
    fields = [f.strip() for f in line.split(",")]
    while fields and (fields[-1] == "" or fields[-1].startswith("#")):
        fields.pop()
    return fields


def _form(path, header):
    cols = [c.lower() for c in _fields(header)]
    if len(cols) >= 4 and cols[0] in ("layer", "layer name") and cols[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(cols) >= 8 and cols[0].startswith("layer") and cols[1].startswith("ifmap"):
        return "conv"
    raise InputError(path, f"line 1: expected a SCALE-Sim topology header, '{CONV_HEADER}' or "
                           f"'{GEMM_HEADER}', got '{header.strip()}'")


def _ints(path, lineno, names, values):
    out = []
    for name, text in zip(names, values):
        if not re.fullmatch(r"\+?[0-9]+", text) or int(text) < 1:
            raise InputError(path, f"line {lineno}: {name}: expected a positive integer, got "
                                   f"'{text}'")
        out.append(int(text))
    return out


def _conv_row(path, lineno, name, values, round_down):
    if len(values) not in (7, 8):
        raise InputError(path, f"line {lineno}: expected a name and 7 or 8 values ("
                               f"{', '.join(CONV_COLUMNS)}[, column stride]), got "
                               f"{len(values)} values")
    h, w, r, s, c, m, stride = _ints(path, lineno, CONV_COLUMNS, values[:7])
    stride_w = _ints(path, lineno, ["column stride"], values[7:])[0] if len(values) == 8 else stride
    if r > h or s > w:
        raise InputError(path, f"line {lineno}: the {r}x{s} filter is larger than the {h}x{w} "
                               "IFMAP")
    depthwise = "DP" in name
    groups = c if depthwise else 1
    m_total = c * m if depthwise else m
    if r == h and s == w and not depthwise:
        return fc_layer(path, name, c * h * w, m, [c, h, w])
    # SCALE-Sim's output size rounds up.
    p = math.ceil((h - r + stride) / stride)
    q = math.ceil((w - s + stride_w) / stride_w)
    if stride_w != stride:
        if q == 1 and conv_output_size(w, s, stride, 0) == 1:
            stride_w = stride
        elif p == 1 and conv_output_size(h, r, stride_w, 0) == 1:
            stride = stride_w
        else:
            raise InputError(path, f"line {lineno}: row stride {stride} and column stride "
                                   f"{stride_w} differ; dfsim has one stride for both axes")
    notes = None
    if not round_down and (conv_output_size(h, r, stride, 0) != p or
                           conv_output_size(w, s, stride, 0) != q):
        h2, w2 = (p - 1) * stride + r, (q - 1) * stride + s
        notes = (f"SCALE-Sim rounds the output up: {h}x{w} IFMAP, {r}x{s} filter, stride "
                 f"{stride} give {p}x{q}; written as the {h2}x{w2} input that gives {p}x{q} with "
                 "dfsim's rounding down, so that the MACs equal SCALE-Sim's")
        h, w = h2, w2
    return conv_layer(path, name, c, m_total, h, w, r, s, stride, 0, groups, notes=notes)


def _gemm_row(path, lineno, name, values):
    if len(values) != 3:
        raise InputError(path, f"line {lineno}: expected a name and 3 values (M, N, K), got "
                               f"{len(values)} values")
    rows, n, k = _ints(path, lineno, GEMM_COLUMNS, values)
    return conv_layer(path, name, k, n, rows, 1, 1, 1,
                      notes=f"GEMM M={rows}, N={n}, K={k}: a 1x1 convolution with C=K, M=N over "
                            "an Mx1 input")


def convert(path, name=None, round_down=False):
    try:
        with open(path, newline="") as f:
            text = f.read()
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except UnicodeDecodeError:
        raise InputError(path, "not a text file (expected a SCALE-Sim topology CSV)")
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise InputError(path, f"empty file; expected a header '{CONV_HEADER}' or "
                               f"'{GEMM_HEADER}' and one row per layer")
    form = _form(path, lines[first])
    layers, used = [], set()
    for lineno, line in enumerate(lines[first + 1:], start=first + 2):
        if not line.strip():
            continue
        fields = _fields(line)
        if not fields or not fields[0]:
            raise InputError(path, f"line {lineno}: expected a layer name in the first column")
        if form == "conv":
            layer = _conv_row(path, lineno, fields[0], fields[1:], round_down)
        else:
            layer = _gemm_row(path, lineno, fields[0], fields[1:])
        layer["name"] = unique_name(fields[0], used)
        layers.append(layer)
    if not layers:
        raise InputError(path, "no layer rows after the header")
    stem = os.path.splitext(os.path.basename(path))[0]
    notes = (f"Imported by scripts/import_scalesim from {os.path.basename(path)} (SCALE-Sim "
             f"{'GEMM' if form == 'gemm' else 'conv'} topology). SCALE-Sim has no padding: "
             "input sizes are the IFMAP sizes of the file.")
    return network_document(name or stem, layers, batch=1, notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a SCALE-Sim topology CSV (conv form or GEMM M,N,K form) into a "
                    "dfsim network JSON (on stdout).",
        epilog="headers:\n  " + CONV_HEADER + "\n  " + GEMM_HEADER + "\n"
               "example:\n  import_scalesim topologies/conv_nets/alexnet.csv > alexnet_ss.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topology", help="the SCALE-Sim topology .csv file")
    parser.add_argument("--name", help="network name (default: the file name without .csv)")
    parser.add_argument("--round-down", action="store_true",
                        help="keep the CSV's IFMAP sizes and round output sizes down (dfsim's "
                             "rule) instead of reproducing SCALE-Sim's rounded-up outputs")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    doc = convert(args.topology, args.name, args.round_down)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
