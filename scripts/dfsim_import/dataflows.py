"""The dataflow registry, read from dfsim itself (`dfsim dataflows --json`).

dfsim's list of dataflows lives in one place, src/dataflow/dataflow.cpp; scripts ask the binary
for it instead of keeping copies, so a dataflow added there reaches every script.
"""

import functools
import json
import os
import subprocess

from .common import InputError


@functools.lru_cache(maxsize=None)
def names(dfsim, rules=None):
    """The dataflow names of the dfsim executable `dfsim`, in the order `--dataflow all` runs
    them; with `rules` ("free", "isca16"), only those that rule set has (`dfsim run --rules`).
    Raises InputError when the binary cannot be run or gives no list."""
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    try:
        proc = subprocess.run([dfsim, "dataflows", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(dfsim, f"cannot run 'dataflows --json': {e}") from None
    try:
        listed = ([d["name"] for d in json.loads(proc.stdout)
                   if rules is None or rules in d.get("rules", ["free"])]
                  if proc.returncode == 0 else None)
    except (ValueError, TypeError, KeyError):
        listed = None
    if not listed or not all(isinstance(n, str) for n in listed):
        last = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise InputError(dfsim, f"'dataflows --json' gave no list of dataflows "
                                f"(exit {proc.returncode}: {last[0]}); is it an older dfsim?")
    return tuple(listed)
