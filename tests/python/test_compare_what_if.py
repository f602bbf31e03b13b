"""scripts/compare's halo reuse what-if and its section in scripts/validation_report.

The what-if re-prices each run's searched mappings with `dfsim evaluate`, as the runs were (with
halo reuse at GLB and RF, the default) and without it. tiny_net's searched mappings see no halo savings, so these tests
write a small network whose 3x3 stride-1 conv does (on configs/arch/tiny_4x4.json), run
`scripts/compare --quick` on three dataflows (a few seconds) and check the what-if against
direct `dfsim evaluate` calls, the setting as run against the simulation, the failure on a tampered
stats.json and the report's table. Run with Debian's interpreter:
    /usr/bin/python3 -m unittest tests/python/test_compare_what_if.py -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import REPO, dfsim_binary  # noqa: E402

COMPARE = os.path.join(REPO, "scripts", "compare")
REPORT = os.path.join(REPO, "scripts", "validation_report")
ARCH = os.path.join(REPO, "configs", "arch", "tiny_4x4.json")
ENERGY = os.path.join(REPO, "configs", "energy", "isca16_normalized.json")
DATAFLOWS = ["ws", "os_b", "rs"]
NO_HALO_SETS = ["--set", "arch.glb.halo_reuse=false", "--set", "arch.rf.halo_reuse=false"]
NETWORK = {
    "name": "halo_net",
    "batch": 1,
    "layers": [
        {"name": "conv1", "type": "conv", "C": 4, "M": 8, "H": 20, "W": 20, "R": 3, "S": 3,
         "stride": 1, "padding": 1},
        {"name": "conv2", "type": "conv", "C": 8, "M": 4, "H": 20, "W": 20, "R": 3, "S": 3,
         "stride": 2, "padding": 1},
        {"name": "fc", "type": "fc", "in_features": 16, "out_features": 10},
    ],
}
LEVELS = ["dram", "glb", "noc", "rf"]
ENERGY_KEYS = ["alu", "rf", "noc", "glb", "dram", "weights", "inputs", "outputs", "total"]

# Runs the real dfsim; after a `run` of conv1 under ws, adds 1 to the first layer's simulated
# GLB input reads in stats.json (so the simulation and the analytic model disagree there).
TAMPER = """#!/usr/bin/python3
import json, os, subprocess, sys
args = sys.argv[1:]
code = subprocess.call([{dfsim!r}] + args)
if (code == 0 and args[:1] == ["run"] and "conv1" in args
        and args[args.index("--dataflow") + 1] == "ws"):
    path = os.path.join(args[args.index("--out") + 1], "stats.json")
    with open(path) as f:
        stats = json.load(f)
    stats["layers"][0]["accesses"]["glb"]["inputs"]["reads"] += 1
    with open(path, "w") as f:
        json.dump(stats, f)
