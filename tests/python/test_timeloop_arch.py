"""scripts/import_timeloop_arch and import_accelergy_ert --arch: every Timeloop arch.yaml of
shared/peer-files (the v4 node lists and the v0.3 tree, with and without its constraints)
converts to a levels-form arch that dfsim reads; levels, instances and capacities are checked
against numbers computed here from the YAML; each of the 10 ERTs imports with --arch (no --map)
for the arch made from its own design, its costs equal the ERT's entries, and dfsim takes the
pair (and runs the 4-level one). Small hand-written files check the refusals (exit 2, one line
naming the file and the YAML path). Peer-file tests are skipped when the shared folder is absent
(DFSIM_SHARED_DIR names it; default: ../shared beside the repository)."""

import json
import os
import re
import unittest

import yaml

from dfsim_test_support import REPO, ImporterTest, dfsim, in_process
from dfsim_test_support import TIMELOOP as TL, TL_V03 as V03, TL_V03_ARCH as V03_ARCH
from dfsim_test_support import TL_V03_CONS as V03_CONS, TL_V03_OUT as V03_OUT
from dfsim_test_support import TL_V4_DESIGNS as V4

from dfsim_import import accelergy_ert, timeloop_arch

PROG = "import_timeloop_arch"
ERT_PROG = "import_accelergy_ert"
DESIGNS = ["eyeriss_like", "simba_like", "simple_output_stationary", "simple_weight_stationary"]
TINY = os.path.join(REPO, "models", "tiny_conv.json")


class TaggedLoader(yaml.SafeLoader):
    """Reads timeloopfe's tags here independently of the importer: {"tag": ..., **mapping}."""


TaggedLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: dict(loader.construct_mapping(node, deep=True), tag=suffix)
    if isinstance(node, yaml.MappingNode) else {"tag": suffix})


def v4_expectations(path):
    """From a v4 arch.yaml: (storage components with a depth, outermost first, as
    {name, bits, keep, group}; the product of all spatial meshes; the datawidth of each)."""
    with open(path) as f:
        nodes = yaml.load(f, Loader=TaggedLoader)["architecture"]["nodes"]
    comps, pes, width = [], 1, {}
    inherited = {}
    for i, node in enumerate(nodes):
        subs = node["nodes"] if node["tag"] == "Parallel" else [node]
        if node["tag"] == "Container":
            inherited.update(node.get("attributes", {}))
            sp = node.get("spatial", {})
            pes *= sp.get("meshX", 1) * sp.get("meshY", 1)
            continue
        for sub in subs:
            attrs = dict(inherited, **sub.get("attributes", {}))
            if "depth" not in attrs or sub.get("tag") == "Nothing":
                continue
            keep = (sub.get("constraints", {}).get("dataspace", {}) or {}).get("keep")
            comps.append({"name": sub["name"], "bits": attrs["depth"] * attrs["width"],
                          "keep": sorted(k.lower() for k in keep) if keep else None,
                          "group": i, "datawidth": attrs["datawidth"]})
            width[sub["name"]] = attrs["datawidth"]
    return comps, pes


def partitions(level):
    """[(tensors, bits/word_bits capacity as written, component named by the notes)]."""
    if "partitions" in level:
        parts = level["partitions"]
    else:
        parts = [dict(level, tensors=["weights", "inputs", "outputs"])]
    out = []
    for p in parts:
        m = re.match(r"component (\S+) \(", p.get("notes", ""))
        out.append((sorted(p["tensors"]), p.get("words"), p.get("size_kib"),
                    m.group(1) if m else None))
    return out


