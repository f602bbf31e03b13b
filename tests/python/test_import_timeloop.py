"""scripts/import_timeloop: Timeloop problem files made here (the v0.4 `instance:` form and the
older flat form), AlexNet's figures, a simulated layer, and malformed files (exit 2, one line on
stderr)."""

import json
import os
import unittest

from dfsim_test_support import ImporterTest, in_process, script, summary

from dfsim_import import timeloop_import

PROG = "import_timeloop"

SHAPE = """\
  shape:
    name: CNN-Layer
    dimensions: [C, M, R, S, N, P, Q]
    coefficients:
    - {name: Wstride, default: 1}
    - {name: Hstride, default: 1}
"""


def layer_yaml(**dims):
    body = "".join(f"    {k}: {v}\n" for k, v in dims.items())
    return "problem:\n" + SHAPE + "  instance:\n" + body


# AlexNet as in the Timeloop/Accelergy exercises' layer_shapes (no padding: P, Q given).
ALEXNET = {
    "AlexNet_layer1.yaml": layer_yaml(C=3, M=96, R=11, S=11, N=1, P=55, Q=55, Hstride=4,
                                      Wstride=4, Hdilation=1, Wdilation=1),
    "AlexNet_layer2.yaml": layer_yaml(C=48, M=128, G=2, R=5, S=5, N=1, P=27, Q=27),
    "AlexNet_layer3.yaml": layer_yaml(C=256, M=384, R=3, S=3, N=1, P=13, Q=13),
    # the older flat form, dimensions directly under `problem:`
    "AlexNet_layer6.yaml": "problem:\n  shape: cnn-layer\n  C: 256\n  M: 4096\n  R: 6\n"
                           "  S: 6\n  N: 1\n  P: 1\n  Q: 1\n",
    "AlexNet_layer10.yaml": layer_yaml(C=8, M=16, R=3, S=3, N=1, P=6, Q=6),
}


