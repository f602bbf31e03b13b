"""scripts/import_maestro: MAESTRO .m files made here and every peer .m file (when ../shared
exists), their MACs against MAESTRO's formula computed here independently, a simulated layer,
and malformed files (exit 2, one exact line on stderr)."""

import os
import re
import unittest

from dfsim_test_support import ImporterTest, in_process, script, summary, SHARED

from dfsim_import import maestro_import

PROG = "import_maestro"
PEER = os.path.join(SHARED, "peer-files", "maestro", "data")

SMALL_M = """\
// a comment line
Constant Ch 4;
Network small {
\tLayer conv-a { // MAESTRO would call this layer 'a'
\t\tType: CONV
\t\tStride { X: 2, Y: 2 }
\t\tDimensions { K: 8, C: Ch, R: 3, S: 3, Y: 9, X: 9 }
\t\tDataflow {
\t\t\tSpatialMap(1,1) K;
\t\t\tTemporalMap(Sz(R),Sz(R)) R;
\t\t\tTemporalMap(Sz(S),Sz(S)) S;
\t\t\tTemporalMap(Sz(R),1) Y;
\t\t\tCluster(Ch, P);
\t\t\tSpatialMap(1,1) C;
\t\t}
\t}
\tLayer dw {
\t\tType: DSCONV
\t\tDimensions { K 1,C 8,R 3,S 3,Y 6,X 6 }
\t}
\tLayer fc {
\t\tType: CONV
\t\tDimensions { N: 2, K: 10, C: 8, R: 4, S: 4, Y: 4, X: 4 }
\t}
\tLayer Attn_MatMul {
\t\tType: CONV
\t\tDimensions { K: 6, C: 1, R: 5, S: 1, Y: 5, X: 7 }
\t}
\tLayer up {
\t\tType: TRCONV
\t\tDimensions { K: 4, C: 8, R: 2, S: 2, Y: 5, X: 5 }
\t}
\tLayer nested {
\t\tType: NGCONV
\t\tDimensions { G: 2, K: 3, C: 4, R: 3, S: 3, Y: 6, X: 6 }
\t}
\tLayer blas {
\t\tType: GEMM
\t\tDimensions { K: 12, M: 7, N: 5 }
\t}
}
"""


def maestro_layers(text):
    """[(name, type, macs)] by MAESTRO's rules, read with regular expressions (independently of
    the importer): Y' = (Y - R) // stride_Y + 1, MACs = product of the loop bounds."""
    text = re.sub(r"//[^\n]*", "", text)
    consts = {m.group(1): int(m.group(2))
              for m in re.finditer(r"Constant\s+(\w+)\s+(\d+)", text)}
    out = []
    for m in re.finditer(r"Layer\s+([^{\s]+)\s*\{(.*?)Dimensions\s*\{([^}]*)\}", text, re.S):
        name, head, body = m.groups()
        kind = re.search(r"Type\s*:?\s*(\w+)", head).group(1)
        stride = {k: int(v) for k, v in re.findall(r"([XY])\s*:?\s*(\d+)",
                                                   (re.search(r"Stride\s*\{([^}]*)\}", head)
                                                    or re.match("()", "")).group(1))}
        dims = {k: int(v) if v.isdigit() else consts[v]
                for k, v in re.findall(r"([A-Z])\s*:?\s*(\w+)", body)}
        if kind == "GEMM":
            macs = dims["M"] * dims["N"] * dims["K"]
        else:
            yo = (dims["Y"] - dims["R"]) // stride.get("Y", 1) + 1
            xo = (dims["X"] - dims["S"]) // stride.get("X", 1) + 1
            macs = yo * xo
            for d in "NGKCRS":
                macs *= dims.get(d, 1)
        out.append((name, kind, macs))
    return out


def dfsim_macs(layer):
    if layer["type"] == "fc":
        return layer.get("N", 1) * layer["in_features"] * layer["out_features"]
    return (layer.get("N", 1) * layer["M"] * layer["C"] // layer["groups"] * layer["R"] *
            layer["S"] * layer["P"] * layer["Q"])


