"""Helpers shared by the importer tests: paths, running scripts and dfsim, checking errors.

The tests run under Debian's interpreter (/usr/bin/python3), from any directory:
    /usr/bin/python3 -m unittest discover -s tests/python -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The shared folder beside the repository (peer tools' files, the seed references); the tests
# that read it skip when it is absent.
SHARED = os.environ.get("DFSIM_SHARED_DIR", os.path.join(os.path.dirname(REPO), "shared"))
# Timeloop's peer files: the v4 example designs and the v0.3 eyeriss_like with its AlexNet
# conv1 reference outputs.
TIMELOOP = os.path.join(SHARED, "peer-files", "timeloop")
TL_V4_DESIGNS = os.path.join(TIMELOOP, "workspace", "example_designs", "example_designs")
TL_V03 = os.path.join(TIMELOOP, "v0.3", "workspace", "baseline_designs", "example_designs",
                      "eyeriss_like")
TL_V03_ARCH = os.path.join(TL_V03, "arch", "eyeriss_like.yaml")
TL_V03_CONS = os.path.join(TL_V03, "constraints", "eyeriss_like_arch_constraints.yaml")
TL_V03_OUT = os.path.join(TL_V03, "example_AlexNet_layer1_outputs")
TL_V4_EYERISS = os.path.join(TL_V4_DESIGNS, "eyeriss_like")
TL_V4_EYERISS_OUT = os.path.join(TL_V4_EYERISS, "ref_outputs", "default_problem")
SCRIPTS = os.path.join(REPO, "scripts")
MODELS = os.path.join(REPO, "models")
TINY_ARCH = os.path.join(REPO, "configs", "arch", "tiny_4x4.json")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)


def dfsim_binary():
    path = os.environ.get("DFSIM_BINARY", "build/dfsim")
    return path if os.path.isabs(path) else os.path.join(REPO, path)


def load_spec(path):
    """A sweep spec read with the test binary's dataflow registry (dfsim dataflows --json)."""
    from dfsim_import import dataflows
    from dfsim_sweep import spec as spec_mod
    return spec_mod.load(path, dataflows.names(dfsim_binary()))


def run(args, cwd=None, stdin=None):
    """Runs a command; returns the CompletedProcess with text stdout/stderr."""
    return subprocess.run(args, cwd=cwd or REPO, input=stdin, capture_output=True, text=True,
                          timeout=300)


def script(name, *args, cwd=None):
    """Runs scripts/<name> with its own shebang (Debian's python3)."""
    return run([os.path.join(SCRIPTS, name), *map(str, args)], cwd=cwd)


def dfsim(*args):
    return run([dfsim_binary(), *map(str, args)])


def in_process(main, argv, prog):
    """Runs an importer's main(argv) through run_main in this process: (exit code, out, err).

    Much faster than a subprocess for tests that would otherwise import torch again.
    """
    from dfsim_import.common import run_main
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_main(prog, main, argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue()


_TOTAL_ROW = re.compile(r"^(CONV total|FC total|All layers)\s+([\d,]+)\s+([\d,]+)\s*$")


def summary(path):
    """dfsim summary of a network file: {'conv'|'fc'|'all': (weights, macs), 'layers': n}."""
    proc = dfsim("summary", "--network", path)
    if proc.returncode != 0:
        raise AssertionError(f"dfsim summary --network {path} failed: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        m = _TOTAL_ROW.match(line)
        if m:
            key = {"CONV total": "conv", "FC total": "fc", "All layers": "all"}[m.group(1)]
            out[key] = (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
        m = re.match(r"^network .*: (\d+) layers?$", line)
        if m:
            out["layers"] = int(m.group(1))
    if "all" not in out:
        raise AssertionError(f"no totals in dfsim summary output:\n{proc.stdout}")
    return out


class ImporterTest(unittest.TestCase):
    """A test case with a temporary directory and error-line assertions."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="dfsim-importer-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, text, mode="w"):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)
        return path

    def load(self, text_or_path):
        if os.path.exists(text_or_path):
            with open(text_or_path) as f:
                text_or_path = f.read()
        return json.loads(text_or_path)

    def assertDeterministicJson(self, text):
        """2-space indent, trailing newline, parses."""
        self.assertTrue(text.endswith("}\n"), "output must end with a newline")
        self.assertTrue(text.startswith('{\n  "name": '), text[:40])
        return json.loads(text)

    def assertBadInput(self, code, err, prog, where, *what):
        """Exit 2 and exactly one line `prog: error: where: ...` containing each of `what`."""
        self.assertEqual(code, 2, f"expected exit 2, got {code}; stderr: {err!r}")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr, got {err!r}")
        prefix = f"{prog}: error: {where}: "
        self.assertTrue(lines[0].startswith(prefix), f"{lines[0]!r} does not start with "
                                                     f"{prefix!r}")
        for w in what:
            self.assertIn(w, lines[0])

    def assertBadProcess(self, proc, prog, where, *what):
        self.assertEqual(proc.stdout, "", "nothing may be written to stdout on an error")
        self.assertBadInput(proc.returncode, proc.stderr, prog, where, *what)

    def assertSimulates(self, network, layer):
        """`dfsim run` of one layer on the tiny 4x4 arch with the RS dataflow succeeds."""
        out = os.path.join(self.tmp, "run-" + re.sub(r"\W", "_", layer))
        proc = dfsim("run", "--arch", TINY_ARCH, "--network", network, "--dataflow", "rs",
                     "--layer", layer, "--check", "--quiet", "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            stats = json.load(f)
        return stats