class TimeloopImportTest(ImporterTest):
    def library(self):
        for name, text in ALEXNET.items():
            self.write(os.path.join("alexnet", name), text)
        return os.path.join(self.tmp, "alexnet")

    def convert(self, *argv):
        out = os.path.join(self.tmp, "out.json")
        code, stdout, err = in_process(timeloop_import.main, [*argv, "-o", out], PROG)
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            return out, self.assertDeterministicJson(f.read())

    def test_alexnet_directory(self):
        out, doc = self.convert(self.library())
        self.assertEqual(doc["name"], "AlexNet")
        # natural order: layer10 after layer6
        self.assertEqual([l["name"] for l in doc["layers"]],
                         ["AlexNet_layer1", "AlexNet_layer2", "AlexNet_layer3", "AlexNet_layer6",
                          "AlexNet_layer10"])
        l1, l2, l3, l6, _ = doc["layers"]
        self.assertEqual((l1["H"], l1["P"], l1["stride"], l1["padding"]), (227, 55, 4, 0))
        self.assertEqual((l2["C"], l2["M"], l2["groups"], l2["H"]), (96, 256, 2, 31))
        self.assertEqual(l6, {"name": "AlexNet_layer6", "type": "fc", "in_features": 9216,
                              "out_features": 4096, "in_shape": [256, 6, 6]})
        t = summary(out)
        # ISCA 2016 Table II: CONV1 105,415,200, CONV2 223,948,800, CONV3 149,520,384,
        # FC1 37,748,736; plus the small layer 6*6*9*8*16.
        self.assertEqual(t["all"][1], 105_415_200 + 223_948_800 + 149_520_384 + 37_748_736
                         + 6 * 6 * 9 * 8 * 16)
        self.assertEqual(t["fc"], (37_748_736, 37_748_736))
        stats = self.assertSimulates(out, "AlexNet_layer10")
        self.assertEqual(stats["layers"][0]["macs"], 6 * 6 * 9 * 8 * 16)

    def test_files_batch_and_depthwise(self):
        a = self.write("conv_a.yaml", layer_yaml(C=4, M=8, R=3, S=3, N=4, P=6, Q=6, Hstride=2,
                                                 Wstride=2))
        b = self.write("conv_b.yaml", "problem:\n  shape: {name: Depthwise-CNN-Layer}\n"
                                      "  instance: {C: 8, R: 3, S: 3, N: 2, P: 4, Q: 4}\n")
        out, doc = self.convert(a, b, "--name", "pair")
        self.assertEqual(doc["name"], "pair")
        self.assertEqual(doc["batch"], 4)
        first, second = doc["layers"]
        self.assertEqual((first["H"], first["stride"]), (13, 2))
        self.assertEqual((second["N"], second["groups"], second["C"], second["M"]), (2, 8, 8, 8))
        self.assertEqual(summary(out)["all"][1], 4 * 36 * 9 * 4 * 8 + 2 * 16 * 9 * 8)

    def test_command_line(self):
        proc = script("import_timeloop", self.library())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(self.assertDeterministicJson(proc.stdout)["layers"]), 5)
        self.assertEqual(script("import_timeloop", "--help").returncode, 0)

    def test_malformed_files(self):
        cases = [
            ("syntax.yaml", "problem:\n  instance: {C: 3, M: [\n", ["YAML syntax error"]),
            ("noproblem.yaml", "architecture: {}\n", ["expected a Timeloop problem"]),
            ("missing.yaml", layer_yaml(M=8, R=3, S=3, P=4, Q=4),
             ["problem.instance.C: missing required dimension"]),
            ("negative.yaml", layer_yaml(C=3, M=-8, R=3, S=3, P=4, Q=4),
             ["problem.instance.M: expected a positive integer, got -8"]),
            ("float.yaml", layer_yaml(C=3, M=8.5, R=3, S=3, P=4, Q=4),
             ["problem.instance.M: expected a positive integer, got 8.5"]),
            ("dilated.yaml", layer_yaml(C=3, M=8, R=3, S=3, P=4, Q=4, Hdilation=2, Hstride=2),
             ["dilation Hdilation=2 and stride Hstride=2 on the S x Q axis"]),
            ("sparse.yaml", layer_yaml(C=3, M=8, R=3, S=3, P=4, Q=4) +
             "    densities: {Inputs: 0.5}\n", ["densities: sparse densities are not modelled"]),
            ("list.yaml", "problem:\n  instance: [1, 2]\n",
             ["problem.instance: expected a mapping of dimensions"]),
        ]
        for name, text, what in cases:
            with self.subTest(name=name):
                path = self.write(name, text)
                code, out, err = in_process(timeloop_import.main, [path], PROG)
                self.assertEqual(out, "")
                self.assertBadInput(code, err, PROG, path, *what)
        empty = os.path.join(self.tmp, "emptydir")
        os.makedirs(empty)
        code, _, err = in_process(timeloop_import.main, [empty], PROG)
        self.assertBadInput(code, err, PROG, empty, "directory has no .yaml files")
        missing = os.path.join(self.tmp, "nope.yaml")
        proc = script("import_timeloop", missing)
        self.assertBadProcess(proc, PROG, missing, "cannot open")

    # -- timeloopfe's form: Jinja include_text, <<< merges, shapes by their projections --------
    BASE = """\
base_ignore: &base
  version: 0.4
  instance: {N: 1, C: 1, G: 1, R: 1, S: 1, Hdilation: 1, Hstride: 1, Wdilation: 1, Wstride: 1,
             M: 1, P: 1, Q: 1, H: 1, W: 1}
  shape:
    coefficients:
    - {name: Wstride, default: 1}
    - {name: Hstride, default: 1}
    - {name: Wdilation, default: 1}
    - {name: Hdilation, default: 1}
    data_spaces:
    - {name: Weights, projection: [[[C]], [[M]], [[R]], [[S]], [[G]]]}
    - name: Inputs
      projection: [[[N]], [[C]], [[R, Wdilation], [P, Wstride]], [[S, Hdilation], [Q, Hstride]],
                   [[G]]]
    - {name: Outputs, projection: [[[N]], [[M]], [[Q]], [[P]], [[G]]], read_write: true}
    dimensions: [C, M, R, S, N, P, Q, G]
"""

    def timeloopfe(self, name, instance):
        self.write(os.path.join("fe", "base.yaml"), self.BASE)
        return self.write(os.path.join("fe", "net", name),
                          "{{include_text('../base.yaml')}}\nproblem:\n  <<<: *base\n"
                          f"  instance: {instance}\n")

    def test_timeloopfe_form(self):
        a = self.timeloopfe("0.yaml", "{C: 3, M: 8, P: 5, Q: 5, R: 3, S: 3, Hstride: 2, "
                                      "Wstride: 2}")
        self.timeloopfe("1.yaml", "{G: 8, P: 5, Q: 5, R: 3, S: 3}")
        self.timeloopfe("2.yaml", "{C: 64, M: 16, P: 10}")
        self.timeloopfe("3.yaml", "{C: 8, M: 4, P: 3, Q: 1, R: 1, S: 1, Hdilation: 2, "
                                  "Wstride: 2}")
        out, doc = self.convert(os.path.dirname(a))
        self.assertEqual(doc["name"], "net")  # numbered files: the folder's name
        l0, l1, l2, l3 = doc["layers"]
        self.assertEqual((l0["C"], l0["M"], l0["H"], l0["stride"]), (3, 8, 11, 2))
        self.assertNotIn("notes", l0)  # H: 1 and W: 1 are ignored quietly
        self.assertEqual((l1["C"], l1["M"], l1["groups"], l1["H"]), (8, 8, 8, 7))
        self.assertEqual((l2["type"], l2["C"], l2["M"], l2["H"], l2["W"]), ("conv", 64, 16, 10, 1))
        # a dilation on a 1-long filter and a stride on a 1-output axis do not matter
        self.assertEqual((l3["stride"], l3["H"], l3["W"]), (2, 5, 1))
        self.assertEqual(summary(out)["all"][1], 3 * 8 * 25 * 9 + 8 * 25 * 9 + 64 * 16 * 10
                         + 8 * 4 * 3)
        bad = [("dil.yaml", "{C: 3, M: 8, P: 5, Q: 5, R: 3, S: 3, Wdilation: 2, Wstride: 3}",
                "dilation Wdilation=2 and stride Wstride=3 on the R x P axis")]
        # a dilation, and strides that differ by axis, are the layer's own
        good = [("dil_ok.yaml", "{C: 3, M: 8, P: 5, Q: 5, R: 3, S: 3, Wdilation: 2}",
                 {"H": 9, "W": 7, "dilation": [2, 1], "stride": 1}),
                ("strides_ok.yaml", "{C: 3, M: 8, P: 5, Q: 5, R: 3, S: 3, Hstride: 2}",
                 {"H": 7, "W": 11, "stride": [1, 2]})]
        for name, instance, want in good:
            with self.subTest(name=name):
                path = self.timeloopfe(name, instance)
                code, out, err = in_process(timeloop_import.main, [path], PROG)
                self.assertEqual(code, 0, err)
                layer = json.loads(out)["layers"][0]
                for key, value in want.items():
                    self.assertEqual(layer[key], value, key)
                self.assertEqual((layer["P"], layer["Q"]), (5, 5))
        for name, instance, what in bad:
            with self.subTest(name=name):
                path = self.timeloopfe(name, instance)
                code, _, err = in_process(timeloop_import.main, [path], PROG)
                self.assertBadInput(code, err, PROG, path, what)
        jinja = self.write("fe/bad/j.yaml", "{{ undefined_name }}\nproblem: {}\n")
        code, _, err = in_process(timeloop_import.main, [jinja], PROG)
        self.assertBadInput(code, err, PROG, jinja, "Jinja template", "undefined_name")
        missing = self.write("fe/bad/m.yaml", "{{include_text('nope.yaml')}}\n")
        code, _, err = in_process(timeloop_import.main, [missing], PROG)
        self.assertBadInput(code, err, PROG, missing, "include_text('nope.yaml'): cannot read")

    def test_shapes_by_projection(self):
        gemm = ("problem:\n  instance: {M: 6, N: 5, K: 4}\n  shape:\n    name: gemm\n"
                "    dimensions: [M, N, K]\n    data_spaces:\n"
                "    - {name: A, projection: [[[M]], [[K]]]}\n"
                "    - {name: B, projection: [[[N]], [[K]]]}\n"
                "    - {name: Z, projection: [[[M]], [[N]]], read_write: true}\n")
        out, doc = self.convert(self.write("gemm.yaml", gemm))
        layer = doc["layers"][0]
        self.assertEqual((layer["C"], layer["M"], layer["H"], layer["W"]), (4, 5, 6, 1))
        self.assertIn("operand B taken as the weights", layer["notes"])
        self.assertEqual(summary(out)["all"], (4 * 5, 6 * 5 * 4))
        three = gemm.replace("    - {name: Z", "    - {name: Y, projection: [[[M]], [[K]]]}\n"
                                             "    - {name: Z")
        path = self.write("three.yaml", three)
        code, _, err = in_process(timeloop_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "1 read-write and 3 read-only data spaces")
        lone = gemm.replace("dimensions: [M, N, K]", "dimensions: [M, N, K, L]").replace(
            "{M: 6, N: 5, K: 4}", "{M: 6, N: 5, K: 4, L: 2}").replace(
            "[[[M]], [[K]]]}\n    - {name: B", "[[[M]], [[K]], [[L]]]}\n    - {name: B")
        path = self.write("lone.yaml", lone)
        code, _, err = in_process(timeloop_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "dimension L (in A) has no place in a dfsim "
                                                   "layer")


if __name__ == "__main__":
    unittest.main()
