"""Timeloop architecture YAML (v0.3/v0.4 tree, or the v4 list of !Container/!Component nodes)
-> dfsim architecture JSON in the general form ("levels", src/io/README.md).

The hierarchy is read into a list of storage groups and fan-outs, outermost first, then written
as dfsim levels:
- the outermost storage component is the `dram` level (capacity not modelled);
- every other storage component (one with a depth) is a storage level whose capacity is
  depth x width bits, written in words of the arch's `word_bits`; it keeps the tensors its
  constraints say (`dataspace: {keep, bypass}` in v4, `architecture_constraints` targets of
  type bypass in v0.3, given with --constraints or in the file), else all three;
- sibling storage components (a v4 `!Parallel`; in the tree form, consecutive components of one
  `local` list with the same instances and disjoint kept tensors: Eyeriss's spads) are the
  partitions of ONE level;
- a spatial fan-out (v4 `spatial: {meshX, meshY}`; in the tree form the ratio of instances,
  `name[lo..hi]` ranges and `meshX`, between two storage levels) is a fan-out of rows = meshY
  by cols = meshX; two fan-outs with no storage between them (or with only a level that keeps
  nothing, such as eyeriss_like's DummyBuffer) are one fan-out, their rows and columns
  multiplied; networks are multicast with unlimited bandwidth;
- `read_bandwidth`/`write_bandwidth` (words per cycle) become the level's ports, except at the
  innermost level (dfsim's PE-local level has no ports); `multiple_buffering` >= 2 is
  `double_buffered`;
- every on-chip storage level is written with `"halo_reuse": true`: Timeloop moves into a buffer
  only the part of a new tile that the tile it holds lacks (the sliding window's new rows and
  columns), which is dfsim's halo reuse (issue 14); `halo_reuse=False` (`--no-halo-reuse`)
  writes false, every new tile then fetched whole.
Each partition's and level's `notes` names the component it came from (`component NAME (PATH)`,
which import_accelergy_ert --arch reads) and how its numbers were computed.

Refused (exit 2, naming the file and the YAML path): a component with no depth that is not the
outermost level or the compute unit, a DRAM that is not outermost, two subtrees side by side,
instance counts that do not divide, two sibling components keeping one tensor, a dataspace that
is not Weights/Inputs/Outputs, more than 8 levels, bandwidths that are not whole words.
"""

import argparse
import json
import os
import re
from collections import Counter

from .common import InputError, run_main, write_text

PROG = "import_timeloop_arch"

TENSORS = ["weights", "inputs", "outputs"]
DATASPACES = {"weights": "weights", "inputs": "inputs", "outputs": "outputs"}
COMPUTE_PATTERN = r"mac|alu|compute|mult|adder|fma"
MAX_LEVELS = 8
MAX_PES = 65536
HALO_NOTE = ("halo_reuse: Timeloop moves only the part of a new tile the held one lacks (its fills "
             "are differences of point sets), so a new window keeps the words it shares with the "
             "previous one")
NO_HALO_NOTE = ("halo_reuse false (--no-halo-reuse): every new tile is fetched whole, unlike "
                "Timeloop, which moves only the part the held tile lacks")


def _loader():
    """A safe YAML loader that reads timeloopfe's tags (!Container, !Component, !Parallel,
    !Nothing, ...) as mappings (or lists) with the tag under "_tag"."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):
        if isinstance(node, yaml.MappingNode):
            out = loader.construct_mapping(node, deep=True)
            out = dict(out)
        elif isinstance(node, yaml.SequenceNode):
            out = {"nodes": loader.construct_sequence(node, deep=True)}
        else:
            value = loader.construct_scalar(node)
            out = {"value": value} if value != "" else {}
        out["_tag"] = suffix
        return out

    Loader.add_multi_constructor("!", tagged)
    return Loader


def load_arch_yaml(path):
    """The YAML document in `path`, timeloopfe tags kept as "_tag"."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover
        raise InputError(path, f"cannot import yaml ({e}); install Debian's python3-yaml")
    try:
        with open(path) as f:
            return yaml.load(f, Loader=_loader())
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise InputError(path, f"{at}YAML syntax error: {getattr(e, 'problem', None) or e}")


def snake(name):
    """`PEInputBuffer[1..16]` -> `pe_input_buffer`: a dfsim level name ([a-z][a-z0-9_]*)."""
    base = re.sub(r"\[[^\]]*\]", "", str(name)).split(".")[-1]
    base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", base)
    base = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", base)
    base = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    if not base or not base[0].isalpha():
        base = "l_" + base
    return base