@unittest.skipUnless(os.path.isdir(TL), f"no peer files at {TL} (set DFSIM_SHARED_DIR)")
class PeerArchTest(ImporterTest):
    def convert(self, *argv):
        out = os.path.join(self.tmp, f"arch{len(os.listdir(self.tmp))}.json")
        code, _, err = in_process(timeloop_arch.main, [*argv, "-o", out], PROG)
        self.assertEqual(code, 0, err)
        with open(out) as f:
            text = f.read()
        self.assertDeterministicJson(text)
        return out, json.loads(text), err

    def assertDfsimReads(self, path, doc):
        """dfsim run --dump-config reads the arch and dumps the same levels."""
        proc = dfsim("run", "--arch", path, "--network", TINY, "--dump-config",
                     "--set", f"energy.word_bits={doc['word_bits']}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        dumped = json.loads(proc.stdout)["arch"]["levels"]
        self.assertEqual([(lv["name"], lv["kind"]) for lv in dumped],
                         [(lv["name"], lv["kind"]) for lv in doc["levels"]])
        return dumped

    def test_v4_arches(self):
        """Each v4 arch.yaml: one dfsim storage level per component with a depth (a !Parallel's
        components one level), each partition depth x width bits, the fan-outs multiplying to
        the YAML's meshes, and dfsim reads it."""
        for design in DESIGNS:
            with self.subTest(design=design):
                path = os.path.join(V4, design, "arch.yaml")
                out, doc, err = self.convert(path)
                comps, pes = v4_expectations(path)
                storage = [lv for lv in doc["levels"] if lv["kind"] == "storage"]
                fanouts = [lv for lv in doc["levels"] if lv["kind"] == "fanout"]
                self.assertEqual(doc["levels"][0]["kind"], "dram")
                self.assertEqual(len(storage), len({c["group"] for c in comps}))
                prod = 1
                for f in fanouts:
                    prod *= f["rows"] * f["cols"]
                self.assertEqual(prod, pes)
                by_name = {c["name"]: c for c in comps}
                seen = []
                for level in storage:
                    for tensors, words, kib, comp in partitions(level):
                        bits = words * doc["word_bits"] if words is not None else kib * 8192
                        self.assertEqual(bits, by_name[comp]["bits"], comp)
                        if by_name[comp]["keep"] is not None:
                            self.assertEqual(tensors, by_name[comp]["keep"], comp)
                        seen.append(comp)
                self.assertEqual(seen, [c["name"] for c in comps])
                self.assertDfsimReads(out, doc)
                if design == "simba_like":
                    self.assertIn("inputs cross the fan-outs distributed_buffers_noc and "
                                  "reg_mac_noc", err)
                else:
                    self.assertEqual(err, "")

    def test_eyeriss_v4_spads_and_widths(self):
        """eyeriss_like: the three spads are the three partitions of one level (ifmap 12 x 16
        bits = 24 8-bit words, weights 192 x 16 = 384, psum 16 x 16 = 32 words = 16 16-bit
        psums), one 12x14 fan-out from PE_column (meshX 14) and PE (meshY 12), 8-bit weights and
        inputs, 16-bit outputs at the spads and 8-bit ones above."""
        out, doc, _ = self.convert(os.path.join(V4, "eyeriss_like", "arch.yaml"))
        self.assertEqual(doc["word_bits"], 8)
        self.assertEqual(doc["tensor_bits"], {"weights": 8, "inputs": 8, "outputs": 16})
        kinds = [(lv["kind"], lv.get("rows"), lv.get("cols")) for lv in doc["levels"]]
        self.assertEqual(kinds, [("dram", None, None), ("storage", None, None),
                                 ("fanout", 12, 14), ("storage", None, None)])
        spads = doc["levels"][3]
        self.assertEqual([(p["tensors"], p["words"]) for p in spads["partitions"]],
                         [(["inputs"], 24), (["weights"], 384), (["outputs"], 32)])
        self.assertNotIn("read_words_per_cycle", spads)
        glb = doc["levels"][1]
        self.assertEqual(glb["partitions"][0]["tensors"], ["inputs", "outputs"])
        self.assertEqual((glb["read_words_per_cycle"], glb["write_words_per_cycle"]), (16, 16))
        self.assertEqual(glb["tensor_bits"], {"weights": 8, "inputs": 8, "outputs": 8})
        dumped = self.assertDfsimReads(out, doc)
        self.assertEqual(dumped[3]["tensor_bits"], {"weights": 8, "inputs": 8, "outputs": 16})

    def test_v03_tree(self):
        """The v0.3 tree: instances from the name ranges (DummyBuffer[0..13], PE[0..167]) and
        meshX 14. With its constraints the DummyBuffer keeps nothing, so its two fan-outs are one
        of 12x14, the spads are one level of three partitions; every on-chip level has
        halo_reuse (Timeloop moves only what a new tile lacks), so the arch runs on the
        hierarchy engine, and with --no-halo-reuse it is the 4-level instance (it runs with the
        default 4-level energy table); without the constraints every component keeps
        everything: eight levels."""
        with open(V03_ARCH) as f:
            tree = yaml.safe_load(f)["architecture"]["subtree"][0]
        eyeriss = tree["subtree"][0]
        pe = eyeriss["subtree"][0]
        n_dummy = 14
        n_pe = 168
        mesh_x = pe["local"][0]["attributes"]["meshX"]
        out, doc, _ = self.convert(V03_ARCH, "--constraints", V03_CONS)
        names = [(lv["name"], lv["kind"]) for lv in doc["levels"]]
        self.assertEqual(names, [("dram", "dram"), ("shared_glb", "storage"),
                                 ("pe_noc", "fanout"), ("spads", "storage")])
        self.assertEqual((doc["levels"][2]["rows"], doc["levels"][2]["cols"]),
                         (n_pe // mesh_x, mesh_x))
        self.assertIn("DummyBuffer[0..13]", doc["notes"])
        glb = eyeriss["local"][0]["attributes"]
        self.assertEqual(doc["levels"][1]["partitions"][0]["words"],
                         glb["memory_depth"] * glb["block-size"])
        spads = {p["tensors"][0]: p["words"] for p in doc["levels"][3]["partitions"]}
        self.assertEqual(spads, {"inputs": pe["local"][0]["attributes"]["memory_depth"],
                                 "weights": pe["local"][1]["attributes"]["memory_depth"],
                                 "outputs": pe["local"][2]["attributes"]["memory_depth"]})
        self.assertDfsimReads(out, doc)
        storage = [lv for lv in doc["levels"] if lv["kind"] == "storage"]
        self.assertEqual([lv["halo_reuse"] for lv in storage], [True, True])
        for lv in storage:
            self.assertIn("Timeloop moves only the part of a new tile", lv["notes"])
        # Still the 4-level instance (its legacy fields carry halo_reuse): the 4-level table
        # prices it, and the resolved arch says halo_reuse at both on-chip levels.
        proc = dfsim("run", "--arch", out, "--network", TINY, "--dataflow", "ws", "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = dfsim("run", "--arch", out, "--network", TINY, "--dump-config")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        resolved = json.loads(proc.stdout)["arch"]["levels"]
        self.assertEqual([lv.get("halo_reuse") for lv in resolved if lv["kind"] == "storage"],
                         [True, True])
        out, doc, _ = self.convert(V03_ARCH, "--constraints", V03_CONS, "--no-halo-reuse")
        self.assertEqual([lv.get("halo_reuse") for lv in doc["levels"]
                          if lv["kind"] == "storage"], [False, False])
        proc = dfsim("run", "--arch", out, "--network", TINY, "--dataflow", "ws", "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)

        out, doc, _ = self.convert(V03_ARCH)
        fans = [(lv["rows"], lv["cols"]) for lv in doc["levels"] if lv["kind"] == "fanout"]
        self.assertEqual(fans, [(1, n_dummy), (n_pe // n_dummy // (mesh_x // n_dummy),
                                               mesh_x // n_dummy)])
        self.assertEqual(len(doc["levels"]), 8)
        self.assertDfsimReads(out, doc)


def ert_entry(path, component_leaf, action):
    """The energy of `action` of the ERT component with that leaf name: its plain entry, or the
    one whose arguments are all 1 (read here from the YAML, not by the importer)."""
    with open(path) as f:
        doc = yaml.safe_load(f)
    root = doc.get("ERT") or doc.get("ERT_summary")
    tables = root.get("tables") or root.get("table_summary")
    for t in tables:
        if re.sub(r"\[[^\]]*\]", "", t["name"]).split(".")[-1] != component_leaf:
            continue
        entries = [a for a in t["actions"] if a["name"] == action]
        if len(entries) == 1:
            a = entries[0]
            return a.get("energy", a.get("max_energy"))
        ones = [a for a in entries if all(v == 1 for v in (a.get("arguments") or {}).values())]
        return ones[0]["energy"]
    raise AssertionError(f"no {component_leaf} in {path}")


@unittest.skipUnless(os.path.isdir(TL), f"no peer files at {TL} (set DFSIM_SHARED_DIR)")
class PeerErtTest(ImporterTest):
    def pairs(self):
        """(ERT file, Timeloop arch argv) for the 10 ERTs of peer-files."""
        out = []
        for design in DESIGNS:
            ref = os.path.join(V4, design, "ref_outputs", "default_problem")
            for kind in ("ERT", "ERT_summary"):
                out.append((os.path.join(ref, f"timeloop-mapper.{kind}.yaml"),
                            [os.path.join(V4, design, "arch.yaml")], design))
        for kind in ("ERT", "ERT_summary"):
            out.append((os.path.join(V03_OUT, f"timeloop-mapper.{kind}.yaml"),
                        [V03_ARCH, "--constraints", V03_CONS], "v03"))
        return out

    def test_every_ert_imports_with_its_arch(self):
        """All 10 ERTs import with --arch (no --map); one entry per level; the spads, GLB, DRAM
        and MAC costs equal the ERT's entries; dfsim reads each pair and runs the 4-level one."""
        pairs = self.pairs()
        self.assertEqual(len(pairs), 10)
        for ert, arch_argv, design in pairs:
            with self.subTest(ert=os.path.relpath(ert, TL)):
                arch = os.path.join(self.tmp, f"{design}.json")
                code, _, err = in_process(timeloop_arch.main, [*arch_argv, "-o", arch], PROG)
                self.assertEqual(code, 0, err)
                with open(arch) as f:
                    levels = json.load(f)["levels"]
                code, out, err = in_process(accelergy_ert.main, [ert, "--arch", arch], ERT_PROG)
                self.assertEqual((code, err), (0, ""))
                table = json.loads(out)
                self.assertEqual(sorted(table["levels"]), sorted(lv["name"] for lv in levels))
                self.assertEqual(table["unit"], "pJ")
                t = table["levels"]
                self.assertEqual(t["dram"]["read"], ert_entry(ert, "DRAM", "read"))
                mac_action = "mac_random" if design == "v03" else "compute"
                self.assertEqual(table["mac"], ert_entry(ert, "mac", mac_action))
                if design in ("eyeriss_like", "v03"):
                    spads = t["spads"]
                    for comp, tensor in (("ifmap_spad", "inputs"), ("weights_spad", "weights"),
                                         ("psum_spad", "outputs")):
                        self.assertEqual(spads[tensor]["read"], ert_entry(ert, comp, "read"))
                        self.assertEqual(spads[tensor]["write"], ert_entry(ert, comp, "write"))
                    self.assertEqual(t["shared_glb"]["inputs"]["read"],
                                     ert_entry(ert, "shared_glb", "read"))
                    self.assertEqual(t["pe_noc"], {"per_word": 0})
                if design == "simba_like":
                    self.assertEqual(t["buffers"]["weights"]["read"],
                                     ert_entry(ert, "PEWeightBuffer", "read"))
                    self.assertEqual(t["buffers"]["outputs"]["write"],
                                     ert_entry(ert, "PEAccuBuffer", "write"))
                    self.assertEqual(t["pe_input_buffer"]["inputs"]["read"],
                                     ert_entry(ert, "PEInputBuffer", "read"))
                if design.startswith("simple"):
                    def cost(level, tensor, action):
                        return t[level].get(tensor, t[level])[action]
                    for comp, tensor in (("weight_reg", "weights"),
                                         ("input_activation_reg", "inputs"),
                                         ("output_activation_reg", "outputs")):
                        self.assertEqual(cost("regs", tensor, "read"),
                                         ert_entry(ert, comp, "read"))
                    kept = "outputs" if "output" in design else "weights"
                    self.assertEqual(cost("pe_spad", kept, "write"),
                                     ert_entry(ert, "pe_spad", "write"))
                energy = self.write(f"{design}.energy.json", out)
                proc = dfsim("run", "--arch", arch, "--energy", energy, "--network", TINY,
                             "--dump-config")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                if design == "v03":
                    proc = dfsim("run", "--arch", arch, "--energy", energy, "--network", TINY,
                                 "--dataflow", "ws", "--quiet")
                    self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_ert_arch_errors(self):
        """--map is refused with --arch; a partition naming a component the ERT lacks, and an ERT
        component no level came from, are refused naming them."""
        ert, arch_argv, design = self.pairs()[0]
        arch = os.path.join(self.tmp, "a.json")
        self.assertEqual(in_process(timeloop_arch.main, [*arch_argv, "-o", arch], PROG)[0], 0)
        code, out, err = in_process(accelergy_ert.main,
                                    [ert, "--arch", arch, "--map", "mac=mac:compute"], ERT_PROG)
        self.assertEqual(code, 2)
        self.assertIn("--map: not with --arch", err)
        with open(arch) as f:
            doc = json.load(f)
        doc["levels"][3]["partitions"][0]["notes"] = "component nosuch_spad (x): made up"
        bad = self.write("bad.json", json.dumps(doc))
        code, out, err = in_process(accelergy_ert.main, [ert, "--arch", bad], ERT_PROG)
        self.assertBadInput(code, err, ERT_PROG, ert, "no component 'nosuch_spad'",
                            "arch.levels[3].partitions[0]")
        del doc["levels"][3]["partitions"][0]
        doc["levels"][3]["partitions"][0]["notes"] = "component weights_spad (x): made up"
        fewer = self.write("fewer.json", json.dumps(doc))
        code, out, err = in_process(accelergy_ert.main, [ert, "--arch", fewer], ERT_PROG)
        self.assertBadInput(code, err, ERT_PROG, ert, "ifmap_spad[1..168]' prices nothing",
                            "--ignore ifmap_spad")


V4_HEAD = """\
architecture:
  version: 0.4
  nodes:
  - !Container {name: system, attributes: {datawidth: 8}}
  - !Component {name: DRAM, class: DRAM, attributes: {width: 64}}
"""


class RefusalTest(ImporterTest):
    def refused(self, text, *what, name="arch.yaml", argv=()):
        path = self.write(name, text)
        code, out, err = in_process(timeloop_arch.main, [path, *argv], PROG)
        self.assertEqual(out, "")
        self.assertBadInput(code, err, PROG, path, *what)

    def test_refusals(self):
        """Each inexpressible construct is one line naming the YAML path and what is wrong."""
        self.refused(V4_HEAD + "  - !Component {name: glb, class: SRAM, attributes: {width: 64}}\n"
                     "  - !Component {name: mac, class: intmac}\n",
                     "architecture.nodes[2].attributes.depth", "component 'glb'", "no depth")
        self.refused(V4_HEAD + "  - !Parallel\n    nodes:\n"
                     "    - !Component {name: a, class: regfile, attributes: {depth: 4, width: 8},"
                     " constraints: {dataspace: {keep: [Inputs, Weights]}}}\n"
                     "    - !Component {name: b, class: regfile, attributes: {depth: 4, width: 8},"
                     " constraints: {dataspace: {keep: [Inputs]}}}\n",
                     "architecture.nodes[2]", "a and b both keep inputs")
        self.refused(V4_HEAD + "  - !Component {name: g, class: SRAM, attributes: {depth: 4, "
                     "width: 8}, constraints: {dataspace: {keep: [Psums]}}}\n",
                     "architecture.nodes[2].constraints.dataspace.keep", "'Psums'")
        self.refused(V4_HEAD + "  - !Component {name: g, class: SRAM, attributes: {depth: 4, "
                     "width: 8, read_bandwidth: 0.5}}\n  - !Container {name: pe, spatial: "
                     "{meshX: 2}}\n  - !Component {name: r, class: regfile, attributes: "
                     "{depth: 1, width: 8}}\n",
                     "architecture.nodes[2].attributes.read_bandwidth", "whole")
        self.refused(V4_HEAD + "  - !Component {name: DRAM2, class: DRAM, attributes: {depth: 4, "
                     "width: 8}}\n", "architecture.nodes[2]", "a DRAM ('DRAM2') below")
        self.refused("architecture:\n  version: 0.3\n  subtree:\n  - name: sys\n    local:\n"
                     "    - {name: DRAM, class: DRAM, attributes: {word-bits: 8}}\n"
                     "    subtree:\n    - {name: a, local: []}\n    - {name: b, local: []}\n",
                     "architecture.subtree[0].subtree", "2 subtrees side by side")
        self.refused("architecture:\n  version: 0.3\n  subtree:\n  - name: sys\n    local:\n"
                     "    - {name: DRAM, class: DRAM, attributes: {word-bits: 8}}\n"
                     "    - {name: 'buf[0..2]', class: regfile, attributes: {depth: 4, width: 8, "
                     "word-bits: 8, meshX: 2}}\n",
                     "architecture.subtree[0].local[1].attributes.meshX", "does not divide")
        self.refused("nodes: []\n", "expected a Timeloop architecture")

    def test_small_tree_with_mac_fanout(self):
        """A fan-out straight above the MACs (no storage below it) gets a 0-word innermost
        level; widths that differ by tensor give tensor_bits; ports become the level's."""
        path = self.write("t.yaml", V4_HEAD +
                          "  - !Component {name: Buf, class: SRAM, attributes: {depth: 64, width: "
                          "32, read_bandwidth: 4, multiple_buffering: 2}}\n"
                          "  - !Container {name: PE, spatial: {meshX: 4, meshY: 2}}\n"
                          "  - !Component {name: mac, class: intmac}\n")
        code, out, err = in_process(timeloop_arch.main, [path], PROG)
        self.assertEqual((code, err), (0, ""))
        doc = json.loads(out)
        self.assertEqual([(lv["name"], lv["kind"]) for lv in doc["levels"]],
                         [("dram", "dram"), ("buf", "storage"), ("pe_noc", "fanout"),
                          ("mac", "storage")])
        self.assertEqual(doc["levels"][1]["words"], 64 * 32 // 8)
        self.assertEqual(doc["levels"][1]["read_words_per_cycle"], 4)
        self.assertTrue(doc["levels"][1]["double_buffered"])
        self.assertEqual((doc["levels"][2]["rows"], doc["levels"][2]["cols"]), (2, 4))
        self.assertEqual(doc["levels"][3]["words"], 0)
        arch = self.write("t.json", out)
        proc = dfsim("run", "--arch", arch, "--network", TINY, "--dump-config",
                     "--set", "energy.word_bits=8")
        self.assertEqual(proc.returncode, 0, proc.stderr)


if __name__ == "__main__":
    unittest.main()
