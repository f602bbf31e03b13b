"""Accelergy energy reference table (ERT.yaml or ERT_summary.yaml) -> dfsim energy-table JSON.

The ERT lists, per component, the energy of each action (pJ). Each component is priced on its
own: its leaf name gives its dfsim level and tensor (accelergy_map.py), so Eyeriss's ifmap,
weights and psum scratchpads price the RF's inputs, weights and outputs apart. A component
named for no tensor prices every tensor of its level that has no component of its own. A
tensor's own GLB-named component with more instances than the one level-wide GLB prices that
tensor's RF when it has no RF component (_promote: simba_like's PE buffers). The output's
`notes` says which entry made each number.

Refused (exit 2, naming the component): a component whose name tells no level or two tensors,
two components for one (level, tensor), a component left pricing nothing, a dfsim action with
no component (except the NoC: an ERT without network components prices it 0, as Timeloop's
example ERTs do). `--map` places a component by hand, `--ignore` leaves one out.

Accelergy prices one action of the component's width; dfsim prices one word.
`--access-words glb=4` divides the GLB's costs by 4 (a 64-bit GLB access holds four 16-bit
words), and likewise for rf, noc and dram. ERT energies are in pJ; the table's unit is "pJ".
"""

import argparse
import json
import os
import re

from .accelergy_map import (ACTIONS, KEYS, LEVEL_ACTIONS, LEVEL_PATTERNS, LEVELS,
                            SKIP_PATTERN, TENSOR_KEYS, TENSOR_PATTERNS, TENSORS, leaf,
                            parse_access_words, parse_map)
from .common import InputError, load_yaml, run_main, write_text

PROG = "import_accelergy_ert"


def load_ert(path):
    """{component name: {action name: [(arguments dict or None, energy)]}} from an ERT file, or
    from an ERT_summary file (no argument sets: an action's `energy`, else its `max_energy`)."""
    doc = load_yaml(path)
    what = ("an Accelergy ERT: 'ERT: {version, tables: [{name, actions: [{name, arguments, "
            "energy}]}]}' (or 'ERT_summary: {version, table_summary: [...]}')")
    summary = isinstance(doc, dict) and isinstance(doc.get("ERT_summary"), dict)
    if not isinstance(doc, dict) or not (isinstance(doc.get("ERT"), dict) or summary):
        raise InputError(path, f"expected {what}")
    root, key = ("ERT_summary", "table_summary") if summary else ("ERT", "tables")
    tables = doc[root].get(key)
    if not isinstance(tables, list) or not tables:
        raise InputError(path, f"{root}.{key}: expected a non-empty list of components ({what})")
    ert = {}
    for i, table in enumerate(tables):
        at = f"{root}.{key}[{i}]"
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            raise InputError(path, f"{at}.name: expected the component's name (a string)")
        actions = table.get("actions")
        if not isinstance(actions, list):
            raise InputError(path, f"{at}.actions: expected a list of actions for "
                                   f"'{table['name']}'")
        entry = ert.setdefault(table["name"], {})
        for j, action in enumerate(actions):
            aat = f"{at}.actions[{j}]"
            if not isinstance(action, dict) or not isinstance(action.get("name"), str):
                raise InputError(path, f"{aat}.name: expected the action's name (a string)")
            field = "energy"
            if summary and "energy" not in action and "max_energy" in action:
                field = "max_energy"
            energy = action.get(field)
            if isinstance(energy, bool) or not isinstance(energy, (int, float)) or energy < 0:
                raise InputError(path, f"{aat}.{field}: expected a number >= 0 (pJ), got "
                                       f"{energy!r}")
            args = None if summary else (action.get("arguments") or None)
            if args is not None and not isinstance(args, dict):
                raise InputError(path, f"{aat}.arguments: expected a mapping or null")
            entry.setdefault(action["name"], []).append((args, float(energy)))
    return ert