def leaf(name):
    """`PE[0..167]` -> `PE`."""
    return re.sub(r"\[[^\]]*\]", "", str(name)).split(".")[-1]


def name_range(name):
    """The instances a `name[lo..hi]` range gives (1 without a range)."""
    count = 1
    for lo, hi in re.findall(r"\[(\d+)\.\.(\d+)\]", str(name)):
        count *= int(hi) - int(lo) + 1
    return count


class Component:
    """One Timeloop component: its name, class, attributes (inherited ones merged), YAML path,
    the tensors it keeps and where that came from, and (tree form) its instances and meshX."""

    def __init__(self, name, cls, attrs, path):
        self.name = str(name)
        self.leaf = leaf(name)
        self.cls = cls
        self.attrs = attrs
        self.path = path
        self.keep = list(TENSORS)
        self.keep_src = "all three tensors (no dataspace constraint)"
        self.instances = 1
        self.mesh_x = None
        self.node = None  # tree form: the leaf name of the node whose local list holds it

    def is_compute(self):
        text = f"{self.cls} {self.leaf}".lower()
        return self.depth() is None and re.search(COMPUTE_PATTERN, text) is not None \
            and "dram" not in text

    def is_dram(self):
        return "dram" in str(self.cls).lower()

    def depth(self):
        for key in ("depth", "memory_depth"):
            if self.attrs.get(key) is not None:
                return key, self.attrs[key]
        return None

    def attr_key(self, *keys):
        for key in keys:
            if self.attrs.get(key) is not None:
                return key
        return None


def _tensors(where, path, values, what):
    out = []
    if values is None:
        return out
    if isinstance(values, str):
        values = [v for v in re.split(r"[\s,]+", values) if v]
    if not isinstance(values, list):
        raise InputError(where, f"{path}: expected a list of dataspaces ({what})")
    for v in values:
        t = DATASPACES.get(str(v).lower())
        if t is None:
            raise InputError(where, f"{path}: dataspace '{v}' is not one of Weights, Inputs, "
                                    "Outputs (dfsim's convolution tensors)")
        if t not in out:
            out.append(t)
    return out


def apply_dataspace(where, comp, ds, path, source):
    """Sets `comp.keep` from a {keep, bypass} constraint."""
    if not isinstance(ds, dict):
        raise InputError(where, f"{path}: expected {{keep: [...], bypass: [...]}}")
    keep = _tensors(where, f"{path}.keep", ds.get("keep"), "keep")
    bypass = _tensors(where, f"{path}.bypass", ds.get("bypass"), "bypass")
    both = set(keep) & set(bypass)
    if both:
        raise InputError(where, f"{path}: {', '.join(sorted(both))} both kept and bypassed")
    # Only `keep`: exactly those (a !Parallel's siblings split the tensors so); with `bypass`:
    # every tensor not bypassed (one Timeloop leaves free, dfsim lets the mapping keep).
    if ds.get("bypass") is None and ds.get("keep") is not None:
        comp.keep = [t for t in TENSORS if t in keep]
    else:
        comp.keep = [t for t in TENSORS if t not in bypass]
    comp.keep_src = f"{source} {path}"


# --- v4 list form ------------------------------------------------------------------------------

