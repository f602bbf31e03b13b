"""scripts/sweep's input side: spec validation (exact messages, exit 2, nothing written), the
expression grammar, the points of grids, zips, derived values and filters, and the progress line.

Fast: validation runs in-process (dfsim is asked only about base runs and --set paths). Run
with Debian's interpreter:
    /usr/bin/python3 -m unittest tests/python/test_sweep_spec.py -v
DFSIM_BINARY names the dfsim executable (default: build/dfsim in the repository).
"""

import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import (MODELS, REPO, TINY_ARCH, ImporterTest,  # noqa: E402
                                dfsim_binary, in_process, load_spec)

from dfsim_sweep import cli, expr, points, progress  # noqa: E402

TINY_NET = os.path.join(MODELS, "tiny_net.json")


def base_spec(**changes):
    """A small valid spec (tiny arch and network), with top-level keys changed or removed
    (value None)."""
    doc = {"arch": TINY_ARCH, "network": TINY_NET, "dataflows": ["ws", "rs"],
           "parameters": [{"name": "glb_kib", "path": "arch.glb.size_kib", "values": [1, 2]},
                          {"name": "rf_words", "path": "arch.rf.words", "values": [8, 16]}]}
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


class SpecErrorTest(ImporterTest):
    """Each bad spec: exit 2, one line `sweep: error: <spec>: <json path>: ...`, no output."""

    def bad(self, doc, where_what, *more, text=None):
        path = self.write("spec.json", text if text is not None else json.dumps(doc))
        out = os.path.join(self.tmp, "out")
        code, stdout, err = in_process(cli.main, [path, "--out", out, "--dfsim",
                                                  dfsim_binary(), "--serial"], "sweep")
        self.assertEqual(stdout, "")
        self.assertBadInput(code, err, "sweep", path, where_what, *more)
        self.assertFalse(os.path.exists(out), "a bad spec must leave no output")
        return err

    def test_unknown_top_level_key(self):
        err = self.bad(base_spec(netwrok="x"), "netwrok: unknown key; valid keys: arch,")
        self.assertIn("parameters", err)

    def test_missing_key(self):
        self.bad(base_spec(parameters=None), "missing key 'parameters'")

    def test_json_syntax_error_names_line_and_column(self):
        self.bad(None, "line 2 column 1: JSON syntax error: Expecting value",
                 text='{"arch":\n}')

    def test_duplicate_key(self):
        self.bad(None, "duplicate key 'arch'", text='{"arch": "a", "arch": "b"}')

    def test_bad_value_type_names_the_json_path(self):
        doc = base_spec()
        doc["parameters"][1]["values"] = [8, 16, None]
        self.bad(doc, "parameters[1].values[2]: expected a number, string, boolean, array or "
                      "object, got null")

    def test_duplicate_value(self):
        doc = base_spec()
        doc["parameters"][0]["values"] = [1, 2, 1]
        self.bad(doc, "parameters[0].values[2]: duplicate value 1 (also at "
                      "parameters[0].values[0])")

    def test_unknown_parameter_key(self):
        doc = base_spec()
        doc["parameters"][0]["valeus"] = [1]
        self.bad(doc, "parameters[0].valeus: unknown key; valid keys: description, name, path, "
                      "unit, values")

    def test_tiling(self):
        """`tiling` is null (dfsim's default) or a --tiling kind, and reaches the runs' flags;
        a spec without it keeps its points' settings (and so their folders) as before."""
        self.bad(base_spec(tiling="square"), "tiling: expected null or one of ragged, perfect, "
                                             "got \"square\"")
        perfect = load_spec(self.write("p.json", json.dumps(base_spec(tiling="perfect"))))
        jobs = cli.Jobs(perfect, dfsim_binary(), self.tmp, None)
        self.assertEqual(jobs.flags[-2:], ["--tiling", "perfect"])
        self.assertEqual(jobs.settings["tiling"], "perfect")
        plain = load_spec(self.write("d.json", json.dumps(base_spec())))
        jobs = cli.Jobs(plain, dfsim_binary(), self.tmp, None)
        self.assertNotIn("--tiling", jobs.flags)
        self.assertNotIn("tiling", jobs.settings)

    def test_missing_file(self):
        self.bad(base_spec(arch="nope/arch.json"), "arch: no such file: nope/arch.json")

    def test_unknown_dataflow(self):
        self.bad(base_spec(dataflows=["rs", "xs"]), "dataflows[1]: expected one of ws, os_a, "
                                                    "os_b, os_c, nlr, rs, got \"xs\"")

    def test_all_is_dfsims_registry(self):
        """"all" means what `dfsim dataflows` lists, in its order (no copy of the list)."""
        path = self.write("spec.json", json.dumps(base_spec(dataflows="all")))
        self.assertEqual(load_spec(path).dataflows, ["ws", "os_a", "os_b", "os_c", "nlr", "rs"])
        from dfsim_sweep import spec as spec_mod
        self.assertEqual(spec_mod.load(path, ("rs", "new_df")).dataflows, ["rs", "new_df"])

    def test_zip_lengths_must_match(self):
        doc = base_spec(parameters=[{"zip": [
            {"name": "rows", "path": "arch.pe_array.rows", "values": [2, 4]},
            {"name": "cols", "path": "arch.pe_array.cols", "values": [2, 4, 8]}]}])
        self.bad(doc, "parameters[0].zip[1].values: expected 2 values like "
                      "parameters[0].zip[0].values (zipped lists go together), got 3")

    def test_same_path_twice(self):
        doc = base_spec()
        doc["parameters"][1]["path"] = "arch.glb.size_kib"
        self.bad(doc, "parameters[1].path: path 'arch.glb.size_kib' is already set by "
                      "parameters[0].path")

    def test_reserved_column_name(self):
        doc = base_spec()
        doc["parameters"][0]["name"] = "cycles"
        self.bad(doc, "parameters[0].name: 'cycles' is a column of the table already")

    def test_expression_unknown_name(self):
        doc = base_spec(derived=[{"name": "words", "expr": "glb_kib * 512 + rf_wrds"}])
        self.bad(doc, "derived[0].expr: unknown name 'rf_wrds' at column 17 of "
                      "\"glb_kib * 512 + rf_wrds\"; names defined before it: glb_kib, rf_words")

    def test_expression_syntax_error(self):
        doc = base_spec(derived=[{"name": "x", "expr": "(glb_kib + 1"}])
        self.bad(doc, "derived[0].expr: expected ')', got the end at column 13 of "
                      "\"(glb_kib + 1\"")

    def test_expression_is_not_python(self):
        doc = base_spec(derived=[{"name": "x", "expr": "__import__(os)"}])
        self.bad(doc, "derived[0].expr: unknown function '__import__' (known: abs, ceil, floor, "
                      "max, min, round) at column 1")
        doc = base_spec(derived=[{"name": "x", "expr": "open('f')"}])
        self.bad(doc, "derived[0].expr: unexpected \"'\" at column 6")
        doc = base_spec(filters=[{"expr": "glb_kib ** 2", "max": 4}])
        self.bad(doc, "filters[0].expr: expected a number, a name or '(', got '*' at column 10")

    def test_filter_needs_a_bound(self):
        self.bad(base_spec(filters=[{"expr": "glb_kib"}]), "filters[0]: expected min, max or "
                                                           "both")

    def test_string_value_in_arithmetic(self):
        doc = base_spec(derived=[{"name": "x", "expr": "glb_kib * 2"}])
        doc["parameters"][0]["values"] = [1, "unlimited"]
        self.bad(doc, "derived[0].expr: glb_kib is not a number (it is \"unlimited\") at "
                      "point 2 (glb_kib=unlimited, rf_words=8)")

    def test_unknown_metric(self):
        self.bad(base_spec(metrics=["cycles", "energy"]), "metrics[1]: expected a metric (macs,")
        self.bad(base_spec(metrics=["cycles"]), "objective: 'energy_total' is not among the "
                                                "collected metrics")

    def test_plot_x_must_be_a_parameter(self):
        self.bad(base_spec(plot={"x": "glb"}), "plot.x: expected a parameter column (glb_kib, "
                                               "rf_words), got \"glb\"")

    def test_dfsim_rejects_a_path(self):
        doc = base_spec()
        doc["parameters"][0]["path"] = "arch.glb.size_kibb"
        self.bad(doc, "parameters[0].path: dfsim rejects the path 'arch.glb.size_kibb':",
                 "arch.glb.size_kibb: unknown key; valid keys: banks")
        doc["parameters"][0]["path"] = "arch.glbb.size_kib"
        self.bad(doc, "parameters[0].path: dfsim rejects the path 'arch.glbb.size_kib': --set "
                      "arch.glbb.size_kib=1: arch.glbb: no such key; keys here:")
        doc["parameters"][0]["path"] = "network.layers.9.stride"
        self.bad(doc, "parameters[0].path: dfsim rejects the path 'network.layers.9.stride':",
                 "expected an array index in 0..3, got \"9\"")

    def test_dfsim_rejects_the_base_run(self):
        self.bad(base_spec(layers=["conv1", "conv9"]), "dfsim refuses the base run (arch, "
                 "network, energy, layers, batch): --layer conv9: no such layer")

    def test_a_bad_value_is_not_a_spec_error(self):
        """dfsim refuses -1 as a GLB size, but that fails one point, not the spec."""
        doc = base_spec()
        doc["parameters"][0]["values"] = [-1, 1]
        path = self.write("spec.json", json.dumps(doc))
        spec = load_spec(path)
        from dfsim_sweep import probe
        probe.check_paths(dfsim_binary(), spec, points.expand(spec))  # no InputError

    def test_bad_options(self):
        path = self.write("spec.json", json.dumps(base_spec()))
        code, _, err = in_process(cli.main, [path, "--serial", "--workers", "2"], "sweep")
        self.assertEqual(code, 2)
        self.assertIn("--workers takes a positive number, and applies to the local cluster "
                      "only", err)
        code, _, err = in_process(cli.main, [path, "--dfsim", os.path.join(self.tmp, "no")],
                                  "sweep")
        self.assertBadInput(code, err, "sweep", f"--dfsim {os.path.join(self.tmp, 'no')}",
                            "not an executable")