def _pick(path, component, action, entries, wanted_args):
    """The energy of one action of one component; `wanted_args` None = the default set."""
    if wanted_args is not None:
        for args, energy in entries:
            if (args or {}) == wanted_args:
                return energy, wanted_args
        sets = "; ".join(json.dumps(a, sort_keys=True) for a, _ in entries)
        raise InputError(path, f"component '{component}' action '{action}' has no arguments "
                               f"{json.dumps(wanted_args, sort_keys=True)} (it has: {sets})")
    if len(entries) == 1:
        return entries[0][1], entries[0][0]
    plain = [e for e in entries if not e[0]]
    if len(plain) == 1:
        return plain[0][1], None
    ones = [e for e in entries if e[0] and all(v == 1 for v in e[0].values())]
    if len(ones) == 1:
        return ones[0][1], ones[0][0]
    raise InputError(path, f"component '{component}' action '{action}' has {len(entries)} "
                           "argument sets and none is the default (all arguments 1); choose "
                           "one with --map KEY=COMPONENT:ACTION:ARG=VALUE,...")


def _find(ert, name):
    """Components whose full name is `name`, or whose leaf name is `name`."""
    if name in ert:
        return [name]
    return sorted(c for c in ert if leaf(c) == name)


NO_NOC = "0 (no network component in the ERT)"


def classify(name):
    """(level, tensor or None) of a component by its leaf name; level None if no pattern
    matches, tensor "?" if several tensors' patterns do."""
    low = leaf(name).lower()
    level = next((lv for lv, pattern in LEVEL_PATTERNS if re.search(pattern, low)), None)
    if level in (None, "mac"):
        return level, None
    tensors = [t for t in TENSORS if re.search(TENSOR_PATTERNS[t], low)]
    return level, (tensors[0] if len(tensors) == 1 else ("?" if tensors else None))


def _mapped(path, ert, key, targets):
    """[(component, action, args, energy)] for the --map targets of `key`."""
    chosen = []
    for comp_name, action, args in targets:
        comps = _find(ert, comp_name)
        if not comps:
            raise InputError(path, f"--map {key}: no component '{comp_name}' in the ERT "
                                   f"(components: {', '.join(sorted(ert))})")
        for comp in comps:
            if action not in ert[comp]:
                raise InputError(path, f"--map {key}: component '{comp}' has no action "
                                       f"'{action}' (actions: {', '.join(sorted(ert[comp]))})")
            energy, used = _pick(path, comp, action, ert[comp][action], args)
            chosen.append((comp, action, used, energy))
    return chosen


def _auto_names(level, tensor):
    """What a component must be named to price (level, tensor), for the messages."""
    pattern = dict(LEVEL_PATTERNS)[level]
    if tensor is None:
        return f"whose leaf name matches /{pattern}/"
    return (f"whose leaf name matches /{pattern}/ and /{TENSOR_PATTERNS[tensor]}/ (or no "
            "tensor's pattern)")


def slots():
    """(key, level, tensor, action) of every cost of the table: mac, then per level, tensor and
    action."""
    out = [("mac", "mac", None, "mac")]
    for level in LEVELS:
        for t in TENSORS:
            for a in LEVEL_ACTIONS[level]:
                out.append((f"{level}.{t}.{a}", level, t, a))
    return out


