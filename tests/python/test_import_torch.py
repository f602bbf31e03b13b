"""scripts/import_torch and scripts/make_zoo: torchvision and user modules, the zoo files, and
every kind of bad input (exit 2, one line on stderr).

torch takes seconds to import, so most cases run the importer in this process; two run the real
script (one success, one error) to check the command line end to end.
"""

import importlib.machinery
import importlib.util
import json
import os
import sys
import textwrap
import unittest

from dfsim_test_support import MODELS, SCRIPTS, ImporterTest, in_process, script, summary

from dfsim_import import torch_import  # noqa: E402  (after dfsim_test_support set sys.path)

PROG = "import_torch"


def make_zoo_module():
    loader = importlib.machinery.SourceFileLoader("make_zoo", os.path.join(SCRIPTS, "make_zoo"))
    spec = importlib.util.spec_from_loader("make_zoo", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


USER_NETS = textwrap.dedent('''
    import torch
    from torch import nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.pw = nn.Conv2d(8, 16, 1)
            self.pool2 = nn.AvgPool2d(2)
            self.fc1 = nn.Linear(16 * 4 * 4, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
            x = self.pool2(self.pw(self.dw(x)))
            return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))

    def net():
        return Net()

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)
            self.gap = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(4, 2)
        def forward(self, x):
            return self.head(torch.flatten(self.gap(self.conv(self.conv(x))), 1))

    def shared():
        return Shared()

    def sequence():
        return nn.Sequential(nn.Linear(16, 8))

    def dilated():
        return nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2))

    def strided():
        return nn.Sequential(nn.Conv2d(3, 4, 3, stride=(2, 1)))

    def strided_dilated():
        return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, dilation=(1, 2)))

    def same_even():
        return nn.Sequential(nn.Conv2d(3, 4, (2, 4), padding="same"))

    def conv1d():
        return nn.Sequential(nn.Conv1d(3, 4, 3))

    def uneven():
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(3))

    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(4, 3, 3, 3))
            self.conv = nn.Conv2d(4, 4, 1)
        def forward(self, x):
            return self.conv(F.conv2d(x, self.w))

    def functional():
        return Functional()

    class HiddenMatmul(nn.Module):
        """A layer's work in a bare matmul with a parameter (no module, no F.linear)."""
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.w = nn.Parameter(torch.zeros(144, 5))
        def forward(self, x):
            return torch.flatten(self.conv(x), 1) @ self.w

    def hidden_matmul():
        return HiddenMatmul()

    class Attention(nn.Module):
        """A product of two activations (attention's scores), between two Linear modules."""
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(8, 8)
            self.k = nn.Linear(8, 8)
        def forward(self, x):
            return torch.einsum("bld,bmd->blm", self.q(x), self.k(x))

    def attention():
        return Attention()

    class Lora(nn.Linear):
        """A Linear whose forward adds products of its own: the hook sees one Linear."""
        def __init__(self):
            super().__init__(8, 4)
            self.a = nn.Parameter(torch.zeros(8, 2))
            self.b = nn.Parameter(torch.zeros(2, 4))
        def forward(self, x):
            return super().forward(x) + (x @ self.a) @ self.b

    def lora():
        return nn.Sequential(Lora())

    def not_a_module():
        return 42

    def broken():
        raise RuntimeError("cannot build")

    def fc_only():
        return nn.Sequential(nn.ReLU())
''')


class TorchImportTest(ImporterTest):
    def user_file(self):
        return self.write("user_nets.py", USER_NETS)

    def trace(self, argv):
        return in_process(torch_import.main, argv, PROG)

    # -- success -----------------------------------------------------------------------------
    def test_resnet50_command_line(self):
        """The acceptance example: 25.5M weights; torchvision's ResNet-50 is v1.5 (4.09G MACs),
        the same network as models/resnet50_torchvision.json."""
        out = os.path.join(self.tmp, "r.json")
        proc = script("import_torch", "torchvision:resnet50", "--input", "1x3x224x224")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        with open(out, "w") as f:
            f.write(proc.stdout)
        doc = self.assertDeterministicJson(proc.stdout)
        totals = summary(out)
        self.assertEqual(totals["all"], (25_502_912, 4_089_184_256))
        self.assertEqual(totals["conv"][0], 23_454_912)
        with open(os.path.join(MODELS, "resnet50_torchvision.json")) as f:
            zoo = json.load(f)
        self.assertEqual(doc["layers"], zoo["layers"])
        # The published ResNet-50 (v1): the same weights, 3.86G MACs.
        v1 = summary(os.path.join(MODELS, "resnet50.json"))
        self.assertEqual(v1["all"][0], totals["all"][0])
        self.assertAlmostEqual(v1["all"][1] / 1e9, 3.9, delta=0.05)

    def test_zoo_files_are_what_make_zoo_writes(self):
        """Every zoo network (torchvision's and ours) imports to exactly the committed file."""
        make_zoo = make_zoo_module()
        for stem, source, shape, description in make_zoo.ZOO:
            with self.subTest(stem=stem):
                with open(os.path.join(MODELS, stem + ".json")) as f:
                    committed = f.read()
                self.assertEqual(make_zoo.render(stem, source, shape, description), committed,
                                 f"models/{stem}.json is stale: run scripts/make_zoo")

    def test_torchvision_models_match_the_zoo_totals(self):
        """torchvision's AlexNet, VGG-16, GoogLeNet and ResNet-50 give the zoo's MACs."""
        for spec, zoo in (("alexnet", "alexnet_torchvision"), ("vgg16", "vgg16"),
                          ("googlenet", "googlenet_torchvision"),
                          ("resnet50", "resnet50_torchvision")):
            with self.subTest(model=spec):
                out = os.path.join(self.tmp, spec + ".json")
                code, _, err = self.trace([f"torchvision:{spec}", "--input", "1x3x224x224",
                                           "-o", out])
                self.assertEqual(code, 0, err)
                self.assertEqual(summary(out)["all"], summary(os.path.join(MODELS, zoo + ".json"))
                                 ["all"])

    def test_user_module_file(self):
        path = self.user_file()
        out = os.path.join(self.tmp, "net.json")
        code, stdout, err = self.trace([f"{path}:net", "--input", "2x3x32x32", "--name", "mine",
                                        "-o", out])
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            doc = self.assertDeterministicJson(f.read())
        self.assertEqual(doc["name"], "mine")
        self.assertEqual(doc["batch"], 2)
        self.assertIn("BatchNorm2d x1", doc["notes"])
        layers = [{k: v for k, v in l.items() if k != "notes"} for l in doc["layers"]]
        self.assertEqual(layers, [
            {"name": "conv1", "type": "conv", "C": 3, "M": 8, "H": 32, "W": 32, "P": 16, "Q": 16,
             "R": 3, "S": 3, "stride": 2, "padding": 1, "groups": 1},
            # ceil_mode: 16 -> 8 (rounded down it would be 7): written with one more padding
            {"name": "pool1", "type": "pool", "C": 8, "H": 16, "W": 16, "R": 3, "S": 3,
             "stride": 2, "padding": 1},
            {"name": "dw", "type": "conv", "C": 8, "M": 8, "H": 8, "W": 8, "P": 8, "Q": 8,
             "R": 3, "S": 3, "stride": 1, "padding": 1, "groups": 8},
            {"name": "pw", "type": "conv", "C": 8, "M": 16, "H": 8, "W": 8, "P": 8, "Q": 8,
             "R": 1, "S": 1, "stride": 1, "padding": 0, "groups": 1},
            {"name": "pool2", "type": "pool", "C": 16, "H": 8, "W": 8, "R": 2, "S": 2,
             "stride": 2, "padding": 0},
            {"name": "fc1", "type": "fc", "in_features": 256, "out_features": 32,
             "in_shape": [16, 4, 4]},
            {"name": "fc2", "type": "fc", "in_features": 32, "out_features": 10},
        ])
        self.assertIn("ceil_mode=True", doc["layers"][1]["notes"])
        t = summary(out)
        self.assertEqual(t["layers"], 7)
        # MACs by hand, batch 2: conv1 16*16*8*27, dw 8*8*8*9, pw 8*8*16*8, fc 256*32 + 32*10
        self.assertEqual(t["all"][1], 2 * (16 * 16 * 8 * 27 + 8 * 8 * 8 * 9 + 8 * 8 * 16 * 8
                                           + 256 * 32 + 32 * 10))
        self.assertSimulates(out, "dw")

    def test_module_name_and_reused_module(self):
        """MODULE:FUNCTION with an importable module name; a module called twice gives two
        layers; a linear over a sequence becomes a 1x1 conv over its positions."""
        self.user_file()
        cwd = os.getcwd()
        os.chdir(self.tmp)
        try:
            sys.modules.pop("user_nets", None)
            out = os.path.join(self.tmp, "shared.json")
            code, _, err = self.trace(["user_nets:shared", "--input", "1x4x8x8", "-o", out])
            self.assertEqual(code, 0, err)
            seq = os.path.join(self.tmp, "seq.json")
            code, _, err = self.trace(["user_nets:sequence", "--input", "3x5x16", "-o", seq])
            self.assertEqual(code, 0, err)
        finally:
            os.chdir(cwd)
        doc = self.load(out)
        self.assertEqual([l["name"] for l in doc["layers"]], ["conv", "conv#2", "gap", "head"])
        self.assertEqual(doc["layers"][2]["R"], 8)
        summary(out)
        layer = self.load(seq)["layers"][0]
        self.assertEqual((layer["type"], layer["C"], layer["M"], layer["H"], layer["W"]),
                         ("conv", 16, 8, 5, 1))
        self.assertEqual(summary(seq)["all"][1], 3 * 5 * 16 * 8)

    # -- bad input ---------------------------------------------------------------------------
    def test_windows_per_axis(self):
        """Dilation, strides per axis and padding per axis become the layer's window keys, in the
        shortest form; dfsim reads them and computes the same output sizes."""
        path = self.user_file()
        cases = [
            # 16x16, 3x3 dilated 2: a 5x5 span, 12x12 outputs
            ("dilated", {"stride": 1, "padding": 0, "dilation": 2, "P": 12, "Q": 12}),
            # stride 2 on rows only: 7 x 14
            ("strided", {"stride": [2, 1], "padding": 0, "P": 7, "Q": 14}),
            # padding="same" with even kernels pads one side more: rows 0 + 1, cols 1 + 2
            ("same_even", {"stride": 1, "padding": [0, 1, 1, 2], "P": 16, "Q": 16}),
        ]
        for func, want in cases:
            with self.subTest(func=func):
                code, out, err = self.trace([f"{path}:{func}", "--input", "1x3x16x16"])
                self.assertEqual(code, 0, err)
                layer = json.loads(out)["layers"][0]
                for key, value in want.items():
                    self.assertEqual(layer[key], value, key)
                self.assertEqual(layer.get("dilation", 1), want.get("dilation", 1))
                net = self.write(f"{func}.json", out)
                self.assertEqual(summary(net)["layers"], 1)

    def test_strided_and_dilated_axis_is_refused_by_the_command_line(self):
        path = self.user_file()
        proc = script("import_torch", f"{path}:strided_dilated", "--input", "1x3x16x16")
        self.assertBadProcess(proc, PROG, f"{path}:strided_dilated",
                              "stride 2 and dilation 2 along the width")

    def test_bad_inputs(self):
        path = self.user_file()
        cases = [
            ([f"{path}:conv1d", "--input", "1x3x16"], f"{path}:conv1d",
             ["(Conv1d)", "not supported"]),
            ([f"{path}:uneven", "--input", "1x3x16x16"], f"{path}:uneven",
             ["adaptive pooling from 14x14 to 3x3"]),
            # 8x4 = 32 MACs of the Linear are a layer; 8x2 + 2x4 = 24 more run inside it
            ([f"{path}:lora", "--input", "1x8"], f"{path}:lora",
             ["performs 56 MACs", "layers hold 32", "24 MACs are in products dfsim has no "
              "layer for"]),
            ([f"{path}:not_a_module", "--input", "1x3x8x8"], f"{path}:not_a_module",
             ["expected a torch.nn.Module, got int"]),
            ([f"{path}:broken", "--input", "1x3x8x8"], f"{path}:broken",
             ["building the model failed: RuntimeError: cannot build"]),
            ([f"{path}:fc_only", "--input", "1x3x8x8"], f"{path}:fc_only",
             ["ran no Conv2d, Linear or pooling module"]),
            ([f"{path}:no_such", "--input", "1x3x8x8"], f"{path}:no_such",
             ["has no attribute 'no_such'"]),
            ([f"{path}:net", "--input", "1x3x2x2"], f"{path}:net", ["forward pass"]),
            (["torchvision:no_such_net", "--input", "1x3x8x8"], "torchvision:no_such_net",
             ["no torchvision model 'no_such_net'"]),
            (["missing_dir/x.py:net", "--input", "1x3x8x8"], "missing_dir/x.py:net",
             ["no such file"]),
            (["no_such_module_xyz:net", "--input", "1x3x8x8"], "no_such_module_xyz:net",
             ["cannot import 'no_such_module_xyz'"]),
            (["resnet50", "--input", "1x3x8x8"], "resnet50",
             ["expected torchvision:NAME or MODULE:FUNCTION"]),
            (["torchvision:resnet50", "--input", "1x3xabc"], "--input 1x3xabc",
             ["expected an input shape"]),
            (["torchvision:resnet50", "--input", "0x3x8x8"], "--input 0x3x8x8",
             ["expected an input shape"]),
        ]
        for argv, where, what in cases:
            with self.subTest(argv=argv):
                code, out, err = self.trace(argv)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, PROG, where, *what)

    def test_function_calls_become_layers(self):
        """Products outside Conv2d/Linear modules are layers of their own, named after the module
        that runs them, so the network holds every MAC of the forward pass."""
        path = self.user_file()
        cases = [
            # F.conv2d 4x3x3x3 over 6x6 outputs (3,888) then a 1x1 Conv2d 4->4 (576)
            ("functional", "1x3x8x8", ["convolution", "conv"], 3888 + 576),
            # a 3x3 Conv2d 3->4 (3,888), then a bare [1 x 144] @ [144 x 5] (720)
            ("hidden_matmul", "1x3x8x8", ["conv", "mm"], 3888 + 720),
            # two 10x8x8 linears (1,280), the 10x10x8 score product as a grouped conv (800)
            ("attention", "1x10x8", ["q", "k", "bmm"], 1280 + 800),
        ]
        for func, shape, names, macs in cases:
            with self.subTest(func=func):
                code, out, err = self.trace([f"{path}:{func}", "--input", shape])
                self.assertEqual(code, 0, err)
                doc = json.loads(out)
                self.assertEqual([layer["name"] for layer in doc["layers"]], names)
                self.assertEqual(sum(torch_import.layer_macs(layer, doc["batch"])
                                     for layer in doc["layers"]), macs)
                net = self.write(f"{func}.json", out)
                self.assertEqual(summary(net)["all"][1], macs)

    def test_usage_errors_exit_2(self):
        code, _, err = self.trace(["torchvision:resnet50"])
        self.assertEqual(code, 2)
        self.assertIn("import_torch: error: the following arguments are required: --input", err)
        proc = script("import_torch", "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--input", proc.stdout)


if __name__ == "__main__":
    unittest.main()