class MaestroImportTest(ImporterTest):
    def convert(self, path, *extra):
        out = os.path.join(self.tmp, "out.json")
        code, stdout, err = in_process(maestro_import.main, [path, "-o", out, *extra], PROG)
        self.assertEqual((code, stdout, err), (0, "", ""))
        with open(out) as f:
            return out, self.assertDeterministicJson(f.read())

    def bad(self, text, *what):
        path = self.write("bad.m", text)
        code, out, err = in_process(maestro_import.main, [path], PROG)
        self.assertEqual(out, "")
        self.assertBadInput(code, err, PROG, path, *what)
        return err

    def test_every_layer_kind(self):
        out, doc = self.convert(self.write("small.m", SMALL_M))
        self.assertEqual(doc["name"], "small")
        layers = {l["name"]: l for l in doc["layers"]}
        self.assertEqual(list(layers), ["conv-a", "dw", "fc", "Attn_MatMul", "up", "nested",
                                        "blas"])
        a = layers["conv-a"]
        self.assertEqual((a["C"], a["H"], a["P"], a["stride"], a["padding"]), (4, 9, 4, 2, 0))
        self.assertEqual(a["notes"], "MAESTRO dataflow: SpatialMap(1,1) K; TemporalMap(3,3) R; "
                                     "TemporalMap(3,3) S; TemporalMap(3,1) Y; Cluster(4,P); "
                                     "SpatialMap(1,1) C")
        self.assertEqual((layers["dw"]["groups"], layers["dw"]["M"]), (8, 8))
        self.assertIn("layer 'conv-a''s, as MAESTRO inherits it", layers["dw"]["notes"])
        self.assertEqual(layers["fc"], {"name": "fc", "type": "fc", "N": 2, "in_features": 128,
                                        "out_features": 10, "in_shape": [8, 4, 4],
                                        "notes": layers["fc"]["notes"]})
        self.assertIn("a weight layer", layers["Attn_MatMul"]["notes"])
        self.assertIn("MAESTRO reads it as a CONV", layers["up"]["notes"])
        n = layers["nested"]
        self.assertEqual((n["groups"], n["C"], n["M"]), (8, 8, 24))
        self.assertEqual((layers["blas"]["C"], layers["blas"]["M"], layers["blas"]["H"]),
                         (12, 5, 7))
        expected = maestro_layers(SMALL_M)
        self.assertEqual([e[0] for e in expected], list(layers))
        for (name, _, macs) in expected:
            self.assertEqual(dfsim_macs(layers[name]), macs, name)
        self.assertEqual(summary(out)["all"][1], sum(e[2] for e in expected))
        self.assertSimulates(out, "conv-a")

    def test_script_and_stdout(self):
        proc = script("import_maestro", self.write("small.m", SMALL_M))
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        self.assertEqual(len(self.assertDeterministicJson(proc.stdout)["layers"]), 7)

    def test_stride_differs(self):
        net = "Network n {\nLayer a {\nType: CONV\nStride { X: 1, Y: 2 }\n" \
              "Dimensions { K: 2, C: 2, R: 3, S: 3, Y: 9, X: 9 }\n}\n}\n"
        err = self.bad(net, "line 2: layer 'a': stride (2, 1) differs between height and width; "
                            "dfsim has one stride for both axes (MAESTRO's Stride { X: 1, Y: 2 })")
        self.assertTrue(err.endswith("Y: 2 })\n"))

    def test_malformed_exact_messages(self):
        cases = [
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, S: 1, Y: 4, X: 4 }\n",
             "line 4: expected '}' closing layer 'a' opened at line 2, got the end of the file"),
            ("Network n {\n  Layer a {\n    Type: CONV\n    Padding { X: 1 }\n  }\n}\n",
             "line 4: layer 'a': unknown key 'Padding' (expected Type, Stride, Dimensions, "
             "Dataflow)"),
            ("Network n {\n  Layer a {\n    Type: CONV\n    Stride { X: 1, Y: 1 }\n  }\n}\n",
             "line 2: layer 'a': missing Dimensions (expected Dimensions { K, C, R, S, Y, X })"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, Y: 4, X: 4 }\n  }\n}\n",
             "line 4: layer 'a': Dimensions: missing S (a CONV needs K, C, R, S, Y, X)"),
            ("Network n {\n  Layer a {\n    Type: FC\n  }\n}\n",
             "line 3: layer 'a': Type FC: MAESTRO's parser builds no layer for it (it fails at "
             "the layer's closing brace); write it as a CONV whose filter covers the input "
             "(R = Y, S = X) or as a GEMM"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, S: 1, Y: 4, X: 4 }\n"
             "    Stride { X: 2, Y: 2 }\n  }\n}\n",
             "line 5: layer 'a': Stride must precede Dimensions (MAESTRO applies a stride only "
             "to dimensions read after it)"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, S: 1, Y: 4, X: Wide }\n  }\n}\n",
             "line 4: expected the size of X (a positive integer or a Constant defined above), "
             "got 'Wide'"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 3, S: 3, Y: 4, X: 4 }\n"
             "    Dataflow { TemporalMap(3,1) R; }\n  }\n}\n",
             "line 5: layer 'a': TemporalMap(3,1) R: MAESTRO requires a TemporalMap over R to "
             "have size = offset = the dimension's size 3"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 5, S: 5, Y: 4, X: 4 }\n  }\n}\n",
             "line 2: layer 'a': the 5x5 filter (R x S) is larger than the 4x4 input (Y x X)"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, S: 1, Y: 4, X: 4, Z: 3 }\n  }\n}\n",
             "line 4: layer 'a': unknown dimension 'Z' in Dimensions (expected N, G, K, C, R, "
             "S, Y, X, or M, N, K for a GEMM)"),
            ("Network n {\n  Layer a {\n    Type: CONV\n"
             "    Dimensions { K: 2, C: 2, R: 1, S: 1, Y: 4, X: 4 }\n"
             "    Dataflow { SpatialMap(1,1) M; }\n  }\n}\n",
             "line 5: layer 'a': SpatialMap over 'M': expected a dimension of the layer "
             "(K, C, R, S, Y, X)"),
            ("Network n {\n}\n", "line 1: Network 'n' has no layers"),
            ("Layer a {\n}\n", "line 1: expected 'Constant' or 'Network', got 'Layer'"),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                path = self.write("bad.m", text)
                code, out, err = in_process(maestro_import.main, [path], PROG)
                self.assertEqual((code, out), (2, ""))
                self.assertEqual(err, f"{PROG}: error: {path}: {message}\n")

    def test_missing_file(self):
        path = os.path.join(self.tmp, "none.m")
        code, out, err = in_process(maestro_import.main, [path], PROG)
        self.assertBadInput(code, err, PROG, path, "cannot open")


