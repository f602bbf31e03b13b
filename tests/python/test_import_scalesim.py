"""scripts/import_scalesim: SCALE-Sim conv and GEMM topology files made here, their MACs against
SCALE-Sim's own formula, a simulated layer, and malformed files (exit 2, one line on stderr)."""

import math
import os
import unittest

from dfsim_test_support import ImporterTest, in_process, script, summary

from dfsim_import import scalesim_import

PROG = "import_scalesim"

# SCALE-Sim's topologies/conv_nets/alexnet.csv layout (spaces, trailing commas), its FC layers
# written as filters covering the IFMAP, a depthwise row ("DP" in the name, as SCALE-Sim reads
# it), a row with the optional column stride, a "#dw" comment field and a small layer to
# simulate quickly.
ALEXNET_CSV = """\
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1     ,224         ,224        ,11           ,11          ,3       ,96        ,4      ,
Conv2     ,31          ,31         ,5            ,5           ,96      ,256       ,1      ,

Conv3     ,15          ,15         ,3            ,3           ,256     ,384       ,1      ,
Conv4     ,15          ,15         ,3            ,3           ,384     ,384       ,1      ,1,
Conv5_DP  ,15          ,15         ,3            ,3           ,384     ,1         ,1      ,#dw
FC6       ,6           ,6          ,6            ,6           ,256     ,4096      ,1      ,
FC7       ,1           ,1          ,1            ,1           ,4096    ,4096      ,1      ,
Small     ,8           ,8          ,3            ,3           ,4       ,8         ,1      ,
"""

GEMM_CSV = """\
Layer, M, N, K,
QKV, 64, 96, 32,
Out, 64, 32, 32,
"""


def scalesim_macs(h, w, r, s, c, m, stride, stride_w=None):
    """SCALE-Sim's topology_utils: ofmap = ceil((ifmap - filter + stride) / stride)."""
    stride_w = stride_w or stride
    p = math.ceil((h - r + stride) / stride)
    q = math.ceil((w - s + stride_w) / stride_w)
    return p * q * r * s * c * m


