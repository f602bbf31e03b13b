"""Timeloop mappings <-> dfsim mapping files in the general form ("levels", src/io/README.md).

Both directions work on the dfsim arch that import_timeloop_arch makes of the same Timeloop
arch: `timeloop_arch.convert(..., plan=[])` says which Timeloop mapping targets each dfsim level
came from (a storage level's components, outer to inner; a fan-out's spatial targets; targets
that keep nothing, such as v0.3's DummyBuffer or timeloopfe's `inter_<container>_spatial`).

Import (`import_timeloop_map`): a Timeloop `map.yaml` (directives of type temporal, spatial,
datatype or bypass; factors `C1 M8 ...` or `C=1 M=8`, permutations innermost first, a spatial
directive's `split`: the permutation's first `split` dimensions go over meshX) or the
`timeloop-mapper.map.txt` a mapper run prints (levels with their loops, outermost first,
`(Spatial-X)` / `(Spatial-Y)`, the tensors in a level's brackets are the ones it keeps). Per
dfsim level:
- temporal loops: its components' loops, outer component first, each component's loops
  outermost first, then the temporal loops of the targets below it that keep nothing (their
  loops sit inside the level's tile in Timeloop too); loops of bound 1 are dropped;
- spatial loops: those of the fan-out's targets, Spatial-X over `cols`, Spatial-Y over `rows`;
- keeps: the union of its components' kept tensors (the map's datatype directive, else the
  arch's constraint).
Refused (exit 2, naming the file and what): a target the arch does not have; a loop over a
dimension Timeloop's CNN-Layer does not have; spatial loops where the arch has no fan-out; a
target that keeps nothing but is given tensors to keep; a DRAM that bypasses a tensor; and a
loop that merging siblings would change: sibling components (Eyeriss's ifmap, weights and psum
spads) are one dfsim level, so a loop of bound > 1 at an outer sibling over a dimension that
indexes a tensor an inner sibling keeps (Timeloop refills the inner sibling's tile at each of
its iterations; in one dfsim level the loop lies inside the tile) has no dfsim form.

Export (`export_timeloop_map`): the inverse, written as a map.yaml a Timeloop user can give to
timeloop-model with the same arch: a level's temporal loops go to its innermost component (the
other siblings get factors 1, which gives every sibling the same tile as in dfsim), a fan-out's
spatial loops to the target whose mesh has that axis (the first that still has room when
several do), every target gets datatype keep/bypass. Refused: ragged loops (a loop with a
`tile`, or a dimension whose bounds do not multiply to the layer's size when --network names
the layer), two loops over one dimension at one level, a G loop, names that do not match.
"""

import argparse
import json
import os
import re

from .common import InputError, read_json, run_main, write_text
from .timeloop_arch import convert as convert_arch, load_arch_yaml

TL_DIMS = ["C", "M", "R", "S", "N", "P", "Q"]
TENSORS = ["weights", "inputs", "outputs"]
TL_TENSOR = {"weights": "Weights", "inputs": "Inputs", "outputs": "Outputs"}
# Timeloop's CNN-Layer: which dimensions index each tensor (R and S slide over P and Q).
INDEXES = {"weights": set("CMRS"), "inputs": set("NCPQRS"), "outputs": set("NMPQ")}


class Target:
    """One Timeloop mapping target: temporal loops [(dim, bound)] outermost first, spatial
    loops [(dim, bound, axis)] outermost first (axis "cols" = Spatial-X, "rows" = Spatial-Y),
    and the tensors it keeps (None: the map does not say)."""

    def __init__(self):
        self.temporal = []
        self.spatial = []
        self.keep = None


