"""Every peer file of shared/peer-files that the importers take: Timeloop layer shapes (the v0.4
flat form and timeloopfe's Jinja form), SCALE-Sim topologies and configs. Expected MACs are
computed here from the files themselves, not by the importers' code; refused files must be
refused with exit 2 and one line saying what is missing. Skipped when the shared folder is absent
(DFSIM_SHARED_DIR names it; default: ../shared beside the repository)."""

import glob
import json
import math
import os
import unittest

import yaml

from dfsim_test_support import REPO, ImporterTest, in_process, summary, SHARED

from dfsim_import import scalesim_import, timeloop_import

PEER = os.path.join(SHARED, "peer-files")
SHAPES = os.path.join(PEER, "timeloop", "workspace", "example_designs", "layer_shapes")
SCALESIM = os.path.join(PEER, "scalesim")

# The topologies SCALE-Sim's own loader (scale-sim-v2 22f88b1, topology_utils.load_arrays and
# topo_calc_hyperparams) fails on, measured by running it on every CSV of peer-files: a row of
# empty fields (int('')), a row whose last value is dropped for want of a trailing comma, a
# title row ("AlphaGoZero,") and a tab-separated file.
SCALESIM_FAILS = {
    "conv_nets/MobileNet_4k_non_dw.csv": "got 6 values (SCALE-Sim drops the last",
    "conv_nets/Resnet50.csv": "line 2: IFMAP Height: expected an integer",
    "conv_nets/UNet_maestro.csv": "tab-separated",
    "conv_nets/mobilnet_4k.csv": "got 6 values (SCALE-Sim drops the last",
    "conv_nets/mobilnet_reduce_run.csv": "got 6 values (SCALE-Sim drops the last",
    "mlperf/MLPERF.csv": "line 3: expected a name and 7 or 8 values",
    "mlperf/NCF_recommendation.csv": "line 3: expected a name and 7 or 8 values",
    "mlperf/Sentimental_seqLSTM.csv": "line 3: expected a name and 7 or 8 values",
    "mlperf/Transformer.csv": "line 3: expected a name and 7 or 8 values",
}
for _name in ["NCF_recommendation_short", "Sentimental_seqCNN", "Transformer_short",
              "div256q/AlphaGoZero", "div256q/NCF_recommendation_short", "div256q/Resnet50",
              "div256q/Sentimental_seqCNN", "div256q/Sentimental_seqLSTM_short",
              "div256q/Transformer_short", "div64q/AlphaGoZero",
              "div64q/NCF_recommendation_short", "div64q/Resnet50", "div64q/Sentimental_seqCNN",
              "div64q/Sentimental_seqLSTM_short", "div64q/Transformer_short"]:
    SCALESIM_FAILS[f"mlperf/{_name}.csv"] = "line 2: IFMAP Height: expected an integer"
# MAC totals printed by SCALE-Sim's loader (get_all_mac_ops) for a few of them.
SCALESIM_MACS = {
    "conv_nets/alexnet.csv": 805_118_496,
    "conv_nets/UNet_2d.csv": 2_608_061_360_384,            # UTF-8 byte-order mark
    "conv_nets/mobilnet_paper.csv": 551_539_642,           # "#dw" comment fields
    "transformer/transformer_fwd.csv": 5_826_038_528,      # BOM, lowercase header
    "transformer/transformer_inpgrad.csv": 4_089_184_256,
    "transformer/transformer_weightgrad.csv": 1_733_462_130_688,
    "GEMM_mnk/gpt2.csv": 20_686_307_328,
}


