"""scripts/import_accelergy_ert and scripts/export_accelergy_counts: ERT files made here (the
Eyeriss-like layout of Accelergy's examples), the default mapping and --map, a dfsim run priced
with the imported table, the exported counts priced by the ERT giving the same energy, and
malformed inputs (exit 2, one line on stderr)."""

import json
import os
import unittest

import yaml

from dfsim_test_support import TINY_ARCH, ImporterTest, dfsim, in_process, script

from dfsim_import import accelergy_counts, accelergy_ert

ERT_PROG = "import_accelergy_ert"
COUNTS_PROG = "export_accelergy_counts"

# As accelergy's examples/eyeriss_like ERT.yaml: three scratchpads per PE with argument sets,
# four NoCs, a GLB with fill/read/update, DRAM without arguments.
EYERISS_ERT = """\
ERT:
  version: 0.3
  tables:
  - name: eyeriss_like.PE[0..167].mac
    actions:
    - {name: mac_random, arguments: null, energy: 2.0}
    - {name: mac_gated, arguments: null, energy: 0.1}
    - {name: idle, arguments: null, energy: 0}
  - name: eyeriss_like.PE[0..167].ifmap_spad
    actions:
    - {name: read, arguments: {address_delta: 0, data_delta: 0}, energy: 0.2}
    - {name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 0.4}
    - {name: update, arguments: {address_delta: 1, data_delta: 1}, energy: 0.5}
    - {name: fill, arguments: {address_delta: 1, data_delta: 1}, energy: 0.45}
  - name: eyeriss_like.PE[0..167].weights_spad
    actions:
    - {name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 1.6}
    - {name: update, arguments: {address_delta: 1, data_delta: 1}, energy: 1.9}
  - name: eyeriss_like.PE[0..167].psum_spad
    actions:
    - {name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 0.6}
    - {name: update, arguments: {address_delta: 1, data_delta: 1}, energy: 0.7}
  - name: eyeriss_like.weights_NoC
    actions:
    - {name: transfer_random, arguments: {n_destinations: 1, n_rows: 1}, energy: 1.0}
    - {name: transfer_random, arguments: {n_destinations: 12, n_rows: 1}, energy: 9.0}
  - name: eyeriss_like.ifmap_NoC
    actions:
    - {name: transfer_random, arguments: {n_destinations: 1, n_rows: 1}, energy: 3.0}
  - name: eyeriss_like.shared_glb
    actions:
    - {name: fill, arguments: {address_delta: 1, data_delta: 1}, energy: 20}
    - {name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 24}
    - {name: read, arguments: {address_delta: 2, data_delta: 1}, energy: 26}
    - {name: update, arguments: {address_delta: 1, data_delta: 1}, energy: 22}
  - name: System.DRAM
    actions:
    - {name: read, arguments: null, energy: 512}
    - {name: write, arguments: null, energy: 512}
    - {name: idle, arguments: null, energy: 0}
"""

# One component per dfsim action, named as export_accelergy_counts names them by default
# (prefix "chip", 16 PEs): a run priced by dfsim and by Accelergy must agree.
CHIP_ERT = """\
ERT:
  version: 0.3
  tables:
  - name: chip.PE[0..15].mac
    actions: [{name: mac_random, arguments: null, energy: 0.5}]
  - name: chip.PE[0..15].rf
    actions: [{name: read, arguments: null, energy: 1.25}, {name: write, energy: 1.5}]
  - name: chip.noc
    actions: [{name: transfer_random, arguments: {n_destinations: 1}, energy: 2}]
  - name: chip.glb
    actions: [{name: read, energy: 6}, {name: write, energy: 7}]
  - name: chip.dram
    actions: [{name: read, energy: 200}, {name: write, energy: 210}]
"""


