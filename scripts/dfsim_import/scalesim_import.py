"""SCALE-Sim topology CSV -> dfsim network JSON; SCALE-Sim config (.cfg) -> dfsim arch JSON.

Topologies are read as SCALE-Sim v2's loader reads them (checked against its topology_utils at
the commit of shared/peer-files), so that every file SCALE-Sim loads imports with SCALE-Sim's
MAC count and every file it fails on is refused saying why:

- Line 1 is the header and is skipped (a UTF-8 byte-order mark or odd capitalisation there
  does not matter). Its columns only choose the form when `--form` is not given: a header whose
  second to fourth columns are M, N, K is the GEMM form, one whose second column starts with
  "ifmap" the conv form (case-insensitive).
- Every later line is stripped of spaces; an empty one is skipped. The line is split at commas
  and its LAST field is dropped (rows end with a comma; a trailing "#dw" comment is dropped that
  way), so a row without a trailing comma loses its last value.
- Conv rows: the name, then IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides and an optional column stride (the row stride when absent). Every field
  after the name must be an integer (SCALE-Sim reads them all; values after the ninth are
  ignored). A filter larger than the IFMAP is refused, as SCALE-Sim asserts.
- GEMM rows: the name, M, N, K (further fields are not read).

Conv rows: SCALE-Sim has no padding (the IFMAP is the padded input) and computes the output size
rounded *up*, ceil((IFMAP - Filter + Stride) / Stride). dfsim rounds down, so where the two
differ (AlexNet's Conv1: 224, 11, stride 4 gives 55 in SCALE-Sim, 54 rounded down) the layer is
written with the smallest input that gives SCALE-Sim's output size (227) and a note: the MACs
then equal SCALE-Sim's. `--round-down` keeps the CSV's input size and rounds down instead.
A row whose filter covers the whole IFMAP is an FC layer (type fc, in_shape [C, H, W]). A row
whose name contains "DP" is depthwise, as in SCALE-Sim: every channel is its own group with
Num Filter filters (groups = Channels, M = Channels * Num Filter). dfsim has one stride, so the
column stride must equal the row stride (or not matter). A row without a name (SCALE-Sim
accepts one) is named after its line (`line7`).

GEMM rows (M, N, K): an M x K by K x N product, written as a 1x1 convolution with C = K input
channels, M = N filters over an M x 1 input, which has the same MACs (M*N*K) and weights (K*N)
and keeps --batch meaningful.

A `.cfg` (SCALE-Sim's INI config: [general] run_name, [architecture_presets] ArrayHeight,
ArrayWidth, IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow, Bandwidth, [run_presets]
InterfaceBandwidth) becomes a dfsim arch: see config_to_arch.
"""

import argparse
import io
import json
import math
import os

from .common import (InputError, conv_layer, conv_output_size, fc_layer, network_document,
                     network_json, read_text, run_main, unique_name, write_text)

PROG = "import_scalesim"

CONV_COLUMNS = ["IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides"]
GEMM_COLUMNS = ["M", "N", "K"]
CONV_HEADER = "Layer name, " + ", ".join(CONV_COLUMNS) + ","
GEMM_HEADER = "Layer, M, N, K,"


