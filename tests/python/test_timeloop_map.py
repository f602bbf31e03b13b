"""scripts/import_timeloop_map and export_timeloop_map: Timeloop's reference mappings of
shared/peer-files (eyeriss_like's map.yaml and map.txt in the v4 example, the v0.3 AlexNet
conv1 map.txt) import onto the arch import_timeloop_arch makes of the same design, dfsim's
analytic model takes them, and the figures both tools model alike equal Timeloop's own stats
(read here from timeloop-mapper.stats.txt): cycles, utilized MACs, DRAM reads and updates per
tensor, weight fills and psum updates at the spads (every other figure, with halo reuse:
test_timeloop_compare.py). The export is the
inverse: import(export(import(m))) == import(m), for Timeloop's maps and for a dfsim mapping.
Hand-written maps check the refusals. Peer-file tests are skipped when the shared folder is
absent (DFSIM_SHARED_DIR names it; default: ../shared beside the repository)."""

import json
import os
import re
import tempfile
import unittest

from dfsim_test_support import REPO, ImporterTest, dfsim, script
from dfsim_test_support import TIMELOOP as TL, TL_V03 as V03, TL_V03_ARCH as V03_ARCH
from dfsim_test_support import TL_V03_CONS as V03_CONS, TL_V03_OUT as V03_OUT
from dfsim_test_support import TL_V4_EYERISS as V4, TL_V4_EYERISS_OUT as V4_OUT

ALEXNET = os.path.join(REPO, "models", "alexnet.json")