class AccelergyTest(ImporterTest):
    def import_ert(self, path, *extra):
        out = os.path.join(self.tmp, "energy.json")
        code, stdout, err = in_process(accelergy_ert.main, [path, "-o", out, *extra], ERT_PROG)
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            return out, self.assertDeterministicJson(f.read())

    def run_tiny(self, energy, dataflow="rs"):
        out = os.path.join(self.tmp, "run-" + dataflow)
        proc = dfsim("run", "--arch", TINY_ARCH, "--network", "models/tiny_net.json",
                     "--dataflow", dataflow, "--energy", energy, "--quiet", "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return os.path.join(out, "stats.json")

    # -- import ------------------------------------------------------------------------------
    def test_eyeriss_like_ert(self):
        out, doc = self.import_ert(self.write("ERT.yaml", EYERISS_ERT), "--access-words",
                                   "glb=4", "--access-words", "dram=4")
        self.assertEqual(doc["name"], "ERT")
        self.assertEqual((doc["unit"], doc["word_bits"]), ("pJ", 16))
        self.assertEqual(doc["mac"], 2.0)                     # mac_random
        self.assertAlmostEqual(doc["rf"]["read"], (0.4 + 1.6 + 0.6) / 3)   # the random reads
        self.assertAlmostEqual(doc["rf"]["write"], (0.5 + 1.9 + 0.7) / 3)  # update
        self.assertAlmostEqual(doc["noc"]["per_word"], (1.0 + 3.0) / 2)    # one destination
        self.assertEqual(doc["glb"], {"read": 6.0, "write": 5.0})  # read, fill; / 4 words
        self.assertEqual(doc["dram"], {"read": 128.0, "write": 128.0})
        self.assertIn("rf.read = mean of eyeriss_like.PE[0..167].ifmap_spad:read("
                      "address_delta=1, data_delta=1) = 0.4", doc["notes"])
        self.assertEqual(list(doc), ["name", "notes", "unit", "word_bits", "mac", "rf", "noc",
                                     "glb", "dram", "leakage_per_cycle"])
        self.run_tiny(out)  # dfsim's strict reader accepts it

    def test_map_overrides_the_default(self):
        _, doc = self.import_ert(
            self.write("ERT.yaml", EYERISS_ERT),
            "--map", "rf.read=weights_spad:read",
            "--map", "glb.read=eyeriss_like.shared_glb:read:address_delta=2,data_delta=1",
            "--map", "mac=eyeriss_like.PE[0..167].mac:mac_gated", "--word-bits", "8",
            "--name", "mine")
        self.assertEqual((doc["name"], doc["word_bits"]), ("mine", 8))
        self.assertEqual(doc["rf"]["read"], 1.6)
        self.assertEqual(doc["glb"]["read"], 26.0)
        self.assertEqual(doc["mac"], 0.1)

    def test_import_errors(self):
        ert = self.write("ERT.yaml", EYERISS_ERT)
        no_dram = self.write("nodram.yaml", EYERISS_ERT.split("  - name: System.DRAM")[0])
        cases = [
            ([no_dram], no_dram, ["no component/action for dfsim's 'dram.read'",
                                  "--map dram.read=COMPONENT:ACTION"]),
            ([self.write("syntax.yaml", "ERT: {tables: [\n")], None, ["YAML syntax error"]),
            ([self.write("noert.yaml", "tables: []\n")], None, ["expected an Accelergy ERT"]),
            ([self.write("empty.yaml", "ERT: {version: 0.3, tables: []}\n")], None,
             ["ERT.tables: expected a non-empty list"]),
            ([self.write("neg.yaml", EYERISS_ERT.replace("energy: 512", "energy: -1", 1))], None,
             ["ERT.tables[7].actions[0].energy: expected a number >= 0 (pJ), got -1"]),
            ([self.write("noname.yaml", "ERT:\n  tables:\n  - actions: []\n")], None,
             ["ERT.tables[0].name: expected the component's name"]),
            ([ert, "--map", "glb.read=shared_glb:write"], ert,
             ["--map glb.read: component 'eyeriss_like.shared_glb' has no action 'write'"]),
            ([ert, "--map", "glb.read=nothing:read"], ert, ["--map glb.read: no component "
                                                             "'nothing' in the ERT"]),
            ([ert, "--map", "glb.read=shared_glb:read:address_delta=9"], ert,
             ["has no arguments {\"address_delta\": 9}"]),
            ([ert, "--map", "foo=a:b"], "--map foo=a:b", ["unknown key 'foo'; valid keys: mac"]),
            ([ert, "--map", "mac"], "--map mac", ["expected KEY=COMPONENT:ACTION"]),
            ([ert, "--access-words", "glb=0"], "--access-words glb=0",
             ["expected LEVEL=N with N a positive integer"]),
            ([os.path.join(self.tmp, "absent.yaml")], None, ["cannot open"]),
        ]
        for argv, where, what in cases:
            with self.subTest(argv=argv):
                code, out, err = in_process(accelergy_ert.main, argv, ERT_PROG)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, ERT_PROG, where or argv[0], *what)
        ambiguous = self.write("amb.yaml", EYERISS_ERT.replace(
            "{name: read, arguments: {address_delta: 1, data_delta: 1}, energy: 24}",
            "{name: read, arguments: {address_delta: 3, data_delta: 1}, energy: 24}"))
        proc = script("import_accelergy_ert", ambiguous)
        self.assertBadProcess(proc, ERT_PROG, ambiguous,
                              "'eyeriss_like.shared_glb' action 'read' has 2 argument sets")

    # -- export ------------------------------------------------------------------------------
    def test_export_prices_the_run_like_dfsim(self):
        """dfsim's energy with the imported table equals Accelergy's sum of counts x ERT."""
        ert_path = self.write("chip.yaml", CHIP_ERT)
        energy, _ = self.import_ert(ert_path)
        stats_path = self.run_tiny(energy)
        counts_path = os.path.join(self.tmp, "counts.yaml")
        code, _, err = in_process(accelergy_counts.main,
                                  [stats_path, "--prefix", "chip", "-o", counts_path],
                                  COUNTS_PROG)
        self.assertEqual(code, 0, err)
        with open(counts_path) as f:
            text = f.read()
        self.assertTrue(text.startswith("# Accelergy action counts of a dfsim run"))
        counts = yaml.safe_load(text)["action_counts"]
        self.assertEqual(counts["version"], 0.3)
        ert = {t["name"]: {a["name"]: a["energy"] for a in t["actions"]}
               for t in yaml.safe_load(CHIP_ERT)["ERT"]["tables"]}
        priced = sum(a["counts"] * ert[c["name"]][a["name"]]
                     for c in counts["local"] for a in c["action_counts"])
        with open(stats_path) as f:
            stats = json.load(f)
        total = stats["totals"][0]["energy"]["total"]
        self.assertAlmostEqual(priced, total, delta=1e-9 * total)
        macs = next(a["counts"] for c in counts["local"] if c["name"] == "chip.PE[0..15].mac"
                    for a in c["action_counts"])
        self.assertEqual(macs, stats["totals"][0]["macs"])

    def test_export_per_tensor_map_layers_and_access_words(self):
        stats_path = self.run_tiny("configs/energy/isca16_normalized.json")
        with open(stats_path) as f:
            conv1 = next(l for l in json.load(f)["layers"] if l["name"] == "conv1")
        code, out, err = in_process(accelergy_counts.main, [
            stats_path, "--layer", "conv1", "--access-words", "dram=4",
            "--map", "rf.read.weights=e.PE[0..15].weights_spad:read:address_delta=1,data_delta=1",
            "--map", "rf.read=e.PE[0..15].spad:read"], COUNTS_PROG)
        self.assertEqual(code, 0, err)
        local = {c["name"]: c["action_counts"] for c in yaml.safe_load(out)["action_counts"]
                 ["local"]}
        acc = conv1["accesses"]
        self.assertEqual(local["e.PE[0..15].weights_spad"], [
            {"name": "read", "arguments": {"address_delta": 1, "data_delta": 1},
             "counts": acc["rf"]["weights"]["reads"]}])
        self.assertEqual(local["e.PE[0..15].spad"][0]["counts"],
                         acc["rf"]["inputs"]["reads"] + acc["rf"]["outputs"]["reads"])
        dram_reads = sum(acc["dram"][t]["reads"] for t in ("weights", "inputs", "outputs"))
        self.assertAlmostEqual(local["system.dram"][0]["counts"], dram_reads / 4)

    def test_export_errors(self):
        stats_path = self.run_tiny("configs/energy/isca16_normalized.json")
        two = os.path.join(self.tmp, "two")
        proc = dfsim("run", "--arch", TINY_ARCH, "--network", "models/tiny_conv.json",
                     "--dataflow", "all", "--quiet", "--out", two)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        two_stats = os.path.join(two, "stats.json")
        cases = [
            ([two_stats], two_stats, ["several dataflows (nlr, os_a, os_b, os_c, rs, ws)",
                                      "--dataflow"]),
            ([stats_path, "--dataflow", "ws"], stats_path, ["no layer ran dataflow 'ws'"]),
            ([stats_path, "--layer", "nope"], stats_path, ["no layer 'nope' ran dataflow 'rs'"]),
            ([self.write("bad.json", "{\"layers\": [}")], None, ["JSON syntax error"]),
            ([self.write("other.json", "{\"name\": 1}")], None, ["expected a dfsim stats.json"]),
            ([self.write("nocount.json", json.dumps({"layers": [{"name": "c", "dataflow": "rs",
                                                                 "macs": 4}]}))], None,
             ["layers['c']: missing accesses.rf.weights.reads"]),
            ([stats_path, "--map", "mac=a:b", "--map", "mac=c:d"], "--map mac",
             ["given more than once"]),
            ([stats_path, "--map", "rf.read.psums=a:b"], "--map rf.read.psums=a:b",
             ["unknown key 'rf.read.psums'"]),
        ]
        for argv, where, what in cases:
            with self.subTest(argv=argv):
                code, out, err = in_process(accelergy_counts.main, argv, COUNTS_PROG)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, COUNTS_PROG, where or argv[0], *what)
        missing = os.path.join(self.tmp, "missing.json")
        proc = script("export_accelergy_counts", missing)
        self.assertBadProcess(proc, COUNTS_PROG, missing, "cannot open")
        self.assertEqual(script("export_accelergy_counts", "--help").returncode, 0)


if __name__ == "__main__":
    unittest.main()
