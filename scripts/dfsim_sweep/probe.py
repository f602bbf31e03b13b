"""Asks dfsim, before anything runs, whether the spec's base configuration and --set paths work.

A spec that dfsim cannot run at all is an input error (exit 2, nothing written): base files
dfsim refuses, a layer the network lacks, a --set path that names no key. A value that dfsim
refuses at some point is not: that point fails on its own and the sweep goes on.
"""

import json
import os
import subprocess

from dfsim_import.common import InputError

from . import spec as spec_mod
from .points import value_text

PROBE_TIMEOUT_S = 120
# Messages of dfsim that are about a --set path rather than its value (src/io/overrides.cpp
# and the strict readers, src/io/strict_object.cpp).
PATH_ERRORS = ("no such key", "expected an array index", "to descend into",
               "expected key.path=value")


def base_args(spec):
    """dfsim run options shared by every point: files, --batch and --layer. dfsim runs in the
    spec's folder, so files are passed as the spec writes them (the default energy table,
    which the spec does not name, as an absolute path)."""
    doc = spec.document
    args = ["--arch", doc["arch"], "--network", doc["network"],
            "--energy", doc.get("energy", spec.energy)]
    if spec.batch is not None:
        args += ["--batch", str(spec.batch)]
    for layer in spec.layers or []:
        args += ["--layer", layer]
    return args


def dfsim_env():
    """The environment of every dfsim process (no SystemC banner)."""
    return dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")


def dump_config(dfsim, spec, sets=()):
    """Runs `dfsim run <base> [--set ...] --dump-config`: (exit code, stdout, one-line error)."""
    cmd = [dfsim, "run"] + base_args(spec)
    for s in sets:
        cmd += ["--set", s]
    try:
        proc = subprocess.run(cmd + ["--dump-config"], cwd=spec.dir, capture_output=True,
                              text=True, timeout=PROBE_TIMEOUT_S, env=dfsim_env())
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(dfsim, f"cannot run dfsim ({e})") from None
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    return proc.returncode, proc.stdout, " ".join(lines)


def check_base(dfsim, spec):
    """The resolved base configuration (JSON); InputError when dfsim refuses it."""
    code, out, err = dump_config(dfsim, spec)
    if code != 0:
        raise InputError(spec.display, f"dfsim refuses the base run (arch, network, energy, "
                                       f"layers, batch): {_strip(err)}")
    try:
        return json.loads(out)
    except ValueError as e:
        raise InputError(dfsim, f"--dump-config printed no JSON ({e}); is this dfsim?") \
            from None


def _strip(message):
    prefix = "dfsim: error: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _walk(doc, parts):
    """'exists' when the path names a value of `doc`, 'new' when only its last key is
    missing from an object (dfsim then asks its strict reader), else 'bad'."""
    node = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if part not in node:
                return "new" if last else "bad"
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return "bad"
            node = node[int(part)]
        else:
            return "bad"
    return "exists"


def _dfsim_path(parts):
    """A path as dfsim's readers print it: array indices in brackets."""
    out = parts[0]
    for p in parts[1:]:
        out += f"[{p}]" if p.isdigit() else f".{p}"
    return out


def check_paths(dfsim, spec, points):
    """InputError when dfsim rejects a parameter's or derived value's --set path.

    A path that names an existing value of the base file is fine. Any other is tried with
    dfsim (--dump-config) with the parameter's first value (for a derived value, its value at
    the first point that runs); the spec is wrong when dfsim's message is about the path.
    """
    raw = {}
    for doc in ("arch", "network", "energy"):
        try:
            with open(getattr(spec, doc), encoding="utf-8") as f:
                raw[doc] = json.load(f)
        except (OSError, ValueError):
            raw[doc] = None
    first = next((p for p in points if p.skip is None), None)
    entries = [(p.path, p.values[0], p.where) for p in spec.params()]
    for d in spec.derived:
        if d.path:
            entries.append((d.path, first.values[d.column] if first else 1, d.where))
    for path, value, where in entries:
        parts = spec_mod.split_path(path)
        if raw[parts[0]] is not None and _walk(raw[parts[0]], parts[1:]) == "exists":
            continue
        code, _, err = dump_config(dfsim, spec, [f"{path}={value_text(value)}"])
        if code == 0:
            continue
        message = _strip(err)
        about_path = (message.startswith(f"--set {path}=") and
                      any(e in message for e in PATH_ERRORS)) or \
            f"{_dfsim_path(parts)}: unknown key" in message
        if about_path:
            raise InputError(spec.display, f"{where}.path: dfsim rejects the path "
                                           f"{path!r}: {message}")