def resolve(path, ert, maps, ignore=()):
    """({key: (mean energy, [source strings])} for every slot, [left-out notes], [notes on
    components moved to the RF by _promote])."""
    mapped = {c for targets in maps.values() for name, _, _ in targets for c in _find(ert, name)}
    ignored = set()
    for name in ignore:
        found = _find(ert, name)
        if not found:
            raise InputError(path, f"--ignore {name}: no component '{name}' in the ERT "
                                   f"(components: {', '.join(sorted(ert))})")
        ignored.update(found)
    left_out = [f"{c} (--ignore)" for c in sorted(ignored)]
    auto = {}  # component -> (level, tensor or None)
    for comp in sorted(ert):
        if comp in ignored:
            continue
        if re.search(SKIP_PATTERN, leaf(comp), re.I) and comp not in mapped:
            left_out.append(f"{comp} (a placeholder that holds no data)")
            continue
        level, tensor = classify(comp)
        if comp in mapped and (level is None or tensor == "?"):
            continue  # placed by hand only
        if level is None:
            raise InputError(path, f"component '{comp}': its name tells no dfsim level "
                                   "(expected a leaf name matching one of "
                                   f"{', '.join(f'/{p}/ ({lv})' for lv, p in LEVEL_PATTERNS)}); "
                                   f"place it with --map KEY={leaf(comp)}:ACTION or leave it out "
                                   f"with --ignore {leaf(comp)}")
        if tensor == "?":
            raise InputError(path, f"component '{comp}': its name matches several tensors' "
                                   "patterns; place it with --map or leave it out with --ignore")
        auto[comp] = (level, tensor)
    promoted = _promote(auto)
    used = {comp: [] for comp in auto}
    out = {}
    for key, level, tensor, action in slots():
        level_key = "mac" if level == "mac" else f"{level}.{action}"
        if key in maps or level_key in maps:
            chosen = _mapped(path, ert, key if key in maps else level_key,
                             maps[key] if key in maps else maps[level_key])
        else:
            specific = [c for c, lt in auto.items() if lt == (level, tensor)]
            general = [c for c, lt in auto.items() if lt == (level, None)]
            cands = specific or general
            what = "dfsim's 'mac'" if level == "mac" else f"dfsim's '{level}.{tensor}'"
            if len(cands) > 1:
                raise InputError(path, f"components {', '.join(repr(c) for c in cands)} would "
                                       f"all price {what}; choose with --map {key}="
                                       "COMPONENT:ACTION or leave some out with --ignore")
            if not cands:
                if level == "noc" and not any(lv == "noc" for lv, _ in auto.values()):
                    out[key] = (0.0, [NO_NOC])
                    continue
                raise InputError(path, f"no component for {what}: expected a component "
                                       f"{_auto_names(level, None if level == 'mac' else tensor)}"
                                       f"; give one with --map {key}=COMPONENT:ACTION")
            comp = cands[0]
            names = ACTIONS[level_key]
            name = next((a for a in names if a in ert[comp]), None)
            if name is None:
                raise InputError(path, f"component '{comp}' (for {what}) has none of the actions "
                                       f"{' | '.join(names)} (it has: "
                                       f"{', '.join(sorted(ert[comp]))}); give one with --map "
                                       f"{key}=COMPONENT:ACTION")
            energy, args = _pick(path, comp, name, ert[comp][name], None)
            chosen = [(comp, name, args, energy)]
            used[comp].append(key)
        mean = sum(c[3] for c in chosen) / len(chosen)
        sources = [f"{c}:{a}" + (f"({', '.join(f'{k}={v}' for k, v in sorted(u.items()))})"
                                 if u else "") + f" = {e:g}" for c, a, u, e in chosen]
        out[key] = (mean, sources)
    for comp, keys in used.items():
        if not keys and comp not in mapped:
            level, tensor = auto[comp]
            owners = {t: [c for c, lt in auto.items() if lt == (level, t)] for t in TENSORS}
            owned = ", ".join(f"{t}: {leaf(o[0])}" for t, o in owners.items() if len(o) == 1)
            actions = LEVEL_ACTIONS[level]
            example = next((t for t in TENSORS if len(owners[t]) == 1), TENSORS[0])
            option = " ".join(
                f"--map {level}.{example}.{a}={leaf(comp)}:"
                + next((n for n in ACTIONS[f'{level}.{a}'] if n in ert[comp]), "ACTION")
                for a in actions)
            raise InputError(path, f"component '{comp}' ({level}"
                                   f"{'.' + tensor if tensor else ''}) would price nothing: every "
                                   f"tensor at {level} has a component of its own or a --map "
                                   f"({owned or 'by --map'}), so it is a second {level}-level "
                                   f"storage and dfsim has one {level} per tensor (pricing one "
                                   "of the two would leave the other's accesses out); leave it "
                                   f"out with --ignore {leaf(comp)}, or price a tensor by it "
                                   f"instead, e.g. {option}"
                                   + (f" --ignore {leaf(owners[example][0])}"
                                      if len(owners[example]) == 1 else ""))
    return out, left_out, promoted