def _header_form(path, header):
    """'conv' or 'gemm' from the header's columns (BOM, spaces and case ignored)."""
    cols = [c.strip().lower() for c in header.lstrip("\ufeff").strip().split(",")]
    if len(cols) >= 4 and cols[0].startswith("layer") and cols[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(cols) >= 8 and cols[0].startswith("layer") and cols[1].startswith("ifmap"):
        return "conv"
    tabs = " (the file is tab-separated; SCALE-Sim splits at commas)" if "\t" in header else ""
    raise InputError(path, f"line 1: expected a SCALE-Sim topology header, '{CONV_HEADER}' or "
                           f"'{GEMM_HEADER}' (or --form conv|gemm), got '{header.strip()}'"
                           f"{tabs}")


def _ints(path, lineno, names, values):
    """The integers SCALE-Sim reads (int() of each stripped field), checked positive."""
    out = []
    for name, text in zip(names, values):
        text = text.strip()
        try:
            value = int(text)
        except ValueError:
            raise InputError(path, f"line {lineno}: {name}: expected an integer (SCALE-Sim reads "
                                   f"every field after the name as one, and fails on this "
                                   f"row), got '{text}'")
        if value < 1:
            raise InputError(path, f"line {lineno}: {name}: expected a positive integer, got "
                                   f"'{text}'")
        out.append(value)
    return out


def _dropped(row):
    """What to say when a row is too short: its last value was dropped if it has no trailing
    comma."""
    if row.endswith(","):
        return ""
    return (" (SCALE-Sim drops the last comma-separated field of every row, here "
            f"'{row.split(',')[-1].strip()}': end the row with a comma)")


def _conv_row(path, lineno, name, values, row, round_down):
    names = CONV_COLUMNS + ["column stride"] + [f"field {i + 10}" for i in range(len(values))]
    ints = _ints(path, lineno, names, values)
    if len(ints) < 7:
        raise InputError(path, f"line {lineno}: expected a name and 7 or 8 values ("
                               f"{', '.join(CONV_COLUMNS)}[, column stride]), got "
                               f"{len(ints)} values{_dropped(row)}")
    h, w, r, s, c, m, stride = ints[:7]
    stride_w = ints[7] if len(ints) > 7 else stride
    notes = []
    if len(ints) > 8:
        notes.append(f"values after the column stride ({', '.join(map(str, ints[8:]))}) ignored, "
                     "as SCALE-Sim ignores them")
    if r > h or s > w:
        raise InputError(path, f"line {lineno}: the {r}x{s} filter is larger than the {h}x{w} "
                               "IFMAP")
    depthwise = "DP" in name
    groups = c if depthwise else 1
    m_total = c * m if depthwise else m
    if r == h and s == w and not depthwise:
        return fc_layer(path, name, c * h * w, m, [c, h, w], notes="; ".join(notes) or None)
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
    if not round_down and (conv_output_size(h, r, stride, 0) != p or
                           conv_output_size(w, s, stride, 0) != q):
        h2, w2 = (p - 1) * stride + r, (q - 1) * stride + s
        notes.append(f"SCALE-Sim rounds the output up: {h}x{w} IFMAP, {r}x{s} filter, stride "
                     f"{stride} give {p}x{q}; written as the {h2}x{w2} input that gives {p}x{q} "
                     "with dfsim's rounding down, so that the MACs equal SCALE-Sim's")
        h, w = h2, w2
    return conv_layer(path, name, c, m_total, h, w, r, s, stride, 0, groups,
                      notes="; ".join(notes) or None)


def _gemm_row(path, lineno, name, values, row):
    if len(values) < 3:
        raise InputError(path, f"line {lineno}: expected a name and 3 values (M, N, K), got "
                               f"{len(values)} values{_dropped(row)}")
    rows, n, k = _ints(path, lineno, GEMM_COLUMNS, values[:3])
    return conv_layer(path, name, k, n, rows, 1, 1, 1,
                      notes=f"GEMM M={rows}, N={n}, K={k}: a 1x1 convolution with C=K, M=N over "
                            "an Mx1 input")


def _read(path, what):
    return read_text(path, what)


def convert(path, name=None, round_down=False, form=None):
    text = _read(path, "a SCALE-Sim topology CSV")
    lines = io.StringIO(text, newline=None).read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not "".join(lines).strip():
        raise InputError(path, f"empty file; expected a header '{CONV_HEADER}' or "
                               f"'{GEMM_HEADER}' and one row per layer")
    form = form or _header_form(path, lines[0])
    layers, used = [], set()
    for lineno, line in enumerate(lines[1:], start=2):
        row = line.strip()
        if not row:
            continue
        fields = row.split(",")[:-1]
        if not fields:
            tabs = "; the file is tab-separated and SCALE-Sim splits at commas" \
                if "\t" in row else ""
            raise InputError(path, f"line {lineno}: no value left after SCALE-Sim drops the last "
                                   f"comma-separated field (expected a name and the values, "
                                   f"each followed by a comma{tabs})")
        layer_name = fields[0].strip()
        if form == "conv":
            layer = _conv_row(path, lineno, layer_name, fields[1:], row, round_down)
        else:
            layer = _gemm_row(path, lineno, layer_name, fields[1:], row)
        if not layer_name:
            layer_name = f"line{lineno}"
            extra = "the row has no name (SCALE-Sim accepts that): named after its line"
            layer["notes"] = f"{layer['notes']}; {extra}" if "notes" in layer else extra
        layer["name"] = unique_name(layer_name, used)
        layers.append(layer)
    if not layers:
        raise InputError(path, "no layer rows after the header")
    stem = os.path.splitext(os.path.basename(path))[0]
    notes = (f"Imported by scripts/import_scalesim from {os.path.basename(path)} (SCALE-Sim "
             f"{'GEMM' if form == 'gemm' else 'conv'} topology). SCALE-Sim has no padding: "
             "input sizes are the IFMAP sizes of the file.")
    return network_document(name or stem, layers, batch=1, notes=notes)


# --- the config ----------------------------------------------------------------------------------

CFG_KEYS = [("general", "run_name"), ("run_presets", "InterfaceBandwidth"),
            ("architecture_presets", "ArrayHeight"), ("architecture_presets", "ArrayWidth"),
            ("architecture_presets", "IfmapSramSzkB"), ("architecture_presets", "FilterSramSzkB"),
            ("architecture_presets", "OfmapSramSzkB"), ("architecture_presets", "Dataflow")]
DATAFLOWS = {"ws": "weight stationary: dfsim's ws",
             "os": "output stationary: dfsim's os_b (output channels over rows, pixels over "
                   "columns) is the closest",
             "is": "input stationary: dfsim has no input-stationary dataflow"}


def _cfg_int(path, cfg, section, key, positive=True):
    text = cfg.get(section, key).strip()
    try:
        value = int(text)
    except ValueError:
        raise InputError(path, f"[{section}] {key}: expected an integer, got '{text}'")
    if value < (1 if positive else 0):
        raise InputError(path, f"[{section}] {key}: expected a positive integer, got {value}")
    return value


def config_to_arch(path, name=None, clock_mhz=1000.0, word_bits=8):
    """A SCALE-Sim .cfg as a dfsim arch document (an ordered dict). SCALE-Sim's words are one
    byte; with another `word_bits` the SRAM sizes and the DRAM bandwidth are scaled so that
    they hold and move the same number of words."""
    scale = word_bits / 8
    import configparser
    text = _read(path, "a SCALE-Sim .cfg")
    cfg = configparser.ConfigParser()
    try:
        cfg.read_string(text, source=path)
    except configparser.Error as e:
        raise InputError(path, f"not a SCALE-Sim config (INI syntax): {' '.join(str(e).split())}")
    for section, key in CFG_KEYS:
        if not cfg.has_option(section, key):
            raise InputError(path, f"[{section}] {key}: missing (SCALE-Sim reads it)")
    mode = cfg.get("run_presets", "InterfaceBandwidth").strip()
    if mode not in ("CALC", "USER"):
        raise InputError(path, f"[run_presets] InterfaceBandwidth: expected CALC or USER, got "
                               f"'{mode}'")
    rows = _cfg_int(path, cfg, "architecture_presets", "ArrayHeight")
    cols = _cfg_int(path, cfg, "architecture_presets", "ArrayWidth")
    sram = {t: _cfg_int(path, cfg, "architecture_presets", k, positive=False)
            for t, k in (("inputs", "IfmapSramSzkB"), ("weights", "FilterSramSzkB"),
                         ("outputs", "OfmapSramSzkB"))}
    df = cfg.get("architecture_presets", "Dataflow").strip()
    if df not in DATAFLOWS:
        raise InputError(path, f"[architecture_presets] Dataflow: expected ws, os or is, got "
                               f"'{df}'")
    if mode == "USER":
        if not cfg.has_option("architecture_presets", "Bandwidth"):
            raise InputError(path, "[architecture_presets] Bandwidth: missing (InterfaceBandwidth "
                                   "USER needs it)")
        text_bw = cfg.get("architecture_presets", "Bandwidth")
        try:
            bws = [int(x.strip()) for x in text_bw.strip().split(",")]
        except ValueError:
            raise InputError(path, f"[architecture_presets] Bandwidth: expected integers (words "
                                   f"per cycle), got '{text_bw.strip()}'")
        if len(bws) != 1 or bws[0] < 1:
            raise InputError(path, f"[architecture_presets] Bandwidth: expected one positive "
                                   f"number of words per cycle for dfsim's one DRAM interface, "
                                   f"got '{text_bw.strip()}'")
        dram = bws[0] * word_bits // 8 if bws[0] * word_bits % 8 == 0 else None
        if dram is None:
            raise InputError(path, f"[architecture_presets] Bandwidth {bws[0]} words per cycle "
                                   f"of {word_bits} bits is not a whole number of bytes")
    else:
        dram = "unlimited"
    unmapped = [k for k in ("IfmapOffset", "FilterOffset", "OfmapOffset", "MemoryBanks")
                if cfg.has_option("architecture_presets", k)]
    notes = (f"Imported by scripts/import_scalesim from {os.path.basename(path)} (SCALE-Sim "
             f"config). SCALE-Sim's dataflow is {df}, {DATAFLOWS[df]} (dfsim takes it as "
             "--dataflow, not from the arch). A systolic PE holds one word of each operand: an "
             "RF of one word per tensor. Its three SRAMs (KiB, double-buffered) are the GLB's "
             "partitions; SCALE-Sim's words are one byte"
             + (" (word_bits 8). " if word_bits == 8 else
                f", written as {word_bits}-bit words (--word-bits): the sizes are scaled by "
                f"{scale:g} to hold SCALE-Sim's word counts. ")
             + ("InterfaceBandwidth CALC: SCALE-Sim computes the DRAM bandwidth that never stalls, "
                "so the DRAM is unlimited" if mode == "CALC" else
                f"InterfaceBandwidth USER: {bws[0]} words ({dram} bytes) per cycle from DRAM")
             + ". The array is a systolic mesh (noc.network): a fold's weights (WS) shift in "
               "a row per cycle and its wavefront's skew and drain take rows + cols - 2, as "
               "SCALE-Sim counts them. Not mapped: SCALE-Sim's SRAM-to-array bandwidth (the "
               "GLB ports and the array network are left unlimited)"
             + (f", {', '.join(unmapped)} (address layout and banking SCALE-Sim does not "
                "simulate here)" if unmapped else "")
             + f"; SCALE-Sim has no clock: clock_mhz {clock_mhz:g} (--clock-mhz) changes no "
               "cycle count.")
    glb = [{"tensors": [t], "size_kib": sram[t] * scale if scale != int(scale)
            else sram[t] * int(scale)} for t in ("weights", "inputs", "outputs") if sram[t] > 0]
    return {
        "name": name or cfg.get("general", "run_name").strip() or
        os.path.splitext(os.path.basename(path))[0],
        "notes": notes,
        "word_bits": word_bits,
        "clock_mhz": clock_mhz,
        "pe_array": {"rows": rows, "cols": cols},
        "rf": {"partitions": [{"tensors": [t], "words": 1}
                              for t in ("weights", "inputs", "outputs")]},
        "glb": {"partitions": glb, "double_buffered": True},
        "noc": {"network": {"kind": "systolic"}},
        "dram": {"bytes_per_cycle": dram, "latency_cycles": 0},
    }


def arch_json(doc):
    """Arch JSON text in the layout of configs/arch/*.json (a nested object on one line)."""
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _is_config(path):
    if path.endswith(".cfg"):
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        return False
    first = next((line.strip() for line in head.lstrip("\ufeff").splitlines() if line.strip()),
                 "")
    return first.startswith("[")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a SCALE-Sim topology CSV (conv form or GEMM M,N,K form) into a "
                    "dfsim network JSON, or a SCALE-Sim .cfg into a dfsim arch JSON (on stdout).",
        epilog="headers:\n  " + CONV_HEADER + "\n  " + GEMM_HEADER + "\n"
               "examples:\n  import_scalesim topologies/conv_nets/alexnet.csv > alexnet_ss.json\n"
               "  import_scalesim configs/scale.cfg > scale_arch.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="the SCALE-Sim topology .csv, or a SCALE-Sim .cfg")
    parser.add_argument("--name", help="network or arch name (default: the file name without "
                                       ".csv; a config's run_name)")
    parser.add_argument("--form", choices=["conv", "gemm"],
                        help="the topology's form, as SCALE-Sim's -i option (default: from the "
                             "header)")
    parser.add_argument("--round-down", action="store_true",
                        help="keep the CSV's IFMAP sizes and round output sizes down (dfsim's "
                             "rule) instead of reproducing SCALE-Sim's rounded-up outputs")
    parser.add_argument("--clock-mhz", type=float, default=1000.0,
                        help="a config's clock_mhz (SCALE-Sim has none; default 1000)")
    parser.add_argument("--word-bits", type=int, default=8,
                        help="a config's word size: SCALE-Sim's words are bytes (default 8); "
                             "another size scales the SRAMs and DRAM bandwidth to the same word "
                             "counts (16 to use dfsim's 16-bit energy tables)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    if not 1 <= args.word_bits <= 64:
        parser.error(f"argument --word-bits: expected an integer 1..64, got {args.word_bits}")
    if not 0 < args.clock_mhz <= 1e6:
        parser.error(f"argument --clock-mhz: expected a number in (0, 1e6], got {args.clock_mhz}")
    if _is_config(args.file):
        write_text(arch_json(config_to_arch(args.file, args.name, args.clock_mhz,
                                             args.word_bits)), args.output)
        return
    doc = convert(args.file, args.name, args.round_down, args.form)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
