"""Writes the validation report: our dataflow comparison beside the ISCA 2016 claims.

Reads the summary.json that scripts/compare wrote (default results/compare/summary.json) and
writes docs/validation.md (--report), copying the charts it links into img/ next to the report.
Each published claim of Chen, Emer and Sze, ISCA 2016 (shared/reference/eyeriss.md section 4)
gets our figure, a verdict (agrees / differs) by a rule stated in the report, and for every
difference the model's documented assumptions (README, "The model and what it assumes") that
act where the gap sits. Nothing here is tuned to match: the report says what the runs say.

The report is deterministic (no dates or absolute paths) and is regenerated only by this
script: /usr/bin/python3 scripts/validation_report.py [--results DIR] [--report FILE].
"""

import argparse
import json
import os
import shutil
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LEVELS = [("alu", "ALU"), ("rf", "RF"), ("noc", "NoC"), ("glb", "GLB"), ("dram", "DRAM"),
          ("leakage", "leakage")]
TYPES = [("weights", "weights"), ("inputs", "ifmaps"), ("outputs", "psums")]

# The published claims [ISCA16], as shared/reference/eyeriss.md section 4 words them.
CLAIM_CONV = ("In CONV layers RS is 1.4x to 2.5x more energy efficient than the other "
              "dataflows.")
CLAIM_FC = "In FC layers RS is at least 1.3x more energy efficient at batch 16 or more."
CLAIM_SHARE = "CONV layers take about 80% of AlexNet's energy."
CONV_RANGE = (1.4, 2.5)
FC_MIN, FC_MIN_BATCH = 1.3, 16
SHARE, SHARE_TOLERANCE = 0.80, 0.05
SHARE_BATCH = 16

# The model's documented assumptions (README, "The model and what it assumes"): a name, what
# the model does, and how it can move this comparison. `levels` are the energy levels it acts
# on; `groups` the layer groups it can affect.
ASSUMPTIONS = {
    "halo": {
        "short": "sliding-window (halo) reuse is on in these runs (the default) at GLB and RF: "
                 "a new tile of ifmaps keeps the rows and columns it shares with the previous "
                 "one, and the searches score that; but there is no PE-to-PE forwarding (the "
                 "paper's RS also reuses ifmap rows diagonally across PEs), so ifmaps an RS "
                 "neighbour holds still come through the NoC. Acts on CONV ifmap energy; no "
                 "effect on FC.",
        "name": "Halo reuse within a level, no PE-to-PE forwarding",
        "levels": {"rf", "noc", "glb", "dram"}, "groups": {"CONV"},
        "text": "dfsim models halo reuse at a storage level (README, counting rules, 'Halo "
                "reuse': a new tile of ifmaps or weights keeps the words it shares with the tile "
                "it replaces and fetches only the others), on by default and in these runs at "
                "the GLB and in the RF, and the mapping searches score it. What it does not "
                "model is PE-to-PE forwarding, by which the paper's RS passes ifmap rows "
                "diagonally from PE to PE (README, 'Not modelled'): a row that a neighbouring "
                "PE holds is fetched again from the GLB over the NoC, which charges RS (and any "
                "dataflow that would forward) more NoC and GLB ifmap energy than the paper's "
                "model does. The section 'What sliding-window reuse is worth' re-prices the "
                "same searched mappings without halo reuse (every tile fetched whole, the model "
                "before it). FC layers have no windows and are not affected.",
    },
    "factorisation": {
        "short": "ragged tiles are allowed at the array and above, but a PE's RF tile must "
                 "divide each dimension (AlexNet's 55, 27, 13 and 11, 5, 3), which limits RF "
                 "tile shapes for every dataflow; no fixed sign on a ratio.",
        "name": "Ragged tiles above the RF only",
        "levels": {"alu", "rf", "noc", "glb", "dram"}, "groups": {"CONV", "FC"},
        "text": "spatial, GLB and DRAM factors need not divide what is left of their dimension "
                "(the last tile is smaller, README 'Ragged tiles'), but the RF loops' extent "
                "over a dimension divides it, so AlexNet's ofmap sizes 55, 27 and 13 and filter "
                "sizes 11, 5 and 3 decide which RF tiles exist, and ragged edges idle some PEs "
                "on some steps (the mean active PEs in the metrics table). It applies to every "
                "dataflow, so its effect on a ratio has no fixed sign.",
    },
    "search": {
        "short": "spatial choices, the (spatial, RF) pairs given every GLB choice and three loop "
                 "orders above the GLB bound the search; a missed mapping raises that "
                 "dataflow's energy, so a ratio can move either way.",
        "name": "Search space limits",
        "levels": {"rf", "noc", "glb", "dram"}, "groups": {"CONV", "FC"},
        "text": "the mapper tries, per layer and dataflow, the spatial factors that use at "
                "least half the most PEs (at most 12 choices), every RF factor choice that "
                "fits, every GLB choice (up to 4,000) for the best (spatial, RF) pairs (at "
                "least 8, more while fewer than 200,000 candidates have been scored) and only "
                "three loop orders above the GLB (README, mapper search); the paper's "
                "framework searched its own, much smaller space of mapping variables. A mapping "
                "the search misses can only raise that dataflow's energy, so each of our "
                "figures bounds its dataflow from above under our cost model, and a ratio can "
                "move either way.",
    },
    "latch": {
        "short": "streamed weights and ifmaps of WS and OS (and all of NLR's operands) pay an "
                 "array word per MAC but no RF access, which is what the ISCA 2016 framework "
                 "charges too (bar NLR's weights, which it carries to the PEs for free and "
                 "paper mode prices so), so it is not a cause of a gap.",
        "name": "The latch accounting",
        "levels": {"rf", "noc"}, "groups": {"CONV", "FC"},
        "text": "a tensor the RF does not keep (WS's ifmaps and psums, the OS variants' "
                "weights and, except OS_A, ifmaps, everything in NLR) is delivered for every "
                "MAC into a one-word latch that is not an RF access; the delivery costs an "
                "array (NoC) word, multicast counts one delivery per receiving PE, and streamed "
                "psums are reduced in the array (README, counting rules). The paper's own "
                "analysis framework (ominux/eyeriss-dataflow, read in "
                "docs/design/isca16_framework.md, section 3) charges the same: its WS counts "
                "one RF read per MAC for the stationary weight and one array transfer per MAC "
                "for the streamed ifmap, its output-stationary flows count RF accesses for "
                "psums only, and its NLR none at all (nor an array transfer for NLR's weights: "
                "each MAC's weight is one GLB read, so paper mode counts the NoC delivery but "
                "prices it at 0, where free mode charges the NoC word); the reuse formula of "
                "the paper (an input "
                "used a*b*c*d times costs a*b*c*d RF accesses) applies where the RF keeps the "
                "operand. An earlier version of this report bounded what one RF read per "
                "streamed use would change; the framework settles the question: our latch "
                "accounting is the paper's, and the gaps come from elsewhere (see 'The "
                "published claims against paper mode').",
    },
    "presets": {
        "short": "the GLB sizes of the equal-area table (see Setup; RS has the "
                 "smallest) decide how much reuse stays on chip and so move GLB and DRAM "
                 "energy; unlimited bandwidth makes time free, which moves cycles only.",
        "name": "Equal-area presets with unlimited bandwidth",
        "levels": {"glb", "dram"}, "groups": {"CONV", "FC"},
        "text": "each dataflow runs on its own configs/arch/isca16 preset: 16x16 PEs, the RF "
                "per PE and GLB of the paper's equal-area table (RS 512 B RF and 128 KiB GLB; "
                "WS and OS_C 2 B and 334.3 KiB; NLR no RF and 338.3 KiB), every bandwidth "
                "unlimited and every latency 0, as the paper's latency-hiding assumption; our "
                "own choices are a GLB that is not double buffered, one bank and a multicast "
                "NoC. The GLB size decides how much reuse stays on chip, so it moves GLB and "
                "DRAM energy; the dataflows with tiny RFs get the largest GLBs. "
                "Since time is free, an energy-optimal mapping may use few PEs (see cycles "
                "and active PEs in the metrics): that changes cycles, not energy.",
    },
    "psums": {
        "short": "our mappings may send partial sums back to DRAM and read them again; the paper "
                 "assumes ofmap writes only. This raises DRAM energy of the dataflow that does it.",
        "name": "Partial sums may go back to DRAM",
        "levels": {"dram"}, "groups": {"CONV", "FC"},
        "text": "the paper assumes DRAM writes are ofmaps only (no psum spills); our counting "
                "rules let a mapping revisit an output tile from DRAM, which reads its partial "
                "sums back and writes them again (README, counting rules: 'a visit of an "
                "output tile that was visited before first brings its partial sums back'; "
                "'DRAM holds everything'). The metrics table lists these reads per run.",
    },
}