def instances(name):
    """How many instances a component name's `[lo..hi]` ranges give (1 without ranges)."""
    count = 1
    for lo, hi in re.findall(r"\[(\d+)\.\.(\d+)\]", str(name)):
        count *= int(hi) - int(lo) + 1
    return count


def _promote(auto):
    """Moves a per-tensor GLB-named component to the RF when its tensor has no RF component,
    a level-wide GLB component remains for that tensor and the moved one has more instances
    than that GLB (it sits inside the PE array: simba_like's PEInputBuffer[1..16] beside
    GlobalBuffer[1..1]). Changes `auto` in place; returns the notes saying so."""
    notes = []
    for t in TENSORS:
        if any(lt in (("rf", t), ("rf", None)) for lt in auto.values()):
            continue
        specific = [c for c, lt in auto.items() if lt == ("glb", t)]
        general = [c for c, lt in auto.items() if lt == ("glb", None)]
        if len(specific) != 1 or len(general) != 1:
            continue
        comp, glb = specific[0], general[0]
        if instances(comp) <= instances(glb):
            continue
        auto[comp] = ("rf", t)
        notes.append(f"{comp} prices rf.{t}: {t} has no RF component and it has more instances "
                     f"({instances(comp)}) than the GLB {glb} ({instances(glb)}), which prices "
                     f"glb.{t}")
    return notes


def _level_doc(values, level):
    """One level of the table: {action: cost} when every tensor costs the same, else one
    object per tensor."""
    actions = LEVEL_ACTIONS[level]
    per = {t: {a: values[f"{level}.{t}.{a}"] for a in actions} for t in TENSORS}
    if all(per[t] == per[TENSORS[0]] for t in TENSORS):
        return dict(per[TENSORS[0]])
    return per


def _notes_parts(costs, access_words):
    """One `key = sources` item per cost; the three tensors of a level and action in one item
    when they come from the same entries."""
    parts = [f"mac = {'; '.join(costs['mac'][1])}"]
    for level in LEVELS:
        divide = access_words.get(level, 1)
        per = f", divided by {divide} words per access" if divide > 1 else ""
        for a in LEVEL_ACTIONS[level]:
            items = [(t, costs[f"{level}.{t}.{a}"]) for t in TENSORS]
            if all(c == items[0][1] for _, c in items):
                items = [(None, items[0][1])]
            for t, (_, sources) in items:
                key = f"{level}.{t}.{a}" if t else f"{level}.{a}"
                how = "mean of " if len(sources) > 1 else ""
                tail = per if sources != [NO_NOC] else ""
                parts.append(f"{key} = {how}{'; '.join(sources)}{tail}")
    return parts


def convert(path, maps, access_words, word_bits, name=None, ignore=()):
    ert = load_ert(path)
    costs, left_out, promoted = resolve(path, ert, maps, ignore)
    values = {}
    for key, level, _, _ in slots():
        mean = costs[key][0]
        divide = access_words.get(level, 1) if level != "mac" else 1
        values[key] = round(mean / divide, 12)
    parts = _notes_parts(costs, access_words)
    parts += promoted
    if left_out:
        parts.append("Left out: " + "; ".join(left_out))
    notes = (f"Converted by scripts/import_accelergy_ert from {os.path.basename(path)} (pJ per "
             f"action; dfsim prices one {word_bits}-bit word). " + ". ".join(parts) + ".")
    doc = {
        "name": name or os.path.splitext(os.path.basename(path))[0],
        "notes": notes,
        "unit": "pJ",
        "word_bits": word_bits,
        "mac": values["mac"],
    }
    for level in LEVELS:
        doc[level] = _level_doc(values, level)
    doc["leakage_per_cycle"] = 0
    return doc


# --- the general form: one entry per level of a dfsim arch (--arch) --------------------------

COMPONENT_NOTE = re.compile(r"^component (\S+) \(")


def _snake(name):
    base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", leaf(name))
    base = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", base)
    return re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")