def read_list_form(where, arch):
    """[("storage", [Component]) | ("fanout", rows, cols, name, path) | ("compute", Component)]
    from `architecture.nodes`."""
    items = []
    inherited = {}

    def walk(nodes, path, inherit):
        if not isinstance(nodes, list):
            raise InputError(where, f"{path}: expected a list of nodes")
        for i, node in enumerate(nodes):
            at = f"{path}[{i}]"
            if not isinstance(node, dict):
                raise InputError(where, f"{at}: expected a !Container, !Component, !Parallel "
                                        "or !Nothing node")
            tag = node.get("_tag") or ("Component" if "class" in node else "Container")
            attrs = node.get("attributes") or {}
            if not isinstance(attrs, dict):
                raise InputError(where, f"{at}.attributes: expected a mapping")
            if tag == "Container":
                inherit.update(attrs)
                spatial = node.get("spatial") or {}
                if not isinstance(spatial, dict):
                    raise InputError(where, f"{at}.spatial: expected {{meshX, meshY}}")
                cols, rows = _mesh(where, f"{at}.spatial", spatial)
                if rows * cols > 1:
                    items.append(("fanout", rows, cols, str(node.get("name", f"node{i}")),
                                  f"{at}.spatial"))
            elif tag == "Component":
                comp = _component(where, node, at, dict(inherit, **attrs))
                spatial = node.get("spatial") or {}
                cols, rows = _mesh(where, f"{at}.spatial", spatial)
                if rows * cols > 1:
                    items.append(("fanout", rows, cols, comp.name, f"{at}.spatial"))
                items.append(("compute", comp) if comp.is_compute() else ("storage", [comp]))
            elif tag == "Parallel":
                group = []
                passes = []
                for j, sub in enumerate(node.get("nodes") or []):
                    sat = f"{at}.nodes[{j}]"
                    stag = sub.get("_tag") if isinstance(sub, dict) else None
                    if stag == "Nothing":
                        ds = ((sub.get("constraints") or {}).get("dataspace") or {})
                        passes += _tensors(where, f"{sat}.constraints.dataspace.keep",
                                           ds.get("keep"), "keep")
                        continue
                    if stag != "Component" and not (isinstance(sub, dict) and "class" in sub):
                        raise InputError(where, f"{sat}: expected a !Component or !Nothing in a "
                                                "!Parallel (dfsim makes its storage components "
                                                "the partitions of one level)")
                    sattrs = sub.get("attributes") or {}
                    comp = _component(where, sub, sat, dict(inherit, **sattrs))
                    if comp.is_compute():
                        raise InputError(where, f"{sat}: a compute unit inside a !Parallel; dfsim "
                                                "has one MAC per PE below the innermost level")
                    group.append(comp)
                if group:
                    items.append(("storage", group, at, passes))
            elif tag == "Hierarchical":
                walk(node.get("nodes") or [], f"{at}.nodes", inherit)
            elif tag == "Nothing":
                continue
            else:
                raise InputError(where, f"{at}: node type !{tag} is not one dfsim reads "
                                        "(expected !Container, !Component, !Parallel, !Nothing, "
                                        "!Hierarchical)")

    walk(arch.get("nodes"), "architecture.nodes", inherited)
    return items, inherited