class ScaleSimImportTest(ImporterTest):
    def convert(self, path, *extra):
        out = os.path.join(self.tmp, "out.json")
        code, stdout, err = in_process(scalesim_import.main, [path, "-o", out, *extra], PROG)
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            return out, self.assertDeterministicJson(f.read())

    def test_alexnet_style_file(self):
        out, doc = self.convert(self.write("alexnet.csv", ALEXNET_CSV))
        self.assertEqual(doc["name"], "alexnet")
        layers = {l["name"]: l for l in doc["layers"]}
        self.assertEqual(list(layers), ["Conv1", "Conv2", "Conv3", "Conv4", "Conv5_DP", "FC6",
                                        "FC7", "Small"])
        # SCALE-Sim rounds Conv1's output up to 55: written as the 227 input giving 55.
        self.assertEqual((layers["Conv1"]["H"], layers["Conv1"]["P"]), (227, 55))
        self.assertIn("SCALE-Sim rounds the output up", layers["Conv1"]["notes"])
        self.assertEqual((layers["Conv2"]["H"], layers["Conv2"]["P"]), (31, 27))
        self.assertEqual((layers["Conv5_DP"]["groups"], layers["Conv5_DP"]["M"]), (384, 384))
        self.assertEqual(layers["FC6"], {"name": "FC6", "type": "fc", "in_features": 9216,
                                         "out_features": 4096, "in_shape": [256, 6, 6]})
        self.assertEqual(layers["FC7"]["type"], "fc")
        t = summary(out)
        rows = [(224, 224, 11, 11, 3, 96, 4), (31, 31, 5, 5, 96, 256, 1),
                (15, 15, 3, 3, 256, 384, 1), (15, 15, 3, 3, 384, 384, 1),
                (15, 15, 3, 3, 1, 1, 1),  # SCALE-Sim runs DP rows channel by channel: x384
                (6, 6, 6, 6, 256, 4096, 1), (1, 1, 1, 1, 4096, 4096, 1), (8, 8, 3, 3, 4, 8, 1)]
        expected = [scalesim_macs(*r) for r in rows]
        expected[4] *= 384
        self.assertEqual(t["all"][1], sum(expected))
        # AlexNet's real CONV1..FC7 MACs (ISCA 2016 Table II, without groups for CONV2/4/5).
        self.assertEqual(t["conv"][1] - expected[-1],
                         105_415_200 + 2 * 223_948_800 + 149_520_384 + 2 * 112_140_288
                         + 13 * 13 * 9 * 384)
        stats = self.assertSimulates(out, "Small")
        self.assertEqual(stats["layers"][0]["macs"], scalesim_macs(8, 8, 3, 3, 4, 8, 1))

    def test_round_down(self):
        _, doc = self.convert(self.write("alexnet.csv", ALEXNET_CSV), "--round-down")
        conv1 = doc["layers"][0]
        self.assertEqual((conv1["H"], conv1["P"]), (224, 54))
        self.assertNotIn("notes", conv1)

    def test_gemm_file(self):
        out, doc = self.convert(self.write("gemm.csv", GEMM_CSV), "--name", "attn")
        self.assertEqual(doc["name"], "attn")
        qkv = doc["layers"][0]
        self.assertEqual((qkv["type"], qkv["C"], qkv["M"], qkv["H"], qkv["W"], qkv["R"]),
                         ("conv", 32, 96, 64, 1, 1))
        self.assertEqual(summary(out)["all"], (32 * 96 + 32 * 32, 64 * 96 * 32 + 64 * 32 * 32))
        self.assertSimulates(out, "Out")

    def test_bom_lowercase_header_and_scalesim_rows(self):
        """A UTF-8 byte-order mark and a lowercase header (SCALE-Sim's transformer topologies),
        a row without a name, values after the column stride and a row without its trailing
        comma whose dropped last field was the column stride: all as SCALE-Sim reads them."""
        text = ("\ufeffLayer name,Ifmap height,ifmap width,filter height,filter width,channels,"
                "num filters,strides,batch size,\n"
                "conv1,16,16,3,3,4,8,1,\n"
                " ,8,8,1,1,8,8,1,\n"
                "wide,8,8,3,3,2,2,1,1,7,\n"
                "cut,9,9,3,3,2,2,2,1\n")
        path = self.write("bom.csv", text, mode="w")
        with open(path, "rb") as f:
            self.assertEqual(f.read(3), b"\xef\xbb\xbf")
        out, doc = self.convert(path)
        names = [l["name"] for l in doc["layers"]]
        self.assertEqual(names, ["conv1", "line3", "wide", "cut"])
        self.assertIn("named after its line", doc["layers"][1]["notes"])
        self.assertIn("values after the column stride (7) ignored", doc["layers"][2]["notes"])
        self.assertEqual(doc["layers"][3]["stride"], 2)  # the column stride 1 was dropped
        self.assertEqual(summary(out)["all"][1],
                         scalesim_macs(16, 16, 3, 3, 4, 8, 1) + scalesim_macs(8, 8, 1, 1, 8, 8, 1)
                         + scalesim_macs(8, 8, 3, 3, 2, 2, 1) + scalesim_macs(9, 9, 3, 3, 2, 2, 2))
        # --form overrides the header, as SCALE-Sim's -i option does.
        odd = self.write("odd.csv", "name;m;n;k\nL1, 4, 5, 6,\n")
        _, doc = self.convert(odd, "--form", "gemm")
        self.assertEqual((doc["layers"][0]["C"], doc["layers"][0]["M"]), (6, 5))

    def test_command_line(self):
        path = self.write("gemm.csv", GEMM_CSV)
        proc = script("import_scalesim", path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.assertDeterministicJson(proc.stdout)["name"], "gemm")
        proc = script("import_scalesim", os.path.join(self.tmp, "missing.csv"))
        self.assertBadProcess(proc, PROG, os.path.join(self.tmp, "missing.csv"), "cannot open")

    def test_malformed_files(self):
        header = ALEXNET_CSV.splitlines()[0] + "\n"
        cases = [
            ("empty.csv", "", ["empty file; expected a header"]),
            ("header.csv", "name, a, b\nConv1, 1, 2\n", ["line 1: expected a SCALE-Sim topology "
                                                         "header"]),
            ("noint.csv", header + "Conv1, 224, abc, 11, 11, 3, 96, 4,\n",
             ["line 2: IFMAP Width: expected an integer (SCALE-Sim reads every field", "'abc'"]),
            ("zero.csv", header + "Conv1, 224, 224, 11, 11, 0, 96, 4,\n",
             ["line 2: Channels: expected a positive integer, got '0'"]),
            ("short.csv", header + "\nConv1, 224, 224, 11,\n",
             ["line 3: expected a name and 7 or 8 values", "got 3 values"]),
            ("big.csv", header + "Conv1, 5, 5, 7, 7, 3, 8, 1,\n",
             ["line 2: the 7x7 filter is larger than the 5x5 IFMAP"]),
            ("strides.csv", header + "Conv1, 16, 16, 3, 3, 3, 8, 2, 1,\n",
             ["line 2: row stride 2 and column stride 1 differ"]),
            ("nocomma.csv", header + "Conv1, 16, 16, 3, 3, 3, 8, 1\n",
             ["line 2: expected a name and 7 or 8 values", "got 6 values (SCALE-Sim drops the "
              "last comma-separated field of every row, here '1': end the row with a comma)"]),
            ("tabs.csv", header + "Conv1\t16\t16\t3\t3\t3\t8\t1\t\n",
             ["line 2: no value left after SCALE-Sim drops the last comma-separated field",
              "tab-separated"]),
            ("blankrow.csv", header + ",,,,,,,,\nConv1, 16, 16, 3, 3, 3, 8, 1,\n",
             ["line 2: IFMAP Height: expected an integer", "got ''"]),
            ("rows.csv", header + "\n\n", ["no layer rows after the header"]),
            ("gemm.csv", "Layer, M, N, K,\nL1, 4, 4,\n",
             ["line 2: expected a name and 3 values (M, N, K), got 2 values"]),
            ("binary.csv", b"\xff\xfe\x00bad", ["not a UTF-8 text file"]),
        ]
        for name, text, what in cases:
            with self.subTest(name=name):
                path = self.write(name, text, mode="wb" if isinstance(text, bytes) else "w")
                code, out, err = in_process(scalesim_import.main, [path], PROG)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, PROG, path, *what)


if __name__ == "__main__":
    unittest.main()
