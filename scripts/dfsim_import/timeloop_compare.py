"""A Timeloop stats file beside dfsim's counts for the same layer and mapping, figure by figure.

Input: Timeloop's `timeloop-mapper.stats.txt` (or timeloop-model's), the output of
`dfsim evaluate --json` or a `dfsim run --out` folder's `stats.json`, the dfsim arch those counts
came from (levels form, as scripts/import_timeloop_arch writes it) and the dfsim mapping
(general or 4-level form). Timeloop's components are placed on dfsim's levels by the
`component NAME (` their level's or partition's notes start with (as import_accelergy_ert --arch
reads them), or by `--level COMPONENT=LEVEL`.

Every figure of Timeloop's per-level stats (scalar reads, fills and updates per instance times
utilized instances, per tensor; the MAC's cycles, utilized instances and computes) and of its
networks (words delivered into a level) is put beside the dfsim count it corresponds to and
beside that count converted to Timeloop's conventions. The conversions are closed forms in
dfsim's own counts and the mapping (perfectly factorised nests):

- O     = the layer's outputs: the product of the bounds over N, G, M, P, Q;
- P_L   = O x the spatial bounds above level L over C, R, S: the outputs L's instances hold,
          summed over them (Timeloop's partition size x utilized instances);
- G_L   = the spatial bounds over C, R, S of the fan-out right above L (1 without one): the PEs
          of one reduction group;
- I_F(t)= the spatial bounds of fan-out F over dimensions tensor t does not depend on;
- received(L), sent(L): the partial sums L receives from / sends to the next level above that
          keeps outputs: that fan-out's outputs reads / writes, or without a fan-out the parent's
          outputs reads / writes less what the parent itself sends / receives.

Outputs at level L: Timeloop updates = dfsim writes - received(L) (dfsim's writes include the
returned psums); reads = dfsim reads - sent(L) (Timeloop counts no read for a write-back), less
P_L at the innermost level (Timeloop's first update of each output an instance holds reads
nothing; dfsim's MAC reads a zero); fills = received(L) x G_L (Timeloop returns a psum into every
PE of a reduction group, dfsim into one) + P_L when the stats count a fill for a tile's first
visit (the older stats layout does, the later one does not; `--first-fills`).
Weights and inputs: Timeloop's reads above a fan-out F = F's deliveries / I_F(t) (Timeloop
multicasts a word only to children whose whole tile is identical; dfsim's parent reads the union
of what its children receive). Everything else is compared as it is. See
docs/timeloop_comparison.md.
"""

import argparse
import json
import re

from .common import InputError, read_json, read_text, write_text

PROG = "compare_timeloop"
TENSORS = ["weights", "inputs", "outputs"]
STAT_TENSORS = {"Weights": "weights", "Inputs": "inputs", "Outputs": "outputs"}
DIMS = ["N", "G", "M", "C", "P", "Q", "R", "S"]
RELEVANT = {"weights": {"G", "M", "C", "R", "S"},
            "inputs": {"N", "G", "C", "P", "Q", "R", "S"},
            "outputs": {"N", "G", "M", "P", "Q"}}
FIGURES = [("reads", "Scalar reads (per-instance)"), ("fills", "Scalar fills (per-instance)"),
           ("updates", "Scalar updates (per-instance)")]
COMPONENT_NOTE = re.compile(r"^component (\S+) \(")