def timeloop_stats(path):
    """{level: {tensor or "": {stat: value}}} from a timeloop-mapper.stats.txt (the first,
    per-level part; '' holds a level's own lines such as the MAC's utilized instances)."""
    out, level, tensor = {}, None, ""
    with open(path) as f:
        for line in f:
            m = re.match(r"=== (\S+) ===", line)
            if m:
                if m.group(1) in out:  # the summary part repeats the names
                    break
                level, tensor = m.group(1), ""
                out[level] = {"": {}}
                continue
            if level is None:
                continue
            m = re.match(r"\s+(Weights|Inputs|Outputs):\s*$", line)
            if m:
                tensor = m.group(1).lower()
                out[level].setdefault(tensor, {})
                continue
            m = re.match(r"\s+([A-Za-z][A-Za-z ()-]*?)\s*:\s*([\d.]+)", line)
            if m:
                out[level][tensor].setdefault(m.group(1), float(m.group(2)))
    return out


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@unittest.skipUnless(os.path.isdir(TL), f"no peer files at {TL} (set DFSIM_SHARED_DIR)")
class ReferenceMappings(ImporterTest):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_ok(self, name, *args):
        proc = script(name, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def design(self, arch, constraints, ert, network, layer, map_file, halo=True):
        """Imports arch (with halo reuse unless `halo` is false), ERT and map; evaluates;
        returns (mapping doc, evaluated layer)."""
        cons = [x for c in constraints for x in ("--constraints", c)]
        a = os.path.join(self.dir, "arch.json")
        self.run_ok("import_timeloop_arch", arch, *cons, *([] if halo else ["--no-halo-reuse"]),
                    "-o", a)
        e = os.path.join(self.dir, "ert.json")
        self.run_ok("import_accelergy_ert", "--arch", a, ert, "-o", e)
        m = os.path.join(self.dir, os.path.basename(map_file) + ".json")
        self.run_ok("import_timeloop_map", map_file, "--arch", arch, *cons, "--layer", layer,
                    "-o", m)
        proc = dfsim("evaluate", "--arch", a, "--energy", e, "--network", network, "--mapping",
                     m, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(m) as f:
            return json.load(f), json.loads(proc.stdout)["layers"][0]

    def check_against_stats(self, got, stats, glb, psums):
        acc = got["accesses"]
        self.assertEqual(got["cycles"]["estimate"], stats["mac"][""]["Cycles"])
        self.assertEqual(got["active_pes"], stats["mac"][""]["Utilized instances"])
        dram = stats["DRAM"]
        for t in ("weights", "inputs"):
            self.assertEqual(acc["dram"][t]["reads"], dram[t]["Scalar reads (per-instance)"], t)
        self.assertEqual(acc["dram"]["outputs"]["writes"],
                         dram["outputs"]["Scalar updates (per-instance)"])
        self.assertEqual(acc[glb]["inputs"]["writes"],
                         stats["shared_glb"]["inputs"]["Scalar fills (per-instance)"])
        w = stats["weights_spad"]["weights"]
        self.assertEqual(acc["spads"]["weights"]["writes"],
                         w["Scalar fills (per-instance)"] * w["Utilized instances (max)"])
        p = stats["psum_spad"]["outputs"]
        if psums:  # no psum comes back from the GLB (dfsim counts the returned ones as writes)
            self.assertEqual(acc["spads"]["outputs"]["writes"],
                             p["Scalar updates (per-instance)"] * p["Utilized instances (max)"])

    def test_v03_alexnet_conv1_map_txt(self):
        doc, got = self.design(V03_ARCH, [V03_CONS],
                               os.path.join(V03_OUT, "timeloop-mapper.ERT.yaml"), ALEXNET,
                               "conv1", os.path.join(V03_OUT, "timeloop-mapper.map.txt"))
        # DRAM Q55 C3; GLB P55 with M12 over columns; DummyBuffer's S11 over rows; R11, M8 in
        # the spads (Timeloop's weights_spad and psum_spad).
        levels = {lv["level"]: lv for lv in doc["levels"]}
        self.assertEqual(levels["dram"]["temporal"], [{"dim": "Q", "bound": 55},
                                                      {"dim": "C", "bound": 3}])
        self.assertEqual(levels["shared_glb"]["spatial"],
                         [{"dim": "M", "bound": 12, "axis": "cols"},
                          {"dim": "S", "bound": 11, "axis": "rows"}])
        self.assertEqual(levels["spads"]["temporal"], [{"dim": "R", "bound": 11},
                                                       {"dim": "M", "bound": 8}])
        self.assertEqual(levels["shared_glb"]["keeps"], ["inputs", "outputs"])
        stats = timeloop_stats(os.path.join(V03_OUT, "timeloop-mapper.stats.txt"))
        self.check_against_stats(got, stats, "shared_glb", psums=False)
        self.assertEqual(got["macs"], 3 * 96 * 11 * 11 * 55 * 55)

    def test_v4_map_yaml_and_map_txt_agree_and_match(self):
        net = os.path.join(self.dir, "problem.json")
        self.run_ok("import_timeloop", os.path.join(V4_OUT, "parsed-processed-input.yaml"),
                    "-o", net)
        ert = os.path.join(V4_OUT, "timeloop-mapper.ERT.yaml")
        arch = os.path.join(V4, "arch.yaml")
        layer = "parsed-processed-input"
        # Without halo reuse: Timeloop keeps no window overlap at the DRAM -> GLB boundary of
        # this mapping (test_timeloop_compare.py says why), dfsim's halo reuse does.
        y, got = self.design(arch, [], ert, net, layer,
                             os.path.join(V4_OUT, "timeloop-mapper.map.yaml"), halo=False)
        t, _ = self.design(arch, [], ert, net, layer,
                           os.path.join(V4_OUT, "timeloop-mapper.map.txt"), halo=False)
        self.assertEqual(y["levels"], t["levels"])
        self.check_against_stats(got, timeloop_stats(os.path.join(V4_OUT,
                                                                  "timeloop-mapper.stats.txt")),
                                 "shared_glb", psums=True)

    def round_trip(self, map_file, arch, cons, layer):
        first = os.path.join(self.dir, "first.json")
        self.run_ok("import_timeloop_map", map_file, "--arch", arch, *cons, "--layer", layer,
                    "-o", first)
        yaml_out = os.path.join(self.dir, "out.map.yaml")
        self.run_ok("export_timeloop_map", first, "--arch", arch, *cons, "-o", yaml_out)
        again = os.path.join(self.dir, "again.json")
        self.run_ok("import_timeloop_map", yaml_out, "--arch", arch, *cons, "--layer", layer,
                    "-o", again)
        with open(first) as f, open(again) as g:
            self.assertEqual(json.load(f)["levels"], json.load(g)["levels"])
        return yaml_out

    def test_export_is_the_inverse_on_timeloop_maps(self):
        self.round_trip(os.path.join(V03_OUT, "timeloop-mapper.map.txt"), V03_ARCH,
                        ["--constraints", V03_CONS], "conv1")
        out = self.round_trip(os.path.join(V4_OUT, "timeloop-mapper.map.yaml"),
                              os.path.join(V4, "arch.yaml"), [], "parsed-processed-input")
        with open(out) as f:
            text = f.read()
        # every loop at the innermost spad, weights bypass the GLB, Q14 over meshX
        self.assertIn("target: psum_spad\n    type: temporal\n    factors: C1 M8 R3 S1 N1 P1 Q1",
                      text)
        self.assertIn("target: inter_PE_column_spatial\n    type: spatial\n    factors: "
                      "C1 M1 R1 S1 N1 P1 Q14\n    permutation: QCMRSNP\n    split: 1", text)

    def test_export_of_a_dfsim_mapping_round_trips(self):
        # Without halo reuse the arch is the 4-level instance: dfsim run writes the 4-level
        # form of the mapping, which the export takes on an arch of three storage levels.
        a = os.path.join(self.dir, "arch.json")
        self.run_ok("import_timeloop_arch", V03_ARCH, "--constraints", V03_CONS,
                    "--no-halo-reuse", "-o", a)
        e = os.path.join(self.dir, "ert.json")
        self.run_ok("import_accelergy_ert", "--arch", a,
                    os.path.join(V03_OUT, "timeloop-mapper.ERT.yaml"), "-o", e)
        out = os.path.join(self.dir, "R")
        proc = dfsim("run", "--arch", a, "--energy", e, "--network", ALEXNET, "--layer",
                     "conv3", "--dataflow", "rs", "--tiling", "perfect", "--fast", "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        mine = os.path.join(out, "mappings", "conv3.rs.json")
        yaml_out = os.path.join(self.dir, "conv3.map.yaml")
        self.run_ok("export_timeloop_map", mine, "--arch", V03_ARCH, "--constraints", V03_CONS,
                    "--network", ALEXNET, "-o", yaml_out)
        back = os.path.join(self.dir, "back.json")
        self.run_ok("import_timeloop_map", yaml_out, "--arch", V03_ARCH, "--constraints",
                    V03_CONS, "--layer", "conv3", "-o", back)
        with open(mine) as f, open(back) as g:
            m = json.load(f)  # the 4-level form: this arch has three storage levels
            got = json.load(g)["levels"]
        want = [{"level": "dram", "temporal": m["dram"]},
                {"level": "shared_glb", "temporal": m["glb"], "spatial": m["spatial"],
                 "keeps": m["glb_keeps"]},
                {"level": "spads", "temporal": m["rf"], "keeps": m["rf_keeps"]}]
        # A Timeloop level lists its Spatial-X loops apart from its Spatial-Y ones, so the
        # export keeps the order within an axis (over distinct dimensions the order across the
        # axes means nothing).
        for lv in got + want:
            lv["spatial"] = sorted(lv.get("spatial", []), key=lambda x: x["axis"])
        self.assertEqual(json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True))

    def test_refusals(self):
        arch = os.path.join(V4, "arch.yaml")
        cases = [
            ("mapping:\n  - target: nowhere\n    type: temporal\n    factors: M2\n"
             "    permutation: M\n", "target 'nowhere' is not a component"),
            ("mapping:\n  - target: ifmap_spad\n    type: temporal\n    factors: M2\n"
             "    permutation: M\n", "the loop M2 lies above the inner sibling keeping weights"),
            ("mapping:\n  - target: DRAM\n    type: temporal\n    factors: H2\n"
             "    permutation: H\n", "H2: Timeloop's CNN-Layer dimensions"),
            ("mapping:\n  - target: DRAM\n    type: datatype\n    keep: [Inputs]\n"
             "    bypass: [Weights, Outputs]\n", "dfsim's dram keeps every tensor"),
            ("mapping:\n  - target: shared_glb\n    type: datatype\n    keep: [Weights]\n",
             "which the arch's constraints bypass there"),
            ("mapping:\n  - target: DRAM\n    type: temporal\n    factors: M2 C3\n"
             "    permutation: M\n", "lacks C, whose factor is 3"),
        ]
        for i, (text, expected) in enumerate(cases):
            path = write(self.dir, f"bad{i}.map.yaml", text)
            proc = script("import_timeloop_map", path, "--arch", arch, "--layer", "x")
            self.assertEqual(proc.returncode, 2, text)
            self.assertIn(path, proc.stderr)
            self.assertIn(expected, proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        ragged = write(self.dir, "ragged.json", json.dumps({
            "layer": "conv1", "dataflow": "x", "levels": [
                {"level": "dram", "temporal": [{"dim": "P", "bound": 8, "tile": 7}]},
                {"level": "shared_glb", "temporal": [], "keeps": ["inputs", "outputs"]},
                {"level": "spads", "temporal": [{"dim": "P", "bound": 7}],
                 "keeps": ["weights", "inputs", "outputs"]}]}))
        proc = script("export_timeloop_map", ragged, "--arch", arch)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("a ragged loop (tile 7)", proc.stderr)


if __name__ == "__main__":
    unittest.main()
