"""scripts/import_onnx on ONNX files this test exports itself (torch.onnx.export of small
torchvision-like modules), cross-checked against scripts/import_torch on the same modules, and
on malformed and unsupported graphs (exit 2, one line on stderr).
"""

import copy
import os
import shutil
import sys
import tempfile
import types
import unittest
import warnings

from dfsim_test_support import ImporterTest, in_process, script, summary

import torch  # noqa: E402
from torch import nn  # noqa: E402

from dfsim_import import onnx_import, torch_import  # noqa: E402

PROG = "import_onnx"


class MiniResNet(nn.Module):
    """A ResNet-like stem and one downsampling bottleneck with a projection shortcut."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.a = nn.Conv2d(8, 4, 1, bias=False)
        self.b = nn.Conv2d(4, 4, 3, stride=2, padding=1, bias=False)
        self.c = nn.Conv2d(4, 16, 1, bias=False)
        self.down = nn.Conv2d(8, 16, 1, stride=2, bias=False)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        y = self.c(torch.relu(self.b(torch.relu(self.a(x)))))
        x = torch.relu(y + self.down(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MiniInception(nn.Module):
    """GoogLeNet-like: ceil-mode pooling, a four-branch module, a flatten of a 4-D map into a
    linear layer (in_shape), depthwise and grouped convs, average pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b3 = nn.Conv2d(8, 4, 3, padding=1)
        self.b5 = nn.Conv2d(8, 4, 5, padding=2)
        self.bp = nn.MaxPool2d(3, stride=1, padding=1)
        self.bpp = nn.Conv2d(8, 4, 1)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.gr = nn.Conv2d(16, 8, 1, groups=4)
        self.avg = nn.AvgPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 6)

    def forward(self, x):
        x = self.pool(torch.relu(self.stem(x)))
        x = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bpp(self.bp(x))], 1)
        x = self.avg(self.gr(self.dw(x)))
        return self.fc(torch.flatten(x, 1))


