"""dfsim stats.json -> Accelergy action_counts.yaml, so that Accelergy prices a dfsim run.

Counts per dfsim action, summed over the chosen layers of one dataflow (stats.json
`layers[].accesses.<level>.<tensor>.{reads,writes}`, in words, and `layers[].macs`):

  mac            MACs
  rf.read/write  RF reads/writes, all tensors
  noc.per_word   NoC words (deliveries to PEs plus psums sent from PEs), as dfsim prices them
  glb.read/write, dram.read/write   likewise

Each action goes to an Accelergy component and action: by default `<prefix>.PE[0..P-1].mac`
(mac_random), `<prefix>.PE[0..P-1].rf` (read / write), `<prefix>.noc` (transfer_random),
`<prefix>.glb` and `<prefix>.dram` (read / write), with P the run's PE count. `--map` takes the
same KEY=COMPONENT:ACTION[:ARG=V,...] as import_accelergy_ert, plus per-tensor keys
(`rf.read.weights=eyeriss_like.PE[0..167].weights_spad:read`) that send one tensor's counts to
their own component, as Eyeriss's separate scratchpads need. `--access-words LEVEL=N` divides
that level's counts by N (an access of N words).

Output: `action_counts: {version: 0.3, local: [{name, action_counts: [{name, [arguments],
counts}]}]}`, components and actions sorted by name, counts as integers where exact.
"""

import argparse
import json
import os
from fractions import Fraction

from .accelergy_map import KEYS, parse_access_words, parse_map
from .common import InputError, read_json, run_main, write_text

PROG = "export_accelergy_counts"
TENSORS = ["weights", "inputs", "outputs"]
EXPORT_KEYS = KEYS + [f"{k}.{t}" for k in KEYS if k != "mac" for t in TENSORS]


def _select(path, stats, dataflow, layer_names):
    what = "a dfsim stats.json (from `dfsim run --out DIR`) with 'run', 'layers' and 'totals'"
    if not isinstance(stats, dict) or not isinstance(stats.get("layers"), list):
        raise InputError(path, f"expected {what}")
    layers = [l for l in stats["layers"] if isinstance(l, dict) and l.get("dataflow") != "-"]
    flows = sorted({l.get("dataflow") for l in layers})
    if not flows:
        raise InputError(path, "layers: no simulated layer (expected at least one conv or fc "
                               "layer with a dataflow)")
    if dataflow is None:
        if len(flows) > 1:
            raise InputError(path, f"the run has several dataflows ({', '.join(flows)}); choose "
                                   "one with --dataflow")
        dataflow = flows[0]
    elif dataflow not in flows:
        raise InputError(path, f"no layer ran dataflow '{dataflow}' (dataflows: "
                               f"{', '.join(flows)})")
    chosen = [l for l in layers if l.get("dataflow") == dataflow]
    if layer_names:
        names = {l.get("name") for l in chosen}
        for n in layer_names:
            if n not in names:
                raise InputError(path, f"no layer '{n}' ran dataflow '{dataflow}' (layers: "
                                       f"{', '.join(sorted(str(x) for x in names))})")
        chosen = [l for l in chosen if l.get("name") in layer_names]
    return dataflow, chosen


def _count(path, layer, *keys):
    v = layer
    for k in keys:
        if not isinstance(v, dict) or k not in v:
            raise InputError(path, f"layers['{layer.get('name')}']: missing "
                                   f"{'.'.join(keys)} (expected a dfsim stats.json)")
        v = v[k]
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise InputError(path, f"layers['{layer.get('name')}'].{'.'.join(keys)}: expected a "
                               f"count (an integer >= 0), got {v!r}")
    return v


def counts_by_key(path, layers):
    """{(key, tensor or None): words} summed over `layers`."""
    out = {("mac", None): 0}
    for layer in layers:
        out[("mac", None)] += _count(path, layer, "macs")
        for level in ("rf", "glb", "dram", "noc"):
            for t in TENSORS:
                reads = _count(path, layer, "accesses", level, t, "reads")
                writes = _count(path, layer, "accesses", level, t, "writes")
                if level == "noc":
                    k = ("noc.per_word", t)
                    out[k] = out.get(k, 0) + reads + writes
                else:
                    for key, n in ((f"{level}.read", reads), (f"{level}.write", writes)):
                        out[(key, t)] = out.get((key, t), 0) + n
    return out