def layer_macs(layer):
    """MACs of one dfsim layer dict (conv: P*Q*R*S*(C/groups)*M*N; fc: in*out*N)."""
    n = layer.get("N", 1)
    if layer["type"] == "fc":
        return n * layer["in_features"] * layer["out_features"]
    return n * layer["P"] * layer["Q"] * layer["R"] * layer["S"] * (
        layer["C"] // layer["groups"]) * layer["M"]


def timeloop_bounds(path):
    """The problem's dimension bounds, read here: a flat file's `instance` over its shape's
    dimensions, or a timeloopfe file's `instance: {...}` line over problem_base.yaml's."""
    with open(path) as f:
        text = f.read()
    if "{{" not in text:
        problem = yaml.safe_load(text)["problem"]
        return {d: problem["instance"][d] for d in problem["shape"]["dimensions"]}
    with open(os.path.join(SHAPES, "problem_base.yaml")) as f:
        dims = yaml.safe_load(f)["problem_base_ignore"]["shape"]["dimensions"]
    line = next(l for l in text.splitlines() if l.strip().startswith("instance:"))
    given = yaml.safe_load(line.strip())["instance"]
    return {d: given.get(d, 1) for d in dims}


def scalesim_count(path):
    """SCALE-Sim's MACs of a topology, by its documented rules: line 1 skipped, blank lines
    skipped, the last comma field dropped; conv ofmap = ceil((I - F + stride) / stride), a "DP"
    row once per channel; GEMM M*N*K."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].lstrip("\ufeff").replace(" ", "").lower().split(",")
    gemm = header[1:4] == ["m", "n", "k"]
    total = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        v = line.strip().split(",")[:-1]
        if gemm:
            total += int(v[1]) * int(v[2]) * int(v[3])
            continue
        h, w, r, s, c, m, sh = (int(x) for x in v[1:8])
        sw = int(v[8]) if len(v) > 8 else sh
        total += (math.ceil((h - r + sh) / sh) * math.ceil((w - s + sw) / sw) * r * s * c * m)
    return total


@unittest.skipUnless(os.path.isdir(PEER), f"no peer files at {PEER} (set DFSIM_SHARED_DIR)")
class PeerFilesTest(ImporterTest):
    def run_import(self, main, prog, argv):
        out = os.path.join(self.tmp, "out.json")
        code, stdout, err = in_process(main, [*argv, "-o", out], prog)
        if code != 0:
            return code, err, None
        with open(out) as f:
            return code, err, json.loads(f.read())

    # -- Timeloop ----------------------------------------------------------------------------
    def test_timeloop_layer_shapes(self):
        folders = sorted(os.path.relpath(os.path.dirname(p), SHAPES)
                         for p in glob.glob(os.path.join(SHAPES, "**", "*.yaml"), recursive=True)
                         if os.path.basename(p) != "problem_base.yaml")
        folders = sorted(set(folders))
        self.assertEqual(folders, ["CONV/AlexNet", "MM/ResNet50_repr", "alexnet", "gpt2",
                                   "mobilenet_v3", "resnet18", "vision_transformer"])
        imported = refused = 0
        for folder in folders:
            files = timeloop_import.expand([os.path.join(SHAPES, folder)])
            with self.subTest(folder=folder):
                code, err, doc = self.run_import(timeloop_import.main, "import_timeloop",
                                                 [os.path.join(SHAPES, folder)])
                if folder.startswith("MM/"):
                    # Sparse GEMMs: refused, and imported dense only when asked.
                    self.assertBadInput(code, err, "import_timeloop", files[0],
                                        "problem.instance.densities: sparse densities are not "
                                        "modelled", "--ignore-densities")
                    refused += len(files)
                    code, err, doc = self.run_import(
                        timeloop_import.main, "import_timeloop",
                        [os.path.join(SHAPES, folder), "--ignore-densities"])
                    self.assertIn("ignored (--ignore-densities)", doc["layers"][0]["notes"])
                else:
                    imported += len(files)
                self.assertEqual(code, 0, err)
                self.assertEqual(len(doc["layers"]), len(files))
                expected = [math.prod(timeloop_bounds(f).values()) for f in files]
                doc["layers"][0].setdefault("N", doc["batch"])
                self.assertEqual([layer_macs(l) for l in doc["layers"]], expected)
                out = os.path.join(self.tmp, "net.json")
                with open(out, "w") as f:
                    json.dump(doc, f)
                self.assertEqual(summary(out)["all"][1], sum(expected))
        self.assertEqual((imported, refused), (341, 3))

    def test_timeloopfe_strides_as_timeloop_reads_them(self):
        """alexnet/0.yaml says `HStride: 4`, which is not the shape's coefficient Hstride:
        Timeloop ignores it (stride 1), and so do we, saying so; --fold-case reads it."""
        path = os.path.join(SHAPES, "alexnet", "0.yaml")
        _, _, doc = self.run_import(timeloop_import.main, "import_timeloop", [path])
        conv1 = doc["layers"][0]
        self.assertEqual((conv1["stride"], conv1["H"], conv1["P"]), (1, 65, 55))
        self.assertIn("ignored as Timeloop ignores them: HStride=4 (not Hstride", conv1["notes"])
        _, _, doc = self.run_import(timeloop_import.main, "import_timeloop",
                                    [path, "--fold-case"])
        conv1 = doc["layers"][0]
        self.assertEqual((conv1["stride"], conv1["H"], conv1["P"]), (4, 227, 55))
        self.assertIn("instance key HStride read as Hstride (--fold-case)", conv1["notes"])
        # A depthwise layer: G=16 groups of one channel.
        _, _, doc = self.run_import(timeloop_import.main, "import_timeloop",
                                    [os.path.join(SHAPES, "mobilenet_v3", "01.yaml")])
        dw = doc["layers"][0]
        self.assertEqual((dw["C"], dw["M"], dw["groups"], dw["H"]), (16, 16, 16, 114))

    # -- SCALE-Sim ---------------------------------------------------------------------------
    def test_scalesim_topologies(self):
        root = os.path.join(SCALESIM, "topologies")
        files = sorted(glob.glob(os.path.join(root, "**", "*.csv"), recursive=True))
        self.assertEqual(len(files), 76)
        imported = 0
        for path in files:
            rel = os.path.relpath(path, root)
            with self.subTest(file=rel):
                code, err, doc = self.run_import(scalesim_import.main, "import_scalesim", [path])
                if rel in SCALESIM_FAILS:
                    self.assertBadInput(code, err, "import_scalesim", path, SCALESIM_FAILS[rel])
                    continue
                self.assertEqual(code, 0, err)
                imported += 1
                total = sum(layer_macs(l) for l in doc["layers"])
                self.assertEqual(total, scalesim_count(path))
                if rel in SCALESIM_MACS:
                    self.assertEqual(total, SCALESIM_MACS[rel])
        self.assertEqual(imported, 52)
        # What SCALE-Sim reads with -i gemm / conv: --form, then the same failure.
        maestro = os.path.join(root, "conv_nets", "UNet_maestro.csv")
        code, err, _ = self.run_import(scalesim_import.main, "import_scalesim",
                                       [maestro, "--form", "conv"])
        self.assertBadInput(code, err, "import_scalesim", maestro, "line 2: no value left",
                            "tab-separated")

    def test_scalesim_configs(self):
        cfgs = sorted(glob.glob(os.path.join(SCALESIM, "configs", "*.cfg")))
        self.assertEqual([os.path.basename(c) for c in cfgs],
                         ["eyeriss.cfg", "google.cfg", "scale.cfg"])
        expected = {"eyeriss.cfg": ("eyeriss", 12, 14, [36, 36, 36], "ws"),
                    "google.cfg": ("GoogleTPU_v1_ws", 256, 256, [6144, 6144, 2048], "ws"),
                    "scale.cfg": ("scale_example_run_32x32_os", 32, 32, [64, 64, 64], "os")}
        for cfg in cfgs:
            name, rows, cols, kib, df = expected[os.path.basename(cfg)]
            with self.subTest(cfg=os.path.basename(cfg)):
                code, err, arch = self.run_import(scalesim_import.main, "import_scalesim", [cfg])
                self.assertEqual(code, 0, err)
                self.assertEqual((arch["name"], arch["word_bits"], arch["pe_array"]),
                                 (name, 8, {"rows": rows, "cols": cols}))
                self.assertEqual([p["size_kib"] for p in arch["glb"]["partitions"]],
                                 [kib[1], kib[0], kib[2]])  # weights, inputs, outputs
                self.assertEqual([p["tensors"] for p in arch["glb"]["partitions"]],
                                 [["weights"], ["inputs"], ["outputs"]])
                self.assertEqual(arch["dram"]["bytes_per_cycle"], "unlimited")  # CALC
                self.assertIn(f"SCALE-Sim's dataflow is {df}", arch["notes"])
                self.assertIn("Not mapped", arch["notes"])
                self.assertEqual(arch["noc"], {"network": {"kind": "systolic"}})
                code, err, wide = self.run_import(scalesim_import.main, "import_scalesim",
                                                  [cfg, "--word-bits", "16"])
                self.assertEqual([p["size_kib"] for p in wide["glb"]["partitions"]],
                                 [2 * kib[1], 2 * kib[0], 2 * kib[2]])
        # The imported eyeriss config (16-bit words, for dfsim's energy tables) simulates.
        arch_path = os.path.join(self.tmp, "arch.json")
        code, err, _ = in_process(scalesim_import.main,
                                  [cfgs[0], "--word-bits", "16", "-o", arch_path],
                                  "import_scalesim")
        self.assertEqual(code, 0, err)
        from dfsim_test_support import dfsim
        proc = dfsim("run", "--arch", arch_path, "--network",
                     os.path.join(REPO, "models", "tiny_conv.json"), "--dataflow", "ws",
                     "--fast", "--search", "--quiet", "--out", os.path.join(self.tmp, "run"))
        self.assertEqual(proc.returncode, 0, proc.stderr)


if __name__ == "__main__":
    unittest.main()