class ReportError(Exception):
    pass


def display_path(path):
    path = os.path.abspath(path)
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def fx(x, digits=2):
    return f"{x:.{digits}f}"


def pct(x):
    return f"{100 * x:.1f}%"


def and_list(items):
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def round_like_claim(x):
    """Ratios are published with one decimal: compare at that precision."""
    return round(x + 1e-12, 1)


def conv_ok(ratio):
    return CONV_RANGE[0] <= round_like_claim(ratio) <= CONV_RANGE[1]


def fc_ok(ratio):
    return round_like_claim(ratio) >= FC_MIN


class Data:
    """Indexes summary.json by (group, batch, dataflow)."""

    def __init__(self, summary):
        self.s = summary
        self.setup = summary["setup"]
        self.dataflows = self.setup["dataflows"]
        self.ref = self.setup["reference_dataflow"]
        self.others = [d for d in self.dataflows if d != self.ref]
        self.level = {(r["group"], r["batch"], r["dataflow"]): r
                      for r in summary["energy_by_level"]}
        self.type = {(r["group"], r["batch"], r["dataflow"]): r
                     for r in summary["energy_by_type"]}
        self.metrics = {(r["group"], r["batch"], r["dataflow"]): r for r in summary["metrics"]}
        self.winners = {(w["group"], w["batch"]): w for w in summary["winners"]}
        self.batches = {g: list(b) for g, b in self.setup["batches"].items()}
        self.costs = energy_costs(self.setup.get("energy_table", ""))
        self.accesses = {(r["group"], r["batch"], r["dataflow"]): r
                         for r in summary.get("accesses", [])}
        self.glb_kib = {df: k for df, k in ((df, glb_kib(p))
                                            for df, p in self.setup["arch"].items())
                        if k is not None}
        self.level_keys = [k for k, _ in LEVELS
                           if any(f"{k}_per_mac" in r for r in summary["energy_by_level"])]
        self.halo = summary.get("halo_what_if")
        if self.halo and "no_halo_reuse" not in self.halo.get("settings", {}):
            self.halo = None  # an older what-if (runs without halo reuse, priced with it)
        self.halo_rows = ({(r["group"], r["batch"], r["dataflow"]): r
                           for r in self.halo["rows"]} if self.halo else {})
        # Points the rules cannot map (scripts/compare: summary.json "unmapped"): their
        # layers, each with the constraint it breaks.
        self.unmapped = {(u["group"], u["batch"], u["dataflow"]): u["layers"]
                         for u in summary.get("unmapped", [])}

    def others_at(self, group, batch):
        """The other dataflows (not RS) that map every layer of the group at `batch`."""
        return [df for df in self.others if (group, batch, df) in self.level]

    def ratio(self, group, batch, df):
        """df's total energy per MAC over RS's, same group and batch."""
        return self.level[(group, batch, df)]["total_vs_rs"]

    def per_mac(self, group, batch, df, key="total"):
        return self.level[(group, batch, df)][f"{key}_per_mac"]