sys.exit(code)
"""


def run(args):
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=240)


class WhatIfTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="dfsim-what-if-test-")
        cls.tmp = cls._tmp.name
        cls.network = os.path.join(cls.tmp, "halo_net.json")
        with open(cls.network, "w", encoding="utf-8") as f:
            json.dump(NETWORK, f)
        cls.args = ["--quick", "--network", cls.network, "--arch", ARCH,
                    "--dataflows", ",".join(DATAFLOWS)]
        cls.out = os.path.join(cls.tmp, "cmp")
        cls.proc = run([COMPARE, *cls.args, "--out", cls.out, "--dfsim", dfsim_binary()])
        cls.summary = None
        if cls.proc.returncode == 0:
            with open(os.path.join(cls.out, "summary.json"), encoding="utf-8") as f:
                cls.summary = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def evaluate(self, mapping, batch, extra):
        """The layers of a direct `dfsim evaluate --json` of one mapping."""
        proc = run([dfsim_binary(), "evaluate", "--arch", ARCH, "--network", self.network,
                    "--energy", ENERGY, "--batch", str(batch), "--mapping", mapping, "--json",
                    *extra])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)["layers"]

    def rows(self):
        return {(r["group"], r["batch"], r["dataflow"]): r
                for r in self.summary["halo_what_if"]["rows"]}

    def test_one_row_per_point_and_dataflow(self):
        self.assertEqual([(r["group"], r["batch"], r["dataflow"])
                          for r in self.summary["halo_what_if"]["rows"]],
                         [(g, b, df) for g, b in [("CONV", 1), ("FC", 16)] for df in DATAFLOWS])
        self.assertEqual(self.summary["halo_what_if"]["settings"],
                         {"no_halo_reuse": ["arch.glb.halo_reuse=false",
                                            "arch.rf.halo_reuse=false"], "halo_reuse": []})
        self.assertEqual(self.summary["halo_what_if"]["as_run"], "halo_reuse")

    def test_what_if_equals_direct_evaluate(self):
        # Each mapping evaluated on its own, without and with the two --set options, summed
        # over the group's layers: the summary's figures, and halo reuse changes something.
        changed = []
        for (group, batch, df), row in self.rows().items():
            raw = os.path.join(self.out, "raw", f"{df}-{group.lower()}-b{batch}", "mappings")
            mappings = sorted(os.path.join(raw, n) for n in os.listdir(raw)
                              if n.endswith(".json"))
            self.assertEqual(len(mappings), 2 if group == "CONV" else 1)
            for setting, extra in [("no_halo_reuse", NO_HALO_SETS), ("halo_reuse", [])]:
                layers = [l for m in mappings for l in self.evaluate(m, batch, extra)]
                macs = sum(l["macs"] for l in layers)
                self.assertEqual(macs, row["macs"])
                energy = {"alu": sum(l["energy"]["mac"] for l in layers),
                          "total": sum(l["energy"]["total"] for l in layers)}
                for k in ["rf", "noc", "glb", "dram"]:
                    energy[k] = sum(l["energy"]["by_level"][k] for l in layers)
                for k in ["weights", "inputs", "outputs"]:
                    energy[k] = sum(l["energy"]["by_tensor"][k] for l in layers)
                with self.subTest(point=(group, batch, df), setting=setting):
                    for k in ENERGY_KEYS:
                        self.assertAlmostEqual(row["energy_per_mac"][setting][k],
                                               energy[k] / macs, places=6)
                    for lv in LEVELS:
                        words = sum(l["accesses"][lv]["inputs"][op] for l in layers
                                    for op in ("reads", "writes"))
                        self.assertEqual(row["input_words"][setting][lv], words)
                        self.assertAlmostEqual(row["input_words_per_mac"][setting][lv],
                                               words / macs, places=6)
            if row["total_change"] != 0:
                changed.append((group, df))
                self.assertLess(row["energy_per_mac"]["halo_reuse"]["total"],
                                row["energy_per_mac"]["no_halo_reuse"]["total"])
                self.assertLess(row["input_words"]["halo_reuse"]["dram"]
                                + row["input_words"]["halo_reuse"]["glb"],
                                row["input_words"]["no_halo_reuse"]["dram"]
                                + row["input_words"]["no_halo_reuse"]["glb"])
        self.assertEqual(sorted(changed), [("CONV", df) for df in sorted(DATAFLOWS)])

    def test_normalized_to_rs_per_setting(self):
        rows = self.rows()
        for (group, batch, df), row in rows.items():
            rs = rows[(group, batch, "rs")]
            for setting in ("no_halo_reuse", "halo_reuse"):
                self.assertAlmostEqual(row["total_vs_rs"][setting],
                                       row["energy_per_mac"][setting]["total"]
                                       / rs["energy_per_mac"][setting]["total"], places=5)
            self.assertAlmostEqual(row["total_change"],
                                   row["energy_per_mac"]["halo_reuse"]["total"]
                                   / row["energy_per_mac"]["no_halo_reuse"]["total"] - 1, places=5)

    def test_halo_reuse_is_the_simulated_energy(self):
        level = {(r["group"], r["batch"], r["dataflow"]): r
                 for r in self.summary["energy_by_level"]}
        for key, row in self.rows().items():
            for k in ["alu", "rf", "noc", "glb", "dram", "total"]:
                self.assertEqual(row["energy_per_mac"]["halo_reuse"][k],
                                 level[key][f"{k}_per_mac"], (key, k))

    def test_csv_matches_summary(self):
        with open(os.path.join(self.out, "halo_what_if.csv"), newline="",
                  encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        by_key = self.rows()
        self.assertEqual(len(rows), len(by_key))
        for r in rows:
            s = by_key[(r["group"], int(r["batch"]), r["dataflow"])]
            for k in ENERGY_KEYS:
                self.assertEqual(float(r[f"{k}_per_mac"]), s["energy_per_mac"]["no_halo_reuse"][k])
                self.assertEqual(float(r[f"{k}_per_mac_halo"]),
                                 s["energy_per_mac"]["halo_reuse"][k])
            for lv in LEVELS:
                self.assertEqual(int(r[f"input_words_{lv}"]), s["input_words"]["no_halo_reuse"][lv])
                self.assertEqual(int(r[f"input_words_{lv}_halo"]),
                                 s["input_words"]["halo_reuse"][lv])
            self.assertEqual(float(r["total_change"]), s["total_change"])

    def test_commands_and_raw_files_recorded(self):
        for r in self.summary["runs"]:
            cmds = r["what_if_commands"]
            self.assertEqual(sorted(cmds), ["halo_reuse", "no_halo_reuse"])
            for setting, cmd in cmds.items():
                words = cmd.split()
                self.assertEqual(words[1], "evaluate")
                self.assertEqual(words.count("--mapping"), len(r["layers"]))
                self.assertEqual("arch.glb.halo_reuse=false" in words, setting == "no_halo_reuse")
                self.assertNotIn(".compare-tmp", cmd)
                self.assertTrue(os.path.isfile(os.path.join(self.out, r["raw"],
                                                            f"evaluate_{setting}.json")))
        with open(os.path.join(self.out, "timing.json"), encoding="utf-8") as f:
            timing = json.load(f)
        self.assertGreater(timing["what_if_seconds"], 0)
        for r in timing["runs"]:
            self.assertEqual(sorted(r["evaluate_seconds"]), ["halo_reuse", "no_halo_reuse"])

    def test_tampered_stats_fail_the_job(self):
        fake = os.path.join(self.tmp, "tamper_dfsim")
        with open(fake, "w", encoding="utf-8") as f:
            f.write(TAMPER.format(dfsim=dfsim_binary()))
        os.chmod(fake, 0o755)
        with open(os.path.join(self.out, "halo_what_if.csv"), "rb") as f:
            before = f.read()
        proc = run([COMPARE, *self.args, "--out", self.out, "--dfsim", fake])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("compare: error: run ws-conv-b1: the analytic model does not reproduce "
                      "the simulation on layer conv1: glb inputs reads is ", proc.stderr)
        self.assertIn("stats.json (the halo what-if needs model == simulator)", proc.stderr)
        with open(os.path.join(self.out, "halo_what_if.csv"), "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith(".")], [])

    def test_report_has_the_what_if_table(self):
        report = os.path.join(self.tmp, "report", "validation.md")
        proc = run([REPORT, "--results", self.out, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("## What sliding-window reuse is worth"):]
        section = section[:section.index("\n## ", 1)]
        self.assertIn("--set arch.glb.halo_reuse=false --set arch.rf.halo_reuse=false", section)
        self.assertIn("not a search without halo reuse", section)
        self.assertIn("no PE-to-PE forwarding", section)
        rows = self.rows()
        for group, batch in [("CONV", 1), ("FC", 16)]:
            table = section[section.index(f"**{group} layers, batch {batch}**"):]
            lines = [l for l in table.splitlines() if l.startswith("| ")]
            self.assertEqual(lines[0], "| dataflow | energy/MAC without → with | change | "
                             "vs RS without → with | DRAM ifmap words/MAC without → with | "
                             "GLB ifmap words/MAC without → with | RF ifmap words/MAC without "
                             "→ with |")
            for df, line in zip(DATAFLOWS, lines[1:1 + len(DATAFLOWS)]):
                r = rows[(group, batch, df)]
                e = r["energy_per_mac"]
                self.assertTrue(line.startswith(
                    f"| {df} | {e['no_halo_reuse']['total']:.3f} → {e['halo_reuse']['total']:.3f} | "
                    f"{100 * r['total_change']:+.1f}% | "), line)
        self.assertIn("Largest gains at CONV batch 1: **", section)
        self.assertIn("No dataflow changes at FC batch 16", section)
        # The assumption list no longer says dfsim has no sliding-window reuse.
        self.assertNotIn("No sliding-window (halo) reuse", text)
        self.assertIn("Halo reuse within a level, no PE-to-PE forwarding", text)

    def test_report_on_a_summary_without_the_what_if(self):
        old = os.path.join(self.tmp, "old")
        shutil.copytree(self.out, old)
        with open(os.path.join(old, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        del summary["halo_what_if"]
        with open(os.path.join(old, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f)
        report = os.path.join(old, "validation.md")
        proc = run([REPORT, "--results", old, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("## What sliding-window reuse is worth\n\nThis summary has no halo reuse "
                      "what-if (`halo_what_if` in summary.json)", text)


if __name__ == "__main__":
    unittest.main()
