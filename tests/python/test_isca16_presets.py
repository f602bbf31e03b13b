"""scripts/make_isca16_presets: the committed configs/arch/isca16*/ files are what the area model
writes (--check); at 256 PEs its GLB sizes are the paper's storage table (read from
shared/reference/eyeriss.md when present, else the copy below); at every PE count the designs
have equal storage area, recomputed here with this file's own area function; each preset reads
in dfsim."""

import json
import os
import re
import unittest

from dfsim_test_support import REPO, dfsim, run, SHARED

SCRIPT = os.path.join(REPO, "scripts", "make_isca16_presets")
EYERISS_MD = os.path.join(SHARED, "reference", "eyeriss.md")
# The ISCA 2016 storage table at 256 PEs (eyeriss.md section 4): RF bytes per PE, GLB KiB.
PAPER_256 = {"rs": (512, 128.0), "ws": (2, 334.3), "os_a": (98, 243.9), "os_b": (10, 303.8),
             "os_c": (2, 334.3), "nlr": (0, 338.3)}
FOLDERS = {256: "isca16", 512: "isca16_512", 1024: "isca16_1024"}


def paper_table():
    if not os.path.exists(EYERISS_MD):
        return PAPER_256
    out = {}
    with open(EYERISS_MD) as f:
        for line in f:
            m = re.match(r"\|\s*(RS|WS|OS_A|OS_B|OS_C|NLR)\s*\|\s*([\d.]+)( B)?\s*\|"
                         r"\s*([\d.]+) KiB", line)
            if m:
                out[m.group(1).lower()] = (float(m.group(2)), float(m.group(4)))
    return out


def area(size):
    """Storage area of `size` bytes: per-byte cost linear between the framework's points."""
    points = [(2, 103.47), (4, 172.07), (8, 177.07), (16, 169.89), (32, 96.06), (64, 59.15),
              (128, 39.94), (256, 27.48), (512, 20.87), (1024, 16.14), (2048, 13.89),
              (4096, 12.70)]
    if size <= 2:
        return 103.47 * size
    if size >= 4096:
        return 12.70 * size
    k = max(i for i, (s, _) in enumerate(points) if s <= size)
    (s0, a0), (s1, a1) = points[k], points[min(k + 1, len(points) - 1)]
    rate = a0 if s1 == s0 else a0 + (a1 - a0) * (size - s0) / (s1 - s0)
    return rate * size


def load(pes, df):
    with open(os.path.join(REPO, "configs", "arch", FOLDERS[pes], f"{df}.json")) as f:
        return json.load(f)


def rf_bytes(doc):
    rf = doc["rf"]
    words = sum(p["words"] for p in rf["partitions"]) if "partitions" in rf else rf["words"]
    return words * doc["word_bits"] // 8


class Isca16Presets(unittest.TestCase):
    def test_files_are_what_the_script_writes(self):
        proc = run([SCRIPT, "--check"])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_256_pe_sizes_are_the_papers_table(self):
        table = paper_table()
        self.assertEqual(set(table), set(PAPER_256))
        for df, (rf, glb_kib) in table.items():
            doc = load(256, df)
            self.assertEqual(rf_bytes(doc), rf, df)
            self.assertEqual(doc["glb"]["size_kib"], glb_kib, df)
            self.assertEqual(doc["pe_array"], {"rows": 16, "cols": 16})

    def test_equal_storage_area_at_every_pe_count(self):
        for pes, folder in FOLDERS.items():
            docs = {df: load(pes, df) for df in PAPER_256}
            for doc in docs.values():
                self.assertEqual(doc["pe_array"]["rows"] * doc["pe_array"]["cols"], pes)
            baseline = pes * area(512) + area(pes * 512)
            for df, doc in docs.items():
                total = pes * area(rf_bytes(doc)) + area(doc["glb"]["size_kib"] * 1024)
                # GLB sizes are rounded to 0.1 KiB: at most 51.2 B of 12.7 area units each
                self.assertLess(abs(total - baseline), 52 * 12.70, f"{folder}/{df}")
            # more PEs, more GLB, same RF per PE
            if pes > 256:
                for df in docs:
                    self.assertEqual(rf_bytes(docs[df]), rf_bytes(load(256, df)))
                    self.assertGreater(docs[df]["glb"]["size_kib"],
                                       load(256, df)["glb"]["size_kib"])

    def test_every_preset_reads(self):
        for folder in FOLDERS.values():
            for df in PAPER_256:
                path = os.path.join(REPO, "configs", "arch", folder, f"{df}.json")
                proc = dfsim("run", "--arch", path, "--network",
                             os.path.join(REPO, "models", "alexnet.json"), "--dump-config")
                self.assertEqual(proc.returncode, 0, proc.stderr)


if __name__ == "__main__":
    unittest.main()
