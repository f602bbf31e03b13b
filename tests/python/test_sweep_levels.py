"""The sweep table keeps the 4-level role columns (dram, glb, noc, rf) when an arch names its
levels otherwise: a point's layers.csv is read by position, and a hierarchy of another size is
an unreadable point, never blank numbers. Runs dfsim on a renamed eyeriss_levels.json.

    /usr/bin/python3 -m unittest tests/python/test_sweep_levels.py -v
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dfsim_test_support import MODELS, REPO, dfsim_binary  # noqa: E402

from dfsim_sweep import table  # noqa: E402


class SweepLevelNames(unittest.TestCase):
    def run_point(self, arch, out):
        subprocess.run([dfsim_binary(), "run", "--arch", arch, "--network",
                        os.path.join(MODELS, "tiny_conv.json"), "--dataflow", "ws", "--out", out],
                       check=True, cwd=REPO, capture_output=True)

    def test_renamed_levels_read_as_their_roles(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(REPO, "configs", "arch", "eyeriss_levels.json"),
                      encoding="utf-8") as f:
                arch = json.load(f)
            renamed = {"noc": "array_bus", "rf": "spad"}
            for level in arch["levels"]:
                level["name"] = renamed.get(level["name"], level["name"])
            named = os.path.join(tmp, "named.json")
            with open(named, "w", encoding="utf-8") as f:
                json.dump(arch, f)
            self.run_point(named, os.path.join(tmp, "a"))
            self.run_point(os.path.join(REPO, "configs", "arch", "eyeriss_levels.json"),
                           os.path.join(tmp, "b"))
            with open(os.path.join(tmp, "a", "layers.csv"), encoding="utf-8") as f:
                header = next(csv.reader(f))
            self.assertIn("spad_weights_reads", header)
            self.assertIn("energy_array_bus", header)
            _, a = table.read_point(os.path.join(tmp, "a"))
            _, b = table.read_point(os.path.join(tmp, "b"))
            self.assertEqual(a, b)
            self.assertIn("rf_weights_reads", a["ws"][0])

    def test_other_sizes_are_refused(self):
        header = ["layer", "energy_mac", "energy_dram", "energy_glb", "energy_cluster_noc",
                  "energy_cl", "energy_noc", "energy_rf", "energy_leakage"]
        with self.assertRaisesRegex(ValueError, "has 6 levels .*4-level hierarchy only"):
            table._role_names(header)
        self.assertEqual(table._role_names(["energy_mac", "energy_dram", "energy_glb",
                                            "energy_noc", "energy_rf", "energy_leakage"]), {})


if __name__ == "__main__":
    unittest.main()