REASONS = {
    "writeback": "write-back reads: dfsim counts a read of each partial sum a level sends to "
                 "its parent; Timeloop counts none (its reads are what the level's children "
                 "read)",
    "first_read": "first-read elision at the MACs: Timeloop's first update of each output an "
                  "instance holds reads nothing (reads = accesses - partition size); dfsim's MAC "
                  "reads its partial sum at every MAC, a zero the first time",
    "returned_update": "returned psums: dfsim's writes of outputs include the partial sums "
                       "coming back from the parent; Timeloop counts those as a parent read and "
                       "a fill here, its updates are the children's (or MACs') updates only",
    "return_multicast": "psum return multicast: Timeloop fills a returned partial sum into "
                        "every PE of the reduction group, dfsim sends it to one of them",
    "first_fill": "first-visit fills: these stats count a fill for the first visit of an "
                  "output tile (whose parent read Timeloop elides); dfsim moves nothing then",
    "exact_multicast": "multicast of identical tiles only: Timeloop shares a parent read "
                       "between children whose whole tiles are equal; dfsim's multicast parent "
                       "reads the union of the words its children receive, once each",
    "window_reset": "not converted: dfsim keeps a window's overlap whenever the next tile "
                    "overlaps the one held (halo_reuse at the receiving level); Timeloop only "
                    "between consecutive iterations of one loop (it drops the residual when "
                    "another loop advances, e.g. after an inner loop over M); "
                    "docs/timeloop_comparison.md",
    "no_halo": "not converted: the receiving dfsim level has halo_reuse false, so every new "
               "tile is fetched whole; Timeloop moves only what the held tile lacks "
               "(import_timeloop_arch writes halo_reuse true unless --no-halo-reuse)",
    "inside_level": "not compared: a network between components of one dfsim level "
                    "(Timeloop chains sibling buffers); their words are that level's reads and "
                    "fills above",
    "mac_operands": "not compared: the MACs' operands, compared as the innermost level's reads",
    "pass_through": "not compared: a network into a component that keeps nothing (no dfsim "
                    "level: one dfsim fan-out spans the networks on both sides of it); the "
                    "words reaching the level below are compared at the network out of it",
    "sim_cycles": "the simulator's cycles include fills and drains that do not overlap the MACs "
                  "(README 'Timing'); Timeloop's are its throughput bound, the compute cycles "
                  "when no level throttles",
}


# --- Timeloop's stats file ------------------------------------------------------------------

def parse_stats(path):
    """{"levels": [level], "networks": [network], "macs": int or None, "layout": "old"|"new"}
    from a Timeloop stats file; levels innermost first as the file lists them, each
    {"name", "own": {stat: value}, "tensors": {t: {stat: value}}}, networks
    {"name", "upper", "lower", "tensors": {t: {stat: value, "multicast": {k: n}}}}."""
    text = read_text(path, "a Timeloop timeloop-mapper.stats.txt")
    levels, networks, macs, layout = [], [], None, None
    section = None
    cur = tensor = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if line == "Buffer and Arithmetic Levels":
            section = "levels"
            continue
        if line == "Networks":
            section = "networks"
            cur = None
            continue
        if line in ("Operational Intensity Stats", "Summary Stats") or line.startswith(
                "Total topology"):
            section = "summary"
            cur = None
        m = re.match(r"(?:MACCs|Computes) = (\d+)$", line)
        if m:
            macs = int(m.group(1))
            continue
        if section == "levels":
            m = re.match(r"=== (\S+) ===$", line)
            if m:
                cur = {"name": m.group(1), "own": {}, "tensors": {}}
                levels.append(cur)
                tensor = None
                continue
        elif section == "networks":
            m = re.match(r"(\S+) <==> (\S+)$", line)
            if m:
                cur = {"name": line, "upper": m.group(1), "lower": m.group(2), "own": {},
                       "tensors": {}}
                networks.append(cur)
                tensor = None
                continue
        else:
            continue
        if cur is None:
            continue
        m = re.match(r"\s+(Weights|Inputs|Outputs):$", line)
        if m:
            tensor = STAT_TENSORS[m.group(1)]
            cur["tensors"][tensor] = {"multicast": {}} if section == "networks" else {}
            continue
        m = re.match(r"\s+@multicast (\d+): ([\d.]+)$", line)
        if m and tensor is not None and section == "networks":
            cur["tensors"][tensor]["multicast"][int(m.group(1))] = _num(m.group(2))
            continue
        m = re.match(r"\s+([A-Za-z][A-Za-z ()-]*?)\s*:\s*([-\d.]+)", line)
        if m:
            key, value = m.group(1), m.group(2)
            if value == "-":
                continue
            target = cur["tensors"][tensor] if tensor is not None else cur["own"]
            target.setdefault(key, _num(value))
            if layout is None and key == "Scalar updates (per-instance)":
                layout = "old"  # updates listed before fills
            elif layout is None and key == "Scalar fills (per-instance)":
                layout = "new"
    if not levels or not any(lv["tensors"] for lv in levels):
        raise InputError(path, "expected a Timeloop stats file: a 'Buffer and Arithmetic "
                               "Levels' part of '=== NAME ===' sections with per-tensor "
                               "'Scalar reads (per-instance)' lines")
    return {"levels": levels, "networks": networks, "macs": macs, "layout": layout or "new"}


