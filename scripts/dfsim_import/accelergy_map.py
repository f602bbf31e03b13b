"""The mapping between dfsim's energy actions and Accelergy component/action names.

dfsim prices one MAC and, per level and tensor, one word's read and write (src/io/README.md,
"Energy table"): `mac`; `rf`, `glb`, `dram` x `weights`, `inputs`, `outputs` x `read`, `write`;
`noc` x tensor x `per_word`. Accelergy names components after the architecture
(`eyeriss_like.PE[0..167].ifmap_spad`) and gives each its own actions (`read`, `write`,
`update`, `fill`, `mac_random`, `compute`, `transfer_random`...), some with arguments
(`address_delta`, `data_delta`, `n_destinations`).

A component's dfsim level and tensor come from its *leaf name* (the last dotted part of the
name, without `[..]` ranges, case-insensitive): the first of LEVEL_PATTERNS that matches gives
the level, TENSOR_PATTERNS the tensor (none: the component serves every tensor of its level).
SKIP_PATTERN names placeholders that hold no data (Timeloop's eyeriss_like `DummyBuffer`).
ACTIONS lists, per dfsim action, the Accelergy action names tried in order. README.md beside
this file has the table.

`--map KEY=COMPONENT:ACTION[:ARG=VALUE,...]` prices KEY with that entry (repeatable; several for
one KEY are averaged). KEY is `mac`, `<level>.<action>` (every tensor of the level: KEYS, which
export_accelergy_counts also takes) or `<level>.<tensor>.<action>` (one tensor: TENSOR_KEYS).
COMPONENT is the full name as in the ERT or a leaf name.
"""

import re

from .common import InputError

TENSORS = ["weights", "inputs", "outputs"]
LEVELS = ["rf", "noc", "glb", "dram"]
# dfsim's actions per level, in the order of the energy table.
LEVEL_ACTIONS = {"rf": ["read", "write"], "noc": ["per_word"], "glb": ["read", "write"],
                 "dram": ["read", "write"]}
# Level of a component by its leaf name: the first that matches, in this order.
LEVEL_PATTERNS = [
    ("mac", r"mac|alu|mult|adder"),
    ("dram", r"dram|main_?memory|off_?chip"),
    ("noc", r"noc|network|bus|router"),
    ("rf", r"spad|scratchpad|reg|(^|_)rf($|_)"),
    ("glb", r"glb|global|gbuf|buffer|sram"),
]
TENSOR_PATTERNS = {
    "weights": r"weight|filter|wgt",
    "inputs": r"ifmap|input|iact",
    "outputs": r"psum|output|ofmap|accu|oact",
}
SKIP_PATTERN = r"dummy"
# Accelergy actions for each dfsim action, in order of preference.
ACTIONS = {
    "mac": ["mac_random", "compute", "mac", "multiply_accumulate"],
    "rf.read": ["read"],
    "rf.write": ["write", "update", "fill"],
    "noc.per_word": ["transfer_random", "transfer", "access"],
    "glb.read": ["read"],
    "glb.write": ["write", "fill", "update"],
    "dram.read": ["read"],
    "dram.write": ["write", "update"],
}
KEYS = list(ACTIONS)
TENSOR_KEYS = [f"{level}.{t}.{a}" for level in LEVELS for t in TENSORS
               for a in LEVEL_ACTIONS[level]]


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


def parse_access_words(items, option="--access-words", levels=LEVELS):
    """`LEVEL=N` items -> {level: N}, words moved by one Accelergy action of that level
    (`levels` None: any name; the caller checks it against its arch)."""
    out = {}
    for item in items or []:
        where = f"{option} {item}"
        level, _, value = item.partition("=")
        if levels is not None and level not in levels:
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