def read_arch(path):
    """An arch file as a dict (path relative to the root unless absolute), None when it cannot
    be read."""
    try:
        with open(path if os.path.isabs(path) else os.path.join(ROOT, path),
                  encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def glb_kib(path):
    """Total GLB KiB of an arch file, None when it cannot be read."""
    try:
        glb = read_arch(path)["glb"]
        if "partitions" in glb:
            return sum(p["size_kib"] for p in glb["partitions"])
        return glb["size_kib"]
    except (KeyError, TypeError):
        return None


def energy_costs(path):
    """Costs per action of the energy table the runs used, {} when it cannot be read."""
    try:
        with open(path if os.path.isabs(path) else os.path.join(ROOT, path),
                  encoding="utf-8") as f:
            t = json.load(f)
        return {"dram_read": t["dram"]["read"], "glb_read": t["glb"]["read"],
                "noc": t["noc"]["per_word"], "rf_read": t["rf"]["read"], "mac": t["mac"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# ----------------------------------------------------------------------------------------------
# Claims

def unmapped_note(d, group, batches):
    """'' when every dataflow maps every point of `group` at `batches`; else a sentence naming
    the points the rules cannot map (those batches' verdicts cover the dataflows that map)."""
    gone = [(b, df) for b in batches for df in d.others if (group, b, df) in d.unmapped]
    if not gone:
        return ""
    parts = [f"{df} at batch {b} ({and_list([u['layer'] for u in d.unmapped[(group, b, df)]])})"
             for b, df in gone]
    return (f"; no legal mapping under these rules for {and_list(parts)}, so "
            f"{'that point is' if len(gone) == 1 else 'those points are'} left out")


def claim_conv(d):
    batches = d.batches.get("CONV", [])
    if not batches:
        return {"claim": CLAIM_CONV, "ours": "no CONV runs in this summary",
                "verdict": "not evaluated", "details": [], "outside": []}
    ratios = [(b, df, d.ratio("CONV", b, df)) for b in batches for df in d.others_at("CONV", b)]
    lo = min(ratios, key=lambda x: x[2])
    hi = max(ratios, key=lambda x: x[2])
    outside = [x for x in ratios if not conv_ok(x[2])]
    losses = [x for x in ratios if x[2] < 1.0]
    ours = (f"RS is {fx(lo[2])}x ({lo[1]}, batch {lo[0]}) to {fx(hi[2])}x ({hi[1]}, batch "
            f"{hi[0]}) more energy efficient")
    if losses:
        ours = ("RS does not win everywhere: " + ", ".join(
            f"{df} uses {fx(r)}x RS's energy at batch {b}" for b, df, r in losses)
            + f"; otherwise up to {fx(hi[2])}x")
    per_batch = []
    for b in batches:
        rs = [(df, d.ratio("CONV", b, df)) for df in d.others_at("CONV", b)]
        per_batch.append(f"batch {b}: {fx(min(r for _, r in rs))}x to "
                         f"{fx(max(r for _, r in rs))}x")
    return {"claim": CLAIM_CONV,
            "ours": ours + " (" + "; ".join(per_batch) + ")" + unmapped_note(d, "CONV", batches),
            "verdict": "agrees" if not outside else "differs", "outside": outside,
            "rule": f"agrees when every other dataflow's CONV energy per MAC, over RS's, lies "
                    f"in {CONV_RANGE[0]}x to {CONV_RANGE[1]}x at every CONV batch, after "
                    f"rounding to one decimal as the claim does"}


def claim_fc(d):
    batches = [b for b in d.batches.get("FC", []) if b >= FC_MIN_BATCH]
    if not batches:
        return {"claim": CLAIM_FC, "ours": f"no FC runs at batch {FC_MIN_BATCH} or more",
                "verdict": "not evaluated", "outside": []}
    ratios = [(b, df, d.ratio("FC", b, df)) for b in batches for df in d.others_at("FC", b)]
    outside = [x for x in ratios if not fc_ok(x[2])]
    parts = []
    for b in batches:
        low = min(((df, d.ratio("FC", b, df)) for df in d.others_at("FC", b)),
                  key=lambda x: x[1])
        if low[1] >= 1.0:
            parts.append(f"batch {b}: RS is at least {fx(low[1])}x more efficient (closest: "
                         f"{low[0]})")
        else:
            parts.append(f"batch {b}: RS loses, {low[0]} uses {fx(low[1])}x RS's energy")
    return {"claim": CLAIM_FC, "ours": "; ".join(parts) + unmapped_note(d, "FC", batches),
            "verdict": "agrees" if not outside else "differs", "outside": outside,
            "rule": f"agrees when, at every FC batch of {FC_MIN_BATCH} or more, every other "
                    f"dataflow's FC energy per MAC over RS's is at least {FC_MIN}x after "
                    f"rounding to one decimal"}


def share_at(d, conv_batch, fc_batch):
    """CONV share of RS's energy per image (a run's energy over its batch)."""
    conv = d.level[("CONV", conv_batch, d.ref)]["energy_total"] / conv_batch
    fc = d.level[("FC", fc_batch, d.ref)]["energy_total"] / fc_batch
    return conv / (conv + fc)


def claim_share(d):
    cb, fb = d.batches.get("CONV", []), d.batches.get("FC", [])
    if not cb or not fb:
        return {"claim": CLAIM_SHARE, "ours": "needs RS runs of both CONV and FC layers",
                "verdict": "not evaluated", "others": []}
    common = [b for b in cb if b in fb]
    if SHARE_BATCH in common:
        conv_b = fc_b = SHARE_BATCH
    elif common:
        conv_b = fc_b = common[0]
    else:
        conv_b, fc_b = min(cb), min(fb)
    share = share_at(d, conv_b, fc_b)
    where = (f"RS, batch {conv_b} for both groups" if conv_b == fc_b else
             f"RS, CONV at batch {conv_b} and FC at batch {fc_b}, energy per image")
    others = [(b, share_at(d, b, b)) for b in common if b != conv_b]
    ours = f"{pct(share)} ({where})"
    if others:
        ours += "; " + "; ".join(f"{pct(s)} at batch {b}" for b, s in others)
    ok = abs(share - SHARE) <= SHARE_TOLERANCE + 1e-12
    return {"claim": CLAIM_SHARE, "ours": ours, "verdict": "agrees" if ok else "differs",
            "share": share, "conv_batch": conv_b, "fc_batch": fc_b, "others": others,
            "rule": f"agrees when our CONV share is within {round(SHARE_TOLERANCE * 100)} "
                    f"percentage points of {round(SHARE * 100)}% ('about'); the share is CONV "
                    f"energy over CONV + FC energy of the RS runs, per image"}


# ----------------------------------------------------------------------------------------------
# Where a gap sits, and which assumptions act there

def gap_rows(d, group, batch, df):
    """Per-level and per-type energy per MAC of df minus RS's."""
    lv = {k: d.level[(group, batch, df)][f"{k}_per_mac"]
          - d.level[(group, batch, d.ref)][f"{k}_per_mac"] for k in d.level_keys}
    ty = {k: d.type[(group, batch, df)][f"{k}_per_mac"]
          - d.type[(group, batch, d.ref)][f"{k}_per_mac"] for k, _ in TYPES}
    return lv, ty


def gap_table(d, group, entries):
    """A markdown table: for each (batch, df) entry, totals and the gap by level and type."""
    lv_names = [n for k, n in LEVELS if k in d.level_keys]
    head = (["batch", "dataflow", "vs RS", "energy/MAC", "RS energy/MAC"]
            + [f"Δ {n}" for n in lv_names] + [f"Δ {n}" for _, n in TYPES])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b, df, r in entries:
        lv, ty = gap_rows(d, group, b, df)
        cells = [str(b), df, fx(r) + "x", fx(d.per_mac(group, b, df)),
                 fx(d.per_mac(group, b, d.ref))]
        cells += [f"{lv[k]:+.2f}" for k in d.level_keys]
        cells += [f"{ty[k]:+.2f}" for k, _ in TYPES]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def relevant_assumptions(d, group, entries):
    """Assumptions acting on a level that carries a sizeable part of some entry's gap."""
    levels = set()
    for b, df, _ in entries:
        lv, _ = gap_rows(d, group, b, df)
        scale = max(abs(v) for v in lv.values()) or 1.0
        levels |= {k for k, v in lv.items() if abs(v) >= 0.2 * scale and abs(v) >= 0.05}
    keys = []
    for key, a in ASSUMPTIONS.items():
        if group not in a["groups"]:
            continue
        if key == "psums" and not any(
                d.metrics[(group, b, df)]["dram_psum_reads"] or
                d.metrics[(group, b, d.ref)]["dram_psum_reads"] for b, df, _ in entries):
            continue
        if a["levels"] & levels or key in ("factorisation", "search"):
            keys.append(key)
    return keys, levels


# ----------------------------------------------------------------------------------------------
# Paper mode: the claims against the framework's own dataflows (scripts/compare --rules isca16)

PAPER_SECTION = "## The published claims against paper mode"
GROUP_ORDER = ["CONV", "FC"]
PAPER_PREFIX = "paper_pe"


def pe_count(path):
    """PEs of an arch file's array, None when it cannot be read."""
    try:
        pe = read_arch(path)["pe_array"]
        return pe["rows"] * pe["cols"]
    except (KeyError, TypeError):
        return None


def run_pes(d):
    """The PE count of a summary's presets (one value when they agree, else None)."""
    counts = {pe_count(p) for p in d.setup["arch"].values()}
    return counts.pop() if len(counts) == 1 else None


def restricted(d, dataflows):
    """A view of d whose 'other dataflows' are only those of `dataflows` (ratios are to RS of
    the same run, so a subset needs no renormalisation)."""
    view = Data(d.s)
    view.dataflows = [df for df in d.dataflows if df in dataflows]
    view.others = [df for df in view.dataflows if df != view.ref]
    return view


def all_claims(d):
    return [claim_conv(d), claim_fc(d), claim_share(d)]


def per_group(d, label, table):
    """For each layer group d ran: a bold `label(group)` line and `table(group)`'s lines."""
    out = []
    for group in ("CONV", "FC"):
        if group in d.batches:
            out += [f"**{label(group)}**", ""] + table(group) + [""]
    return out


def paper_level_table(p, group):
    """Energy per MAC by level of every paper-mode dataflow, one row per batch and dataflow."""
    names = [n for k, n in LEVELS if k in p.level_keys]
    head = (["batch", "dataflow"] + names + ["total", "vs RS", "active PEs", "psum reads from "
                                             "DRAM", "check"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b in p.batches.get(group, []):
        for df in p.dataflows:
            if (group, b, df) in p.unmapped:
                layers = and_list([u["layer"] for u in p.unmapped[(group, b, df)]])
                cells = [str(b), df, f"no legal mapping ({layers})"]
                cells += ["—"] * (len(head) - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                continue
            m = p.metrics[(group, b, df)]
            cells = [str(b), df] + [fx(p.per_mac(group, b, df, k)) for k in p.level_keys]
            cells += [fx(p.per_mac(group, b, df)), fx(p.ratio(group, b, df)),
                      f"{m['active_pes_mean']:.1f} of {m['total_pes']}",
                      f"{m['dram_psum_reads']:,}", m["functional_check"]]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def beyond_table(d, p, group):
    """Free mode against paper mode, same PEs, dataflows and batches: energy per MAC and the
    level where free mode saves most."""
    head = ["batch", "dataflow", "paper mode", "free mode", "free vs paper",
            "largest change (level)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = [k for k in p.level_keys if k in d.level_keys]
    for b in p.batches.get(group, []):
        if b not in d.batches.get(group, []):
            continue
        for df in p.dataflows:
            if (group, b, df) not in d.level or (group, b, df) not in p.level:
                continue
            ep, ef = p.per_mac(group, b, df), d.per_mac(group, b, df)
            delta = {k: d.per_mac(group, b, df, k) - p.per_mac(group, b, df, k) for k in keys}
            k = max(delta, key=lambda x: abs(delta[x]))
            name = dict(LEVELS)[k]
            lines.append(f"| {b} | {df} | {fx(ep)} | {fx(ef)} | {signed_pct(ef / ep - 1)} | "
                         f"{name} {delta[k]:+.2f} |")
    return lines


def paper_section(d, papers, charts, img_rel):
    """The claims per PE count against paper mode, what free mode finds beyond it, and paper
    mode's energy per MAC by level. `papers` is [(pes, Data, results_rel)] by PE count."""
    out = [PAPER_SECTION, ""]
    if not papers:
        out.append("No paper-mode results were given (`scripts/compare --rules isca16`, which "
                   "the main job `scripts/alexnet` runs into `paper_pe<PEs>/` next to "
                   "`summary.json`), so the claims are judged against free mode only.")
        out.append("")
        return out
    paper_dfs = papers[0][1].dataflows
    missing = [df for df in d.dataflows if df not in paper_dfs]
    others = [df for df in paper_dfs if df != d.ref]
    pes_list = ", ".join(str(pes) for pes, _, _ in papers)
    out.append(
        f"Paper mode (`dfsim run --rules isca16`, README 'Paper mode', "
        f"docs/design/paper_mode.md) runs each dataflow as the paper's own analysis framework "
        f"defines it: its loop nest, its mapping variables searched exhaustively for minimum "
        f"energy, what each level keeps and bypasses, ceil tiling and no partial sum ever in "
        f"DRAM, on the framework's equal-area presets (`configs/arch/isca16*`, from its area "
        f"model) at {pes_list} PEs, with the paper's batches. Free mode, above, lets the "
        f"mapper choose every level above the array; paper mode is what the paper measured.")
    out.append("")
    if missing:
        setup = papers[0][1].setup
        have = setup.get("rules_have", paper_dfs)
        unbuilt = [df for df in missing if df not in have]
        unselected = [df for df in missing if df in have]
        why = []
        if unbuilt:
            why.append(
                f"{', '.join(unbuilt)} {'has' if len(unbuilt) == 1 else 'have'} no paper rules "
                f"in the dfsim that made this summary (docs/design/paper_mode.md)")
        if unselected:
            why.append(f"{', '.join(unselected)} {'is' if len(unselected) == 1 else 'are'} in "
                       f"paper mode but not in this job (scripts/compare --dataflows)")
        out.append(
            f"**This job's paper mode covers {', '.join(paper_dfs)}.** " + "; ".join(why) +
            f". So below 'the other dataflows' of a "
            f"claim are {and_list(others)}, and each verdict covers those only. The last rows give "
            f"free mode at {run_pes(d)} PEs on the same dataflows, to separate the effect of "
            f"the rules from that of the dataflows compared.")
        out.append("")
    gone = [(pes, key, layers) for pes, p, _ in papers
            for key, layers in sorted(p.unmapped.items(),
                                      key=lambda x: (GROUP_ORDER.index(x[0][0]), x[0][1]))]
    if gone:
        out.append(
            "**Points the paper rules cannot map.** " + "; ".join(
                f"{'At' if i == 0 else 'at'} {pes} PEs, {df} on the {g} layers at batch {b}: "
                + "; ".join(
                    f"`{u['reason']}`" for u in layers)
                for i, (pes, (g, b, df), layers) in enumerate(gone)) +
            ". The constraint is the framework's own, as written (docs/design/paper_mode.md), "
            "so its search finds no valid mapping there either. Such a point has no energy: its row below says so, its chart has no bar, and "
            "the verdict of each claim at that batch covers the dataflows that map (the "
            "claim's figure names what is left out).")
        out.append("")
    if "ws" in paper_dfs:
        out.append(
            "**WS in paper mode** runs on a view with a line buffer (the framework's systolic "
            "delay line: ifmaps stream from DRAM once per group of filters, the line buffer's "
            "accesses free) whose array does not reduce the R filter rows' psums: each row's "
            "psum leaves the array and is added into the GLB (R ceil(C/r) GLB visits per "
            "output, the framework's row-delay accumulation; the arch's fan-out "
            "`unreduced_dims`), so its GLB psum counts are the framework's up to the common "
            "named differences (docs/design/paper_mode.md).")
        out.append("")
    out.append("| # | published claim [ISCA16] | PEs | our figure, paper mode | verdict |")
    out.append("|---|---|---|---|---|")
    claims_by_pes = [(pes, all_claims(p)) for pes, p, _ in papers]
    free_same = all_claims(restricted(d, paper_dfs))
    for i in range(3):
        for pes, claims in claims_by_pes:
            c = claims[i]
            out.append(f"| {i + 1} | {c['claim']} | {pes} | {c['ours']} | **{c['verdict']}** |")
        c = free_same[i]
        out.append(f"| {i + 1} | (free mode, {', '.join(paper_dfs)}) | {run_pes(d)} | "
                   f"{c['ours']} | {c['verdict']} |")
    out.append("")
    out.append("The verdicts follow the rules stated under 'The published claims beside our "
               "figures'. Per PE count, the paper-mode results are in:")
    out.append("")
    for pes, _, rel in papers:
        out.append(f"- {pes} PEs: `{rel}` (its own tables, charts and raw runs)")
    out.append("")

    same = [(pes, p) for pes, p, _ in papers if pes == run_pes(d)]
    if same:
        pes, p = same[0]
        out += [f"### What free mode finds beyond paper mode ({pes} PEs)", ""]
        out.append(
            "Energy per MAC (total) of each dataflow both modes have, on the same preset and "
            "batch; 'free vs paper' is free mode's change, and the last column the level whose "
            "energy per MAC changes most (free minus paper). Free mode may keep a tensor at a "
            "level the framework bypasses, order the loops above the GLB otherwise, spill "
            "partial sums to DRAM and choose any factor at any level; paper mode may win where "
            "its exhaustive enumeration finds what free mode's capped search misses.")
        out.append("")
        out += per_group(p, lambda g: f"{g} layers", lambda g: beyond_table(d, p, g))

    out += ["### Energy per MAC by level in paper mode", ""]
    out.append(f"In {d.setup['energy_unit']} per MAC, per PE count, group and batch; 'vs RS' is "
               f"the total over RS's; 'active PEs' is the MAC-weighted mean; 'check' says which "
               f"runs compared every output with the reference (batch 1 at 256 PEs; the main "
               f"job runs the larger arrays' batch 1 --fast, the same counts).")
    out.append("")
    for pes, p, _ in papers:
        out += per_group(p, lambda g, n=pes: f"{n} PEs, {g} layers",
                         lambda g, q=p: paper_level_table(q, g))
    for pes, _, _ in papers:
        for key, title in [("energy_by_level_conv", "CONV layers, energy per MAC by level"),
                           ("energy_by_level_fc", "FC layers, energy per MAC by level")]:
            name = f"{PAPER_PREFIX}{pes}_{key}"
            if name in charts:
                out.append(f"![Paper mode, {pes} PEs: {title}]({img_rel}/{charts[name]})")
                out.append("")
    return out


# ----------------------------------------------------------------------------------------------
# The report

def normalized_table(d, group):
    head = ["batch"] + d.dataflows + ["RS energy/MAC", "best", "2nd best / best"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b in d.batches.get(group, []):
        w = d.winners[(group, b)]
        cells = [str(b)]
        for df in d.dataflows:
            v = fx(d.ratio(group, b, df))
            cells.append(f"**{v}**" if df == w["best"] else v)
        cells += [fx(d.per_mac(group, b, d.ref), 3), w["best"],
                  f"{fx(w['ratio_second_to_best'])}x ({w['second']})"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def level_table(d, group, batch):
    names = [n for k, n in LEVELS if k in d.level_keys]
    head = ["dataflow"] + names + ["total", "vs RS", "DRAM acc/MAC", "psum reads from DRAM",
                                   "active PEs", "cycles", "check"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for df in d.dataflows:
        m = d.metrics[(group, batch, df)]
        cells = [df] + [fx(d.per_mac(group, batch, df, k)) for k in d.level_keys]
        cells += [fx(d.per_mac(group, batch, df)), fx(d.ratio(group, batch, df)),
                  f"{m['dram_accesses_per_mac']:.4f}", f"{m['dram_psum_reads']:,}",
                  f"{m['active_pes_mean']:.1f}", f"{m['cycles']:,}", m["functional_check"]]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def winners_lines(d):
    out = []
    for group in ("CONV", "FC"):
        for b in d.batches.get(group, []):
            w = d.winners[(group, b)]
            others = sorted(((d.ratio(group, b, df), df) for df in d.dataflows
                             if df != w["best"]))
            out.append(f"- {group}, batch {b}: **{w['best']}** wins with "
                       f"{fx(w['best_total_per_mac'], 3)} per MAC; the second best, "
                       f"{w['second']}, uses {fx(w['ratio_second_to_best'])}x its energy; the "
                       f"worst, {others[-1][1]}, "
                       f"{fx(others[-1][0] / d.ratio(group, b, w['best']))}x.")
    return out


def psum_spills(d, group, entries):
    """DRAM energy per MAC of partial sums written out and read back (each read: 2 words)."""
    dram = d.costs.get("dram_read")
    out = []
    for b in sorted({e[0] for e in entries}):
        for df in [d.ref] + [e[1] for e in entries if e[0] == b]:
            m = d.metrics[(group, b, df)]
            if m["dram_psum_reads"]:
                out.append((b, df, m["dram_psum_reads"],
                            2 * m["dram_psum_reads"] * dram / m["macs"] if dram else None))
    return out


def dram_lines(d, group, entries, gaps):
    """Where RS reads more from DRAM than another dataflow: words per MAC by tensor."""
    out = []
    for b, df, _ in entries:
        if gaps[(b, df)]["dram"] > -0.5:
            continue
        a_rs, a_df = d.accesses.get((group, b, d.ref)), d.accesses.get((group, b, df))
        if not a_rs or not a_df:
            continue
        macs = a_rs["macs"]

        def words(acc, t):
            return 1000 * acc["dram"][t]["reads"] / macs

        more = [n for t, n in TYPES if words(a_rs, t) > words(a_df, t) * 1.05 + 1e-9]
        out.append(
            f"At {group} batch {b}, RS spends {fx(-gaps[(b, df)]['dram'])} per MAC more than "
            f"{df} in DRAM. DRAM reads per 1,000 MACs, RS against {df}: weights "
            f"{words(a_rs, 'weights'):.2f} against {words(a_df, 'weights'):.2f}, ifmaps "
            f"{words(a_rs, 'inputs'):.2f} against {words(a_df, 'inputs'):.2f}, psums "
            f"{words(a_rs, 'outputs'):.2f} against {words(a_df, 'outputs'):.2f}. "
            f"RS's preset has {d.glb_kib.get(d.ref, '?')} KiB of GLB against "
            f"{d.glb_kib.get(df, '?')} KiB for {df} (the equal-area presets), and it reads "
            f"more {' and '.join(more) or 'data'} from DRAM.")
        out.append("")
    return out


def explain(d, group, claim, why_intro):
    """The 'why it differs' part of a claim: where the gap sits and the assumptions acting on
    it, quantified where the counts allow."""
    out = []
    entries = sorted(claim["outside"], key=lambda x: (x[0], d.dataflows.index(x[1])))
    if not entries:
        return out
    out += [why_intro, ""]
    out.append("Energy per MAC of each dataflow outside the claim, and its difference from "
               "RS's by level and by data type (positive: the dataflow spends more there; the "
               "level differences, and the ALU plus the type differences, each add up to the "
               "total difference):")
    out.append("")
    out += gap_table(d, group, entries)
    out.append("")
    gaps = {(b, df): gap_rows(d, group, b, df)[0] for b, df, _ in entries}
    if all(g["rf"] < 0 < g["noc"] for g in gaps.values()):
        rs_rf = sorted({fx(d.per_mac(group, b, d.ref, "rf")) for b, _, _ in entries})
        out.append(f"In every case RS spends more than the other dataflow in the RF (RS: "
                   f"{' to '.join([rs_rf[0], rs_rf[-1]] if len(rs_rf) > 1 else rs_rf)} per MAC: "
                   f"it reads the weight, the ifmap and the psum of every MAC from its RF and "
                   f"writes the psum back) and less in the array (NoC), where the others pay "
                   f"for their streamed operands.")
        out.append("")
    out += dram_lines(d, group, entries, gaps)
    keys, levels = relevant_assumptions(d, group, entries)
    named = ", ".join(n for k, n in LEVELS if k in levels)
    out.append(f"The gaps sit mainly in {named}. The model's documented assumptions that act "
               f"there (README, 'The model and what it assumes'; details in the last section):")
    out.append("")
    for k in keys:
        a = ASSUMPTIONS[k]
        out.append(f"- **{a['name']}**: {a['short']}")
    out.append("")
    spills = psum_spills(d, group, entries)
    if "psums" in keys and spills:
        out.append("Partial sums that go to DRAM and come back (the paper assumes none): "
                   + "; ".join(f"{df} at batch {b}: {n:,} psum reads"
                               + (f", {e:.3f} per MAC with their extra writes" if e is not None
                                  else "") for b, df, n, e in spills) + ".")
        out.append("")
    out.append("These runs do not isolate one assumption from another (the model has no switch "
               "for most of them; the sliding-window one is priced in 'What sliding-window reuse "
               "is worth'), so the list says which ones can move the gap, and in which direction "
               "where that is known, not how much each contributes.")
    out.append("")
    return out


def batch_rises(d):
    """(group, df, b1, e1, b2, e2) where energy per MAC rises from a batch to a larger one."""
    out = []
    for group in ("CONV", "FC"):
        bs = d.batches.get(group, [])
        for df in d.dataflows:
            for b1, b2 in zip(bs, bs[1:]):
                e1, e2 = d.per_mac(group, b1, df), d.per_mac(group, b2, df)
                if e2 > e1 * (1 + 1e-3):
                    out.append((group, df, b1, e1, b2, e2))
    return out


def consistency_lines(d):
    """Checks on our own numbers that need no paper: they say how far to trust them."""
    out = []
    checked = [m for m in d.s["metrics"] if m["batch"] == 1]
    passed = [m for m in checked if m["functional_check"] == "passed"]
    if checked:
        out.append(f"- Functional check: {len(passed)} of {len(checked)} batch-1 runs "
                   f"(every layer, every output word) match the reference convolution"
                   + ("." if len(passed) == len(checked) else
                      "; the others: " + ", ".join(f"{m['dataflow']} {m['group']} "
                                                   f"({m['functional_check']})"
                                                   for m in checked if m not in passed) + "."))
    rises = batch_rises(d)
    if rises:
        out.append("- Energy per MAC should not rise with the batch: running a larger batch as "
                   "rounds of the smaller batch's mapping gives the same energy per MAC. It "
                   "rises for " + "; ".join(
                       f"{df} {g} from batch {b1} to {b2} ({fx(e1, 3)} to {fx(e2, 3)}, "
                       f"+{pct(e2 / e1 - 1)})" for g, df, b1, e1, b2, e2 in rises)
                   + ". This points to the search heuristics (greedy GLB factors before the final "
                   "choice, a few loop orders) missing a mapping, i.e. to the search space "
                   "limits; those figures are a little pessimistic for that dataflow.")
    else:
        out.append("- Energy per MAC never rises with the batch for any dataflow, as it should "
                   "not (a larger batch can always run as rounds of a smaller one).")
    few = [m for m in d.s["metrics"] if m["active_pes_mean"] < 0.1 * m["total_pes"]]
    if few:
        out.append("- The search minimises energy only, and with unlimited bandwidth time is "
                   "free, so some energy-optimal mappings leave most PEs idle: " + "; ".join(
                       f"{m['dataflow']} {m['group']} batch {m['batch']} "
                       f"{m['active_pes_mean']:.1f} active PEs of {m['total_pes']}"
                       for m in few) + ". Their energy is what the comparison asks for; "
                   "their cycles are not competitive, and `--objective edp` would trade.")
    return out


# ----------------------------------------------------------------------------------------------
# What sliding-window reuse is worth (the halo what-if of scripts/compare)

HALO_SECTION = "## What sliding-window reuse is worth"
HALO_BATCH = 16
HALO_WORD_LEVELS = [("dram", "DRAM", 5), ("glb", "GLB", 4), ("rf", "RF", 3)]


def arrow(a, b, digits):
    return f"{a:.{digits}f} → {b:.{digits}f}"


def signed_pct(x):
    return f"{100 * x:+.1f}%"


def halo_batch(d, group):
    """The batch the what-if table shows: 16 if the group ran it, else its smallest."""
    bs = sorted({b for g, b, _ in d.halo_rows if g == group})
    if not bs:
        return None
    return HALO_BATCH if HALO_BATCH in bs else bs[0]


def halo_table(d, group, batch):
    head = (["dataflow", "energy/MAC without → with", "change", "vs RS without → with"]
            + [f"{n} ifmap words/MAC without → with" for _, n, _ in HALO_WORD_LEVELS])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for df in d.dataflows:
        r = d.halo_rows[(group, batch, df)]
        e, v, w = r["energy_per_mac"], r["total_vs_rs"], r["input_words_per_mac"]
        cells = [df, arrow(e["no_halo_reuse"]["total"], e["halo_reuse"]["total"], 3),
                 signed_pct(r["total_change"]),
                 arrow(v["no_halo_reuse"], v["halo_reuse"], 2)]
        cells += [arrow(w["no_halo_reuse"][lv], w["halo_reuse"][lv], digits)
                  for lv, _, digits in HALO_WORD_LEVELS]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def halo_where(d, r):
    """Where a dataflow's saving sits: (level name, its share of the saving, the ifmap share)."""
    e = r["energy_per_mac"]
    saved = e["no_halo_reuse"]["total"] - e["halo_reuse"]["total"]
    by_level = [(e["no_halo_reuse"][k] - e["halo_reuse"][k], n) for k, n in LEVELS
                if k in e["no_halo_reuse"]]
    top = max(by_level)
    ifmaps = e["no_halo_reuse"]["inputs"] - e["halo_reuse"]["inputs"]
    return top[1], top[0] / saved, ifmaps / saved


def halo_findings(d, group, batch):
    rows = [d.halo_rows[(group, batch, df)] for df in d.dataflows]
    if all(r["total_change"] == 0 for r in rows):
        return [f"No dataflow changes at {group} batch {batch}: consecutive tiles share no "
                f"words" + (" (FC layers have 1x1 windows)." if group == "FC" else ".")]
    gains = sorted(rows, key=lambda r: (r["total_change"], d.dataflows.index(r["dataflow"])))
    parts = []
    for r in gains[:2]:
        if r["total_change"] >= 0:
            continue
        level, level_share, ifmap_share = halo_where(d, r)
        w = r["input_words_per_mac"]
        words = "; ".join(f"{n} {arrow(w['no_halo_reuse'][lv], w['halo_reuse'][lv], digits)}"
                          for lv, n, digits in HALO_WORD_LEVELS
                          if w["no_halo_reuse"][lv] != w["halo_reuse"][lv])
        parts.append(f"**{r['dataflow']}** ({signed_pct(r['total_change'])}): "
                     f"{pct(level_share)} of its saving is {level} energy and "
                     f"{pct(ifmap_share)} is ifmap energy; its ifmap words per MAC fall at "
                     f"{words or 'no level shown'}")
    out = ["Largest gains at " + f"{group} batch {batch}: " + "; ".join(parts) + "."]
    least = gains[-1]
    same = [r["dataflow"] for r in rows if r["total_change"] == 0]
    if same:
        out.append(f"Unchanged: {', '.join(same)} (consecutive GLB and RF tiles of "
                   f"{'its' if len(same) == 1 else 'their'} mappings share no words).")
    elif least["dataflow"] not in [r["dataflow"] for r in gains[:2]]:
        level, level_share, _ = halo_where(d, least)
        out.append(f"Smallest gain: **{least['dataflow']}** "
                   f"({signed_pct(least['total_change'])}, mostly {level} energy).")
    before = min(rows, key=lambda r: (r["total_vs_rs"]["no_halo_reuse"],
                                      d.dataflows.index(r["dataflow"])))
    after = min(rows, key=lambda r: (r["total_vs_rs"]["halo_reuse"],
                                     d.dataflows.index(r["dataflow"])))
    others = [r for r in rows if r["dataflow"] != d.ref]
    lo_b = min(r["total_vs_rs"]["no_halo_reuse"] for r in others)
    hi_b = max(r["total_vs_rs"]["no_halo_reuse"] for r in others)
    lo_h = min(r["total_vs_rs"]["halo_reuse"] for r in others)
    hi_h = max(r["total_vs_rs"]["halo_reuse"] for r in others)
    most = max(abs(r["total_change"]) for r in rows)
    if most < 0.05:
        dram = max(rows, key=lambda r: r["input_words_per_mac"]["no_halo_reuse"]["dram"])
        out.append(f"Every change is at most {pct(most)}: even without halo reuse these "
                   f"mappings read at most "
                   f"{dram['input_words_per_mac']['no_halo_reuse']['dram']:.5f} ifmap words per "
                   f"MAC from DRAM ({dram['dataflow']}), so little refetch is left to save.")
    out.append(f"The other dataflows over {d.ref}: {fx(lo_b)}x to {fx(hi_b)}x without, "
               f"{fx(lo_h)}x to {fx(hi_h)}x with; the lowest energy is "
               + (f"{before['dataflow']}'s in both." if before is after else
                  f"{before['dataflow']}'s without and {after['dataflow']}'s with."))
    return [" ".join(out)]


def halo_claim_line(d):
    """Claim 1's rule applied to the what-if's CONV ratios (every CONV batch it has)."""
    conv = [r for (g, _, df), r in sorted(d.halo_rows.items()) if g == "CONV" and df != d.ref]
    if not conv:
        return []
    ratios = [r["total_vs_rs"]["halo_reuse"] for r in conv]
    inside = [x for x in ratios if conv_ok(x)]
    before = [r["total_vs_rs"]["no_halo_reuse"] for r in conv if conv_ok(r["total_vs_rs"]["no_halo_reuse"])]
    return [f"Claim 1's rule on these ratios (every CONV batch, {len(ratios)} ratios): "
            f"{len(inside)} of {len(ratios)} lie in {CONV_RANGE[0]}x to {CONV_RANGE[1]}x with "
            f"halo reuse, as simulated ({fx(min(ratios))}x to {fx(max(ratios))}x), against "
            f"{len(before)} with the same mappings priced without it.", ""]


def halo_section(d):
    out = [HALO_SECTION, ""]
    if not d.halo:
        out += ["This summary has no halo reuse what-if (`halo_what_if` in summary.json): it was "
                "written by a scripts/compare from before the what-if, or from before halo reuse "
                "became the default (when the what-if priced runs without it with it). Rerun "
                "scripts/compare to get it.", ""]
        return out
    sets = " ".join(f"--set {o}" for o in d.halo["settings"]["no_halo_reuse"])
    out.append("The runs above have sliding-window (halo) reuse at the GLB and in the RF (README, "
               "counting rules, 'Halo reuse'; the default): a new tile of ifmaps (or weights) "
               "keeps the words it shares with the tile it replaces and fetches only the others, "
               "and the searches scored that. Here the very mappings those runs searched and "
               "simulated are re-priced by the analytic model (`dfsim evaluate`) as they ran "
               f"and with `{sets}` (every tile fetched whole, the model before halo reuse). "
               "scripts/compare checks that the analytic counts as run equal the simulated "
               "ones, layer by layer, level by level, tensor by tensor. The 'without' figures "
               "are a what-if on these mappings, not a search without halo reuse (which could "
               "pick other mappings, with less refetch: the savings shown are upper bounds of "
               "what halo reuse is worth under this model). In both there is no PE-to-PE "
               "forwarding (the paper's RS also reuses ifmap rows diagonally across PEs). 'vs "
               "RS' divides by RS's energy under the same setting. Ifmap words are reads plus "
               "writes of inputs at that level, per MAC; energy in "
               f"{d.setup['energy_unit']} per MAC.")
    out.append("")
    for group in ("CONV", "FC"):
        batch = halo_batch(d, group)
        if batch is None:
            continue
        out.append(f"**{group} layers, batch {batch}**")
        out.append("")
        out += halo_table(d, group, batch)
        out.append("")
        out += halo_findings(d, group, batch)
        out.append("")
    out += halo_claim_line(d)
    return out


def build_report(d, summary_rel, charts, img_rel, papers=()):
    s = d.setup
    claims = [claim_conv(d), claim_fc(d), claim_share(d)]
    out = ["# Validation: the ISCA 2016 dataflow comparison on AlexNet", ""]
    out.append(f"Generated by `scripts/validation_report` from `{summary_rel}` (written by "
               f"`scripts/compare`). Do not edit by hand: rerun the two scripts. Every number "
               f"below is ours unless it is marked as the paper's; nothing in the model was "
               f"tuned to match the paper.")
    out.append("")
    if s.get("network_name") != "alexnet":
        out.append(f"> **Not AlexNet.** This summary is of {s.get('network_name')}; the claims "
                   f"concern AlexNet, so the verdicts below only exercise the report.")
        out.append("")
    if s.get("quick") or s.get("skipped"):
        out.append("> **Partial run.** " + ("This summary comes from `--quick` (CONV at batch "
                   "1 and FC at batch 16 only). " if s.get("quick") else "") +
                   "".join(f"{x['group']} batch {x['batch']} was skipped: {x['reason']}. "
                           for x in s.get("skipped", [])) +
                   "The claims below are judged on the batches that ran.")
        out.append("")

    out += ["## Setup", ""]
    out.append("- Reference: Y.-H. Chen, J. Emer, V. Sze, \"Eyeriss: A Spatial Architecture "
               "for Energy-Efficient Dataflow for Convolutional Neural Networks\", ISCA 2016; "
               "the setup and claims as gathered in shared/reference/eyeriss.md, section 4.")
    out.append(f"- Network: `{s['network']}` ({s['network_name']}); CONV layers "
               f"{', '.join(s['layers'].get('CONV', []))}; FC layers "
               f"{', '.join(s['layers'].get('FC', []))}. Energies are summed over each group.")
    out.append(f"- Batches: CONV {', '.join(map(str, d.batches.get('CONV', [])))}; FC "
               f"{', '.join(map(str, d.batches.get('FC', [])))} (the paper: CONV 1, 16, 64; "
               f"FC 16, 64, 256).")
    c = d.costs
    costs = (f": per word DRAM {c['dram_read']:g}, GLB {c['glb_read']:g}, array (NoC) "
             f"{c['noc']:g}, RF {c['rf_read']:g}, per MAC {c['mac']:g}" if c else "")
    out.append(f"- Energy table: `{s['energy_table']}` ({s['energy_table_name']}, unit "
               f"{s['energy_unit']}){costs}; the same costs for every dataflow (the paper's "
               f"Table IV: DRAM 200, GLB 6, array 2, RF 1, MAC 1).")
    out.append(f"- Mappings: searched per layer and dataflow, objective {s['objective']} "
               f"(`--search --objective {s['objective']}`); the winner is simulated.")
    out.append("- Functional check: the batch-1 runs compare every output with the reference "
               "convolution (`--check`); larger batches run with `--fast` (identical counts "
               "and cycles, no values)." if s.get("fast_available") else
               "- Functional check: the batch-1 runs compare every output with the reference "
               "convolution (`--check`); this dfsim had no `--fast`, so larger batches ran "
               "with full values but unchecked.")
    out.append(f"- dfsim {s['dfsim_version']}. Presets (one per dataflow, equal storage area, "
               f"256 PEs):")
    out.append("")
    out += preset_table(s)
    out.append("")

    out += ["## The published claims beside our figures", ""]
    out.append(f"Our figures here are free mode's (`--rules free`, the default: a dataflow "
               f"constrains the array and the mapper chooses every level above it) on the "
               f"{run_pes(d)}-PE presets; "
               + (f"the same claims against paper mode (the framework's own dataflows, at "
                  f"{', '.join(str(pes) for pes, _, _ in papers)} PEs) follow in 'The "
                  f"published claims against paper mode'." if papers else
                  "no paper-mode results were given (see 'The published claims against paper "
                  "mode')."))
    out.append("")
    out.append("| # | published claim [ISCA16] | our figure | verdict |")
    out.append("|---|---|---|---|")
    for i, c in enumerate(claims, 1):
        out.append(f"| {i} | {c['claim']} | {c['ours']} | **{c['verdict']}** |")
    out.append("")
    out.append("How each verdict is decided:")
    out.append("")
    for i, c in enumerate(claims, 1):
        if "rule" in c:
            out.append(f"{i}. {c['rule']}.")
    out.append("")

    out += ["### 1. RS against the other dataflows in CONV layers", ""]
    c = claims[0]
    if c["verdict"] == "differs":
        below = [x for x in c["outside"] if round_like_claim(x[2]) < CONV_RANGE[0]]
        above = [x for x in c["outside"] if round_like_claim(x[2]) > CONV_RANGE[1]]
        intro = []
        if below:
            intro.append("RS's advantage is smaller than published over " + ", ".join(
                f"{df} at batch {b} ({fx(r)}x)" for b, df, r in below))
        if above:
            intro.append("larger than published over " + ", ".join(
                f"{df} at batch {b} ({fx(r)}x)" for b, df, r in above))
        out += explain(d, "CONV", c, "Our figure differs: " + "; ".join(intro) + ".")
    elif c["verdict"] == "agrees":
        out += ["Every ratio lies in the published range.", ""]
    out += ["### 2. RS against the other dataflows in FC layers", ""]
    c = claims[1]
    if c["verdict"] == "differs":
        intro = ("Our figure differs: RS's advantage is below 1.3x over " + ", ".join(
            f"{df} at batch {b} ({fx(r)}x)" for b, df, r in c["outside"]) + ".")
        fc_b = [b for b in d.batches.get("FC", []) if b >= FC_MIN_BATCH]
        dram = d.costs.get("dram_read")
        if dram:
            floor = ", ".join(f"{fx(dram / b)} at batch {b}" for b in fc_b)
            intro += (" In FC layers every weight serves exactly `batch` MACs, so reading each "
                      f"weight once from DRAM costs {dram:g} / batch per MAC for every dataflow "
                      f"({floor}): a floor that all six share, which leaves less room for a "
                      f"ratio than in CONV layers.")
        out += explain(d, "FC", c, intro)
    elif c["verdict"] == "agrees":
        out += ["Every ratio is at least the published one.", ""]
    out += ["### 3. CONV share of AlexNet's energy", ""]
    c = claims[2]
    if c["verdict"] != "not evaluated":
        conv_e = d.level[("CONV", c["conv_batch"], d.ref)]
        fc_e = d.level[("FC", c["fc_batch"], d.ref)]
        at = (f"RS at batch {c['conv_batch']} in both groups" if c["conv_batch"] == c["fc_batch"]
              else f"RS at batch {c['conv_batch']} (CONV) and {c['fc_batch']} (FC)")
        out.append(f"{at}: CONV "
                   f"{fx(conv_e['total_per_mac'], 3)} per MAC over "
                   f"{conv_e['macs'] // c['conv_batch']:,} MACs per image, FC "
                   f"{fx(fc_e['total_per_mac'], 3)} per MAC over "
                   f"{fc_e['macs'] // c['fc_batch']:,} MACs per image: CONV takes "
                   f"{pct(c['share'])} of the energy per image.")
        out.append("")
        if c["verdict"] == "differs":
            hi = c["share"] > SHARE
            fc_dram = fc_e["dram_per_mac"] / fc_e["total_per_mac"]
            acc = d.accesses.get(("FC", c["fc_batch"], d.ref))
            weights_note = ""
            if acc:
                words = sum(acc["dram"][t][op] for t in ("weights", "inputs", "outputs")
                            for op in ("reads", "writes"))
                if words:
                    weights_note = (f"; {pct(acc['dram']['weights']['reads'] / words)} of those "
                                    f"DRAM words are weight reads")
            out.append(
                f"Our share is {'higher' if hi else 'lower'} than about 80%. The share is the "
                f"ratio of two RS totals, so it moves with anything that changes RS's CONV "
                f"energy per MAC relative to its FC energy per MAC ({pct(fc_dram)} of RS's FC "
                f"energy at batch {c['fc_batch']} is DRAM{weights_note}). The "
                f"assumptions that act on RS's CONV energy and not on its FC energy are "
                f"**{ASSUMPTIONS['halo']['name']}** (more ifmap NoC traffic in CONV, which raises "
                f"the share) and, in both groups but differently, "
                f"**{ASSUMPTIONS['factorisation']['name']}** and "
                f"**{ASSUMPTIONS['search']['name']}** (see claim 1).")
            out.append("")
        out.append("The claim as recorded (reference section 4) names no batch. "
                   + (("Our share at each batch that both groups ran: " + "; ".join(
                       f"{pct(sh)} at batch {b}" for b, sh in sorted(
                           [(c["conv_batch"], c["share"])] + c["others"])) + ".")
                      if c["conv_batch"] == c["fc_batch"] else
                      "No batch was run for both groups, so the share compares energy per "
                      "image across batches."))
        out.append("")

    out += paper_section(d, list(papers), charts, img_rel)

    out += ["## Which dataflow wins, from our numbers", ""]
    out += winners_lines(d)
    out.append("")
    out += ["## Checks on our own numbers", ""]
    out += consistency_lines(d)
    out.append("")

    out += ["## Energy per MAC normalized to RS", ""]
    out.append("Total energy per MAC of each dataflow over RS's at the same group and batch "
               "(RS = 1.00; the best in bold). 'RS energy/MAC' is in "
               f"{s['energy_unit']}.")
    out.append("")
    out += per_group(d, lambda g: f"{g} layers", lambda g: normalized_table(d, g))

    out += halo_section(d)

    out += ["## Charts", ""]
    for key, title in [("normalized_to_rs", "Total energy normalized to RS"),
                       ("energy_by_level_conv", "CONV layers, energy per MAC by level"),
                       ("energy_by_level_fc", "FC layers, energy per MAC by level"),
                       ("energy_by_type_conv", "CONV layers, energy per MAC by data type"),
                       ("energy_by_type_fc", "FC layers, energy per MAC by data type"),
                       ("rs_layers", "RS layer by layer, by level")]:
        if key in charts:
            out.append(f"![{title}]({img_rel}/{charts[key]})")
            out.append("")

    out += ["## Energy per MAC by level, per group and batch", ""]
    out.append(f"In {s['energy_unit']} per MAC. 'psum reads from DRAM' counts partial sums "
               "brought back from DRAM (the paper assumes none). Active PEs are MAC-weighted "
               "means over the group's layers; cycles assume unlimited bandwidth.")
    out.append("")
    for group in ("CONV", "FC"):
        for b in d.batches.get(group, []):
            out.append(f"**{group} layers, batch {b}**")
            out.append("")
            out += level_table(d, group, b)
            out.append("")

    out += ["## What the model assumes", ""]
    out.append("The assumptions the explanations above draw on, from the README ('The model "
               "and what it assumes'):")
    out.append("")
    for a in ASSUMPTIONS.values():
        out.append(f"- **{a['name']}**: {a['text']}")
    out.append("")

    out += ["## Runs", ""]
    out.append(f"{len(summary_runs(d))} dfsim processes, run from the repository root by "
               f"`scripts/compare`; raw results in `raw/` next to `summary.json`.")
    out.append("")
    out += run_table(summary_runs(d))
    out.append("")
    out.append("```sh")
    for r in summary_runs(d):
        out.append(r["command"])
    out.append("```")
    out.append("")
    return "\n".join(out)


def summary_runs(d):
    return d.s["runs"]


def run_table(runs):
    """Per run: what the mapping search looked at (its wall times are in timing.json)."""
    lines = ["Mapping search per run: the candidate mappings built and scored with the analytic "
             "model (deterministic). The wall times of each search and simulation are in "
             "`timing.json` next to `summary.json`.", "",
             "| run | candidates tried | scored | check |", "|---|---|---|---|"]
    for r in runs:
        srch = r.get("search") or {}
        lines.append(f"| {r['dataflow']} {r['group']} b{r['batch']} | {srch.get('tried', 0):,} | "
                     f"{srch.get('scored', 0):,} | {r['functional_check']} |")
    return lines


def preset_table(s):
    head = ["dataflow", "preset", "PEs", "RF per PE", "GLB", "bandwidth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for df in s["dataflows"]:
        path = s["arch"][df]
        cells = [df, f"`{path}`"]
        try:
            arch = read_arch(path) or {}
            pe = arch["pe_array"]
            cells.append(f"{pe['rows']}x{pe['cols']}")
            cells.append(describe_store(arch["rf"], "words", arch.get("word_bits", 16)))
            cells.append(describe_store(arch["glb"], "size_kib", arch.get("word_bits", 16)))
            bw = [arch["glb"].get("read_words_per_cycle"), arch["noc"].get("words_per_cycle"),
                  arch["dram"].get("bytes_per_cycle")]
            cells.append("unlimited" if all(x == "unlimited" for x in bw) else "limited")
        except (KeyError, TypeError, AttributeError):
            cells += ["?", "?", "?", "?"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def describe_store(store, key, word_bits):
    def one(size):
        if key == "words":
            return f"{size * word_bits // 8} B" if size else "none"
        return f"{size} KiB"
    if "partitions" in store:
        return " + ".join(f"{one(p[key])} {'/'.join(p['tensors'])}"
                          for p in store["partitions"])
    return one(store[key]) + (" shared" if store[key] else "")


def load_data(summary_path):
    """(Data, summary) of a scripts/compare summary.json; ReportError naming the file."""
    try:
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{display_path(summary_path)}: {e} (run scripts/compare first)")
    try:
        d = Data(summary)
    except (KeyError, TypeError) as e:
        raise ReportError(f"{display_path(summary_path)}: missing key {e}; was it written by "
                          f"scripts/compare?")
    if d.ref not in d.dataflows:
        raise ReportError(f"{display_path(summary_path)}: no {d.ref} runs to normalize to")
    return d, summary


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="validation_report",
        description="Writes the validation report (our figures beside ISCA 2016's claims) from "
                    "the summary.json of scripts/compare.",
        epilog="Default paths are relative to the repository root.")
    ap.add_argument("--results", help="folder holding summary.json and the charts "
                    "(default results/compare)")
    ap.add_argument("--report", help="markdown file to write (default docs/validation.md); "
                    "charts are copied to img/ next to it")
    ap.add_argument("--paper", action="append", default=None, metavar="DIR",
                    help="a paper-mode results folder (scripts/compare --rules isca16), "
                    "repeatable, one per PE count (default: every paper_pe*/ in --results "
                    "holding a summary.json)")
    ap.add_argument("--record-as", metavar="DIR",
                    help="the folder a caller will move --results to (scripts/alexnet stages "
                    "its results); the report names it instead of --results")
    args = ap.parse_args(argv)
    results = (os.path.abspath(args.results) if args.results
               else os.path.join(ROOT, "results", "compare"))
    report = (os.path.abspath(args.report) if args.report
              else os.path.join(ROOT, "docs", "validation.md"))
    summary_path = os.path.join(results, "summary.json")
    d, summary = load_data(summary_path)

    recorded = os.path.abspath(args.record_as) if args.record_as else results

    def shown(path):
        """A path under --results as the report names it (under --record-as if given)."""
        return display_path(os.path.join(recorded, os.path.relpath(path, results)))

    if args.paper is None:
        paper_dirs = sorted(os.path.join(results, n) for n in os.listdir(results)
                            if n.startswith(PAPER_PREFIX) and
                            os.path.isfile(os.path.join(results, n, "summary.json"))) \
            if os.path.isdir(results) else []
    else:
        paper_dirs = [os.path.abspath(p) for p in args.paper]
    papers, chart_sources = [], {}
    for pdir in paper_dirs:
        p, psummary = load_data(os.path.join(pdir, "summary.json"))
        if p.setup.get("rules") != "isca16":
            raise ReportError(f"{display_path(os.path.join(pdir, 'summary.json'))}: not a "
                              f"paper-mode summary (setup.rules is "
                              f"{p.setup.get('rules')!r}, expected 'isca16')")
        pes = run_pes(p)
        if pes is None or any(pes == q for q, _, _ in papers):
            raise ReportError(f"{display_path(pdir)}: expected presets of one PE count, "
                              f"different from the other paper-mode folders")
        papers.append((pes, p, shown(pdir) if os.path.commonpath([pdir, results]) == results
                       else display_path(pdir)))
        for key, name in psummary.get("charts", {}).items():
            if key.startswith("energy_by_level_") and os.path.isfile(os.path.join(pdir, name)):
                chart_sources[f"{PAPER_PREFIX}{pes}_{key}"] = (os.path.join(pdir, name),
                                                               f"{PAPER_PREFIX}{pes}_{name}")
    papers.sort(key=lambda x: x[0])

    report_dir = os.path.dirname(report)
    img_dir = os.path.join(report_dir, "img")
    charts = {k: v for k, v in summary.get("charts", {}).items()
              if os.path.isfile(os.path.join(results, v))}
    sources = {v: os.path.join(results, v) for v in charts.values()}
    for key, (src, name) in chart_sources.items():
        charts[key] = name
        sources[name] = src
    text = build_report(d, shown(summary_path), charts, "img", papers)

    os.makedirs(img_dir, exist_ok=True)
    tmp_files = []
    try:
        for name in sorted(set(charts.values())):
            tmp = os.path.join(img_dir, f".{name}.tmp")
            shutil.copyfile(sources[name], tmp)
            tmp_files.append((tmp, os.path.join(img_dir, name)))
        tmp = os.path.join(report_dir, f".{os.path.basename(report)}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        tmp_files.append((tmp, report))
        for tmp, final in tmp_files:
            os.replace(tmp, final)
    finally:
        for tmp, _ in tmp_files:
            if os.path.exists(tmp):
                os.remove(tmp)
    print(f"validation_report: wrote {display_path(report)} and {len(charts)} charts in "
          f"{display_path(img_dir)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ReportError as e:
        print(f"validation_report: error: {e}", file=sys.stderr)
        sys.exit(1)