class ExprTest(unittest.TestCase):
    def value(self, text, **env):
        return expr.evaluate(expr.parse(text), env)

    def test_arithmetic(self):
        self.assertEqual(self.value("1 + 2 * 3"), 7)
        self.assertEqual(self.value("(1 + 2) * 3"), 9)
        self.assertEqual(self.value("-a + 10 // 3 % 2", a=4), -3)
        self.assertEqual(self.value("256 - pes * rf / 512", pes=256, rf=256), 128.0)
        self.assertEqual(self.value("floor(7 / 2) + ceil(0.5) + round(2.6) + abs(-1)"), 8)
        self.assertEqual(self.value("min(3, x, 5) + max(1, 2)", x=1), 3)
        self.assertEqual(self.value("1e3 + .5"), 1000.5)

    def test_names_in_reading_order(self):
        self.assertEqual([n for n, _ in expr.names(expr.parse("a * min(b, a) + c"))],
                         ["a", "b", "a", "c"])

    def test_syntax_errors(self):
        for text, message, column in [("1 +", "expected a number, a name or '(', got the end",
                                       4),
                                      ("a b", "unexpected 'b'", 3),
                                      ("f(1)", "unknown function 'f'", 1),
                                      ("min(1)", "min() takes at least 2 arguments, got 1", 1),
                                      ("floor", "function 'floor' needs arguments", 1),
                                      ("1 $ 2", "unexpected '$'", 3),
                                      ("", "expected an arithmetic expression", 1),
                                      ("(" * 50 + "1" + ")" * 50, "nested deeper than 40",
                                       41)]:
            with self.subTest(text=text):
                with self.assertRaises(expr.ExprError) as ctx:
                    expr.parse(text)
                self.assertIn(message, ctx.exception.message)
                self.assertEqual(ctx.exception.column, column)

    def test_evaluation_errors(self):
        with self.assertRaisesRegex(expr.EvalError, "division by zero"):
            self.value("1 / (a - 1)", a=1)
        with self.assertRaises(expr.NotANumber):
            self.value("a + 1", a="unlimited")
        with self.assertRaises(expr.NotANumber):
            self.value("a + 1", a=True)
        with self.assertRaisesRegex(expr.EvalError, "too large"):
            self.value("1e300 * 1e300")


