"""The mapping between dfsim's energy actions and Accelergy component/action names.

dfsim prices eight actions (src/io/README.md, "Energy table"): `mac`, `rf.read`, `rf.write`,
`noc.per_word`, `glb.read`, `glb.write`, `dram.read`, `dram.write`. Accelergy names components
after the architecture (`eyeriss_like.PE[0..167].ifmap_spad`) and gives each its own actions
(`read`, `write`, `update`, `fill`, `mac_random`, `transfer_random`...), some with arguments
(`address_delta`, `data_delta`, `n_destinations`).

Default rule for each dfsim action: the components whose *leaf name* (the last dotted part of
the name, without `[..]` ranges, case-insensitive) matches a pattern, and the first of a list of
action names that the component has (DEFAULT_RULES below; README.md beside this file has the
table).
A component's action with several argument sets is priced by the set whose arguments are all 1
(one random access, to one destination), or by the only set without arguments.

`--map KEY=COMPONENT:ACTION[:ARG=VALUE,...]` replaces the rule for KEY (repeatable; several for
one KEY are averaged on import). COMPONENT is the full name as in the ERT or a leaf name.
"""

import re

from .common import InputError

# dfsim action -> (leaf-name pattern, action names in order of preference)
DEFAULT_RULES = {
    "mac": (r"mac|alu|mult", ["mac_random", "compute", "mac", "multiply_accumulate"]),
    "rf.read": (r"spad|scratchpad|reg_?file|(^|_)rf($|_)", ["read"]),
    "rf.write": (r"spad|scratchpad|reg_?file|(^|_)rf($|_)", ["write", "update", "fill"]),
    "noc.per_word": (r"noc|network|bus|router", ["transfer_random", "transfer", "access"]),
    "glb.read": (r"glb|global|gbuf", ["read"]),
    "glb.write": (r"glb|global|gbuf", ["write", "fill", "update"]),
    "dram.read": (r"dram|main_?memory|off_?chip", ["read"]),
    "dram.write": (r"dram|main_?memory|off_?chip", ["write"]),
}
KEYS = list(DEFAULT_RULES)
LEVELS = ["rf", "noc", "glb", "dram"]


def leaf(name):
    """`sys.PE[0..167].ifmap_spad` -> `ifmap_spad`."""
    return re.sub(r"\[[^\]]*\]", "", str(name)).split(".")[-1]


def parse_map(items, option="--map", keys=KEYS):
    """Parses `KEY=COMPONENT:ACTION[:ARG=VALUE,...]` items into {KEY: [(component, action,
    args or None)]}."""
    out = {}
    for item in items or []:
        where = f"{option} {item}"
        if "=" not in item:
            raise InputError(where, "expected KEY=COMPONENT:ACTION[:ARG=VALUE,...]")
        key, target = item.split("=", 1)
        key = key.strip()
        if key not in keys:
            raise InputError(where, f"unknown key '{key}'; valid keys: {', '.join(keys)}")
        parts = target.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise InputError(where, "expected KEY=COMPONENT:ACTION[:ARG=VALUE,...]")
        args = None
        if len(parts) == 3:
            args = {}
            for pair in parts[2].split(","):
                if "=" not in pair:
                    raise InputError(where, f"expected ARG=VALUE in the arguments, got '{pair}'")
                k, v = pair.split("=", 1)
                try:
                    args[k.strip()] = int(v)
                except ValueError:
                    args[k.strip()] = v.strip()
        out.setdefault(key, []).append((parts[0], parts[1], args))
    return out


def parse_access_words(items, option="--access-words"):
    """`LEVEL=N` items -> {level: N}, words moved by one Accelergy action of that level."""
    out = {}
    for item in items or []:
        where = f"{option} {item}"
        level, _, value = item.partition("=")
        if level not in LEVELS:
            raise InputError(where, f"expected LEVEL=N with LEVEL one of {', '.join(LEVELS)}")
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(where, "expected LEVEL=N with N a positive integer (words per "
                                    "action)")
        out[level] = n
    return out