def _tensor_list(where, at, value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(where, f"{at}: expected a list of Weights, Inputs, Outputs")
    out = []
    for v in value:
        t = str(v).lower()
        if t not in TENSORS:
            raise InputError(where, f"{at}: '{v}' is not Weights, Inputs or Outputs")
        out.append(t)
    return out


def _factors(where, at, value):
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    if not isinstance(value, str):
        raise InputError(where, f"{at}: expected factors such as 'C1 M8 R1' or 'C=1 M=8'")
    out = {}
    for token in value.split():
        m = re.fullmatch(r"([A-Za-z_]+)=?(\d+)", token)
        if not m:
            raise InputError(where, f"{at}: '{token}' is not a factor such as M8 or M=8")
        out[m.group(1)] = int(m.group(2))
    return out


def _permutation(where, at, value):
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return list(value.replace(" ", ""))
    raise InputError(where, f"{at}: expected a permutation such as MCRSNPQ")


def _loops(where, at, factors, perm):
    """(dim, bound) outermost first from factors and an innermost-first permutation."""
    for d, n in factors.items():
        if n > 1 and d not in TL_DIMS:
            raise InputError(where, f"{at}.factors: {d}{n}: Timeloop's CNN-Layer dimensions are "
                                    f"{' '.join(TL_DIMS)}; dfsim imports no other")
        if n > 1 and d not in perm:
            raise InputError(where, f"{at}.permutation: lacks {d}, whose factor is {n}")
    return [(d, factors.get(d, 1)) for d in reversed(perm) if factors.get(d, 1) > 1]


def read_map_yaml(path):
    """{target name: Target} from a Timeloop map.yaml."""
    doc = load_arch_yaml(path)
    entries = doc.get("mapping") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise InputError(path, "mapping: expected a list of directives {target, type, ...}")
    targets = {}
    for i, e in enumerate(entries):
        at = f"mapping[{i}]"
        if not isinstance(e, dict) or not isinstance(e.get("target"), str):
            raise InputError(path, f"{at}: expected a directive with a 'target' name")
        t = targets.setdefault(e["target"], Target())
        kind = e.get("type")
        if kind in ("datatype", "bypass"):
            t.keep = _tensor_list(path, f"{at}.keep", e.get("keep"))
            bypass = _tensor_list(path, f"{at}.bypass", e.get("bypass"))
            if set(t.keep) & set(bypass):
                raise InputError(path, f"{at}: keeps and bypasses {set(t.keep) & set(bypass)}")
        elif kind == "temporal":
            t.temporal = _loops(path, at, _factors(path, f"{at}.factors", e.get("factors", "")),
                                _permutation(path, f"{at}.permutation", e.get("permutation")))
        elif kind == "spatial":
            perm = _permutation(path, f"{at}.permutation", e.get("permutation"))
            split = e.get("split", len(perm))
            if isinstance(split, bool) or not isinstance(split, int) or split < 0:
                raise InputError(path, f"{at}.split: expected a non-negative integer")
            loops = _loops(path, at, _factors(path, f"{at}.factors", e.get("factors", "")), perm)
            x = set(perm[:split])
            t.spatial = [(d, n, "cols" if d in x else "rows") for d, n in loops]
        else:
            raise InputError(path, f"{at}.type: expected temporal, spatial, datatype or bypass, "
                                   f"got {kind!r}")
    return targets


def read_map_txt(path):
    """{target name: Target} from the map.txt timeloop-mapper prints."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except UnicodeDecodeError:
        raise InputError(path, "expected a text file (Timeloop's map.txt)")
    targets = {}
    current = None
    for k, line in enumerate(lines, 1):
        text = line.strip()
        if not text or set(text) == {"-"} or "<< Compute >>" in text:
            continue
        head = re.fullmatch(r"(\S+)\s*\[(.*)\]", text)
        if head:
            current = targets.setdefault(head.group(1), Target())
            current.keep = [t.lower() for t in re.findall(r"(Weights|Inputs|Outputs):",
                                                          head.group(2))]
            continue
        loop = re.fullmatch(r"\|?\s*for (\w+) in \[(\d+):(\d+)\)\s*(\(Spatial-([XY])\))?", text)
        if not loop or current is None:
            raise InputError(path, f"line {k}: expected 'NAME [ tensors ]' or '| for D in "
                                   f"[0:n)', got {text!r}")
        d, n = loop.group(1), int(loop.group(3)) - int(loop.group(2))
        if n > 1 and d not in TL_DIMS:
            raise InputError(path, f"line {k}: {d}: Timeloop's CNN-Layer dimensions are "
                                   f"{' '.join(TL_DIMS)}; dfsim imports no other")
        if n <= 1:
            continue
        if loop.group(4):
            current.spatial.append((d, n, "cols" if loop.group(5) == "X" else "rows"))
        else:
            current.temporal.append((d, n))
    if not targets:
        raise InputError(path, "no level found (expected Timeloop's map.txt: 'NAME [ ... ]' "
                               "lines with their loops)")
    return targets


def read_map(path):
    """Targets from a map.yaml or a map.txt (by content: a map.txt has no 'mapping:')."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16).decode("utf-8", "replace")
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    if re.search(r"^\s*mapping\s*:", head, re.M) or re.search(r"^\s*-\s*target\s*:", head, re.M):
        return read_map_yaml(path)
    return read_map_txt(path)


def _arch_plan(arch, constraints):
    plan = []
    doc, _ = convert_arch(arch, constraints, plan=plan)
    return doc, plan


def to_dfsim(map_path, targets, arch, plan, layer, label):
    """The dfsim mapping document of `targets` on the arch `plan` describes."""
    known = {}
    for i, p in enumerate(plan):
        for c in p.get("components", []):
            known[c] = i
        for c, _, _ in p.get("spatial", []):
            known.setdefault(c, i)
        for c in p.get("passthrough", []):
            known.setdefault(c, i)
    for name in targets:
        if name not in known:
            raise InputError(map_path, f"target '{name}' is not a component of {arch} (its "
                                       f"targets: {', '.join(known)})")
    used = set()
    levels = []
    for i, p in enumerate(plan):
        if p["kind"] == "fanout":
            upper = levels[-1]
            for name, _, _ in p["spatial"]:
                t = targets.get(name)
                if t is not None:
                    upper["spatial"] += [{"dim": d, "bound": n, "axis": a} for d, n, a in t.spatial]
                    used.add(name)
            _passthrough(map_path, targets, p, upper, used)
            continue
        level = {"level": p["name"], "temporal": [], "spatial": []}
        comps = p["components"]
        keeps = []
        for k, (c, arch_keep) in enumerate(zip(comps, p["keeps"])):
            t = targets.get(c, Target())
            used.add(c)
            keep = arch_keep if t.keep is None else t.keep
            extra = set(keep) - set(arch_keep)
            if p["kind"] != "dram" and extra:
                raise InputError(map_path, f"target '{c}' keeps {', '.join(sorted(extra))}, "
                                           f"which the arch's constraints bypass there")
            if p["kind"] == "dram" and set(keep) != set(TENSORS):
                raise InputError(map_path, f"target '{c}' bypasses "
                                           f"{', '.join(sorted(set(TENSORS) - set(keep)))}; "
                                           "dfsim's dram keeps every tensor")
            keeps += keep
            inner = {x for ks in p["keeps"][k + 1:] for x in ks}
            for d, n in t.temporal:
                hit = [x for x in TENSORS if x in inner and d in INDEXES[x]]
                if hit:
                    raise InputError(map_path, f"target '{c}': the loop {d}{n} lies above the "
                                               f"inner sibling keeping {hit[0]} (Timeloop refills "
                                               f"that sibling at each iteration); dfsim's level "
                                               f"'{p['name']}' holds the siblings as one "
                                               "(partitions of one tile), so it has no dfsim "
                                               "form")
            level["temporal"] += [{"dim": d, "bound": n} for d, n in t.temporal]
            nxt = plan[i + 1] if i + 1 < len(plan) else {}
            if t.spatial and c not in [s for s, _, _ in nxt.get("spatial", [])]:
                raise InputError(map_path, f"target '{c}' has spatial loops but no fan-out lies "
                                           "directly below it in the arch")
        if p["kind"] != "dram":
            level["keeps"] = [x for x in TENSORS if x in keeps]
        levels.append(level)
        _passthrough(map_path, targets, p, level, used)
    for level in levels:
        if not level["spatial"]:
            del level["spatial"]
    return {
        "notes": f"Imported by scripts/import_timeloop_map from {os.path.basename(map_path)} "
                 f"on the dfsim arch import_timeloop_arch makes of {os.path.basename(arch)} "
                 "(level names as it writes them); Timeloop's dimensions C M R S N P Q are "
                 "dfsim's, G = 1.",
        "layer": layer,
        "dataflow": label,
        "levels": levels,
    }


def _passthrough(map_path, targets, p, upper, used):
    for name in p.get("passthrough", []):
        t = targets.get(name)
        if t is None:
            continue
        used.add(name)
        if t.keep:
            raise InputError(map_path, f"target '{name}' keeps {', '.join(t.keep)}, but it keeps "
                                       "nothing in the arch (not a dfsim level)")
        upper["temporal"] += [{"dim": d, "bound": n} for d, n in t.temporal]
        if t.spatial and not any(name == s for s, _, _ in p.get("spatial", [])):
            raise InputError(map_path, f"target '{name}' has spatial loops but no fan-out lies "
                                       "directly below it in the arch")


def _factor_text(loops):
    bound = {d: n for d, n in loops}
    return " ".join(f"{d}{bound.get(d, 1)}" for d in TL_DIMS)


def _perm_text(loops):
    inner_first = [d for d, _ in reversed(loops)]
    return "".join(inner_first + [d for d in TL_DIMS if d not in inner_first])


def _general_form(mapping, names):
    """The levels of a 4-level-form mapping file (dram, glb, spatial, rf, *_keeps)."""
    return [
        {"level": names[0], "temporal": mapping.get("dram", [])},
        {"level": names[1], "temporal": mapping.get("glb", []),
         "spatial": mapping.get("spatial", []),
         "keeps": mapping.get("glb_keeps", TENSORS)},
        {"level": names[2], "temporal": mapping.get("rf", []),
         "keeps": mapping.get("rf_keeps", TENSORS)},
    ]


def from_dfsim(mapping_path, mapping, plan, layer_dims=None):
    """The Timeloop map.yaml document (a dict) of a dfsim mapping file (general form, or the
    4-level form on an arch of three storage levels)."""
    storage = [p for p in plan if p["kind"] != "fanout"]
    levels = mapping.get("levels")
    if levels is None and "dram" in mapping and len(storage) == 3:
        levels = _general_form(mapping, [p["name"] for p in storage])
    if not isinstance(levels, list):
        raise InputError(mapping_path, "levels: expected a dfsim mapping file (the general "
                                       "form, or the 4-level one on an arch of three storage "
                                       "levels), as dfsim run --out writes in mappings/")
    names = [lv.get("level") for lv in levels]
    if names != [p["name"] for p in storage]:
        raise InputError(mapping_path, f"levels: {names} are not the storage levels "
                                       f"{[p['name'] for p in storage]} of the arch")
    totals = {}
    for k, lv in enumerate(levels):
        for key in ("temporal", "spatial"):
            seen = set()
            for j, loop in enumerate(lv.get(key, [])):
                at = f"levels[{k}].{key}[{j}]"
                d, n = loop.get("dim"), loop.get("bound")
                if d == "G" and n != 1:
                    raise InputError(mapping_path, f"{at}: a G loop; Timeloop's CNN-Layer has "
                                                   "no groups")
                if d not in TL_DIMS + ["G"] or not isinstance(n, int) or n < 1:
                    raise InputError(mapping_path, f"{at}: expected a dim and a bound >= 1")
                if "tile" in loop:
                    raise InputError(mapping_path, f"{at}: a ragged loop (tile {loop['tile']}); "
                                                   "a Timeloop map factorises every dimension")
                if d in seen and key == "temporal":
                    raise InputError(mapping_path, f"{at}: a second {key} loop over {d} at "
                                                   f"'{lv['level']}'; a Timeloop level has one "
                                                   "factor per dimension")
                seen.add(d)
                totals[d] = totals.get(d, 1) * n
    if layer_dims is not None:
        for d in TL_DIMS:
            if totals.get(d, 1) != layer_dims[d]:
                raise InputError(mapping_path, f"dimension {d}: the bounds multiply to "
                                               f"{totals.get(d, 1)}, the layer has "
                                               f"{layer_dims[d]} (ragged: no Timeloop form)")
    directives = {}  # target -> list of directives, in the order they are written
    order = []

    def add(target, d):
        if target not in directives:
            directives[target] = []
            order.append(target)
        directives[target].append(d)

    def add_passthrough(p):
        """Targets that keep nothing (timeloopfe's inter_*_spatial, v0.3's DummyBuffer): no
        loops of their own, every tensor bypassed."""
        for t in p["passthrough"]:
            add(t, {"target": t, "type": "temporal", "factors": _factor_text([]),
                    "permutation": "".join(TL_DIMS)})
            add(t, {"target": t, "type": "datatype", "keep": [],
                    "bypass": [TL_TENSOR[x] for x in TENSORS]})

    by_name = {lv["level"]: lv for lv in levels}
    for i, p in enumerate(plan):
        if p["kind"] == "fanout":
            upper = by_name[plan[i - 1]["name"]]  # a fan-out lies below a storage level
            loops = [(x["dim"], x["bound"], x.get("axis")) for x in upper.get("spatial", [])]
            size = {t: {"cols": c, "rows": r} for t, r, c in p["spatial"]}
            used = {t: {"cols": 1, "rows": 1} for t, _, _ in p["spatial"]}
            placed = {t: [] for t, _, _ in p["spatial"]}
            for d, n, axis in loops:
                if axis not in ("rows", "cols"):
                    raise InputError(mapping_path, f"level '{upper['level']}': spatial loop "
                                                   f"{d}{n} needs an axis rows or cols")
                for t, _, _ in p["spatial"]:
                    if size[t][axis] > 1 and used[t][axis] * n <= size[t][axis]:
                        used[t][axis] *= n
                        placed[t].append((d, n, axis))
                        break
                else:
                    raise InputError(mapping_path, f"level '{upper['level']}': spatial loop "
                                                   f"{d}{n} over {axis} fits no mesh of "
                                                   f"{', '.join(t for t, _, _ in p['spatial'])}")
            for t, _, _ in p["spatial"]:
                x = [(d, n) for d, n, a in placed[t] if a == "cols"]
                y = [(d, n) for d, n, a in placed[t] if a == "rows"]
                perm = [d for d, _ in reversed(x)] + [d for d, _ in reversed(y)]
                perm += [d for d in TL_DIMS if d not in perm]
                add(t, {"target": t, "type": "spatial", "factors": _factor_text(x + y),
                        "permutation": "".join(perm), "split": len(x)})
            add_passthrough(p)
            continue
        lv = by_name[p["name"]]
        keeps = set(lv.get("keeps", TENSORS)) if p["kind"] != "dram" else set(TENSORS)
        loops = [(x["dim"], x["bound"]) for x in lv.get("temporal", []) if x["dim"] != "G"]
        for k, (c, arch_keep) in enumerate(zip(p["components"], p["keeps"])):
            mine = loops if k == len(p["components"]) - 1 else []
            add(c, {"target": c, "type": "temporal", "factors": _factor_text(mine),
                    "permutation": _perm_text(mine)})
            keep = [x for x in TENSORS if x in arch_keep and x in keeps]
            add(c, {"target": c, "type": "datatype", "keep": [TL_TENSOR[x] for x in keep],
                    "bypass": [TL_TENSOR[x] for x in TENSORS if x not in keep]})
        add_passthrough(p)
    # Innermost target first, as timeloop-mapper writes them: datatype directives, then loops.
    inner_first = list(reversed(order))
    out = [d for t in inner_first for d in directives[t] if d["type"] == "datatype"]
    out += [d for t in inner_first for d in directives[t] if d["type"] != "datatype"]
    return {"mapping": out}


def map_yaml_text(doc):
    """map.yaml text in timeloop-mapper's layout (one directive per block)."""
    lines = ["mapping:"]
    for d in doc["mapping"]:
        lines.append(f"  - target: {d['target']}")
        lines.append(f"    type: {d['type']}")
        if d["type"] == "datatype":
            for key in ("keep", "bypass"):
                lines.append(f"    {key}:")
                if d[key]:
                    lines += [f"      - {x}" for x in d[key]]
                else:
                    lines.append("      []")
        else:
            lines.append(f"    factors: {d['factors']}")
            lines.append(f"    permutation: {d['permutation']}")
            if "split" in d:
                lines.append(f"    split: {d['split']}")
    return "\n".join(lines) + "\n"


def _layer_dims(network_path, name):
    net = read_json(network_path)
    for i, layer in enumerate(net.get("layers", []) if isinstance(net, dict) else []):
        if isinstance(layer, dict) and layer.get("name") == name:
            if layer.get("groups", 1) != 1:
                raise InputError(network_path, f"layers[{i}]: grouped; Timeloop's CNN-Layer "
                                               "has no groups")
            if layer.get("type") == "fc":
                dims = {"C": layer["C"], "M": layer["M"], "R": 1, "S": 1, "P": 1, "Q": 1}
            else:
                dims = {d: layer[d] for d in ("C", "M", "R", "S", "P", "Q")}
            dims["N"] = layer.get("batch", net.get("batch", 1))
            return dims
    raise InputError(network_path, f"layers: no layer named '{name}'")


def main_import(argv=None):
    parser = argparse.ArgumentParser(
        prog="import_timeloop_map",
        description="Convert a Timeloop mapping (map.yaml, or the map.txt timeloop-mapper "
                    "prints) into a dfsim mapping file in the general form, for the dfsim arch "
                    "import_timeloop_arch makes of the same Timeloop arch (JSON on stdout).",
        epilog="example:\n  import_timeloop_arch arch.yaml -o tl_arch.json\n"
               "  import_timeloop_map ref_outputs/timeloop-mapper.map.yaml --arch arch.yaml "
               "--layer conv1 -o conv1.json\n"
               "  dfsim evaluate --arch tl_arch.json --network net.json --mapping conv1.json\n"
               "exit status: 0 success, 2 bad or inexpressible input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("map", help="the Timeloop map.yaml or map.txt")
    parser.add_argument("--arch", required=True, help="the Timeloop arch .yaml it maps onto")
    parser.add_argument("--constraints", action="append", default=[], metavar="FILE",
                        help="Timeloop constraints files, as for import_timeloop_arch")
    parser.add_argument("--layer", required=True, help="the dfsim layer name it maps")
    parser.add_argument("--dataflow", default="timeloop",
                        help="the mapping's label (default: timeloop)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    _, plan = _arch_plan(args.arch, args.constraints)
    doc = to_dfsim(args.map, read_map(args.map), args.arch, plan, args.layer, args.dataflow)
    write_text(json.dumps(doc, indent=1) + "\n", args.output)


def main_export(argv=None):
    parser = argparse.ArgumentParser(
        prog="export_timeloop_map",
        description="Write a dfsim mapping file (general form, as dfsim run --out writes in "
                    "mappings/) as a Timeloop map.yaml for the Timeloop arch the dfsim arch was "
                    "imported from (import_timeloop_arch), for timeloop-model.",
        epilog="example:\n  export_timeloop_map R/mappings/conv1.rs.json --arch arch.yaml "
               "--network net.json -o conv1.map.yaml\n"
               "exit status: 0 success, 2 bad or inexpressible input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mapping", help="the dfsim mapping file (general form)")
    parser.add_argument("--arch", required=True, help="the Timeloop arch .yaml")
    parser.add_argument("--constraints", action="append", default=[], metavar="FILE",
                        help="Timeloop constraints files, as for import_timeloop_arch")
    parser.add_argument("--network", help="the dfsim network holding the mapping's layer: "
                                          "checks that every dimension is factorised exactly")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    mapping = read_json(args.mapping)
    if not isinstance(mapping, dict):
        raise InputError(args.mapping, "expected a dfsim mapping object")
    dims = _layer_dims(args.network, mapping.get("layer")) if args.network else None
    _, plan = _arch_plan(args.arch, args.constraints)
    write_text(map_yaml_text(from_dfsim(args.mapping, mapping, plan, dims)), args.output)


if __name__ == "__main__":
    run_main("import_timeloop_map", main_import)