@unittest.skipUnless(os.path.isdir(PEER), f"no MAESTRO peer files at {PEER} (set "
                                          "DFSIM_SHARED_DIR)")
class MaestroPeerFilesTest(ImporterTest):
    def test_all_peer_files(self):
        files = sorted(os.path.join(PEER, d, f) for d in ("model", "mapping")
                       for f in os.listdir(os.path.join(PEER, d)) if f.endswith(".m"))
        self.assertEqual(len(files), 13)
        total_layers = 0
        for path in files:
            with self.subTest(file=os.path.basename(path)):
                out = os.path.join(self.tmp, os.path.basename(path) + ".json")
                code, stdout, err = in_process(maestro_import.main, [path, "-o", out], PROG)
                self.assertEqual((code, err), (0, ""))
                doc = self.load(out)
                with open(path) as f:
                    expected = maestro_layers(f.read())
                self.assertEqual(len(doc["layers"]), len(expected))
                for layer, (name, kind, macs) in zip(doc["layers"], expected):
                    self.assertTrue(layer["name"].startswith(name), (layer["name"], name))
                    self.assertEqual(dfsim_macs(layer), macs, (path, name, kind))
                self.assertEqual(summary(out)["all"][1], sum(e[2] for e in expected))
                if "/mapping/" in path:
                    self.assertTrue(all("MAESTRO dataflow" in l.get("notes", "")
                                        for l in doc["layers"]))
                total_layers += len(doc["layers"])
        self.assertEqual(total_layers, 790)


if __name__ == "__main__":
    unittest.main()