def load_arch(path):
    """The levels of a dfsim general-form arch file: [level dict], outermost first."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except json.JSONDecodeError as e:
        raise InputError(path, f"{e.lineno}:{e.colno}: not JSON ({e.msg})")
    levels = doc.get("levels") if isinstance(doc, dict) else None
    if not isinstance(levels, list) or not levels or not all(
            isinstance(lv, dict) and isinstance(lv.get("name"), str) for lv in levels):
        raise InputError(path, "arch.levels: expected the general form's list of named levels "
                               "(README 'Architecture file: levels'; scripts/import_timeloop_arch "
                               "writes it)")
    return doc, levels


def _sources(arch_path, level, i, by_snake):
    """[(tensors, component name or None, where)] of one dram/storage level: each partition's
    component from its notes ("component NAME (...)"), else the level's, else the ERT component
    whose snake-case leaf name is the level's name."""
    at = f"arch.levels[{i}]"
    level_comp = None
    m = COMPONENT_NOTE.match(str(level.get("notes", "")))
    if m:
        level_comp = m.group(1)
    elif level["name"] in by_snake:
        level_comp = by_snake[level["name"]]
    if level.get("kind") == "dram" or "partitions" not in level:
        if level.get("kind") != "dram" and level.get("words") == 0 and level_comp is None:
            return []
        return [(list(TENSORS), level_comp, at)]
    out = []
    for j, part in enumerate(level["partitions"]):
        tensors = [t for t in TENSORS if t in (part.get("tensors") or [])]
        pm = COMPONENT_NOTE.match(str(part.get("notes", "")))
        out.append((tensors, pm.group(1) if pm else level_comp, f"{at}.partitions[{j}]"))
    return out