def _mesh(where, path, spatial):
    values = []
    for key in ("meshX", "meshY"):
        v = spatial.get(key, 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(where, f"{path}.{key}: expected a positive integer, got {v!r}")
        values.append(v)
    return values[0], values[1]


def _component(where, node, at, attrs):
    if not isinstance(node.get("name"), str):
        raise InputError(where, f"{at}.name: expected the component's name (a string)")
    cls = node.get("subclass") or node.get("class")
    comp = Component(node["name"], cls, attrs, at)
    constraints = node.get("constraints") or {}
    if isinstance(constraints, dict) and constraints.get("dataspace") is not None:
        apply_dataspace(where, comp, constraints["dataspace"], f"{at}.constraints.dataspace",
                        "constraint")
    return comp


# --- v0.3/v0.4 tree form -----------------------------------------------------------------------

def read_tree_form(where, arch):
    """Items as read_list_form, from `architecture.subtree` (nested `local` lists; instances from
    `name[lo..hi]` ranges; meshX absolute per component)."""
    comps = []

    def walk(node, path, mult, inherit):
        if not isinstance(node, dict):
            raise InputError(where, f"{path}: expected a node {{name, attributes, local, subtree}}")
        mult *= name_range(node.get("name", ""))
        attrs = dict(inherit, **(node.get("attributes") or {}))
        local = node.get("local") or []
        if not isinstance(local, list):
            raise InputError(where, f"{path}.local: expected a list of components")
        for i, c in enumerate(local):
            at = f"{path}.local[{i}]"
            if not isinstance(c, dict):
                raise InputError(where, f"{at}: expected a component {{name, class, attributes}}")
            comp = _component(where, c, at, dict(attrs, **(c.get("attributes") or {})))
            comp.instances = mult * name_range(c["name"])
            mx = comp.attrs.get("meshX")
            if mx is not None and (isinstance(mx, bool) or not isinstance(mx, int) or mx < 1):
                raise InputError(where, f"{at}.attributes.meshX: expected a positive integer")
            comp.mesh_x = mx
            comp.node = leaf(node.get("name", "")) or None
            comps.append(comp)
        subtree = node.get("subtree") or []
        if not isinstance(subtree, list):
            raise InputError(where, f"{path}.subtree: expected a list of nodes")
        if len(subtree) > 1:
            raise InputError(where, f"{path}.subtree: {len(subtree)} subtrees side by side; dfsim "
                                    "has one hierarchy (one subtree per node)")
        for i, sub in enumerate(subtree):
            walk(sub, f"{path}.subtree[{i}]", mult, attrs)

    top = arch.get("subtree")
    if top is None and "local" in arch:
        top = [{"name": "", "local": arch["local"]}]
    if not isinstance(top, list) or len(top) != 1:
        raise InputError(where, "architecture.subtree: expected a list of one node (the system)")
    walk(top[0], "architecture.subtree[0]", 1, {})
    return comps


def tree_items(where, comps):
    """Groups the tree's components into storage groups and fan-outs."""
    items = []
    prev = None  # (instances, meshX) of the last storage group
    group = []

    def flush():
        if group:
            items.append(("storage", list(group)))
            group.clear()

    for comp in comps:
        mx = comp.mesh_x if comp.mesh_x is not None else comp.instances
        if comp.instances % mx:
            raise InputError(where, f"{comp.path}.attributes.meshX: {mx} does not divide the "
                                    f"{comp.instances} instances of '{comp.name}'")
        here = (comp.instances, mx)
        same = prev == here and group and not any(
            set(comp.keep) & set(g.keep) for g in group) and comp.keep \
            and all(g.keep for g in group)
        if same and not comp.is_compute():
            group.append(comp)
            continue
        flush()
        if prev is not None and here != prev:
            if comp.instances % prev[0] or mx % prev[1]:
                raise InputError(where, f"{comp.path}: {comp.instances} instances (meshX {mx}) "
                                        f"are not a whole multiple of the {prev[0]} (meshX "
                                        f"{prev[1]}) of the level above")
            cols = mx // prev[1]
            rows = (comp.instances // prev[0]) // cols
            own = name_range(comp.name) > 1 or not comp.node
            items.append(("fanout", rows, cols, leaf(comp.name) if own else comp.node,
                          f"{comp.path}.name",
                          f"{comp.instances} instances (meshX {mx}) below {prev[0]} (meshX "
                          f"{prev[1]})"))
        prev = here
        if comp.is_compute():
            items.append(("compute", comp))
        else:
            group.append(comp)
    flush()
    return items


def apply_constraint_files(where, comps, docs):
    """v0.3 `architecture_constraints.targets` entries of type bypass (keep/bypass lists) set
    the components' kept tensors."""
    by_name = {}
    for c in comps:
        by_name.setdefault(c.leaf, []).append(c)
    for src, doc in docs:
        if not isinstance(doc, dict):
            raise InputError(src, "expected a YAML mapping with architecture_constraints")
        for root in ("architecture_constraints", "constraints"):
            block = doc.get(root)
            if block is None:
                continue
            targets = block.get("targets") if isinstance(block, dict) else block
            if not isinstance(targets, list):
                raise InputError(src, f"{root}.targets: expected a list")
            for i, t in enumerate(targets):
                at = f"{root}.targets[{i}]"
                if not isinstance(t, dict) or t.get("type") not in ("bypass", "datatype",
                                                                    "dataspace"):
                    continue
                name = leaf(t.get("target", ""))
                if name not in by_name:
                    raise InputError(src, f"{at}.target: '{t.get('target')}' names no component "
                                          f"of {where} (components: "
                                          f"{', '.join(sorted(by_name))})")
                for comp in by_name[name]:
                    apply_dataspace(src, comp, {"keep": t.get("keep"), "bypass": t.get("bypass")},
                                    at, f"{os.path.basename(src)}")


# --- items -> dfsim levels ---------------------------------------------------------------------

def _int_attr(where, comp, key, what):
    v = comp.attrs.get(key)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(where, f"{comp.path}.attributes.{key}: expected {what} (a positive "
                                f"integer), got {v!r}")
    return v


def _datawidth(where, comp):
    key = comp.attr_key("datawidth", "word-bits", "word_bits")
    if key is None:
        raise InputError(where, f"{comp.path}.attributes.datawidth: missing (the bits of one "
                                f"word of '{comp.name}'; none inherited either)")
    return key, _int_attr(where, comp, key, "the bits per word")


def _bits(where, comp):
    """(capacity in bits, how it was computed) of a storage component."""
    dkey, depth = comp.depth()
    depth = _int_attr(where, comp, dkey, "the depth")
    bkey = comp.attr_key("block-size", "block_size")
    _, dw = _datawidth(where, comp)
    if bkey is not None:
        block = _int_attr(where, comp, bkey, "words per row")
        return depth * block * dw, f"{dkey} {depth} x {bkey} {block} x {dw} bits"
    wkey = comp.attr_key("width", "memory_width")
    if wkey is None:
        raise InputError(where, f"{comp.path}.attributes.width: missing (the bits of one row of "
                                f"'{comp.name}')")
    width = _int_attr(where, comp, wkey, "the row width in bits")
    return depth * width, f"{dkey} {depth} x {wkey} {width} bits"


def _port(where, comp, key):
    v = comp.attrs.get(key)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(where, f"{comp.path}.attributes.{key}: {v!r} is not a positive whole "
                                "number of words per cycle (dfsim's ports move whole words)")
    return v


def convert(path, constraints=(), name=None, clock_mhz=None, plan=None, halo_reuse=True):
    """The dfsim arch document (an ordered dict) and [warnings] for the Timeloop arch `path`;
    every on-chip storage level gets `"halo_reuse": halo_reuse`.

    When `plan` is a list, it receives one entry per dfsim level (same order) saying which
    Timeloop mapping targets it came from (see `build`); timeloop_map reads it."""
    doc = load_arch_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("architecture"), dict):
        raise InputError(path, "expected a Timeloop architecture: 'architecture: {version, "
                               "nodes: [...]}' (v4 list) or 'architecture: {version, subtree: "
                               "[...]}' (v0.3/v0.4 tree)")
    arch = doc["architecture"]
    cons_docs = [(c, load_arch_yaml(c)) for c in constraints]
    if isinstance(doc.get("architecture_constraints"), dict):
        cons_docs.insert(0, (path, doc))
    if "nodes" in arch:
        form = "v4 list form (architecture.nodes)"
        items, top_attrs = read_list_form(path, arch)
        comps = [c for it in items if it[0] != "fanout"
                 for c in (it[1] if it[0] == "storage" else [it[1]])]
        apply_constraint_files(path, comps, cons_docs)
    else:
        form = "tree form (architecture.subtree)"
        comps = read_tree_form(path, arch)
        apply_constraint_files(path, comps, cons_docs)
        items = tree_items(path, comps)
        top_attrs = {}
    return build(path, form, items, comps, top_attrs, name, clock_mhz, plan, halo_reuse)


def _spatial_target(form_is_list, it, above):
    """The Timeloop mapping target of a fan-out's spatial factors: timeloopfe's container
    `inter_<name>_spatial` in the v4 list form; in the tree form the storage component directly
    above the fan-out (`above`)."""
    if form_is_list:
        return f"inter_{it[3]}_spatial"
    return above


def build(path, form, items, comps, top_attrs, name, clock_mhz, plan=None, halo_reuse=True):
    notes = [f"Converted by scripts/import_timeloop_arch from {os.path.basename(path)} ({form})"]
    warnings = []
    # 1. the compute unit ends the hierarchy
    seq = []
    compute = None
    for it in items:
        if compute is not None:
            where = it[1][0].path if it[0] == "storage" else (it[4] if it[0] == "fanout"
                                                              else it[1].path)
            raise InputError(path, f"{where}: a node below the compute unit "
                                   f"'{compute.name}' ({compute.path}); dfsim's MACs are innermost")
        if it[0] == "compute":
            compute = it[1]
        else:
            seq.append(it)
    if compute is None:
        notes.append("no compute unit found (a component named or classed mac/alu...)")
    # 2. storage: components without depth; levels keeping nothing
    if not seq or seq[0][0] != "storage":
        raise InputError(path, "architecture: expected a storage component (the DRAM) first")
    first = seq[0][1]
    if len(first) != 1:
        raise InputError(path, f"{first[0].path}: the outermost level is {len(first)} parallel "
                               "components; dfsim's dram is one level keeping every tensor")
    for it in seq[1:]:
        if it[0] != "storage":
            continue
        for c in it[1]:
            if c.is_dram():
                raise InputError(path, f"{c.path}: a DRAM ('{c.name}') below the outermost "
                                       "level; dfsim has one DRAM, first")
            if c.depth() is None:
                raise InputError(path, f"{c.path}.attributes.depth: component '{c.name}' (class "
                                       f"{c.cls}) has no depth: it is neither a storage level "
                                       "dfsim can size nor the compute unit (a mac/alu)")
    # Per item, the Timeloop mapping targets it came from: a storage group's components (outer
    # to inner), a fan-out's spatial targets (target, rows, cols); "passthrough" are targets
    # that keep nothing (their temporal loops belong to the level above).
    list_form = form.startswith("v4")
    above = seq[0][1][-1].leaf
    sources = []
    for it in seq:
        if it[0] == "storage":
            sources.append({"components": [c.leaf for c in it[1]],
                            "keeps": [list(c.keep) for c in it[1]], "passthrough": []})
            above = it[1][-1].leaf
        else:
            target = _spatial_target(list_form, it, above)
            sources.append({"spatial": [(target, it[1], it[2])],
                            "passthrough": [target] if list_form else []})
    kept = [seq[0]]
    kept_sources = [sources[0]]
    for it, src in zip(seq[1:], sources[1:]):
        if it[0] == "storage" and not any(c.keep for c in it[1]):
            names = ", ".join(c.name for c in it[1])
            notes.append(f"{names} ({it[1][0].path}) keeps no tensor ({it[1][0].keep_src}): not "
                         "a dfsim level, the fan-outs around it are one")
            kept_sources[-1]["passthrough"] += src["components"]
            continue
        kept.append(it)
        kept_sources.append(src)
    # 3. merge consecutive fan-outs
    merged = []
    merged_sources = []
    for it, src in zip(kept, kept_sources):
        if it[0] == "fanout" and merged and merged[-1][0] == "fanout":
            merged_sources[-1]["spatial"] += src["spatial"]
            merged_sources[-1]["passthrough"] += src["passthrough"]
            a = merged[-1]
            why = f"{a[5] if len(a) > 5 else a[4]}; {it[5] if len(it) > 5 else it[4]}"
            merged[-1] = ("fanout", a[1] * it[1], a[2] * it[2], it[3], it[4],
                          f"{a[3]} {a[1]}x{a[2]} and {it[3]} {it[1]}x{it[2]} with no storage "
                          f"between, multiplied ({why})")
        else:
            merged.append(it)
            merged_sources.append(src)
    if merged[-1][0] == "fanout":
        last = compute.name if compute is not None else "pe"
        merged.append(("storage", [], last))
        merged_sources.append({"components": [], "keeps": [], "passthrough": []})
        notes.append(f"the fan-out {merged[-2][3]} has no storage below it: the innermost level "
                     f"is a 0-word storage level (the MACs of {last})")
    storages = [i for i, it in enumerate(merged) if it[0] == "storage"]
    if len(merged) > MAX_LEVELS:
        raise InputError(path, f"architecture: {len(merged)} dfsim levels ("
                               f"{len(storages)} storage, {len(merged) - len(storages)} fan-out); "
                               f"dfsim takes at most {MAX_LEVELS}")
    # 4. widths
    level_bits = {}
    for i in storages:
        comps_i = merged[i][1]
        bits = {}
        for c in comps_i:
            _, dw = _datawidth(path, c)
            for t in (c.keep if i != 0 else TENSORS):
                bits[t] = dw
        level_bits[i] = bits
    arch_bits = {}
    for t in TENSORS:
        for i in reversed(storages):
            if t in level_bits[i]:
                arch_bits[t] = level_bits[i][t]
                break
    value, count = Counter(arch_bits[t] for t in TENSORS).most_common(1)[0]
    word_bits = value if count > 1 else arch_bits["weights"]
    # 5. levels
    used_names = set()

    def unique(base):
        n, k = base, 1
        while n in used_names:
            k += 1
            n = f"{base}_{k}"
        used_names.add(n)
        return n

    levels = []
    innermost = storages[-1]
    for i, it in enumerate(merged):
        if it[0] == "fanout":
            level = {"name": unique(snake(it[3]) + "_noc"), "kind": "fanout", "rows": it[1],
                     "cols": it[2], "multicast": True,
                     "notes": f"fan-out of {it[3]} ({it[4]}): "
                              f"{it[5] if len(it) > 5 else f'meshY {it[1]} x meshX {it[2]}'}; "
                              "rows = meshY, cols = meshX; multicast, bandwidth unlimited, no hop "
                              "latency (Timeloop's network defaults)"}
            levels.append(level)
            continue
        group = it[1]
        if i == 0:
            c = group[0]
            level = {"name": unique(snake(c.name)), "kind": "dram"}
            rbw = _port(path, c, "read_bandwidth")
            if rbw is not None:
                _, dw = _datawidth(path, c)
                level["bytes_per_cycle"] = max(1, (rbw * dw) // 8)
                bw_note = f"bytes_per_cycle = read_bandwidth {rbw} words x {dw} bits / 8"
            else:
                level["bytes_per_cycle"] = "unlimited"
                bw_note = ("bytes_per_cycle unlimited: no read_bandwidth (Timeloop's DRAM is "
                           "unlimited then; its width is one access's bits, not a limit)")
            why = "" if c.is_dram() else f" (class {c.cls}: the outermost level is dfsim's dram)"
            level["notes"] = (f"component {c.leaf} ({c.path}){why}: keeps every tensor, capacity "
                              f"not modelled; {bw_note}")
            _tensor_bits(level, level_bits[i], arch_bits)
            levels.append(level)
            continue
        if not group:  # 0-word level above the MACs
            level = {"name": unique(snake(it[2])), "kind": "storage", "words": 0,
                     "notes": "no Timeloop storage: the PEs' MACs hold nothing"}
            levels.append(level)
            continue
        parts = []
        base = group[0].name if len(group) == 1 else _group_name(group)
        level = {"name": unique(snake(base)), "kind": "storage"}
        for c in group:
            if not c.keep:
                notes.append(f"{c.name} ({c.path}) keeps no tensor ({c.keep_src}): left out of "
                             f"level {level['name']}")
                continue
            bits, how = _bits(path, c)
            if bits % word_bits == 0:
                cap = {"words": bits // word_bits}
                cap_note = f"{bits} bits = {bits // word_bits} words of {word_bits} bits"
            else:
                cap = {"size_kib": round(bits / 8192, 9)}
                cap_note = f"{bits} bits = {bits / 8192:g} KiB"
            _, dw = _datawidth(path, c)
            per = ", ".join(f"{bits // dw} {t}" for t in c.keep)
            parts.append(dict({"tensors": list(c.keep)}, **cap,
                              notes=f"component {c.leaf} ({c.path}): {how} = {cap_note} "
                                    f"(datawidth {dw}: {per}); keeps {', '.join(c.keep)} from "
                                    f"{c.keep_src}"))
        for a, b in [(a, b) for ai, a in enumerate(parts) for b in parts[ai + 1:]]:
            both = set(a["tensors"]) & set(b["tensors"])
            if both:
                ca = a["notes"].split(" ")[1]
                cb = b["notes"].split(" ")[1]
                raise InputError(path, f"{group[0].path}: sibling components {ca} and {cb} both "
                                       f"keep {', '.join(sorted(both))}; a dfsim level keeps a "
                                       "tensor in one partition")
        if len(parts) == 1 and parts[0]["tensors"] == TENSORS:
            p = parts[0]
            level.update({k: v for k, v in p.items() if k in ("words", "size_kib")})
            level["notes"] = p["notes"]
        else:
            level["partitions"] = parts
            if len(it) > 3 and it[3]:
                level["notes"] = (f"{', '.join(it[3])} pass(es) through ({it[2]}: !Nothing "
                                  "keeps them): not kept at this level")
        ports = []
        for key, out in (("read_bandwidth", "read_words_per_cycle"),
                         ("write_bandwidth", "write_words_per_cycle")):
            vals = [_port(path, c, key) for c in group]
            if all(v is None for v in vals):
                if i != innermost:
                    ports.append(f"{out} unlimited: no {key}")
                continue
            if i == innermost:
                ports.append(f"{key} {'/'.join(str(v) for v in vals)} not stated: dfsim's "
                             "innermost level has no ports")
                continue
            if any(v is None for v in vals):
                ports.append(f"{out} unlimited: some component gives no {key}")
                continue
            level[out] = sum(vals)
            ports.append(f"{out} {level[out]} = {key}" + (" summed over the components"
                                                          if len(vals) > 1 else ""))
        mb = [c.attrs.get("multiple_buffering") for c in group]
        if i != innermost and any(isinstance(v, (int, float)) and v >= 2 for v in mb):
            level["double_buffered"] = True
            ports.append("double_buffered from multiple_buffering >= 2")
        level["halo_reuse"] = halo_reuse
        ports.append(HALO_NOTE if halo_reuse else NO_HALO_NOTE)
        if ports:
            extra = "; ".join(ports)
            level["notes"] = (level["notes"] + "; " + extra) if "notes" in level else extra
        _tensor_bits(level, level_bits[i], arch_bits)
        levels.append(level)
    # 6. the one-fan-out rule, as a warning
    for t in TENSORS:
        crossed = []
        for i, it in enumerate(merged):
            if it[0] == "fanout":
                crossed.append(levels[i]["name"])
            elif i == 0 or t in level_bits.get(i, {}) and i in storages and merged[i][1]:
                if len(crossed) > 1:
                    warnings.append(f"{t} cross the fan-outs {' and '.join(crossed)} with no "
                                    f"level keeping them between (before {levels[i]['name']}): "
                                    "dfsim lets a tensor cross one fan-out between two levels "
                                    "that keep it, so it refuses every mapping of this arch "
                                    "(README 'Architecture file: levels')")
                crossed = []
        if len(crossed) > 1:
            warnings.append(f"{t} cross the fan-outs {' and '.join(crossed)} below the last level "
                            "keeping them: dfsim lets a tensor cross one fan-out between two "
                            "levels that keep it, so it refuses every mapping of this arch")
    notes += warnings
    mhz, clock_note = _clock(top_attrs, comps, clock_mhz)
    notes.append(clock_note)
    notes.append(f"word_bits {word_bits}: the most common width of the innermost level keeping "
                 "each tensor")
    if compute is not None:
        notes.append(f"compute unit {compute.name} ({compute.path})")
    out = {"name": name or _arch_name(path), "notes": ". ".join(notes) + ".",
           "word_bits": word_bits, "clock_mhz": mhz}
    if len(set(arch_bits.values())) > 1:
        out["tensor_bits"] = dict(arch_bits)
    out["levels"] = levels
    if plan is not None:
        for level, src in zip(levels, merged_sources):
            plan.append(dict({"name": level["name"], "kind": level["kind"]}, **src))
    return out, warnings


def _group_name(group):
    """A name for a level of several components: their common leaf suffix (`_spad` ->
    `spads`) or their names joined."""
    leaves = [snake(c.name) for c in group]
    tails = {x.rsplit("_", 1)[-1] for x in leaves}
    if len(tails) == 1 and all("_" in x for x in leaves):
        return tails.pop() + "s"
    return "_".join(leaves)


def _tensor_bits(level, bits, arch_bits):
    full = {t: bits.get(t, arch_bits[t]) for t in TENSORS}
    if full != arch_bits:
        level["tensor_bits"] = full


def _clock(top_attrs, comps, clock_mhz):
    if clock_mhz is not None:
        return clock_mhz, f"clock_mhz {clock_mhz:g} from --clock-mhz"
    for attrs in [top_attrs] + [c.attrs for c in comps]:
        for key in ("global_cycle_seconds", "cycle_seconds"):
            v = attrs.get(key)
            try:
                v = float(v)
            except (TypeError, ValueError):
                continue
            if v > 0:
                return round(1e-6 / v, 6), f"clock_mhz from {key} {v:g}"
    return 1000.0, ("clock_mhz 1000: no cycle time in the file (Timeloop's default cycle is "
                    "1 ns); cycle counts do not depend on it")


def _arch_name(path):
    base = os.path.splitext(os.path.basename(path))[0]
    if base == "arch":
        base = os.path.basename(os.path.dirname(os.path.abspath(path))) or base
    return base


def arch_json(doc):
    """The arch text: top keys one per line, each level on one line (partitions inline)."""
    lines = ["{"]
    items = list(doc.items())
    for k, (key, value) in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        if key == "levels":
            lines.append('  "levels": [')
            rows = [f"    {json.dumps(level)}" for level in value]
            lines.append(",\n".join(rows))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a Timeloop architecture (arch.yaml: the v4 list of !Container/"
                    "!Component nodes, or the v0.3/v0.4 subtree/local tree) into a dfsim "
                    "architecture in the general \"levels\" form (JSON on stdout).",
        epilog="storage components -> storage levels (capacity depth x width bits); siblings "
               "(!Parallel, or one local list's components with the same instances keeping "
               "disjoint tensors) -> partitions of one level; spatial meshX x meshY (or instance "
               "ratios) -> fan-outs (rows = meshY), adjacent ones multiplied; networks "
               "multicast\n"
               "example:\n  import_timeloop_arch example_designs/eyeriss_like/arch.yaml > "
               "eyeriss_tl.json\n"
               "  import_timeloop_arch arch/eyeriss_like.yaml --constraints "
               "constraints/eyeriss_like_arch_constraints.yaml > eyeriss_v03.json\n"
               "exit status: 0 success, 2 bad or inexpressible input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arch", help="the Timeloop arch .yaml file")
    parser.add_argument("--constraints", action="append", default=[], metavar="FILE",
                        help="a Timeloop constraints file whose architecture_constraints "
                             "(type bypass: keep/bypass) say which tensors each component "
                             "keeps (repeatable; v0.3 keeps them apart from the arch)")
    parser.add_argument("--name", help="arch name (default: the file name, or its folder for "
                                       "arch.yaml)")
    parser.add_argument("--clock-mhz", type=float, help="core clock (default: from the file's "
                                                        "cycle_seconds, else 1000)")
    parser.add_argument("--no-halo-reuse", dest="halo_reuse", action="store_false",
                        help="write \"halo_reuse\": false on the on-chip levels (every new tile "
                             "fetched whole; default true, as Timeloop moves only the part of a "
                             "tile the previous one lacks)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    if args.clock_mhz is not None and not 0 < args.clock_mhz <= 1e6:
        parser.error("argument --clock-mhz: expected a number in (0, 1e6]")
    doc, warnings = convert(args.arch, args.constraints, args.name, args.clock_mhz,
                           halo_reuse=args.halo_reuse)
    import sys
    for w in warnings:
        sys.stderr.write(f"{PROG}: warning: {args.arch}: {w}\n")
    write_text(arch_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