def _num(text):
    v = float(text)
    return int(v) if v.is_integer() else v


# --- dfsim's side ---------------------------------------------------------------------------

def load_dfsim(path, layer_name):
    """The one layer of a `dfsim evaluate --json` output or a run's stats.json: the layer named
    `layer_name`, else the only one with MACs."""
    doc = read_json(path)
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, list) or not layers or not all(isinstance(x, dict)
                                                             for x in layers):
        raise InputError(path, "layers: expected the list of layers of `dfsim evaluate --json` "
                               "or of a run's stats.json")
    picked = [x for x in layers if x.get("name") == layer_name] if layer_name else []
    if not picked:
        picked = [x for x in layers if isinstance(x.get("macs"), int) and x["macs"] > 0]
        if len(picked) != 1:
            raise InputError(path, f"layers: expected a layer named {layer_name!r} (the "
                                   "mapping's) or exactly one layer with MACs")
    layer = picked[0]
    i = layers.index(layer)
    if not isinstance(layer.get("accesses"), dict):
        raise InputError(path, f"layers[{i}].accesses: expected the per-level access counts")
    return layer, f"layers[{i}]"


def load_arch(path):
    """The levels of a levels-form dfsim arch file, outermost first."""
    doc = read_json(path)
    levels = doc.get("levels") if isinstance(doc, dict) else None
    if not isinstance(levels, list) or not levels or not all(
            isinstance(lv, dict) and isinstance(lv.get("name"), str)
            and lv.get("kind") in ("dram", "storage", "fanout") for lv in levels):
        raise InputError(path, "levels: expected the general form's list of named levels of "
                               "kind dram, storage or fanout (scripts/import_timeloop_arch "
                               "writes it)")
    if levels[0]["kind"] != "dram":
        raise InputError(path, "levels[0].kind: expected the dram level first")
    return levels


def _level_tensors(lv):
    """The tensors an arch level keeps (its partitions', or all three)."""
    if lv["kind"] == "dram" or "partitions" not in lv:
        return list(TENSORS)
    return [t for t in TENSORS if any(t in (p.get("tensors") or []) for p in lv["partitions"])]


def components_of(arch_levels):
    """{Timeloop component name: dfsim level name} from the notes of levels and partitions."""
    out = {}
    for lv in arch_levels:
        if lv["kind"] == "fanout":
            continue
        m = COMPONENT_NOTE.match(str(lv.get("notes", "")))
        if m:
            out[m.group(1)] = lv["name"]
        for p in lv.get("partitions") or []:
            m = COMPONENT_NOTE.match(str(p.get("notes", "")))
            if m:
                out[m.group(1)] = lv["name"]
    return out