class PointsTest(ImporterTest):
    def expand(self, **changes):
        path = self.write("spec.json", json.dumps(base_spec(**changes)))
        return points.expand(load_spec(path))

    def test_grid_first_axis_slowest(self):
        pts = self.expand()
        self.assertEqual([(p.values["glb_kib"], p.values["rf_words"]) for p in pts],
                         [(1, 8), (1, 16), (2, 8), (2, 16)])
        self.assertEqual(pts[1].set_args(), ["arch.glb.size_kib=1", "arch.rf.words=16"])

    def test_zip_grid_derived_and_filters(self):
        pts = self.expand(
            constants={"total": 4096},
            parameters=[{"zip": [{"name": "rows", "path": "arch.pe_array.rows",
                                  "values": [2, 4, 8]},
                                 {"name": "cols", "path": "arch.pe_array.cols",
                                  "values": [4, 4, 8]}]},
                        {"name": "rf", "path": "arch.rf.words", "values": [16, 64]}],
            derived=[{"name": "pes", "expr": "rows * cols"},
                     {"path": "arch.glb.size_kib", "expr": "(total - pes * rf) / 512",
                      "min": 1}],
            filters=[{"expr": "pes", "max": 32}])
        self.assertEqual(len(pts), 6)
        got = [(p.values["rows"], p.values["cols"], p.values["rf"], p.values["pes"],
                p.values["arch.glb.size_kib"], p.skip) for p in pts]
        self.assertEqual(got, [
            (2, 4, 16, 8, 7.75, None),
            (2, 4, 64, 8, 7, None),
            (4, 4, 16, 16, 7.5, None),
            (4, 4, 64, 16, 6, None),
            (8, 8, 16, 64, 6, "filters[0]: pes = 64 is above its max 32"),
            (8, 8, 64, 64, 0, "arch.glb.size_kib = 0 is below its min 1")])
        # A whole-number result is passed as an integer (dfsim wants integers for counts).
        self.assertEqual(pts[1].set_args()[-1], "arch.glb.size_kib=7")
        self.assertEqual(pts[0].set_args(), ["arch.pe_array.rows=2", "arch.pe_array.cols=4",
                                             "arch.rf.words=16", "arch.glb.size_kib=7.75"])

    def test_division_by_zero_skips_the_point(self):
        pts = self.expand(derived=[{"name": "x", "expr": "1 / (rf_words - 8)"}])
        self.assertEqual(pts[0].skip, "x: division by zero")
        self.assertIsNone(pts[1].skip)

    def test_strings_are_quoted_for_dfsim(self):
        pts = self.expand(parameters=[{"path": "arch.dram.bytes_per_cycle",
                                       "values": [4, "unlimited"]}])
        self.assertEqual([p.set_args() for p in pts],
                         [["arch.dram.bytes_per_cycle=4"],
                          ['arch.dram.bytes_per_cycle="unlimited"']])
        self.assertEqual(points.cell_text(pts[1].values["arch.dram.bytes_per_cycle"]),
                         "unlimited")

    def test_examples_are_valid(self):
        for name in sorted(os.listdir(os.path.join(REPO, "configs", "sweeps"))):
            with self.subTest(spec=name):
                spec = load_spec(os.path.join(REPO, "configs", "sweeps", name))
                self.assertTrue(spec.description)
                self.assertTrue(any(p.skip is None for p in points.expand(spec)))


class ProgressTest(unittest.TestCase):
    def test_plain_lines_when_not_a_terminal(self):
        out = io.StringIO()
        bar = progress.Progress(3, skipped=1, stream=out, interval=3600)
        bar.update(False)
        bar.update(True)
        bar.update(False)
        bar.close()
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2, lines)  # the first at once, then the last
        self.assertRegex(lines[0], r"^sweep: \[#{8}\.{16}\] 1/3 done, 0 failed, 1 skipped \| "
                                   r"0:00 elapsed, ETA 0:00$")
        self.assertRegex(lines[1], r"3/3 done, 1 failed, 1 skipped .* done$")

    def test_one_redrawn_line_on_a_terminal(self):
        class Tty(io.StringIO):
            def isatty(self):
                return True
        out = Tty()
        bar = progress.Progress(2, stream=out)
        bar.update(False)
        bar.update(False)
        bar.close()
        text = out.getvalue()
        self.assertTrue(text.startswith("\rsweep: ["), text)
        self.assertEqual(text.count("\n"), 1)
        self.assertTrue(text.endswith("\x1b[K\n"))


if __name__ == "__main__":
    unittest.main()
