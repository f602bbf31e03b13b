"""scripts/isca16_resident_gap: the framework's DRAM reloads of tiles dfsim keeps ([resident]),
worked by hand on small layers (the expected words below are computed in the comments from the
framework's formulas, not by the script's functions)."""

import unittest

import dfsim_test_support  # noqa: F401 (puts scripts/ on sys.path)
import isca16_resident_gap as gap


def row(name, dataflow, batch, variables, energy=1000.0, macs=1):
    return {"name": name, "dataflow": dataflow, "batch": batch, "macs": macs,
            "energy": {"total": energy}, "mapper": {"variables": variables}}


class ResidentGap(unittest.TestCase):
    def test_os_c_fc_window_kept_across_filter_passes(self):
        # fc of 8 inputs, 4 outputs, batch 2, n = N = 2, m = 1: one image pass, one pixel, so
        # the window (N*C = 16 words) stays; the framework reads it ceil(M/m) = 4 times: 48 more.
        layers = {"f": {"type": "fc", "in_features": 8, "out_features": 4}}
        stats = {"layers": [row("f", "os_c", 2, {"n": 2, "m": 1, "p": 1})]}
        extra, total = gap.run_gap(stats, layers, 200.0)
        self.assertEqual(extra, 48 * 200.0)
        self.assertEqual(total, 1000.0)
        # n = 1: two image passes, the window changes, nothing is kept: no gap.
        stats = {"layers": [row("f", "os_c", 2, {"n": 1, "m": 1, "p": 1})]}
        self.assertEqual(gap.run_gap(stats, layers, 200.0)[0], 0.0)

    def test_rs_weights_kept_with_one_filter_and_channel_pass(self):
        # conv C=2 M=4 H=W=5 R=S=3 P=Q=3, batch 2; p t = 4 (one filter pass), q r = 2 (one
        # channel pass), f = 3 (one strip), n = 1: weights (4*2*9 = 72) stay in the RFs, the
        # framework reads them ceil(N/n) * strips = 2 times: 72 more; the ifmap (one strip, one
        # channel pass) stays in the GLB across ceil(M/m) = ceil(4/4) = 1 filter pass: nothing.
        layers = {"c": {"type": "conv", "C": 2, "M": 4, "H": 5, "W": 5, "R": 3, "S": 3, "P": 3,
                        "Q": 3}}
        v = {"m": 4, "n": 1, "f": 3, "p": 2, "q": 2, "r": 1, "t": 2}
        extra, _ = gap.run_gap({"layers": [row("c", "rs", 2, v)]}, layers, 1.0)
        self.assertEqual(extra, 72.0)
        # m = 2 (two DRAM filter passes) with p t = 4 is not a legal RS assignment, but the
        # formula alone: the ifmap (N*C*H*cols = 2*2*5*5 = 100 words) read twice: 100 more.
        v2 = dict(v, m=2)
        self.assertEqual(gap.run_gap({"layers": [row("c", "rs", 2, v2)]}, layers, 1.0)[0],
                         172.0)

    def test_a_row_without_variables_is_refused(self):
        layers = {"f": {"type": "fc", "in_features": 8, "out_features": 4}}
        bad = row("f", "rs", 1, {})
        del bad["mapper"]["variables"]
        with self.assertRaises(SystemExit):
            gap.run_gap({"layers": [bad]}, layers, 1.0)


if __name__ == "__main__":
    unittest.main()