class Tokens(nn.Module):
    """A linear layer over a sequence: exported as MatMul (+ Add)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(12, 5)

    def forward(self, x):
        return self.proj(x)


class Attention(nn.Module):
    """A product of two activations (no weights)."""

    def forward(self, x):
        return torch.matmul(x, x.transpose(1, 2))


def _export(module, shape, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), torch.zeros(*shape), path, opset_version=13,
                          input_names=["x"], **kwargs)


class OnnxImportTest(ImporterTest):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dfsim-onnx-test-")
        cls.files = {}
        specs = {
            "resnet": (MiniResNet(), (2, 3, 32, 32), {}),
            "inception": (MiniInception(), (1, 3, 16, 16), {}),
            "tokens": (Tokens(), (2, 7, 12), {}),
            "dynamic": (MiniResNet(), (1, 3, 32, 32),
                        {"dynamic_axes": {"x": {0: "batch"}}}),
            "dilated": (nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2)), (1, 3, 16, 16), {}),
            "transposed": (nn.Sequential(nn.ConvTranspose2d(3, 4, 3)), (1, 3, 8, 8), {}),
            "attention": (Attention(), (1, 4, 8), {}),
            "asymmetric": (nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(3, 4, 3)),
                           (1, 3, 8, 8), {}),
            "relu": (nn.Sequential(nn.ReLU()), (1, 3, 8, 8), {}),
        }
        for name, (module, shape, kwargs) in specs.items():
            path = os.path.join(cls.dir, name + ".onnx")
            _export(module, shape, path, **kwargs)
            cls.files[name] = (path, module, shape)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def convert(self, name, *extra):
        path = self.files[name][0]
        out = os.path.join(self.tmp, name + ".json")
        code, stdout, err = in_process(onnx_import.main, [path, "-o", out, *extra], PROG)
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            return out, self.assertDeterministicJson(f.read())

    @staticmethod
    def shapes(doc):
        return [{k: v for k, v in l.items() if k not in ("name", "notes")} for l in doc["layers"]]

    # -- success -----------------------------------------------------------------------------
    def test_resnet_like_matches_import_torch(self):
        out, doc = self.convert("resnet", "--name", "mini")
        self.assertEqual(doc["name"], "mini")
        self.assertEqual(doc["batch"], 2)
        self.assertEqual(self.shapes(doc), self.shapes(_trace_module(*self.files["resnet"][1:])))
        self.assertEqual([l["type"] for l in doc["layers"]],
                         ["conv", "pool", "conv", "conv", "conv", "conv", "pool", "fc"])
        t = summary(out)
        self.assertEqual(t["fc"], (160, 2 * 160))
        self.assertSimulates(out, doc["layers"][3]["name"])

    def test_inception_like_matches_import_torch(self):
        out, doc = self.convert("inception")
        self.assertEqual(self.shapes(doc),
                         self.shapes(_trace_module(*self.files["inception"][1:])))
        pool = doc["layers"][1]
        self.assertEqual((pool["H"], pool["padding"]), (16, 1))  # ceil_mode 16 -> 8
        self.assertIn("ceil_mode=1", pool["notes"])
        fc = doc["layers"][-1]
        self.assertEqual(fc["in_shape"], [8, 4, 4])
        self.assertEqual([l["groups"] for l in doc["layers"] if l["type"] == "conv"][-2:],
                         [16, 4])
        summary(out)

    def test_matmul_over_a_sequence_is_a_1x1_conv(self):
        out, doc = self.convert("tokens")
        layer = doc["layers"][0]
        self.assertEqual((layer["type"], layer["C"], layer["M"], layer["H"], layer["W"]),
                         ("conv", 12, 5, 7, 1))
        self.assertEqual(doc["batch"], 2)
        self.assertEqual(summary(out)["all"], (60, 2 * 7 * 12 * 5))

    def test_symbolic_batch_needs_batch_option(self):
        path = self.files["dynamic"][0]
        code, _, err = in_process(onnx_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "symbolic batch dimension 'batch'",
                            "--batch")
        out, doc = self.convert("dynamic", "--batch", "4")
        self.assertEqual(doc["batch"], 4)
        summary(out)

    def test_command_line(self):
        path = self.files["resnet"][0]
        proc = script("import_onnx", path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.assertDeterministicJson(proc.stdout)["name"], "resnet")
        self.assertEqual(script("import_onnx", "--help").returncode, 0)

    # -- bad input ---------------------------------------------------------------------------
    def test_unsupported_graphs(self):
        cases = {
            "transposed": ["(ConvTranspose)", "transposed convolution is not supported"],
            "attention": ["(MatMul)", "not a constant weight"],
            "relu": ["no Conv, Gemm, MatMul or pooling node"],
        }
        for name, what in cases.items():
            with self.subTest(name=name):
                path = self.files[name][0]
                code, out, err = in_process(onnx_import.main, [path], PROG)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, PROG, path, *what)

    def _handmade(self, name, out_hw, **conv_attrs):
        """A one-Conv ONNX graph written with onnx.helper: x 1x3x8x8, W 4x3x3x3."""
        import onnx
        from onnx import TensorProto, helper
        w = helper.make_tensor("W", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
        node = helper.make_node("Conv", ["x", "W"], ["y"], name="conv", **conv_attrs)
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, out_hw, out_hw])],
            [w])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        path = os.path.join(self.tmp, name + ".onnx")
        onnx.save(model, path)
        return path

    def test_padding(self):
        # auto_pad SAME_UPPER with a 3x3 filter at stride 1 pads 1 on every side: symmetric.
        path = self._handmade("same", 8, auto_pad="SAME_UPPER")
        code, out, err = in_process(onnx_import.main, [path], PROG)
        self.assertEqual(code, 0, err)
        layer = self.load(out)["layers"][0]
        self.assertEqual((layer["H"], layer["P"], layer["padding"]), (8, 8, 1))
        # Explicit one-sided pads (ONNX order: top, left, bottom, right) are the layer's
        # [top, bottom, left, right].
        path = self._handmade("asym", 7, pads=[0, 0, 1, 1])
        code, out, err = in_process(onnx_import.main, [path], PROG)
        self.assertEqual(code, 0, err)
        layer = self.load(out)["layers"][0]
        self.assertEqual((layer["P"], layer["Q"], layer["padding"]), (7, 7, [0, 1, 0, 1]))
        # dilations and per-axis strides: 8x8, 3x3 dilated 2 on rows, stride 2 on cols
        path = self._handmade("dil", 4, dilations=[2, 1], strides=[1, 2], pads=[0, 0, 0, 1])
        code, out, err = in_process(onnx_import.main, [path], PROG)
        self.assertEqual(code, 0, err)
        layer = self.load(out)["layers"][0]
        self.assertEqual((layer["P"], layer["Q"]), (4, 4))
        self.assertEqual((layer["stride"], layer["dilation"], layer["padding"]),
                         ([1, 2], [2, 1], [0, 0, 0, 1]))
        # stride and dilation above 1 on one axis: refused, naming it
        path = self._handmade("both", 2, dilations=[2, 2], strides=[2, 2])
        code, out, err = in_process(onnx_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "stride 2 and dilation 2 along the height")
        # the dilated module torch exports imports with its dilation
        code, out, err = in_process(onnx_import.main, [self.files["dilated"][0]], PROG)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.load(out)["layers"][0]["dilation"], 2)
        # torch exports ZeroPad2d as a Pad whose pads are computed in the graph: ONNX shape
        # inference cannot size its output, and the importer says so.
        path = self.files["asymmetric"][0]
        code, out, err = in_process(onnx_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "(Conv)", "unknown after shape inference")

    def test_malformed_files(self):
        cases = [
            ("garbage.onnx", b"\x08\x07\xff\xff\xff\xffgarbage", ["not an ONNX model"]),
            ("empty.onnx", b"", ["not an ONNX model with a graph"]),
            ("text.onnx", b"this is not protobuf at all\n", ["not an ONNX model"]),
        ]
        for name, data, what in cases:
            with self.subTest(name=name):
                path = self.write(name, data, mode="wb")
                code, out, err = in_process(onnx_import.main, [path], PROG)
                self.assertBadInput(code, err, PROG, path, *what)
        missing = os.path.join(self.tmp, "missing.onnx")
        proc = script("import_onnx", missing)
        self.assertBadProcess(proc, PROG, missing, "cannot open")
        code, _, err = in_process(onnx_import.main, [self.files["resnet"][0], "--batch", "0"],
                                  PROG)
        self.assertEqual(code, 2)
        self.assertIn("--batch: expected a positive integer", err)


def _trace_module(module, shape):
    """import_torch's tracer on a copy of an in-memory module (the factory returns it)."""
    name = f"_dfsim_test_module_{id(module)}"
    holder = types.ModuleType(name)
    holder.make = lambda: copy.deepcopy(module)
    sys.modules[name] = holder
    try:
        return torch_import.trace(f"{name}:make", list(shape))
    finally:
        del sys.modules[name]


if __name__ == "__main__":
    unittest.main()