def convert_for_arch(path, arch_path, access_words, word_bits, name=None, ignore=()):
    """The general-form energy table for the arch `arch_path`: one entry per level, each storage
    level's tensors priced by the ERT component its partition came from."""
    ert = load_ert(path)
    arch, levels = load_arch(arch_path)
    arch_bits = arch.get("word_bits")
    if word_bits is not None and arch_bits is not None and word_bits != arch_bits:
        raise InputError(f"--word-bits {word_bits}", f"the arch {arch_path} has word_bits "
                                                     f"{arch_bits}; the table must price its word")
    word_bits = arch_bits if word_bits is None else word_bits
    names = {lv["name"] for lv in levels}
    for lv in access_words:
        if lv not in names:
            raise InputError(f"--access-words {lv}=...", f"no level '{lv}' in {arch_path} "
                                                         f"(levels: {', '.join(sorted(names))})")
    ignored = set()
    for comp in ignore:
        found = _find(ert, comp)
        if not found:
            raise InputError(path, f"--ignore {comp}: no component '{comp}' in the ERT "
                                   f"(components: {', '.join(sorted(ert))})")
        ignored.update(found)
    live = {c: v for c, v in ert.items() if c not in ignored}
    by_snake = {}
    for comp in live:
        by_snake.setdefault(_snake(comp), leaf(comp))
    used = {}
    parts = []

    def price(comp_name, level_key, what, where):
        comps = [c for c in _find(live, comp_name)]
        if not comps:
            raise InputError(path, f"no component '{comp_name}' in the ERT for {what} ({arch_path} "
                                   f"{where}); components: {', '.join(sorted(live))}")
        if len(comps) > 1:
            raise InputError(path, f"components {', '.join(comps)} all have the leaf name "
                                   f"'{comp_name}' ({what}); leave some out with --ignore")
        comp = comps[0]
        action = next((a for a in ACTIONS[level_key] if a in live[comp]), None)
        if action is None:
            raise InputError(path, f"component '{comp}' (for {what}) has none of the actions "
                                   f"{' | '.join(ACTIONS[level_key])} (it has: "
                                   f"{', '.join(sorted(live[comp]))})")
        energy, args = _pick(path, comp, action, live[comp][action], None)
        used.setdefault(comp, []).append(what)
        src = f"{comp}:{action}" + (f"({', '.join(f'{k}={v}' for k, v in sorted(args.items()))})"
                                    if args else "") + f" = {energy:g}"
        return energy, src

    network = [c for c in live if classify(c)[0] == "noc"]
    out_levels = {}
    for i, lv in enumerate(levels):
        lname = lv["name"]
        divide = access_words.get(lname, 1)
        per = f", divided by {divide} words per access" if divide > 1 else ""
        if lv.get("kind") == "fanout":
            cands = [c for c in network if _snake(c) in (lname, re.sub(r"_noc$", "", lname))]
            if len(cands) == 1:
                e, src = price(leaf(cands[0]), "noc.per_word", f"{lname}.per_word",
                               f"arch.levels[{i}]")
                out_levels[lname] = {"per_word": round(e / divide, 12)}
                parts.append(f"{lname}.per_word = {src}{per}")
            else:
                out_levels[lname] = {"per_word": 0}
                parts.append(f"{lname}.per_word = 0 (no network component named {lname} in the "
                             "ERT)")
            continue
        kind = "dram" if lv.get("kind") == "dram" else "glb"
        costs = {}
        for tensors, comp, where in _sources(arch_path, lv, i, by_snake):
            if comp is None:
                raise InputError(arch_path, f"{where}: names no ERT component (its notes start "
                                            "with no 'component NAME (' and no component's "
                                            f"snake-case leaf name is '{lname}')")
            if not tensors:
                continue
            tag = f"{lname}.{'/'.join(tensors)}"
            r, rsrc = price(comp, f"{kind}.read", f"{tag}.read", where)
            w, wsrc = price(comp, f"{kind}.write", f"{tag}.write", where)
            for t in tensors:
                costs[t] = {"read": round(r / divide, 12), "write": round(w / divide, 12)}
            parts.append(f"{tag}.read = {rsrc}{per}")
            parts.append(f"{tag}.write = {wsrc}{per}")
        if not costs:
            out_levels[lname] = {"read": 0, "write": 0}
            parts.append(f"{lname} = 0 (a level of no component: it holds nothing)")
            continue
        values = list(costs.values())
        if len(costs) == 3 and all(v == values[0] for v in values):
            out_levels[lname] = dict(values[0])
            continue
        entry = {}
        missing = [t for t in TENSORS if t not in costs]
        if missing:
            entry.update({"read": 0, "write": 0})
            parts.append(f"{lname}.read/write = 0 for {', '.join(missing)} (not kept there)")
        for t in TENSORS:
            if t in costs:
                entry[t] = costs[t]
        out_levels[lname] = entry
    macs = [c for c in live if classify(c)[0] == "mac" and c not in used]
    if len(macs) != 1:
        raise InputError(path, f"expected one compute component (leaf name matching "
                               f"/{dict(LEVEL_PATTERNS)['mac']}/) for dfsim's 'mac', found "
                               f"{len(macs)}" + (f": {', '.join(macs)}; leave some out with "
                                                 "--ignore" if macs else ""))
    mac, mac_src = price(leaf(macs[0]), "mac", "mac", "mac")
    left_out = [f"{c} (--ignore)" for c in sorted(ignored)]
    for comp in sorted(live):
        if comp in used:
            continue
        if re.search(SKIP_PATTERN, leaf(comp), re.I):
            left_out.append(f"{comp} (a placeholder that holds no data)")
            continue
        raise InputError(path, f"component '{comp}' prices nothing: no level of {arch_path} "
                               "came from it (its notes name other components); leave it out "
                               f"with --ignore {leaf(comp)}")
    notes_parts = [f"mac = {mac_src}"] + parts
    if left_out:
        notes_parts.append("Left out: " + "; ".join(left_out))
    notes = (f"Converted by scripts/import_accelergy_ert from {os.path.basename(path)} for the "
             f"levels of {os.path.basename(arch_path)} (pJ per action of each component; dfsim "
             f"prices one {word_bits}-bit word; leak not imported). " + ". ".join(notes_parts) + ".")
    return {"name": name or os.path.splitext(os.path.basename(path))[0], "notes": notes,
            "unit": "pJ", "word_bits": word_bits, "mac": mac, "leakage_per_cycle": 0,
            "levels": out_levels}


