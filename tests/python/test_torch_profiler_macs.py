"""scripts/import_torch on the torchvision models issue 17 names: the transformers (vit_b_16,
swin_t, maxvit_t: attention products of two activations, their attention modules' functional
linears and maxvit's einsums become layers), inception_v3 (1x7 / 7x1 convolutions padded per axis)
and deeplabv3_resnet50 (dilated convolutions). Each network's MACs equal an independent count:
PyTorch's own profiler (`with_flops`, which runs the model on the CPU and counts 2 FLOPs per MAC
of every conv2d, mm, addmm and bmm; its elementwise mul/add FLOPs are not MACs). The attention
layers of vit_b_16 and a dilated layer of deeplabv3 map and simulate under every dataflow."""

import json
import os
import unittest

from dfsim_test_support import REPO, ImporterTest, dfsim, in_process, summary

from dfsim_import import torch_import

PRODUCTS = ("aten::conv2d", "aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


MODELS = {"vit_b_16": 224, "swin_t": 224, "maxvit_t": 224, "inception_v3": 299,
          "deeplabv3_resnet50": 224}


def profiler_macs(name, size):
    import torch
    import torchvision
    from torch.profiler import ProfilerActivity, profile
    kwargs = {"weights": None}
    if name == "inception_v3":
        kwargs["init_weights"] = False
    if name.startswith("deeplabv3"):
        kwargs["weights_backbone"] = None
    model = torchvision.models.get_model_builder(name)(**kwargs).eval()
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        model(torch.zeros(1, 3, size, size))
    flops = sum(e.flops for e in prof.key_averages() if e.key in PRODUCTS and e.flops)
    assert flops % 2 == 0
    return flops // 2


class Transformers(ImporterTest):
    def test_macs_equal_the_profilers_count(self):
        for name, size in MODELS.items():
            with self.subTest(model=name):
                code, out, err = in_process(torch_import.main,
                                            [f"torchvision:{name}", "--input",
                                             f"1x3x{size}x{size}"], "import_torch")
                self.assertEqual(code, 0, err)
                path = self.write(f"{name}.json", out)
                self.assertEqual(summary(path)["all"][1], profiler_macs(name, size))

    def test_a_dilated_deeplabv3_layer_simulates_under_every_dataflow(self):
        code, out, err = in_process(torch_import.main, ["torchvision:deeplabv3_resnet50",
                                                        "--input", "1x3x64x64"], "import_torch")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        dilated = [layer for layer in doc["layers"] if layer.get("dilation", 1) != 1]
        self.assertTrue(dilated)
        # the smallest dilated layer, to keep the run short
        layer = min(dilated, key=lambda x: x["C"] * x["M"] * x["P"] * x["Q"])
        path = self.write("deeplab.json", out)
        results = os.path.join(self.tmp, "D")
        proc = dfsim("run", "--arch", os.path.join(REPO, "configs", "arch", "eyeriss.json"),
                     "--network", path, "--dataflow", "all", "--check", "--layer", layer["name"],
                     "--out", results)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(results, "stats.json")) as f:
            rows = json.load(f)["layers"]
        self.assertEqual(len(rows), 6)

    def test_vit_attention_layers_simulate_under_every_dataflow(self):
        code, out, err = in_process(torch_import.main,
                                    ["torchvision:vit_b_16", "--input", "1x3x224x224"],
                                    "import_torch")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        prefix = "encoder.layers.encoder_layer_0.self_attention."
        names = [layer["name"] for layer in doc["layers"] if layer["name"].startswith(prefix)]
        # in-projection, Q x K^T, A x V, out-projection
        self.assertEqual(names, [prefix + "addmm", prefix + "bmm", prefix + "bmm#2",
                                 prefix + "addmm#2"])
        path = self.write("vit.json", out)
        results = os.path.join(self.tmp, "R")
        args = ["run", "--arch", os.path.join(REPO, "configs", "arch", "eyeriss.json"),
                "--network", path, "--dataflow", "all", "--fast", "--out", results]
        for n in names[1:3]:
            args += ["--layer", n]
        proc = dfsim(*args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(results, "stats.json")) as f:
            rows = json.load(f)["layers"]
        self.assertEqual(len(rows), 2 * 6)
        for row in rows:
            self.assertEqual(row["macs"], 12 * 197 * 197 * 64)


if __name__ == "__main__":
    unittest.main()
