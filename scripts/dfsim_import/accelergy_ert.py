"""Accelergy energy reference table (ERT.yaml) -> dfsim energy-table JSON.

The ERT lists, per component, the energy of each action (pJ). For each of dfsim's eight actions
the mapping in accelergy_map.py picks the component(s) and action; several matching components
(Eyeriss's ifmap, weights and psum scratchpads for `rf.read`) are averaged, and the output's
`notes` says exactly which entries made each number. A dfsim action that nothing matches is an
error naming it and the pattern that was tried, so that the user can give `--map`.

Accelergy prices one action of the component's width; dfsim prices one word.
`--access-words glb=4` divides the GLB's costs by 4 (a 64-bit GLB access holds four 16-bit
words), and likewise for rf, noc and dram. ERT energies are in pJ; the table's unit is "pJ".
"""

import argparse
import json
import os
import re

from .accelergy_map import DEFAULT_RULES, KEYS, leaf, parse_access_words, parse_map
from .common import InputError, load_yaml, run_main, write_text

PROG = "import_accelergy_ert"


def load_ert(path):
    """{component name: {action name: [(arguments dict or None, energy)]}} from an ERT file."""
    doc = load_yaml(path)
    what = ("an Accelergy ERT: 'ERT: {version, tables: [{name, actions: [{name, arguments, "
            "energy}]}]}'")
    if not isinstance(doc, dict) or not isinstance(doc.get("ERT"), dict):
        raise InputError(path, f"expected {what}")
    tables = doc["ERT"].get("tables")
    if not isinstance(tables, list) or not tables:
        raise InputError(path, f"ERT.tables: expected a non-empty list of components ({what})")
    ert = {}
    for i, table in enumerate(tables):
        at = f"ERT.tables[{i}]"
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
            energy = action.get("energy")
            if isinstance(energy, bool) or not isinstance(energy, (int, float)) or energy < 0:
                raise InputError(path, f"{aat}.energy: expected a number >= 0 (pJ), got "
                                       f"{energy!r}")
            args = action.get("arguments") or None
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


def resolve(path, ert, maps):
    """{key: (mean energy, [source strings])} for every dfsim action."""
    out = {}
    for key in KEYS:
        chosen = []  # (component, action, args, energy)
        if key in maps:
            for comp_name, action, args in maps[key]:
                comps = _find(ert, comp_name)
                if not comps:
                    raise InputError(path, f"--map {key}: no component '{comp_name}' in the ERT "
                                           f"(components: {', '.join(sorted(ert))})")
                for comp in comps:
                    if action not in ert[comp]:
                        raise InputError(path, f"--map {key}: component '{comp}' has no action "
                                               f"'{action}' (actions: "
                                               f"{', '.join(sorted(ert[comp]))})")
                    energy, used = _pick(path, comp, action, ert[comp][action], args)
                    chosen.append((comp, action, used, energy))
        else:
            pattern, actions = DEFAULT_RULES[key]
            for comp in sorted(ert):
                if not re.search(pattern, leaf(comp), re.I):
                    continue
                action = next((a for a in actions if a in ert[comp]), None)
                if action is None:
                    continue
                energy, used = _pick(path, comp, action, ert[comp][action], None)
                chosen.append((comp, action, used, energy))
            if not chosen:
                raise InputError(path, f"no component/action for dfsim's '{key}': expected a "
                                       f"component whose leaf name matches /{pattern}/ with an "
                                       f"action {' or '.join(actions)}; give one with --map "
                                       f"{key}=COMPONENT:ACTION")
        mean = sum(c[3] for c in chosen) / len(chosen)
        sources = [f"{c}:{a}" + (f"({', '.join(f'{k}={v}' for k, v in sorted(u.items()))})"
                                 if u else "") + f" = {e:g}" for c, a, u, e in chosen]
        out[key] = (mean, sources)
    return out


def convert(path, maps, access_words, word_bits, name=None):
    ert = load_ert(path)
    costs = resolve(path, ert, maps)
    values = {}
    parts = []
    for key in KEYS:
        mean, sources = costs[key]
        level = key.split(".")[0]
        divide = access_words.get(level, 1)
        values[key] = round(mean / divide, 12)
        how = "mean of " if len(sources) > 1 else ""
        per = f", divided by {divide} words per access" if divide > 1 else ""
        parts.append(f"{key} = {how}{'; '.join(sources)}{per}")
    notes = (f"Converted by scripts/import_accelergy_ert from {os.path.basename(path)} (pJ per "
             f"action; dfsim prices one {word_bits}-bit word). " + ". ".join(parts) + ".")
    doc = {
        "name": name or os.path.splitext(os.path.basename(path))[0],
        "notes": notes,
        "unit": "pJ",
        "word_bits": word_bits,
        "mac": values["mac"],
        "rf": {"read": values["rf.read"], "write": values["rf.write"]},
        "noc": {"per_word": values["noc.per_word"]},
        "glb": {"read": values["glb.read"], "write": values["glb.write"]},
        "dram": {"read": values["dram.read"], "write": values["dram.write"]},
        "leakage_per_cycle": 0,
    }
    return doc


def energy_json(doc):
    """The energy table text in the layout of configs/energy/*.json."""
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, dict):
            inner = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            lines.append(f"  {json.dumps(key)}: {{{inner}}}{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    rules = "\n".join(f"  {k:<13} component leaf name ~ /{p}/, action {' | '.join(a)}"
                      for k, (p, a) in DEFAULT_RULES.items())
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert an Accelergy energy reference table (ERT.yaml) into a dfsim energy "
                    "table (JSON on stdout).",
        epilog="default mapping (several matching components are averaged):\n" + rules + "\n"
               "an action with several argument sets is priced by the one whose arguments are "
               "all 1\n"
               "example:\n  import_accelergy_ert timeloop-mapper.ERT.yaml --access-words glb=4 "
               "--map rf.read=PEWeightBuffer:read > simba_pj.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ert", help="the Accelergy ERT .yaml file")
    parser.add_argument("--map", action="append", metavar="KEY=COMPONENT:ACTION[:ARG=V,...]",
                        help=f"use this component action for KEY ({', '.join(KEYS)}); "
                             "repeatable, several for one KEY are averaged")
    parser.add_argument("--access-words", action="append", metavar="LEVEL=N",
                        help="one action of LEVEL (rf, noc, glb, dram) moves N words: its "
                             "energy is divided by N (repeatable)")
    parser.add_argument("--word-bits", type=int, default=16,
                        help="the word size the table is for; must match the arch (default 16)")
    parser.add_argument("--name", help="table name (default: the file name without .yaml)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    if not 1 <= args.word_bits <= 64:
        parser.error(f"argument --word-bits: expected an integer 1..64, got {args.word_bits}")
    maps = parse_map(args.map)
    words = parse_access_words(args.access_words)
    write_text(energy_json(convert(args.ert, maps, words, args.word_bits, args.name)),
               args.output)


if __name__ == "__main__":
    run_main(PROG, main)