def load_mapping(path, arch_levels):
    """{storage level name: {"temporal", "spatial", "keeps"}} from a mapping file in the general
    or the 4-level form."""
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise InputError(path, "expected a dfsim mapping file (src/io/README.md 'Mapping file')")
    storage = [lv for lv in arch_levels if lv["kind"] != "fanout"]
    if "levels" in doc:
        entries = doc["levels"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InputError(path, "levels: expected a list of level objects")
        where = [f"levels[{i}]" for i in range(len(entries))]
    else:
        if len(storage) != 3:
            raise InputError(path, "expected the general form (\"levels\"): the 4-level form "
                                   "needs an arch of three storage levels")
        entries = [{"level": storage[0]["name"], "temporal": doc.get("dram", [])},
                   {"level": storage[1]["name"], "temporal": doc.get("glb", []),
                    "spatial": doc.get("spatial", []), "keeps": doc.get("glb_keeps")},
                   {"level": storage[2]["name"], "temporal": doc.get("rf", []),
                    "keeps": doc.get("rf_keeps")}]
        where = ["dram", "glb", "rf"]
    names = [e.get("level") for e in entries]
    if names != [lv["name"] for lv in storage]:
        raise InputError(path, f"{'levels' if 'levels' in doc else 'mapping'}: expected one "
                               f"entry per storage level of the arch, in order "
                               f"({', '.join(lv['name'] for lv in storage)}), got {names}")
    out = {}
    for e, at, lv in zip(entries, where, storage):
        loops = {}
        for kind in ("temporal", "spatial"):
            lst = e.get(kind, [])
            if not isinstance(lst, list):
                raise InputError(path, f"{at}.{kind}: expected a list of loops")
            for j, loop in enumerate(lst):
                if not isinstance(loop, dict) or loop.get("dim") not in DIMS or not isinstance(
                        loop.get("bound"), int) or loop["bound"] < 1:
                    raise InputError(path, f"{at}.{kind}[{j}]: expected {{\"dim\": one of "
                                           f"{' '.join(DIMS)}, \"bound\": a positive integer}}")
                if "tile" in loop:
                    raise InputError(path, f"{at}.{kind}[{j}]: a loop with a tile (ragged "
                                           "tiling); the conversions assume a perfectly "
                                           "factorised nest (dfsim run --tiling perfect)")
            loops[kind] = lst
        keeps = e.get("keeps")
        if keeps is None:
            keeps = _level_tensors(lv)
        if lv["kind"] == "dram":
            keeps = list(TENSORS)
        out[lv["name"]] = {"temporal": loops["temporal"], "spatial": loops["spatial"],
                           "keeps": [t for t in TENSORS if t in keeps]}
    return out, doc.get("layer")


# --- the model of the hierarchy -------------------------------------------------------------

class Model:
    """dfsim's counts, the arch's levels and the mapping, and the closed forms over them."""

    def __init__(self, arch_levels, mapping, layer, dfsim_path, first_fills):
        self.levels = arch_levels
        self.mapping = mapping
        self.layer = layer
        self.path = dfsim_path
        self.first_fills = first_fills
        self.storage = [i for i, lv in enumerate(arch_levels) if lv["kind"] != "fanout"]
        self.innermost = arch_levels[self.storage[-1]]["name"]
        acc = layer["accesses"]
        for lv in arch_levels:
            if lv["name"] not in acc:
                raise InputError(dfsim_path, f"accesses.{lv['name']}: missing; expected the "
                                             "counts of every level of the arch given")
        self.outputs = 1
        for m in mapping.values():
            for loop in m["temporal"] + m["spatial"]:
                if loop["dim"] in RELEVANT["outputs"]:
                    self.outputs *= loop["bound"]
        self._received, self._sent, self._received_src = {}, {}, {}
        self._output_chain()

    def count(self, level, tensor, what):
        v = self.layer["accesses"][level].get(tensor, {}).get(what)
        if not isinstance(v, (int, float)):
            raise InputError(self.path, f"accesses.{level}.{tensor}.{what}: expected a count")
        return v

    def keeps(self, i, tensor):
        lv = self.levels[i]
        return lv["kind"] != "fanout" and tensor in self.mapping[lv["name"]]["keeps"]

    def fanout_loops(self, i):
        """The spatial loops of fan-out level i: those of the storage level above it."""
        return self.mapping[self.levels[i - 1]["name"]]["spatial"]

    def parent(self, i, tensor):
        """(index of the next level above i keeping tensor, index of the fan-out between or
        None)."""
        fan = None
        for j in range(i - 1, -1, -1):
            if self.levels[j]["kind"] == "fanout":
                fan = j if fan is None else fan
            elif self.keeps(j, tensor):
                return j, fan
        return None, None

    def child(self, i, tensor):
        fan = None
        for j in range(i + 1, len(self.levels)):
            if self.levels[j]["kind"] == "fanout":
                fan = j if fan is None else fan
            elif self.keeps(j, tensor):
                return j, fan
        return None, None

    def product(self, loops, dims):
        p = 1
        for loop in loops:
            if loop["dim"] in dims:
                p *= loop["bound"]
        return p

    def irrelevant(self, tensor):
        return set(DIMS) - RELEVANT[tensor]

    def held_outputs(self, i):
        """P_L: the outputs level i's instances hold, summed over them."""
        p = self.outputs
        for j in range(i):
            if self.levels[j]["kind"] == "fanout":
                p *= self.product(self.fanout_loops(j), self.irrelevant("outputs"))
        return p

    def group(self, i):
        """G_L: the PEs of one reduction group below the fan-out right above level i."""
        _, fan = self.parent(i, "outputs")
        if fan is None:
            return 1
        return self.product(self.fanout_loops(fan), self.irrelevant("outputs"))

    def _output_chain(self):
        for i in self.storage:
            name = self.levels[i]["name"]
            if i == 0 or not self.keeps(i, "outputs"):
                self._received[name], self._sent[name] = 0, 0
                continue
            p, fan = self.parent(i, "outputs")
            if fan is not None:
                fname = self.levels[fan]["name"]
                self._received[name] = self.count(fname, "outputs", "reads")
                self._sent[name] = self.count(fname, "outputs", "writes")
                self._received_src[name] = f"{fname}.outputs.reads"
            else:
                pname = self.levels[p]["name"]
                self._received[name] = (self.count(pname, "outputs", "reads")
                                        - self._sent[pname])
                self._sent[name] = (self.count(pname, "outputs", "writes")
                                    - self._received[pname])
                self._received_src[name] = (f"{pname}.outputs.reads" if p == 0 else
                                            f"{pname}.outputs.reads - sent({pname})")

    def halo_at(self, level, fig):
        """Whether the level receiving the inputs a figure of `level` counts has halo_reuse."""
        if level not in [lv["name"] for lv in self.levels]:
            return False
        i = self.index(level)
        if fig == "reads":
            i, _ = self.child(i, "inputs")
        return i is not None and bool(self.levels[i].get("halo_reuse"))

    def index(self, name):
        return [lv["name"] for lv in self.levels].index(name)

    # Each figure: (dfsim figure, its source, converted, [reason keys], how it was converted).
    def figure(self, level, tensor, fig):
        i = self.index(level)
        outer = i == 0
        inner = level == self.innermost
        src = f"{level}.{tensor}"
        if tensor != "outputs" or outer:
            if fig == "reads":
                raw = self.count(level, tensor, "reads")
                c, fan = self.child(i, tensor)
                if tensor == "outputs" or c is None or fan is None:
                    return raw, f"{src}.reads", raw, [], "as is"
                fname = self.levels[fan]["name"]
                div = self.product(self.fanout_loops(fan), self.irrelevant(tensor))
                conv = self.count(fname, tensor, "reads") / div
                return (raw, f"{src}.reads", _int(conv), ["exact_multicast"],
                        f"{fname}.{tensor}.reads / I = {div}")
            if fig == "fills":
                raw = 0 if outer else self.count(level, tensor, "writes")
                return raw, "-" if outer else f"{src}.writes", raw, [], "as is"
            raw = self.count(level, tensor, "writes") if tensor == "outputs" else 0
            return raw, f"{src}.writes" if tensor == "outputs" else "-", raw, [], "as is"
        received, sent = self._received[level], self._sent[level]
        held = self.held_outputs(i)
        if fig == "updates":
            raw = self.count(level, tensor, "writes")
            why = ["returned_update"] if received else []
            return raw, f"{src}.writes", raw - received, why, f"- received {received}"
        if fig == "reads":
            raw = self.count(level, tensor, "reads")
            conv, why, how = raw - sent, ["writeback"] if sent else [], f"- sent {sent}"
            if inner:
                conv -= held
                why.append("first_read")
                how += f" - P = {held}"
            return raw, f"{src}.reads", conv, why, how
        group = self.group(i)
        conv, why = received * group, ["return_multicast"] if received and group > 1 else []
        how = f"received x G = {group}"
        if self.first_fills:
            conv += held
            why.append("first_fill")
            how += f" + P = {held}"
        return received, self._received_src[level], conv, why, how

    def delivered(self, level, tensor):
        """The words arriving at level's instances from above, in Timeloop's conventions."""
        i = self.index(level)
        if self.keeps(i, tensor):
            return self.figure(level, tensor, "fills")
        p, _ = self.parent(i, tensor)
        if p is None:
            return None
        return self.figure(self.levels[p]["name"], tensor, "reads")


def _int(v):
    return int(v) if float(v).is_integer() else v


# --- the comparison -------------------------------------------------------------------------

def compare(stats, model, comp_level, compute_name):
    """The table's rows: per Timeloop component, tensor and figure (outermost first), then the
    MAC's figures, then one or more rows per network; each row says Timeloop's value, dfsim's,
    the converted one, the status and the reasons (keys of REASONS)."""
    rows = []

    def add(level, component, tensor, figure, tl, dfsim, src, conv, why, how="as is"):
        if tl is None:
            status = "not compared"
        elif conv is not None and conv == tl:
            status = "equal" if dfsim == tl else "equal in Timeloop's conventions"
        else:
            status = "differs"
            why = []
            if tensor == "inputs" and figure in ("reads", "fills", "delivered"):
                halo = model.halo_at(level, figure)
                if dfsim < tl and halo:
                    why = ["window_reset"]
                elif dfsim > tl and not halo:
                    why = ["no_halo"]
        if tl is not None and status != "differs" and conv == dfsim:
            why = []  # the conventions agree on this figure
        row = {"level": level, "component": component, "tensor": tensor, "figure": figure,
               "timeloop": tl, "dfsim": dfsim, "dfsim_source": src, "converted": conv,
               "conversion": how, "status": status, "reasons": why}
        rows.append(row)

    storage_levels = [lv for lv in stats["levels"] if lv["name"] != compute_name]
    for lv in reversed(storage_levels):
        if not lv["tensors"]:
            continue
        level = comp_level[lv["name"]]
        for t in TENSORS:
            s = lv["tensors"].get(t)
            if s is None:
                continue
            inst = s.get("Utilized instances (max)", 1)
            for fig, key in FIGURES:
                if key not in s:
                    continue
                tl = _int(s[key] * inst)
                add(level, lv["name"], t, fig, tl, *model.figure(level, t, fig))
    mac = next((lv for lv in stats["levels"] if lv["name"] == compute_name), None)
    layer = model.layer
    if mac is not None:
        own = mac["own"]
        cyc = layer.get("cycles", {})
        if "Cycles" in own:
            if "estimate" in cyc:
                add("mac", mac["name"], "", "cycles", own["Cycles"], cyc["estimate"],
                    "cycles.estimate", cyc["estimate"], [])
            elif "total" in cyc:
                throttled = any(x["own"].get("Bandwidth throttling", 1) != 1
                                for x in stats["levels"])
                conv = None if throttled else cyc.get("compute")
                add("mac", mac["name"], "", "cycles", own["Cycles"], cyc["total"],
                    "cycles.total", conv, ["sim_cycles"],
                    "cycles.compute" if conv is not None else "none: a level throttles")
        if "Utilized instances" in own:
            add("mac", mac["name"], "", "utilized instances", own["Utilized instances"],
                layer.get("active_pes"), "active_pes", layer.get("active_pes"), [])
    if stats["macs"] is not None:
        add("mac", compute_name, "", "computes", stats["macs"], layer.get("macs"), "macs",
            layer.get("macs"), [])
    instances = {}
    for lv in stats["levels"]:
        for s in lv["tensors"].values():
            instances[lv["name"]] = max(instances.get(lv["name"], 0),
                                        s.get("Utilized instances (max)", 0))
    for net in stats["networks"]:
        up, low = net["upper"], net["lower"]
        dup, dlow = comp_level.get(up), comp_level.get(low)
        figure = "delivered"
        if low == compute_name or (dup is not None and dup == dlow) or dlow is None:
            key = ("mac_operands" if low == compute_name else
                   "pass_through" if dlow is None else "inside_level")
            add(dlow or dup or "-", net["name"], "", figure, None, None, "-", None, [key], "-")
            continue
        for t in TENSORS:
            s = net["tensors"].get(t)
            if s is None:
                continue
            fanout = s.get("Fanout", 1) or 1
            inst = instances.get(up) or max(1, instances.get(low, 1) // fanout)
            words = sum(k * n for k, n in s["multicast"].items()) if s["multicast"] else (
                s.get("Ingresses", 0) * s.get("Multicast factor", 1))
            got = model.delivered(dlow, t)
            if got is None:
                continue
            add(dlow, net["name"], t, figure, _int(words * inst), *got)
    return rows


def render_table(rows, header):
    """The rows as a fixed-width text table, the reasons numbered in a legend below it."""
    cols = ["level", "component", "tensor", "figure", "Timeloop", "dfsim", "converted", "status"]
    keys = {}
    body = []
    for r in rows:
        mark = ""
        if r["reasons"]:
            nums = []
            for k in r["reasons"]:
                keys.setdefault(k, len(keys) + 1)
                nums.append(str(keys[k]))
            mark = f" [{','.join(nums)}]"
        status = r["status"] + mark
        body.append([r["level"], r["component"], r["tensor"] or "-", r["figure"],
                     _fmt(r["timeloop"]), _fmt(r["dfsim"]), _fmt(r["converted"]), status])
    widths = [max(len(c), *(len(b[k]) for b in body)) for k, c in enumerate(cols[:-1])]
    lines = list(header)
    lines.append("  ".join(c.ljust(w) for c, w in zip(cols[:-1], widths)) + "  " + cols[-1])
    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    for b in body:
        lines.append("  ".join(v.rjust(w) if 4 <= k <= 6 else v.ljust(w)
                               for k, (v, w) in enumerate(zip(b[:-1], widths))) + "  " + b[-1])
    if keys:
        lines.append("")
        for k, n in sorted(keys.items(), key=lambda x: x[1]):
            lines.append(f"[{n}] {REASONS[k]}")
    return "\n".join(lines) + "\n"


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.2f}"
    return f"{int(v):,}"


def run(args):
    """The output text (table or JSON) for the parsed command line."""
    stats = parse_stats(args.stats)
    arch_levels = load_arch(args.arch)
    mapping, map_layer = load_mapping(args.mapping, arch_levels)
    layer, _ = load_dfsim(args.dfsim, args.layer or map_layer)
    comp_level = components_of(arch_levels)
    names = {lv["name"] for lv in arch_levels}
    for spec in args.level:
        comp, sep, lname = spec.partition("=")
        if not sep or not comp or lname not in names:
            raise InputError(f"--level {spec}", "expected COMPONENT=LEVEL naming a level of the "
                                                f"arch ({', '.join(sorted(names))})")
        comp_level[comp] = lname
    compute = [lv["name"] for lv in stats["levels"] if not lv["tensors"]
               and "Utilized instances" in lv["own"]]
    compute_name = compute[0] if compute else None
    for lv in stats["levels"]:
        if lv["tensors"] and lv["name"] not in comp_level:
            raise InputError(args.stats, f"component {lv['name']}: no level of {args.arch} "
                                         f"names it in its notes ('component {lv['name']} (...'); "
                                         f"give --level {lv['name']}=LEVEL")
        if lv["tensors"] and comp_level[lv["name"]] not in names:
            raise InputError(args.stats, f"component {lv['name']}: its level "
                                         f"{comp_level[lv['name']]} is not in {args.arch}")
    first = {"counted": True, "elided": False}.get(args.first_fills,
                                                   stats["layout"] == "old")
    model = Model(arch_levels, mapping, layer, args.dfsim, first)
    for lv in stats["levels"]:
        for t in lv["tensors"]:
            i = model.index(comp_level[lv["name"]])
            if not model.keeps(i, t):
                raise InputError(args.stats, f"component {lv['name']}: Timeloop keeps {t} "
                                             f"there, but dfsim level {comp_level[lv['name']]} "
                                             f"does not in {args.mapping}")
    rows = compare(stats, model, comp_level, compute_name)
    summary = {}
    for r in rows:
        summary[r["status"]] = summary.get(r["status"], 0) + 1
    doc = {"stats": args.stats, "dfsim": args.dfsim, "layer": layer.get("name"),
           "first_fills": "counted" if first else "elided", "outputs": model.outputs,
           "rows": rows, "summary": summary,
           "reasons": {k: REASONS[k] for k in REASONS
                       if any(k in r["reasons"] for r in rows)}}
    if args.json:
        return json.dumps(doc, indent=2) + "\n"
    header = [f"Timeloop {args.stats}", f"dfsim    {args.dfsim} (layer {layer.get('name')})",
              f"first-visit fills of outputs: {doc['first_fills']}; outputs O = "
              f"{model.outputs:,}", ""]
    text = render_table(rows, header)
    text += "\n" + ", ".join(f"{n} {k}" for k, n in sorted(summary.items())) + "\n"
    return text


def main(argv=None):
    """Command line: see --help."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compare Timeloop's stats (timeloop-mapper.stats.txt) with dfsim's counts "
                    "for the same layer and mapping (`dfsim evaluate --json`, or a run's "
                    "stats.json), level by level and tensor by tensor: Timeloop's figure "
                    "(per instance x utilized instances), dfsim's, dfsim's converted to "
                    "Timeloop's conventions, and why they differ.",
        epilog="example:\n  dfsim evaluate --arch tl.json --energy ert.json --network net.json "
               "--mapping map.json --json > eval.json\n  compare_timeloop "
               "timeloop-mapper.stats.txt --dfsim eval.json --arch tl.json --mapping map.json\n"
               "conventions: docs/timeloop_comparison.md\n"
               "exit status: 0 success (differences are reported, not errors), 2 bad input "
               "(one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stats", help="Timeloop's stats file (timeloop-mapper.stats.txt)")
    parser.add_argument("--dfsim", required=True, metavar="JSON",
                        help="`dfsim evaluate --json` output or a run's stats.json")
    parser.add_argument("--arch", required=True, metavar="ARCH.json",
                        help="the dfsim arch (levels form) the counts came from")
    parser.add_argument("--mapping", required=True, metavar="MAP.json",
                        help="the dfsim mapping the counts came from (general or 4-level form; "
                             "a perfectly factorised nest)")
    parser.add_argument("--layer", help="the layer in --dfsim (default: the mapping's layer)")
    parser.add_argument("--level", action="append", default=[], metavar="COMPONENT=LEVEL",
                        help="place a Timeloop component on a dfsim level (default: the "
                             "component names in the arch's notes; repeatable)")
    parser.add_argument("--first-fills", choices=["auto", "counted", "elided"], default="auto",
                        help="whether the stats count a fill for an output tile's first visit "
                             "(auto: counted when the file lists 'Scalar updates' before "
                             "'Scalar fills', the older layout)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    write_text(run(args), args.output)
