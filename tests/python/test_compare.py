"""scripts/compare (the ISCA 2016 dataflow comparison) and scripts/validation_report.

The full comparison simulates AlexNet and takes many minutes, and even --quick takes about four
on 2 cores, so these tests run --quick on models/tiny_net.json with configs/arch/tiny_4x4.json
for every dataflow (a few seconds) and check the outputs' shape and invariants, not AlexNet's
numbers. Run with Debian's interpreter:
    /usr/bin/python3 -m unittest tests/python/test_compare.py -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import csv
import filecmp
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

# Also importable as tests/python/test_compare.py from the root (`python3 -m unittest PATH`).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import REPO, dfsim_binary  # noqa: E402

COMPARE = os.path.join(REPO, "scripts", "compare")
REPORT = os.path.join(REPO, "scripts", "validation_report")
TINY = ["--quick", "--network", os.path.join(REPO, "models", "tiny_net.json"),
        "--arch", os.path.join(REPO, "configs", "arch", "tiny_4x4.json")]
DATAFLOWS = ["ws", "os_a", "os_b", "os_c", "nlr", "rs"]

LEVEL_HEADER = ["group", "batch", "dataflow", "macs", "energy_total", "alu_per_mac",
                "rf_per_mac", "noc_per_mac", "glb_per_mac", "dram_per_mac", "total_per_mac",
                "alu_vs_rs", "rf_vs_rs", "noc_vs_rs", "glb_vs_rs", "dram_vs_rs", "total_vs_rs"]
TYPE_HEADER = ["group", "batch", "dataflow", "macs", "energy_total", "alu_per_mac",
               "weights_per_mac", "inputs_per_mac", "outputs_per_mac", "total_per_mac",
               "alu_vs_rs", "weights_vs_rs", "inputs_vs_rs", "outputs_vs_rs", "total_vs_rs"]
METRICS_HEADER = ["group", "batch", "dataflow", "macs", "dram_accesses", "dram_accesses_per_mac",
                  "dram_psum_reads", "cycles", "active_pes_mean", "total_pes", "utilization",
                  "energy_total", "edp", "functional_check"]
RS_LAYERS_HEADER = ["group", "layer", "batch", "macs", "energy_total", "alu_per_mac",
                    "rf_per_mac", "noc_per_mac", "glb_per_mac", "dram_per_mac", "total_per_mac",
                    "weights_per_mac", "inputs_per_mac", "outputs_per_mac", "cycles",
                    "active_pes", "functional_check"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(args):
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=240)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


class CompareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="dfsim-compare-test-")
        cls.tmp = cls._tmp.name
        cls.out = os.path.join(cls.tmp, "cmp")
        cls.proc = run([COMPARE, *TINY, "--out", cls.out, "--dfsim", dfsim_binary(),
                        "--jobs", "2"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def path(self, name):
        return os.path.join(self.out, name)

    def test_csv_headers(self):
        for name, header in [("energy_by_level.csv", LEVEL_HEADER),
                             ("energy_by_type.csv", TYPE_HEADER),
                             ("metrics.csv", METRICS_HEADER),
                             ("rs_layers.csv", RS_LAYERS_HEADER)]:
            with self.subTest(name=name):
                got, rows = read_csv(self.path(name))
                self.assertEqual(got, header)
                self.assertTrue(rows)

    def test_one_row_per_point_and_dataflow(self):
        _, rows = read_csv(self.path("energy_by_level.csv"))
        points = [(r["group"], r["batch"], r["dataflow"]) for r in rows]
        self.assertEqual(points, [(g, b, df) for g, b in [("CONV", "1"), ("FC", "16")]
                                  for df in DATAFLOWS])

    def test_rs_normalized_total_is_one(self):
        for name in ["energy_by_level.csv", "energy_by_type.csv"]:
            _, rows = read_csv(self.path(name))
            rs = [r for r in rows if r["dataflow"] == "rs"]
            self.assertEqual(len(rs), 2)
            for r in rs:
                self.assertEqual(float(r["total_vs_rs"]), 1.0, (name, r))

    def test_parts_add_up_to_the_total(self):
        for name, parts in [("energy_by_level.csv", ["alu", "rf", "noc", "glb", "dram"]),
                            ("energy_by_type.csv", ["alu", "weights", "inputs", "outputs"])]:
            _, rows = read_csv(self.path(name))
            for r in rows:
                total = float(r["total_per_mac"])
                self.assertAlmostEqual(sum(float(r[f"{p}_per_mac"]) for p in parts), total,
                                       delta=1e-5 * len(parts) + 1e-9 * total)
                self.assertAlmostEqual(float(r["energy_total"]) / int(r["macs"]), total,
                                       delta=1e-6)

    def test_metrics(self):
        _, rows = read_csv(self.path("metrics.csv"))
        for r in rows:
            self.assertEqual(r["functional_check"],
                             "passed" if r["batch"] == "1" else "not run (--fast)")
            self.assertLessEqual(float(r["utilization"]), 1.0)
            self.assertLessEqual(float(r["active_pes_mean"]), int(r["total_pes"]))
            self.assertGreaterEqual(int(r["cycles"]) * float(r["active_pes_mean"]) * (1 + 1e-9),
                                    int(r["macs"]))

    def test_pngs_are_valid(self):
        with open(self.path("summary.json"), encoding="utf-8") as f:
            charts = json.load(f)["charts"]
        self.assertEqual(set(charts), {"energy_by_level_conv", "energy_by_level_fc",
                                       "energy_by_type_conv", "energy_by_type_fc",
                                       "normalized_to_rs", "rs_layers"})
        for name in charts.values():
            with self.subTest(name=name):
                with open(self.path(name), "rb") as f:
                    data = f.read()
                self.assertEqual(data[:8], PNG_SIGNATURE)
                self.assertEqual(data[12:16], b"IHDR")
                width, height = struct.unpack(">II", data[16:24])
                self.assertGreater(width, 300)
                self.assertGreater(height, 200)
                self.assertEqual(data[-8:-4], b"IEND")

    def test_summary_runs(self):
        with open(self.path("summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        runs = summary["runs"]
        self.assertEqual(len(runs), 12)
        for r in runs:
            cmd = r["command"].split()
            self.assertIn("--search", cmd)
            self.assertEqual(cmd[cmd.index("--objective") + 1], "energy")
            self.assertEqual("--check" in cmd, r["batch"] == 1)
            self.assertEqual(r["checked"], r["batch"] == 1)
            self.assertTrue(os.path.isfile(os.path.join(self.out, r["raw"], "stats.json")))
        self.assertEqual(summary["setup"]["objective"], "energy")
        self.assertEqual([(w["group"], w["batch"]) for w in summary["winners"]],
                         [("CONV", 1), ("FC", 16)])
        for w in summary["winners"]:
            self.assertGreaterEqual(w["ratio_second_to_best"], 1.0)

    def test_dataflows_default_to_dfsims_registry(self):
        with open(self.path("summary.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["setup"]["dataflows"], DATAFLOWS)

    def test_dataflows_option(self):
        out = os.path.join(self.tmp, "two")
        proc = run([COMPARE, *TINY, "--out", out, "--dfsim", dfsim_binary(),
                    "--dataflows", "rs,ws"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        self.assertEqual(summary["setup"]["dataflows"], ["rs", "ws"])
        self.assertEqual(sorted({r["dataflow"] for r in summary["runs"]}), ["rs", "ws"])
        bad = run([COMPARE, *TINY, "--out", os.path.join(self.tmp, "bad"), "--dfsim",
                   dfsim_binary(), "--dataflows", "ws,nlr"])
        self.assertEqual(bad.returncode, 1)
        self.assertIn("including rs (the reference)", bad.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad")))

    def test_rules_isca16(self):
        """--rules isca16: every run is paper mode, the default dataflows those paper mode has
        (from dfsim dataflows --json: all six), and the checked runs pass."""
        out = os.path.join(self.tmp, "paper")
        proc = run([COMPARE, *TINY, "--out", out, "--dfsim", dfsim_binary(),
                    "--rules", "isca16"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        self.assertEqual(summary["setup"]["rules"], "isca16")
        self.assertEqual(summary["setup"]["dataflows"], DATAFLOWS)
        self.assertNotIn("unmapped", summary)
        for r in summary["runs"]:
            self.assertIn("--rules isca16 --unmappable skip", r["command"])
            self.assertNotIn("--search", r["command"])
            if r["checked"]:
                self.assertEqual(r["functional_check"], "passed")
        with open(self.path("summary.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["setup"]["rules"], "free")
        # The report states every claim against paper mode, per PE count, and refuses a
        # free-mode folder given as paper mode.
        report = os.path.join(self.tmp, "paper_report", "validation.md")
        proc = run([REPORT, "--results", self.out, "--paper", out, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("## The published claims against paper mode", text)
        section = text[text.index("## The published claims against paper mode"):]
        verdicts = [line for line in section.splitlines() if " | 16 | " in line and
                    (line.endswith("| **agrees** |") or line.endswith("| **differs** |"))]
        self.assertEqual(len(verdicts), 3)  # three claims at the tiny arch's 16 PEs
        self.assertNotIn("This job's paper mode covers", section)
        self.assertNotIn("Points the paper rules cannot map", section)
        self.assertIn("**16 PEs, CONV layers**", section)
        # A subset: the report says which dataflows the claims cover.
        ws_out = os.path.join(self.tmp, "paper_ws")
        proc = run([COMPARE, *TINY, "--out", ws_out, "--dfsim", dfsim_binary(),
                    "--rules", "isca16", "--dataflows", "ws,rs"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(ws_out, "summary.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["setup"]["dataflows"], ["ws", "rs"])
        report_ws = os.path.join(self.tmp, "paper_ws_report", "validation.md")
        proc = run([REPORT, "--results", self.out, "--paper", ws_out, "--report", report_ws])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report_ws, encoding="utf-8") as f:
            ws_text = f.read()
        self.assertIn("os_a, os_b, os_c, nlr are in paper mode but not in this job", ws_text)
        bad = run([REPORT, "--results", self.out, "--paper", self.out, "--report",
                   os.path.join(self.tmp, "bad.md")])
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not a paper-mode summary", bad.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad.md")))

    def test_rules_isca16_unmappable_point(self):
        """A point paper mode cannot map (WS at CONV batch 64 on the tiny arch: the batch's
        psum planes exceed its double-buffered GLB's tile) is named, not drawn, not ranked."""
        out = os.path.join(self.tmp, "paper_unmapped")
        proc = run([COMPARE, *TINY, "--conv-batches", "1,64", "--out", out, "--dfsim",
                    dfsim_binary(), "--rules", "isca16"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("ws-conv-b64: no legal mapping (layer conv1: no assignment", proc.stderr)
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        self.assertEqual(summary["setup"]["dataflows"], DATAFLOWS)
        (u,) = summary["unmapped"]
        self.assertEqual((u["group"], u["batch"], u["dataflow"]), ("CONV", 64, "ws"))
        self.assertEqual([l["layer"] for l in u["layers"]], ["conv1", "conv2"])
        self.assertIn("GLB words per tile (double buffered)", u["layers"][0]["reason"])
        for name in ["energy_by_level.csv", "energy_by_type.csv", "metrics.csv"]:
            _, rows = read_csv(os.path.join(out, name))
            points = {(r["group"], r["batch"], r["dataflow"]) for r in rows}
            self.assertNotIn(("CONV", "64", "ws"), points, name)
            self.assertIn(("CONV", "1", "ws"), points, name)
            self.assertIn(("CONV", "64", "os_a"), points, name)
        (w,) = [w for w in summary["winners"] if (w["group"], w["batch"]) == ("CONV", 64)]
        self.assertEqual(w["unmapped"], ["ws"])
        self.assertNotIn("ws", w["total_vs_rs"])
        (r,) = [r for r in summary["runs"] if (r["group"], r["batch"], r["dataflow"]) ==
                ("CONV", 64, "ws")]
        self.assertEqual(r["functional_check"], "not mapped")
        self.assertEqual(r["what_if_commands"], {})
        self.assertNotIn(("CONV", 64, "ws"), {(h["group"], h["batch"], h["dataflow"])
                                              for h in summary["halo_what_if"]["rows"]})
        self.assertIn("ws        no legal mapping under these rules", proc.stdout)
        report = os.path.join(self.tmp, "paper_unmapped_report", "validation.md")
        proc = run([REPORT, "--results", self.out, "--paper", out, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("## The published claims against paper mode"):]
        self.assertIn("**Points the paper rules cannot map.** At 16 PEs, ws on the CONV layers "
                      "at batch 64: `layer conv1: no assignment", section)
        self.assertIn("`; `layer conv2: no assignment", section)
        self.assertIn("| 64 | ws | no legal mapping (conv1 and conv2) | —", section)
        self.assertIn("no legal mapping under these rules for ws at batch 64 (conv1 and conv2), so "
                      "that point is left out", section)

    def test_stdout_table(self):
        out = self.proc.stdout
        self.assertIn("CONV layers, batch 1", out)
        self.assertIn("FC layers, batch 16", out)
        self.assertEqual(out.count("wins: "), 2)
        for df in DATAFLOWS:
            self.assertIn(f"\n{df} ", out)

    def test_timing_has_every_run(self):
        with open(os.path.join(self.out, "timing.json"), encoding="utf-8") as f:
            timing = json.load(f)
        with open(os.path.join(self.out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        self.assertEqual(len(timing["runs"]), len(summary["runs"]))
        for r in timing["runs"]:
            self.assertGreater(r["process_seconds"], 0)
            self.assertGreaterEqual(r["process_seconds"], r["simulate_seconds"])
            self.assertGreater(r["search_seconds"], 0)
        for r in summary["runs"]:
            self.assertGreaterEqual(r["search"]["tried"], r["search"]["scored"])
            self.assertGreater(r["search"]["scored"], 0)

    def test_no_temporary_files_left(self):
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith(".")], [])

    def test_rerun_is_byte_identical(self):
        before = os.path.join(self.tmp, "before")
        shutil.copytree(self.out, before)
        proc = run([COMPARE, *TINY, "--out", self.out, "--dfsim", dfsim_binary(),
                    "--jobs", "1"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # Everything but the wall times of timing.json is the same bytes.
        names = sorted(n for n in os.listdir(before)
                       if os.path.isfile(os.path.join(before, n)) and n != "timing.json")
        match, mismatch, errors = filecmp.cmpfiles(before, self.out, names, shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        self.assertEqual(proc.stdout, self.proc.stdout)

    def test_failed_run_stops_and_keeps_earlier_results(self):
        fake = os.path.join(self.tmp, "fake_dfsim")
        with open(fake, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n"
                    f"if [ \"$1\" = dataflows ]; then exec {dfsim_binary()} \"$@\"; fi\n"
                    "if [ \"$2\" = --help ]; then echo '  --fast  count only'; exit 0; fi\n"
                    "echo 'dfsim: error: simulated failure' >&2\nexit 2\n")
        os.chmod(fake, 0o755)
        with open(self.path("metrics.csv"), "rb") as f:
            metrics = f.read()
        proc = run([COMPARE, *TINY, "--out", self.out, "--dfsim", fake])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("simulated failure", proc.stderr)
        self.assertIn("compare: error: run ", proc.stderr)
        with open(self.path("metrics.csv"), "rb") as f:
            self.assertEqual(f.read(), metrics)
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith(".")], [])

    def test_validation_report(self):
        report = os.path.join(self.tmp, "docs", "validation.md")
        proc = run([REPORT, "--results", self.out, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, encoding="utf-8") as f:
            text = f.read()
        for claim in ["RS is 1.4x to 2.5x more energy efficient than the other dataflows",
                      "at least 1.3x more energy efficient at batch 16 or more",
                      "CONV layers take about 80% of AlexNet's energy"]:
            self.assertIn(claim, text)
        self.assertEqual(text.count("| **agrees** |") + text.count("| **differs** |"), 3)
        for section in ["## Setup", "## Which dataflow wins", "## Energy per MAC normalized "
                        "to RS", "## What sliding-window reuse is worth", "## Charts",
                        "## What the model assumes", "## Runs"]:
            self.assertIn(section, text)
        links = [line[line.index("](") + 2:-1] for line in text.splitlines()
                 if line.startswith("![")]
        self.assertEqual(len(links), 6)
        for link in links:
            self.assertFalse(os.path.isabs(link))
            self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(report), link)), link)
        with open(report, "rb") as f:
            first = f.read()
        proc = run([REPORT, "--results", self.out, "--report", report])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(report, "rb") as f:
            self.assertEqual(f.read(), first)

    def test_validation_report_without_summary(self):
        proc = run([REPORT, "--results", os.path.join(self.tmp, "nowhere"),
                    "--report", os.path.join(self.tmp, "x.md")])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("run scripts/compare first", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.md")))


if __name__ == "__main__":
    unittest.main()