def energy_json(doc):
    """The energy table text in the layout of configs/energy/*.json: one line per key, a level
    on one line, or with one line per tensor when its tensors are priced apart."""
    def flat(obj):
        return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in obj.items()) + "}"

    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            inner = list(value.items())
            lines.append(f"  {json.dumps(key)}: {{")
            for j, (k, v) in enumerate(inner):
                text = flat(v) if isinstance(v, dict) else json.dumps(v)
                lines.append(f"    {json.dumps(k)}: {text}{',' if j < len(inner) - 1 else ''}")
            lines.append(f"  }}{comma}")
        elif isinstance(value, dict):
            lines.append(f"  {json.dumps(key)}: {flat(value)}{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    levels = "\n".join(f"  {lv:<5} leaf name ~ /{p}/" for lv, p in LEVEL_PATTERNS)
    tensors = "\n".join(f"  {t:<8} leaf name ~ /{p}/" for t, p in TENSOR_PATTERNS.items())
    actions = "\n".join(f"  {k:<13} {' | '.join(a)}" for k, a in ACTIONS.items())
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert an Accelergy energy reference table (ERT.yaml or ERT_summary.yaml) "
                    "into a dfsim energy table (JSON on stdout), pricing each component on its "
                    "own level and tensor.",
        epilog="a component's level (first match, case-insensitive, on the leaf name):\n" + levels +
               "\nits tensor (none: every tensor of the level without its own component):\n" +
               tensors + f"\nleft out: leaf name ~ /{SKIP_PATTERN}/ (placeholders)\n"
               "Accelergy action used for each dfsim action (first found):\n" + actions + "\n"
               "an action with several argument sets is priced by the one whose arguments are "
               "all 1\n"
               "an ERT without network components prices the NoC 0\n"
               "a tensor's own buffer with more instances than the one GLB prices its RF when "
               "it has no RF component\n"
               "example:\n  import_accelergy_ert timeloop-mapper.ERT.yaml --access-words glb=4 "
               "--access-words dram=4 > eyeriss_pj.json\n"
               "  import_accelergy_ert timeloop-mapper.ERT.yaml --arch eyeriss_tl.json > "
               "eyeriss_tl_pj.json   (general form, one entry per level)\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ert", help="the Accelergy ERT .yaml file")
    parser.add_argument("--map", action="append", metavar="KEY=COMPONENT:ACTION[:ARG=V,...]",
                        help=f"use this component action for KEY ({', '.join(KEYS)}: every "
                             "tensor of the level; or LEVEL.TENSOR.ACTION such as "
                             "rf.weights.read: one tensor); repeatable, several for one KEY "
                             "are averaged")
    parser.add_argument("--ignore", action="append", metavar="COMPONENT", default=[],
                        help="leave this component out (full or leaf name; repeatable)")
    parser.add_argument("--access-words", action="append", metavar="LEVEL=N",
                        help="one action of LEVEL (rf, noc, glb, dram) moves N words: its "
                             "energy is divided by N (repeatable)")
    parser.add_argument("--word-bits", type=int,
                        help="the word size the table is for; must match the arch (default: "
                             "the --arch's word_bits, else 16)")
    parser.add_argument("--arch", metavar="ARCH.json",
                        help="a dfsim arch in the levels form (e.g. from import_timeloop_arch): "
                             "write the general-form table, one entry per level of it, each "
                             "partition priced by the component its notes name; --map does not "
                             "apply, --access-words takes the arch's level names")
    parser.add_argument("--name", help="table name (default: the file name without .yaml)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    if args.word_bits is not None and not 1 <= args.word_bits <= 64:
        parser.error(f"argument --word-bits: expected an integer 1..64, got {args.word_bits}")
    if args.arch is not None:
        if args.map:
            parser.error("argument --map: not with --arch (the arch's notes place each "
                         "component; --ignore leaves one out)")
        words = parse_access_words(args.access_words, levels=None)
        doc = convert_for_arch(args.ert, args.arch, words, args.word_bits, args.name, args.ignore)
        write_text(energy_json(doc), args.output)
        return
    maps = parse_map(args.map, keys=KEYS + TENSOR_KEYS)
    words = parse_access_words(args.access_words)
    word_bits = 16 if args.word_bits is None else args.word_bits
    write_text(energy_json(convert(args.ert, maps, words, word_bits, args.name,
                                   args.ignore)), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
