"""scripts/import_accelergy_ert and scripts/export_accelergy_counts: ERT files made here (the
Eyeriss-like layout of Accelergy's examples), each component priced on its own level and tensor,
--map and --ignore, a dfsim run priced with the imported table, the exported counts priced by the
ERT giving the same energy, malformed inputs (exit 2, one line on stderr), and the public
Timeloop ERTs of shared/peer-files (when present)."""

import glob
import json
import os
import unittest

import yaml

from dfsim_test_support import REPO, TINY_ARCH, ImporterTest, dfsim, in_process, script, TIMELOOP

from dfsim_import import accelergy_counts, accelergy_ert

ERT_PROG = "import_accelergy_ert"
COUNTS_PROG = "export_accelergy_counts"

# As accelergy's examples/eyeriss_like ERT.yaml: three scratchpads per PE with argument sets,
# a NoC per tensor, a GLB with fill/read/update, DRAM without arguments.
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
  - name: eyeriss_like.psum_NoC
    actions:
    - {name: transfer_random, arguments: {n_destinations: 1, n_rows: 1}, energy: 2.5}
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
        # Each spad prices its own tensor: the random read, and update (no write action).
        self.assertEqual(doc["rf"], {"weights": {"read": 1.6, "write": 1.9},
                                     "inputs": {"read": 0.4, "write": 0.5},
                                     "outputs": {"read": 0.6, "write": 0.7}})
        self.assertEqual(doc["noc"], {"weights": {"per_word": 1.0},   # one destination
                                      "inputs": {"per_word": 3.0},
                                      "outputs": {"per_word": 2.5}})
        self.assertEqual(doc["glb"], {"read": 6.0, "write": 5.0})  # read, fill; / 4 words
        self.assertEqual(doc["dram"], {"read": 128.0, "write": 128.0})
        self.assertIn("rf.inputs.read = eyeriss_like.PE[0..167].ifmap_spad:read("
                      "address_delta=1, data_delta=1) = 0.4", doc["notes"])
        self.assertIn("glb.read = eyeriss_like.shared_glb:read(address_delta=1, data_delta=1) "
                      "= 24, divided by 4 words per access", doc["notes"])
        self.assertEqual(list(doc), ["name", "notes", "unit", "word_bits", "mac", "rf", "noc",
                                     "glb", "dram", "leakage_per_cycle"])
        stats = self.run_tiny(out)  # dfsim's strict reader accepts it
        with open(stats) as f:
            layer = json.load(f)["layers"][0]
        rf = layer["accesses"]["rf"]["weights"]
        self.assertAlmostEqual(layer["energy"]["by_level_tensor"]["rf"]["weights"],
                               rf["reads"] * 1.6 + rf["writes"] * 1.9)

    def test_level_wide_components_and_placeholders(self):
        """A component named for no tensor prices its level's tensors that have none of their
        own; a DummyBuffer is left out; an ERT without networks prices the NoC 0."""
        ert = self.write("ERT.yaml", CHIP_ERT.replace("chip.PE[0..15].rf", "chip.PE[0..15].spad")
                         .replace("  - name: chip.noc\n    actions: [{name: transfer_random, "
                                  "arguments: {n_destinations: 1}, energy: 2}]\n", "") +
                         "  - name: chip.PE[0..15].weights_reg\n"
                         "    actions: [{name: read, energy: 0.5}, {name: write, energy: 0.75}]\n"
                         "  - name: chip.DummyBuffer[0..3]\n"
                         "    actions: [{name: read, energy: 9}]\n")
        _, doc = self.import_ert(ert)
        self.assertEqual(doc["rf"], {"weights": {"read": 0.5, "write": 0.75},
                                     "inputs": {"read": 1.25, "write": 1.5},
                                     "outputs": {"read": 1.25, "write": 1.5}})
        self.assertEqual(doc["noc"], {"per_word": 0.0})
        self.assertIn("noc.per_word = 0 (no network component in the ERT)", doc["notes"])
        self.assertIn("Left out: chip.DummyBuffer[0..3] (a placeholder that holds no data)",
                      doc["notes"])
        # --ignore leaves the register out: the spad prices all three tensors again.
        _, doc = self.import_ert(ert, "--ignore", "weights_reg")
        self.assertEqual(doc["rf"], {"read": 1.25, "write": 1.5})
        self.assertIn("Left out: chip.PE[0..15].weights_reg (--ignore)", doc["notes"])

    def test_map_overrides_the_default(self):
        _, doc = self.import_ert(
            self.write("ERT.yaml", EYERISS_ERT),
            "--map", "rf.read=weights_spad:read",
            "--map", "rf.inputs.write=ifmap_spad:fill",
            "--map", "glb.read=eyeriss_like.shared_glb:read:address_delta=2,data_delta=1",
            "--map", "mac=eyeriss_like.PE[0..167].mac:mac_gated", "--word-bits", "8",
            "--name", "mine")
        self.assertEqual((doc["name"], doc["word_bits"]), ("mine", 8))
        # rf.read: every tensor from weights_spad; writes stay with each tensor's spad, but the
        # inputs' is ifmap_spad's fill.
        self.assertEqual(doc["rf"], {"weights": {"read": 1.6, "write": 1.9},
                                     "inputs": {"read": 1.6, "write": 0.45},
                                     "outputs": {"read": 1.6, "write": 0.7}})
        self.assertEqual(doc["glb"]["read"], 26.0)
        self.assertEqual(doc["mac"], 0.1)

    def test_import_errors(self):
        ert = self.write("ERT.yaml", EYERISS_ERT)
        no_dram = self.write("nodram.yaml", EYERISS_ERT.split("  - name: System.DRAM")[0])
        cases = [
            ([no_dram], no_dram, ["no component for dfsim's 'dram.weights'",
                                  "--map dram.weights.read=COMPONENT:ACTION"]),
            ([self.write("odd.yaml", EYERISS_ERT + "  - name: chip.cache\n    actions: []\n")],
             None, ["component 'chip.cache': its name tells no dfsim level",
                    "--ignore cache"]),
            ([self.write("two.yaml", EYERISS_ERT + "  - name: x.filter_spad\n    actions: []\n")],
             None, ["components 'eyeriss_like.PE[0..167].weights_spad', 'x.filter_spad' would "
                    "all price dfsim's 'rf.weights'"]),
            ([self.write("shadow.yaml", EYERISS_ERT + "  - name: x.pe_spad\n    actions: "
                         "[{name: read, energy: 1}]\n")], None,
             ["component 'x.pe_spad' (rf) would price nothing", "--ignore pe_spad"]),
            ([self.write("both.yaml", EYERISS_ERT + "  - name: x.input_output_reg\n"
                         "    actions: []\n")], None, ["'x.input_output_reg': its name matches "
                                                        "several tensors' patterns"]),
            ([self.write("noact.yaml", EYERISS_ERT.replace("name: mac_random", "name: mac_x"))],
             None, ["component 'eyeriss_like.PE[0..167].mac' (for dfsim's 'mac') has none of "
                    "the actions mac_random | compute"]),
            ([ert, "--ignore", "nothing"], ert, ["--ignore nothing: no component 'nothing'"]),
            ([ert, "--map", "rf.psums.read=a:b"], "--map rf.psums.read=a:b",
             ["unknown key 'rf.psums.read'"]),
            ([self.write("syntax.yaml", "ERT: {tables: [\n")], None, ["YAML syntax error"]),
            ([self.write("noert.yaml", "tables: []\n")], None, ["expected an Accelergy ERT"]),
            ([self.write("empty.yaml", "ERT: {version: 0.3, tables: []}\n")], None,
             ["ERT.tables: expected a non-empty list"]),
            ([self.write("neg.yaml", EYERISS_ERT.replace("energy: 512", "energy: -1", 1))], None,
             ["ERT.tables[8].actions[0].energy: expected a number >= 0 (pJ), got -1"]),
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

    def test_pe_buffers_named_like_glbs_price_the_rf(self):
        """simba_like's naming: per-tensor buffers inside the PE array (more instances than the
        one level-wide global buffer) price the RF of a tensor that has no RF component; with
        as many instances as the GLB they stay ambiguous and are refused."""
        def ert(pe_instances):
            rows = [("sys.mac[1..64]", "compute", 0.5), ("sys.DRAM[1..1]", "read", 100),
                    ("sys.GlobalBuffer[1..1]", "read", 10),
                    (f"sys.PEInputBuffer[1..{pe_instances}]", "read", 2),
                    ("sys.PEAccuBuffer[1..64]", "read", 3), ("sys.PEWeightBuffer[1..64]",
                                                             "read", 4),
                    ("sys.PEWeightRegs[1..64]", "read", 0.25)]
            tables = "".join(f"  - name: {n}\n    actions:\n"
                             f"    - {{name: {a}, arguments: null, energy: {e}}}\n"
                             f"    - {{name: write, arguments: null, energy: {e}}}\n"
                             for n, a, e in rows)
            return "ERT:\n  version: 0.4\n  tables:\n" + tables
        _, doc = self.import_ert(self.write("simba.yaml", ert(16)))
        self.assertEqual(doc["rf"], {"weights": {"read": 0.25, "write": 0.25},
                                     "inputs": {"read": 2.0, "write": 2.0},
                                     "outputs": {"read": 3.0, "write": 3.0}})
        self.assertEqual(doc["glb"]["weights"], {"read": 4.0, "write": 4.0})
        self.assertEqual(doc["glb"]["inputs"], {"read": 10.0, "write": 10.0})
        self.assertIn("sys.PEInputBuffer[1..16] prices rf.inputs: inputs has no RF component "
                      "and it has more instances (16) than the GLB sys.GlobalBuffer[1..1] (1)",
                      doc["notes"])
        flat = self.write("flat.yaml", ert(1))
        code, _, err = in_process(accelergy_ert.main, [flat], ERT_PROG)
        self.assertBadInput(code, err, ERT_PROG, flat, "no component for dfsim's 'rf.inputs'",
                            "--map rf.inputs.read=COMPONENT:ACTION")

    # -- the public Timeloop ERTs ------------------------------------------------------------
    def test_public_timeloop_erts(self):
        """Every ERT (and ERT_summary) of the Timeloop exercises in shared/peer-files imports
        without --map or it is refused naming the component; the shipped eyeriss table is the
        import of the v0.3 eyeriss_like ERT."""
        root = TIMELOOP
        if not os.path.isdir(root):
            self.skipTest(f"no peer files at {root} (set DFSIM_SHARED_DIR to the shared folder)")
        files = sorted(glob.glob(os.path.join(root, "**", "*.ERT*.yaml"), recursive=True))
        files = [f for f in files if os.path.basename(f).endswith(("ERT.yaml", "ERT_summary.yaml"))]
        self.assertEqual(len(files), 10)
        # simba_like's PE buffers are named like GLBs: PEInputBuffer[1..16] and
        # PEAccuBuffer[1..64] price the RF of inputs and outputs (more instances than
        # GlobalBuffer[1..1]); the simple_* designs have two PE-level storages for one tensor.
        refused = {"simple_weight_stationary": "component 'system_top_level.pe_spad[1..256]' "
                                               "(rf) would price nothing",
                   "simple_output_stationary": "component 'system_top_level.pe_spad[1..256]' "
                                               "(rf) would price nothing"}
        imported = 0
        for path in files:
            design = next((d for d in ["eyeriss_like", "simba_like", *refused]
                           if f"/{d}/" in path), None)
            with self.subTest(path=os.path.relpath(path, root)):
                code, out, err = in_process(accelergy_ert.main, [path], ERT_PROG)
                if design in refused:
                    self.assertBadInput(code, err, ERT_PROG, path, refused[design],
                                        "--ignore pe_spad", "--map rf.weights.read=pe_spad:read")
                    continue
                self.assertEqual((code, err), (0, ""))
                doc = json.loads(out)
                imported += 1
                self.assertEqual(sorted(doc["rf"]), ["inputs", "outputs", "weights"])
                self.assertEqual(doc["noc"], {"per_word": 0.0})
                if design == "simba_like":
                    self.assertIn("PEInputBuffer[1..16] prices rf.inputs", doc["notes"])
                    self.assertIn("rf.outputs.read = System_top_level.PEAccuBuffer[1..64]:read",
                                  doc["notes"])
                    self.assertIn("glb.weights.read = System_top_level.PEWeightBuffer[1..64]",
                                  doc["notes"])
                    self.assertNotIn("Left out", doc["notes"])
        self.assertEqual(imported, 6)
        v03 = os.path.join(root, "v0.3", "workspace", "baseline_designs", "example_designs",
                           "eyeriss_like", "example_AlexNet_layer1_outputs",
                           "timeloop-mapper.ERT.yaml")
        _, made = self.import_ert(v03, "--access-words", "glb=4", "--access-words", "dram=4",
                                  "--name", "eyeriss-like-ert-pj")
        with open(os.path.join(REPO, "configs", "energy", "eyeriss_like_ert_pj.json")) as f:
            shipped = json.load(f)
        self.assertTrue(shipped["notes"].endswith(made["notes"]))
        self.assertEqual({k: v for k, v in shipped.items() if k != "notes"},
                         {k: v for k, v in made.items() if k != "notes"})

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