def default_target(key, prefix, pes):
    pe = f"{prefix}.PE[0..{pes - 1}]"
    return {
        "mac": (f"{pe}.mac", "mac_random"),
        "rf.read": (f"{pe}.rf", "read"), "rf.write": (f"{pe}.rf", "write"),
        "noc.per_word": (f"{prefix}.noc", "transfer_random"),
        "glb.read": (f"{prefix}.glb", "read"), "glb.write": (f"{prefix}.glb", "write"),
        "dram.read": (f"{prefix}.dram", "read"), "dram.write": (f"{prefix}.dram", "write"),
    }[key] + (None,)


def convert(path, dataflow=None, layer_names=None, maps=None, access_words=None,
            prefix="system"):
    stats = read_json(path)
    dataflow, layers = _select(path, stats, dataflow, layer_names)
    pes = max((l.get("total_pes") or 1 for l in layers), default=1)
    maps = maps or {}
    access_words = access_words or {}
    for key, targets in maps.items():
        if len(targets) > 1:
            raise InputError(f"--map {key}", "given more than once; an export sends each count "
                                             "to one component (use per-tensor keys to split)")
    table = {}  # component -> {(action, args json): count}
    for (key, tensor), words in sorted(counts_by_key(path, layers).items(),
                                       key=lambda kv: (kv[0][0], kv[0][1] or "")):
        target = (maps.get(f"{key}.{tensor}") if tensor else None) or maps.get(key)
        comp, action, args = target[0] if target else default_target(key, prefix, pes)
        level = key.split(".")[0]
        count = Fraction(words, access_words.get(level, 1))
        slot = table.setdefault(comp, {})
        akey = (action, json.dumps(args, sort_keys=True) if args else "")
        slot[akey] = slot.get(akey, 0) + count
    local = []
    for comp in sorted(table):
        actions = []
        for (action, args_json), count in sorted(table[comp].items()):
            entry = {"name": action}
            if args_json:
                entry["arguments"] = json.loads(args_json)
            entry["counts"] = int(count) if count.denominator == 1 else float(count)
            actions.append(entry)
        local.append({"name": comp, "action_counts": actions})
    return {"action_counts": {"version": 0.3, "local": local}}, dataflow, len(layers)


def counts_yaml(doc, header):
    import yaml
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, indent=2, width=100)
    return "".join(f"# {line}\n" for line in header) + body


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write a dfsim run's access counts (stats.json) as an Accelergy "
                    "action_counts.yaml (on stdout), so that Accelergy can price the run with "
                    "its own energy tables.",
        epilog="keys for --map: " + ", ".join(EXPORT_KEYS) + "\n"
               "example (Eyeriss-like Accelergy names):\n"
               "  export_accelergy_counts r/stats.json --dataflow rs --prefix eyeriss_like \\\n"
               "    --map rf.read.weights=eyeriss_like.PE[0..167].weights_spad:read > counts.yaml\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stats", help="stats.json written by `dfsim run --out DIR`")
    parser.add_argument("--dataflow", help="the dataflow to export (needed when the run has "
                                           "several)")
    parser.add_argument("--layer", action="append", metavar="NAME",
                        help="only this layer (repeatable; default: all layers, summed)")
    parser.add_argument("--map", action="append", metavar="KEY=COMPONENT:ACTION[:ARG=V,...]",
                        help="component and action for KEY (see the list below)")
    parser.add_argument("--access-words", action="append", metavar="LEVEL=N",
                        help="one action of LEVEL (rf, noc, glb, dram) moves N words: counts "
                             "are divided by N")
    parser.add_argument("--prefix", default="system",
                        help="root of the default component names (default: system)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    maps = parse_map(args.map, keys=EXPORT_KEYS)
    words = parse_access_words(args.access_words)
    doc, dataflow, n = convert(args.stats, args.dataflow, args.layer, maps, words, args.prefix)
    header = [f"Accelergy action counts of a dfsim run: {os.path.basename(args.stats)}, dataflow "
              f"{dataflow}, {n} layer(s) summed.",
              "Written by scripts/export_accelergy_counts; counts are dfsim's word counts "
              "(divided by --access-words where given)."]
    write_text(counts_yaml(doc, header), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
