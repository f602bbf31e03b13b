"""The ISCA 2016 dataflow energy comparison on AlexNet: runs, tables and charts.

Runs dfsim on every (dataflow, layer group, batch) of the setup of Chen, Emer and Sze,
"Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for Convolutional Neural
Networks", ISCA 2016 (shared/reference/eyeriss.md section 4): the six dataflows ws, os_a, os_b,
os_c, nlr and rs, each on its own equal-area preset configs/arch/isca16/<dataflow>.json, the
normalized energy table, CONV layers at batch 1, 16 and 64 and FC layers at batch 16, 64 and
256, each layer's mapping searched for minimum energy. One dfsim process per (dataflow, group,
batch); batch-1 runs add --check (outputs against the reference convolution), larger batches
add --fast (same counts and cycles, no values).

With --rules isca16 every run is paper mode (`dfsim run --rules isca16`: the dataflow as the
ISCA 2016 framework defines it, README "Paper mode"), the default dataflows those paper mode
has (`dfsim dataflows --json`: all six); paper mode fixes halo reuse per dataflow, so its
what-if below shows no change (its as-run check, model == simulation, still holds). A paper-mode
point whose rules cannot map one of its layers at all (WS at conv1, batch 64, on 256 PEs: its
GLB must hold the batch's psum planes) is run with --unmappable skip and reported as such: no
rows in the tables, a "no legal mapping" mark in the charts, summary.json "unmapped" naming the
layer and the constraint; the winners are then among the dataflows that map.

Then the halo reuse what-if: for every run, two `dfsim evaluate --json` processes (the analytic
model; all of the run's saved mappings in one call, --jobs at a time like the runs), one as the
run was (halo_reuse: sliding-window reuse at GLB and RF, the presets' default, which the
searches scored) and one with --set arch.glb.halo_reuse=false --set arch.rf.halo_reuse=false
(no_halo_reuse: every tile fetched whole, the model before issue 14). The first one's
per-layer accesses must equal the simulated ones in the run's stats.json exactly, or the job
fails naming the run, layer and first differing figure: the what-if is only as good as
model == simulator. summary.json's halo_what_if gives, per group, batch and dataflow, energy per
MAC (total, by level and by data type) and input words per level (reads + writes), without and
with, and the total normalized to RS under each setting.

Writes to --out (default results/compare), each file under a temporary name first and all of
them renamed together at the end, so a failed job leaves earlier results untouched:
  energy_by_level.csv  energy per MAC by level (ALU, RF, NoC, GLB, DRAM) and normalized to RS
  energy_by_type.csv   energy per MAC by data type (weights, ifmaps, psums; ALU apart)
  metrics.csv          DRAM accesses per MAC, cycles, active PEs, utilisation, EDP, check
  rs_layers.csv        RS layer by layer (batch 16, or the group's smallest batch)
  halo_what_if.csv     the halo reuse what-if: energy per MAC by level and type, normalized
                       to RS and input words per level, without and with (suffix _halo)
  summary.json         all of the above, the setup, the winners and every dfsim command
  timing.json          wall seconds of the job, its runs and what-if phases, and of each run
                       (search, simulation, process, evaluate processes)
  *.png                stacked-bar charts (matplotlib, Agg backend)
  raw/<df>-<group>-b<batch>/  each dfsim run's stats.json, layers.csv, timing.json, mappings,
                       and evaluate_no_halo_reuse.json, evaluate_halo_reuse.json (the what-if)
and prints one table per group and batch on stdout, then the what-if's (progress goes to
stderr). Every output but timing.json is deterministic: the same inputs and dfsim give
byte-identical files.

Run from anywhere with Debian's interpreter: /usr/bin/python3 scripts/compare.py [options].
Default paths are relative to the repository root, paths given on the command line to the
current directory.
"""

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from dfsim_import import dataflows as dataflow_registry
from dfsim_import.common import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The dataflows compared, in dfsim's registry order (`dfsim dataflows`), or as --dataflows
# gives them; filled in by main() before anything reads it.
DATAFLOWS = []
REFERENCE_DATAFLOW = "rs"
# A point (dataflow, group, batch) is "unmapped" when the rules cannot map one of its layers at
# all (paper mode's WS keeps a whole batch's psum planes of its filters in the GLB: conv1 at
# batch 64 on the 256-PE preset has no legal assignment). Its runs pass --unmappable skip; the
# point has no rows in the tables, no bar in the charts (a "no legal mapping" mark instead),
# and summary.json's "unmapped" names its layers and the constraint each breaks.
GROUPS = ["CONV", "FC"]
GROUP_LAYER_TYPE = {"CONV": "conv", "FC": "fc"}
FULL_BATCHES = {"CONV": [1, 16, 64], "FC": [16, 64, 256]}
QUICK_BATCHES = {"CONV": [1], "FC": [16]}
# Without --fast a run computes every value; beyond batch 16 that is too slow to be useful.
MAX_BATCH_WITHOUT_FAST = 16
# rs_layers.csv and its chart use this batch (Fig. 10 of the paper), else the group's smallest.
RS_LAYERS_BATCH = 16
OBJECTIVE = "energy"

# (key, label, colour): one fixed colour per level and per data type across every chart.
LEVELS = [
    ("alu", "ALU (MAC)", "#7f7f7f"),
    ("rf", "RF", "#2ca02c"),
    ("noc", "NoC (array)", "#ff7f0e"),
    ("glb", "GLB", "#1f77b4"),
    ("dram", "DRAM", "#d62728"),
    ("leakage", "leakage", "#9467bd"),
]
TYPES = [
    ("alu", "ALU (MAC)", "#7f7f7f"),
    ("weights", "weights", "#8c564b"),
    ("inputs", "ifmaps (inputs)", "#17becf"),
    ("outputs", "psums (outputs)", "#bcbd22"),
]
DATAFLOW_COLORS = {"ws": "#1f77b4", "os_a": "#ff7f0e", "os_b": "#2ca02c", "os_c": "#9467bd",
                   "nlr": "#8c564b", "rs": "#d62728"}

CHARTS = {
    "level": {"CONV": "energy_by_level_conv.png", "FC": "energy_by_level_fc.png"},
    "type": {"CONV": "energy_by_type_conv.png", "FC": "energy_by_type_fc.png"},
    "normalized": "energy_normalized_to_rs.png",
    "rs_layers": "rs_layers.png",
}


class JobError(Exception):
    """A dfsim run failed or its results are unusable; the message says which and why."""


# ----------------------------------------------------------------------------------------------
# Paths and the run plan

def display_path(path):
    """A path as recorded in outputs: relative to the repository root when inside it."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def user_path(value, default):
    """An option's path: the default is relative to the root, a given one to the cwd."""
    return os.path.abspath(value) if value is not None else os.path.join(ROOT, default)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise JobError(f"{display_path(path)}: {e}") from e


def group_layers(network_path, only):
    """{group: [layer names]} in network order; only: names to keep (all when empty)."""
    net = read_json(network_path)
    layers = net.get("layers", [])
    names = {l.get("name") for l in layers}
    missing = [n for n in only if n not in names]
    if missing:
        raise JobError(f"{display_path(network_path)}: no layer named {', '.join(missing)}")
    out = {}
    for group in GROUPS:
        picked = [l["name"] for l in layers if l.get("type") == GROUP_LAYER_TYPE[group]
                  and (not only or l["name"] in only)]
        if picked:
            out[group] = picked
    if not out:
        raise JobError(f"{display_path(network_path)}: no conv or fc layer selected")
    return out, net.get("name", os.path.basename(network_path))


def dfsim_has_fast(dfsim):
    try:
        proc = subprocess.run([dfsim, "run", "--help"], capture_output=True, text=True,
                              timeout=60, env=child_env())
    except OSError as e:
        raise JobError(f"cannot run {dfsim}: {e}") from e
    if proc.returncode != 0:
        raise JobError(f"{dfsim} run --help failed (exit {proc.returncode}): "
                       f"{proc.stderr.strip()}")
    return "--fast" in proc.stdout


def child_env():
    return dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")


class Run:
    """One dfsim process: a dataflow on one layer group at one batch."""

    def __init__(self, dataflow, group, batch, layers, arch, check, fast, rules="free"):
        self.dataflow, self.group, self.batch = dataflow, group, batch
        self.layers, self.arch, self.check, self.fast = layers, arch, check, fast
        self.name = f"{dataflow}-{group.lower()}-b{batch}"
        self.what = f"run {self.name}"
        self.cmd = None
        self.rules = rules
        self.wall_s = None
        self.stdout_path = None
        self.mapped = True  # every layer mapped (set from its stats.json by main)

    def command(self, dfsim, network, energy, raw_dir):
        cmd = [dfsim, "run", "--arch", display_path(self.arch), "--network", network,
               "--energy", energy,
               "--dataflow", self.dataflow]
        for layer in self.layers:
            cmd += ["--layer", layer]
        # Paper mode (--rules isca16) implies its own search.
        search = (["--search"] if self.rules == "free"
                  else ["--rules", self.rules, "--unmappable", "skip"])
        cmd += ["--batch", str(self.batch)] + search + ["--objective", OBJECTIVE]
        if self.check:
            cmd.append("--check")
        if self.fast:
            cmd.append("--fast")
        cmd += ["--out", os.path.join(raw_dir, self.name), "-q"]
        return cmd

    def progress(self):
        mode = "checked" if self.check else ("fast" if self.fast else "full values")
        return (f"{self.dataflow:5} {self.group:4} batch {self.batch:<4} {self.wall_s:7.1f} s  "
                f"({mode})")


def plan_runs(args, layers_by_group, arch_for, has_fast):
    """The runs of the job, largest first (a better finish on few cores), and skipped points."""
    runs, skipped = [], []
    batches = QUICK_BATCHES if args.quick else FULL_BATCHES
    if args.conv_batches:
        batches = dict(batches, CONV=args.conv_batches)
    if args.fc_batches:
        batches = dict(batches, FC=args.fc_batches)
    for group, layers in layers_by_group.items():
        for batch in batches[group]:
            check = batch == 1 and not args.no_check
            fast = not check and has_fast
            if not check and not has_fast and batch > MAX_BATCH_WITHOUT_FAST:
                skipped.append({"group": group, "batch": batch,
                                "reason": f"this dfsim has no --fast, and batch {batch} > "
                                          f"{MAX_BATCH_WITHOUT_FAST} is too slow without it"})
                continue
            for df in DATAFLOWS:
                runs.append(Run(df, group, batch, layers, arch_for(df), check, fast,
                                args.rules))
    order = {df: i for i, df in enumerate(DATAFLOWS)}
    runs.sort(key=lambda r: (-r.batch, GROUPS.index(r.group), order[r.dataflow]))
    return runs, skipped, batches


# ----------------------------------------------------------------------------------------------
# Running

def execute(runs, jobs, dfsim, exe, network, energy, raw_dir):
    """Runs every dfsim simulation, `jobs` at a time; the first failure stops the job.

    Each run's recorded command names `dfsim`; the process runs `exe`, a copy of it taken at
    the start, so that a rebuild during the job cannot mix two binaries in one comparison.
    """
    for r in runs:
        r.cmd = r.command(dfsim, network, energy, raw_dir)
    run_processes(runs, jobs, exe)


def run_processes(tasks, jobs, exe):
    """Runs each task's command (task.cmd, its first word replaced by `exe`) from the root,
    `jobs` at a time; the first failure terminates the others and raises JobError naming the
    task (task.what), its command and its stderr. A task's stdout goes to task.stdout_path
    (None: discarded); its wall seconds to task.wall_s; progress lines to stderr."""
    lock = threading.Lock()
    stop = threading.Event()
    procs = {}
    failures = []
    done = [0]

    def work(task):
        if stop.is_set():
            return
        start = time.monotonic()
        out = (open(task.stdout_path, "w", encoding="utf-8", newline="\n")
               if task.stdout_path else subprocess.DEVNULL)
        try:
            proc = subprocess.Popen([exe] + task.cmd[1:], cwd=ROOT, stdout=out,
                                    stderr=subprocess.PIPE, text=True, env=child_env())
            with lock:
                procs[task.name] = proc
            _, err = proc.communicate()
            with lock:
                del procs[task.name]
        finally:
            if task.stdout_path:
                out.close()
        task.wall_s = time.monotonic() - start
        if proc.returncode != 0:
            with lock:
                if not stop.is_set():
                    failures.append((task, proc.returncode, err))
                    stop.set()
                    for other in procs.values():
                        other.terminate()
            return
        with lock:
            done[0] += 1
            print(f"[{done[0]:{len(str(len(tasks)))}d}/{len(tasks)}] {task.progress()}",
                  file=sys.stderr, flush=True)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        try:
            for future in [pool.submit(work, t) for t in tasks]:
                future.result()
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): stop our own children before the pool waits.
            stop.set()
            with lock:
                for proc in procs.values():
                    proc.terminate()
            raise
    if failures:
        task, code, err = failures[0]
        raise JobError(f"{task.what} failed (exit {code}): "
                       f"{' '.join(display_path(a) if os.sep in a else a for a in task.cmd)}\n"
                       f"{err.rstrip()}")


# ----------------------------------------------------------------------------------------------
# Collecting

def load_run(run, raw_dir):
    """Sums a finished run's layers: energy by level and type, counts, cycles, PEs, checks."""
    stats = read_json(os.path.join(raw_dir, run.name, "stats.json"))
    layers = [l for l in stats["layers"] if l.get("dataflow") == run.dataflow]
    names = [l["name"] for l in layers]
    unmapped = [{"layer": u["layer"], "reason": u["reason"]}
                for u in stats.get("unmapped", []) if u.get("dataflow") == run.dataflow]
    gone = {u["layer"] for u in unmapped}
    if names != [l for l in run.layers if l not in gone] or not gone <= set(run.layers):
        raise JobError(f"run {run.name}: stats.json has layers {names} and unmapped "
                       f"{sorted(gone)}, expected {run.layers}")
    if unmapped:
        # The point has no total: its mapped layers are not the group's work.
        search, timing = search_record(layers, os.path.join(raw_dir, run.name, "timing.json"))
        return {"unmapped": unmapped, "run": stats["run"], "search": search, "timing": timing,
                "checks": ["not mapped"]}
    per_layer = [layer_record(l) for l in layers]
    total = {"macs": 0, "cycles": 0, "dram_accesses": 0, "dram_psum_reads": 0,
             "active_pe_macs": 0,
             "energy": {k: 0.0 for k in ["total", "alu", "rf", "noc", "glb", "dram", "leakage",
                                         "weights", "inputs", "outputs"]}}
    for rec in per_layer:
        total["macs"] += rec["macs"]
        total["cycles"] += rec["cycles"]
        total["dram_accesses"] += rec["dram_accesses"]
        total["dram_psum_reads"] += rec["dram_psum_reads"]
        total["active_pe_macs"] += rec["macs"] * rec["active_pes"]
        for k in total["energy"]:
            total["energy"][k] += rec["energy"][k]
    total["accesses"] = {
        level: {t: {op: sum(int(l["accesses"][level][t][op]) for l in layers)
                    for op in ("reads", "writes")}
                for t in ("weights", "inputs", "outputs")}
        for level in ("dram", "glb", "noc", "rf")}
    total["total_pes"] = per_layer[0]["total_pes"]
    total["checks"] = sorted({rec["check"] for rec in per_layer})
    total["layers"] = per_layer
    total["run"] = stats["run"]
    total["search"], total["timing"] = search_record(
        layers, os.path.join(raw_dir, run.name, "timing.json"))
    return total


def search_record(layers, timing_path):
    """Mapping-search statistics of a run: (candidates tried and scored, from stats.json;
    wall seconds of search and simulation and simulated cycles per second, from the run's
    timing.json, None where a dfsim without timing.json left them out)."""
    rec = {"tried": sum(int(l.get("mapper", {}).get("tried", 0)) for l in layers),
           "scored": sum(int(l.get("mapper", {}).get("scored", 0)) for l in layers)}
    timing = {"search_seconds": None, "simulate_seconds": None, "cycles_per_second": None}
    if os.path.exists(timing_path):
        raw = read_json(timing_path)
        timing["search_seconds"] = float(raw["search_seconds"])
        timing["simulate_seconds"] = float(raw["simulate_seconds"])
        cycles = sum(int(j["simulated_cycles"]) for j in raw["jobs"])
        if timing["simulate_seconds"] > 0:
            timing["cycles_per_second"] = cycles / timing["simulate_seconds"]
    return rec, timing


def energy_record(e, where):
    """A layer's energy (stats.json or dfsim evaluate --json form) by level and data type,
    checked to add up to its total; `where` names the layer in the error."""
    energy = {"total": float(e["total"]), "alu": float(e["mac"]),
              "leakage": float(e.get("leakage", 0.0))}
    for level in ["rf", "noc", "glb", "dram"]:
        energy[level] = float(e["by_level"].get(level, 0.0))
    for tensor in ["weights", "inputs", "outputs"]:
        energy[tensor] = float(e["by_tensor"].get(tensor, 0.0))
    levels_sum = sum(energy[k] for k in ["alu", "rf", "noc", "glb", "dram", "leakage"])
    types_sum = energy["alu"] + energy["leakage"] + sum(
        energy[t] for t in ["weights", "inputs", "outputs"])
    for what, value in [("levels", levels_sum), ("data types", types_sum)]:
        if abs(value - energy["total"]) > 1e-6 * max(1.0, abs(energy["total"])):
            raise JobError(f"{where}: energy by {what} sums to {value}, not to the total "
                           f"{energy['total']}")
    return energy


def layer_record(layer):
    energy = energy_record(layer["energy"], f"layer {layer['name']} ({layer['dataflow']})")
    dram = layer["accesses"]["dram"]
    dram_accesses = sum(dram[t]["reads"] + dram[t]["writes"]
                        for t in ["weights", "inputs", "outputs"])
    # Partial sums brought back from DRAM: the paper assumes none (ofmap writes only).
    dram_psum_reads = int(dram["outputs"]["reads"])
    return {"name": layer["name"], "type": layer["type"], "macs": int(layer["macs"]),
            "cycles": int(layer["cycles"]["total"]), "active_pes": int(layer["active_pes"]),
            "total_pes": int(layer["total_pes"]), "dram_accesses": int(dram_accesses),
            "dram_psum_reads": dram_psum_reads,
            "check": layer.get("check", "not run"), "energy": energy}


def mapped(result):
    """Whether a run's point has a total: every layer of it mapped (load_run)."""
    return not result.get("unmapped")


def check_label(checks):
    if checks == ["passed"]:
        return "passed"
    if all(c.startswith("skipped") for c in checks):
        return "not run (--fast)"
    return "; ".join(checks)


def r6(x):
    """Rounded for the tables (and summary.json): six decimals, deterministic."""
    return float(f"{x:.6f}")


# ----------------------------------------------------------------------------------------------
# The halo-reuse what-if: the same searched mappings re-priced by the analytic model

# (setting, --set overrides): without sliding-window reuse at GLB and RF, and as the runs were
# (with it: the presets' default). RUN_SETTING is the one checked against the simulation.
HALO_SETTINGS = [("no_halo_reuse", ["arch.glb.halo_reuse=false", "arch.rf.halo_reuse=false"]),
                 ("halo_reuse", [])]
RUN_SETTING = "halo_reuse"
ACCESS_LEVELS = ["dram", "glb", "noc", "rf"]
ACCESS_TENSORS = ["weights", "inputs", "outputs"]


class Evaluation:
    """One dfsim evaluate process: every saved mapping of a run under one setting."""

    def __init__(self, run, setting, overrides, raw_dir):
        self.run, self.setting, self.overrides = run, setting, overrides
        self.name = f"{run.name}:{setting}"
        self.what = f"run {run.name}: dfsim evaluate ({setting})"
        self.cmd = None
        self.wall_s = None
        self.stdout_path = os.path.join(raw_dir, run.name, f"evaluate_{setting}.json")

    def command(self, dfsim, network, energy, mappings):
        cmd = [dfsim, "evaluate", "--arch", display_path(self.run.arch), "--network", network,
               "--energy", energy, "--batch", str(self.run.batch)]
        for m in mappings:
            cmd += ["--mapping", m]
        for o in self.overrides:
            cmd += ["--set", o]
        cmd.append("--json")
        return cmd

    def progress(self):
        r = self.run
        return (f"{r.dataflow:5} {r.group:4} batch {r.batch:<4} {self.wall_s:7.1f} s  "
                f"(evaluate, {self.setting.replace('_', ' ')})")


def run_mappings(run, raw_dir):
    """The mapping files a run saved, in the order of its layers."""
    folder = os.path.join(raw_dir, run.name, "mappings")
    by_layer = {}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".json"):
            path = os.path.join(folder, name)
            by_layer[read_json(path).get("layer")] = path
    missing = [l for l in run.layers if l not in by_layer]
    if missing:
        raise JobError(f"run {run.name}: no saved mapping for {', '.join(missing)} in "
                       f"{display_path(folder)}")
    return [by_layer[l] for l in run.layers]


def evaluate_what_if(runs, jobs, dfsim, exe, network, energy, raw_dir):
    """Runs two dfsim evaluate processes per run (HALO_SETTINGS), `jobs` at a time, on the
    mappings the run saved; returns {run name: {setting: Evaluation}}."""
    evaluations = []
    for r in runs:
        if not r.mapped:
            continue
        mappings = run_mappings(r, raw_dir)
        for setting, overrides in HALO_SETTINGS:
            ev = Evaluation(r, setting, overrides, raw_dir)
            ev.cmd = ev.command(dfsim, network, energy, mappings)
            evaluations.append(ev)
    run_processes(evaluations, jobs, exe)
    out = {}
    for ev in evaluations:
        out.setdefault(ev.run.name, {})[ev.setting] = ev
    return out


def first_difference(evaluated, simulated):
    """The first (level, tensor, op, evaluated, simulated) where two accesses blocks differ,
    levels in hierarchy order; None when they are equal."""
    levels = [k for k in simulated if k != "unit"]
    levels += [k for k in evaluated if k != "unit" and k not in simulated]
    for level in levels:
        for t in ACCESS_TENSORS:
            for op in ("reads", "writes"):
                got = evaluated.get(level, {}).get(t, {}).get(op)
                want = simulated.get(level, {}).get(t, {}).get(op)
                if got != want:
                    return level, t, op, got, want
    return None


def load_what_if(run, raw_dir):
    """Sums a run's two evaluations: energy by level and data type, input words per level.
    Raises JobError unless RUN_SETTING's per-layer accesses equal the simulated ones."""
    stats_path = os.path.join(raw_dir, run.name, "stats.json")
    simulated = {l["name"]: l for l in read_json(stats_path)["layers"]
                 if l.get("dataflow") == run.dataflow}
    out = {}
    for setting, _ in HALO_SETTINGS:
        path = os.path.join(raw_dir, run.name, f"evaluate_{setting}.json")
        layers = read_json(path)["layers"]
        names = [l["name"] for l in layers]
        if names != run.layers:
            raise JobError(f"run {run.name}: {display_path(path)} has layers {names}, expected "
                           f"{run.layers}")
        total = {"macs": 0, "energy": {}, "input_words": {lv: 0 for lv in ACCESS_LEVELS}}
        for l in layers:
            sim = simulated.get(l["name"])
            if setting == RUN_SETTING:
                diff = (("macs", "", "", l["macs"], None) if sim is None else
                        ("macs", "", "", l["macs"], sim["macs"]) if l["macs"] != sim["macs"]
                        else first_difference(l["accesses"], sim["accesses"]))
                if diff:
                    level, t, op, got, want = diff
                    figure = " ".join(x for x in (level, t, op) if x)
                    raise JobError(
                        f"run {run.name}: the analytic model does not reproduce the simulation "
                        f"on layer {l['name']}: {figure} is {got} in dfsim evaluate, {want} in "
                        f"{display_path(stats_path)} (the halo what-if needs model == "
                        f"simulator)")
            total["macs"] += int(l["macs"])
            e = energy_record(l["energy"], f"{display_path(path)}: layer {l['name']}")
            for k, v in e.items():
                total["energy"][k] = total["energy"].get(k, 0.0) + v
            for lv in ACCESS_LEVELS:
                inputs = l["accesses"].get(lv, {}).get("inputs", {"reads": 0, "writes": 0})
                total["input_words"][lv] += int(inputs["reads"]) + int(inputs["writes"])
        out[setting] = total
    return out


def halo_what_if_rows(points, what_if, energy_keys):
    """summary.json's halo_what_if rows, per (group, batch) point and dataflow."""
    rows = []
    for group, batch in points:
        ref = {s: what_if[(REFERENCE_DATAFLOW, group, batch)][s] for s, _ in HALO_SETTINGS}
        for df in DATAFLOWS:
            res = what_if.get((df, group, batch))
            if res is None:
                continue  # unmapped: no mappings to re-price
            macs = res[RUN_SETTING]["macs"]
            row = {"group": group, "batch": batch, "dataflow": df, "macs": macs,
                   "energy_per_mac": {}, "total_vs_rs": {}, "input_words": {},
                   "input_words_per_mac": {}}
            for s, _ in HALO_SETTINGS:
                e = res[s]["energy"]
                row["energy_per_mac"][s] = {k: r6(e[k] / macs) for k in energy_keys}
                row["total_vs_rs"][s] = r6(e["total"] / ref[s]["energy"]["total"]
                                           * ref[s]["macs"] / macs)
                row["input_words"][s] = dict(res[s]["input_words"])
                row["input_words_per_mac"][s] = {lv: r6(n / macs) for lv, n in
                                                 res[s]["input_words"].items()}
            row["total_change"] = r6(res["halo_reuse"]["energy"]["total"]
                                     / res["no_halo_reuse"]["energy"]["total"] - 1.0)
            rows.append(row)
    return rows


def halo_what_if_csv_rows(rows, energy_keys):
    """halo_what_if.csv: one flat row per point and dataflow (suffix _halo: with reuse)."""
    out = []
    for r in rows:
        flat = {k: r[k] for k in ("group", "batch", "dataflow", "macs")}
        for k in energy_keys:
            flat[f"{k}_per_mac"] = r["energy_per_mac"]["no_halo_reuse"][k]
            flat[f"{k}_per_mac_halo"] = r["energy_per_mac"]["halo_reuse"][k]
        flat["total_change"] = r["total_change"]
        flat["total_vs_rs"] = r["total_vs_rs"]["no_halo_reuse"]
        flat["total_vs_rs_halo"] = r["total_vs_rs"]["halo_reuse"]
        for lv in ACCESS_LEVELS:
            flat[f"input_words_{lv}"] = r["input_words"]["no_halo_reuse"][lv]
            flat[f"input_words_{lv}_halo"] = r["input_words"]["halo_reuse"][lv]
        out.append(flat)
    return out


def what_if_stdout(rows, unit):
    out = []
    head = (f"{'dataflow':8}  {'without':>9}  {'with':>9}  {'change':>7}  {'vs RS':>5} -> "
            f"{'with':>5}  {'DRAM ifmap/MAC':>16}")
    points = []
    for r in rows:
        if (r["group"], r["batch"]) not in points:
            points.append((r["group"], r["batch"]))
    for group, batch in points:
        out.append(f"halo reuse what-if, {group} layers, batch {batch} (same mappings, analytic "
                   f"model; energy in {unit} per MAC)")
        out.append(head)
        out.append("-" * len(head))
        for r in rows:
            if (r["group"], r["batch"]) != (group, batch):
                continue
            e, v, w = r["energy_per_mac"], r["total_vs_rs"], r["input_words_per_mac"]
            out.append(f"{r['dataflow']:8}  {e['no_halo_reuse']['total']:9.3f}  "
                       f"{e['halo_reuse']['total']:9.3f}  {100 * r['total_change']:+6.1f}%  "
                       f"{v['no_halo_reuse']:5.2f} -> {v['halo_reuse']:5.2f}  "
                       f"{w['no_halo_reuse']['dram']:7.4f} -> {w['halo_reuse']['dram']:.4f}")
        out.append("")
    return "\n".join(out)


def build_tables(runs, results, layers_by_group, batches, leakage_used):
    level_keys = [k for k, _, _ in LEVELS if k != "leakage" or leakage_used]
    type_keys = [k for k, _, _ in TYPES] + (["leakage"] if leakage_used else [])
    points = [(g, b) for g in GROUPS if g in layers_by_group for b in batches[g]
              if (g, b) in {(r.group, r.batch) for r in runs}]
    by_level, by_type, metrics, winners, accesses, unmapped = [], [], [], [], [], []
    for group, batch in points:
        ref = results[(REFERENCE_DATAFLOW, group, batch)]
        if not mapped(ref):
            raise JobError(f"{REFERENCE_DATAFLOW} (the reference) has no legal mapping on "
                           f"{group} batch {batch}: {ref['unmapped'][0]['reason']}")
        ref_total_pm = ref["energy"]["total"] / ref["macs"]
        totals = []
        for df in DATAFLOWS:
            res = results[(df, group, batch)]
            if not mapped(res):
                unmapped.append({"group": group, "batch": batch, "dataflow": df,
                                 "layers": res["unmapped"]})
                continue
            macs = res["macs"]
            e = res["energy"]
            base = {"group": group, "batch": batch, "dataflow": df, "macs": macs,
                    "energy_total": e["total"]}
            row = dict(base)
            for k in level_keys + ["total"]:
                row[f"{k}_per_mac"] = r6(e[k] / macs)
            for k in level_keys + ["total"]:
                row[f"{k}_vs_rs"] = r6(e[k] / macs / ref_total_pm)
            by_level.append(row)
            row = dict(base)
            for k in type_keys + ["total"]:
                row[f"{k}_per_mac"] = r6(e[k] / macs)
            for k in type_keys + ["total"]:
                row[f"{k}_vs_rs"] = r6(e[k] / macs / ref_total_pm)
            by_type.append(row)
            cycles = res["cycles"]
            metrics.append({
                "group": group, "batch": batch, "dataflow": df, "macs": macs,
                "dram_accesses": res["dram_accesses"],
                "dram_accesses_per_mac": r6(res["dram_accesses"] / macs),
                "dram_psum_reads": res["dram_psum_reads"],
                "cycles": cycles,
                "active_pes_mean": r6(res["active_pe_macs"] / macs),
                "total_pes": res["total_pes"],
                "utilization": r6(macs / (cycles * res["total_pes"])),
                "energy_total": e["total"],
                "edp": e["total"] * cycles,
                "functional_check": check_label(res["checks"]),
            })
            accesses.append({"group": group, "batch": batch, "dataflow": df, "macs": macs,
                             "unit": "words", **res["accesses"]})
            totals.append((e["total"] / macs, DATAFLOWS.index(df), df))
        totals.sort()
        here = [u["dataflow"] for u in unmapped if (u["group"], u["batch"]) == (group, batch)]
        (best_pm, _, best) = totals[0]
        (second_pm, _, second) = totals[1] if len(totals) > 1 else (None, None, None)
        winners.append({"group": group, "batch": batch, "best": best,
                        "best_total_per_mac": r6(best_pm), "second": second,
                        "second_total_per_mac": r6(second_pm) if second else None,
                        "ratio_second_to_best": r6(second_pm / best_pm) if second else None,
                        "total_vs_rs": {df: r6(t / ref_total_pm) for t, _, df in
                                         sorted(totals, key=lambda x: x[1])},
                        **({"unmapped": here} if here else {})})
    rs_layers = []
    rs_batches = {}
    for group in GROUPS:
        group_batches = [b for g, b in points if g == group]
        if not group_batches:
            continue
        batch = RS_LAYERS_BATCH if RS_LAYERS_BATCH in group_batches else min(group_batches)
        rs_batches[group] = batch
        for rec in results[(REFERENCE_DATAFLOW, group, batch)]["layers"]:
            e, macs = rec["energy"], rec["macs"]
            row = {"group": group, "layer": rec["name"], "batch": batch, "macs": macs,
                   "energy_total": e["total"]}
            for k in level_keys + ["total"]:
                row[f"{k}_per_mac"] = r6(e[k] / macs)
            for k in [t for t in type_keys if t not in ("alu", "leakage")]:
                row[f"{k}_per_mac"] = r6(e[k] / macs)
            row["cycles"] = rec["cycles"]
            row["active_pes"] = rec["active_pes"]
            row["functional_check"] = check_label([rec["check"]])
            rs_layers.append(row)
    return {"points": points, "energy_by_level": by_level, "energy_by_type": by_type,
            "metrics": metrics, "rs_layers": rs_layers, "rs_layers_batch": rs_batches,
            "winners": winners, "accesses": accesses, "level_keys": level_keys,
            "type_keys": type_keys, "unmapped": unmapped}


# ----------------------------------------------------------------------------------------------
# Writing

def fmt(value):
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def csv_text(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(rows[0].keys()))
    for row in rows:
        writer.writerow([fmt(v) for v in row.values()])
    return buf.getvalue()


def energy_ylabel(unit):
    return ("energy per MAC (x MAC energy)" if unit == "MAC-energy"
            else f"energy per MAC ({unit})")


def no_mapping_mark(ax, x, fontsize=7):
    """Marks position x of a bar chart as a point the rules cannot map (no bar there)."""
    ax.annotate("no legal mapping", (x, 0), ha="center", va="bottom", fontsize=fontsize,
                rotation=90, color="#555555", xytext=(0, 3), textcoords="offset points")


def draw_charts(tables, tmp_dir, unit, network_name):
    """Writes the PNGs into tmp_dir; returns {chart key: file name} of those written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "dfsim"})
    written = {}
    meta = {"Software": None}

    def save(fig, name):
        fig.savefig(os.path.join(tmp_dir, name), dpi=110, metadata=meta)
        plt.close(fig)

    level_rows = {(r["group"], r["batch"], r["dataflow"]): r for r in tables["energy_by_level"]}
    type_rows = {(r["group"], r["batch"], r["dataflow"]): r for r in tables["energy_by_type"]}
    for kind, rows, parts in [("level", level_rows, LEVELS), ("type", type_rows, TYPES)]:
        keys = tables["level_keys"] if kind == "level" else tables["type_keys"]
        parts = [p for p in parts if p[0] in keys]
        if kind == "type" and "leakage" in keys:
            parts.append(LEVELS[-1])
        for group in GROUPS:
            batches = [b for g, b in tables["points"] if g == group]
            if not batches:
                continue
            fig, axes = plt.subplots(1, len(batches),
                                     figsize=(max(7.0, 4.2 * len(batches) + 1.6), 4.4),
                                     squeeze=False)
            for ax, batch in zip(axes[0], batches):
                bottom = [0.0] * len(DATAFLOWS)
                for key, label, colour in parts:
                    vals = [rows[(group, batch, df)][f"{key}_per_mac"]
                            if (group, batch, df) in rows else 0.0 for df in DATAFLOWS]
                    ax.bar(DATAFLOWS, vals, bottom=bottom, color=colour, label=label,
                           edgecolor="white", linewidth=0.5)
                    bottom = [b + v for b, v in zip(bottom, vals)]
                for i, total in enumerate(bottom):
                    if (group, batch, DATAFLOWS[i]) not in rows:
                        no_mapping_mark(ax, i)
                        continue
                    ax.annotate(f"{total:.2f}", (i, total), ha="center", va="bottom",
                                fontsize=8, xytext=(0, 2), textcoords="offset points")
                ax.set_ylim(0, max(bottom) * 1.12)
                ax.set_title(f"{group} layers, batch {batch}")
                ax.set_xlabel("dataflow")
                ax.set_ylabel(energy_ylabel(unit))
                ax.grid(axis="y", alpha=0.3)
                ax.set_axisbelow(True)
            handles, labels = axes[0][0].get_legend_handles_labels()
            split = "level" if kind == "level" else "data type"
            fig.legend(handles[::-1], labels[::-1], loc="center right", title=split,
                       frameon=False)
            fig.suptitle(f"{network_name}, {group} layers: energy per MAC by {split}")
            fig.tight_layout(rect=(0, 0, 1 - 1.3 / fig.get_figwidth(), 1))
            name = CHARTS[kind][group]
            save(fig, name)
            written[f"energy_by_{kind}_{group.lower()}"] = name

    # Totals normalized to RS: one panel per group, bars per dataflow grouped by batch.
    groups = [g for g in GROUPS if any(gg == g for gg, _ in tables["points"])]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.6 * len(groups) + 0.4, 4.4),
                             squeeze=False)
    width = 0.8 / len(DATAFLOWS)
    for ax, group in zip(axes[0], groups):
        batches = [b for g, b in tables["points"] if g == group]
        top = 0.0
        for j, df in enumerate(DATAFLOWS):
            xs = [i + (j - (len(DATAFLOWS) - 1) / 2) * width for i in range(len(batches))]
            vals = [level_rows[(group, b, df)]["total_vs_rs"]
                    if (group, b, df) in level_rows else 0.0 for b in batches]
            top = max(top, *vals)
            ax.bar(xs, vals, width, color=DATAFLOW_COLORS[df], label=df)
            for x, v, b in zip(xs, vals, batches):
                if (group, b, df) not in level_rows:
                    no_mapping_mark(ax, x, fontsize=6)
                    continue
                ax.annotate(f"{v:.2f}", (x, v), ha="center", va="bottom", fontsize=6,
                            rotation=90, xytext=(0, 2), textcoords="offset points")
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_xticks(range(len(batches)))
        ax.set_xticklabels([f"batch {b}" for b in batches])
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel("energy per MAC / RS's (RS = 1)")
        ax.set_title(f"{group} layers: total energy normalized to RS")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", title="dataflow", frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 1.0 / fig.get_figwidth(), 1))
    save(fig, CHARTS["normalized"])
    written["normalized_to_rs"] = CHARTS["normalized"]

    # RS layer by layer, stacked by level.
    rs_groups = [g for g in GROUPS if g in tables["rs_layers_batch"]]
    fig, axes = plt.subplots(1, len(rs_groups), figsize=(5.0 * len(rs_groups) + 0.6, 4.4),
                             squeeze=False)
    parts = [p for p in LEVELS if p[0] in tables["level_keys"]]
    for ax, group in zip(axes[0], rs_groups):
        rows = [r for r in tables["rs_layers"] if r["group"] == group]
        names = [r["layer"] for r in rows]
        bottom = [0.0] * len(rows)
        for key, label, colour in parts:
            vals = [r[f"{key}_per_mac"] for r in rows]
            ax.bar(names, vals, bottom=bottom, color=colour, label=label, edgecolor="white",
                   linewidth=0.5)
            bottom = [b + v for b, v in zip(bottom, vals)]
        for i, total in enumerate(bottom):
            ax.annotate(f"{total:.2f}", (i, total), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
        ax.set_ylim(0, max(bottom) * 1.12)
        ax.set_title(f"RS, {group} layers, batch {tables['rs_layers_batch'][group]}")
        ax.set_xlabel("layer")
        ax.set_ylabel(energy_ylabel(unit))
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="center right", title="level", frameon=False)
    fig.suptitle(f"{network_name}: RS energy per MAC per layer, by level")
    fig.tight_layout(rect=(0, 0, 1 - 1.3 / fig.get_figwidth(), 1))
    save(fig, CHARTS["rs_layers"])
    written["rs_layers"] = CHARTS["rs_layers"]
    return written


def stdout_tables(tables, unit):
    metrics = {(r["group"], r["batch"], r["dataflow"]): r for r in tables["metrics"]}
    level = {(r["group"], r["batch"], r["dataflow"]): r for r in tables["energy_by_level"]}
    winners = {(w["group"], w["batch"]): w for w in tables["winners"]}
    out = []
    head = (f"{'dataflow':8}  {'energy/MAC':>10}  {'vs RS':>6}  {'DRAM acc/MAC':>12}  "
            f"{'cycles':>14}  {'active PEs':>10}  check")
    for group, batch in tables["points"]:
        out.append(f"{group} layers, batch {batch} (energy in {unit} per MAC)")
        out.append(head)
        out.append("-" * len(head))
        for df in DATAFLOWS:
            if (group, batch, df) not in metrics:
                out.append(f"{df:8}  no legal mapping under these rules (summary.json "
                           f"\"unmapped\")")
                continue
            m, l = metrics[(group, batch, df)], level[(group, batch, df)]
            out.append(f"{df:8}  {l['total_per_mac']:10.3f}  {l['total_vs_rs']:6.2f}  "
                       f"{m['dram_accesses_per_mac']:12.4f}  {m['cycles']:14,d}  "
                       f"{m['active_pes_mean']:10.1f}  {m['functional_check']}")
        w = winners[(group, batch)]
        if w["second"] is None:
            out.append(f"wins: {w['best']}, the only dataflow mapped")
        else:
            out.append(f"wins: {w['best']}, {w['ratio_second_to_best']:.2f}x less energy than "
                       f"the second best ({w['second']})")
        out.append("")
    return "\n".join(out)


def write_outputs(out_dir, tmp_dir, raw_tmp, files):
    """Renames every temporary output into out_dir (raw/ replaced whole) as the last step."""
    raw_final = os.path.join(out_dir, "raw")
    if os.path.isdir(raw_final):
        shutil.rmtree(raw_final)
    os.replace(raw_tmp, raw_final)
    for name in files:
        os.replace(os.path.join(tmp_dir, name), os.path.join(out_dir, name))


# ----------------------------------------------------------------------------------------------

def batch_list(text):
    try:
        return sorted({int(x) for x in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="compare", description="The ISCA 2016 dataflow energy comparison on AlexNet: "
        "runs dfsim for six dataflows x layer groups x batches and writes tables and charts.",
        epilog="Default paths are relative to the repository root.")
    ap.add_argument("--out", help="output folder (default results/compare)")
    ap.add_argument("--record-as", metavar="DIR",
                    help="the folder a caller will move --out to once it is complete "
                    "(scripts/alexnet stages its results); summary.json's commands name it "
                    "instead of --out")
    ap.add_argument("--dfsim", help="dfsim executable (default build/dfsim)")
    ap.add_argument("--quick", action="store_true",
                    help="CONV at batch 1 and FC at batch 16 only (for tests)")
    ap.add_argument("--no-check", action="store_true",
                    help="run batch 1 with --fast too, not --check (same counts and cycles, "
                         "which a test checks on every dataflow; no output comparison)")
    ap.add_argument("--jobs", type=int, default=2, help="dfsim processes at a time (default 2)")
    ap.add_argument("--network", help="network file (default models/alexnet.json)")
    ap.add_argument("--layer", dest="layers", action="append", default=[], metavar="NAME",
                    help="simulate only this layer (repeatable); groups follow the layer type")
    ap.add_argument("--arch-dir", help="folder of presets <dataflow>.json "
                    "(default configs/arch/isca16)")
    ap.add_argument("--arch", help="one architecture file for every dataflow instead of "
                    "--arch-dir (e.g. a tiny arch for tests)")
    ap.add_argument("--energy", help="energy table (default "
                    "configs/energy/isca16_normalized.json)")
    ap.add_argument("--dataflows", type=lambda t: [x for x in t.split(",") if x],
                    help="comma-separated dataflows to compare, in this order (default: every "
                    "dataflow of 'dfsim dataflows'; must include rs, the reference)")
    ap.add_argument("--rules", choices=["free", "isca16"], default="free",
                    help="what each dataflow stands for (dfsim run --rules): free (default: "
                    "the dataflow constrains the array, the search chooses the levels above) "
                    "or isca16 (paper mode: the ISCA 2016 framework's nests and variables; "
                    "default dataflows then those paper mode has)")
    ap.add_argument("--conv-batches", type=batch_list,
                    help="comma-separated CONV batches (default 1,16,64; --quick: 1)")
    ap.add_argument("--fc-batches", type=batch_list,
                    help="comma-separated FC batches (default 16,64,256; --quick: 16)")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    for b in (args.conv_batches or []) + (args.fc_batches or []):
        if b < 1:
            ap.error("batches must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    out_dir = user_path(args.out, "results/compare")
    dfsim = user_path(args.dfsim, "build/dfsim")
    network = user_path(args.network, "models/alexnet.json")
    energy = user_path(args.energy, "configs/energy/isca16_normalized.json")
    arch_dir = user_path(args.arch_dir, "configs/arch/isca16")
    single_arch = os.path.abspath(args.arch) if args.arch else None

    def arch_for(df):
        return single_arch or os.path.join(arch_dir, f"{df}.json")

    if not os.access(dfsim, os.X_OK):
        raise JobError(f"{display_path(dfsim)}: not an executable (build it with "
                       f"cmake --build build --target dfsim, or pass --dfsim)")
    try:
        rules_have = list(dataflow_registry.names(dfsim, args.rules))
        DATAFLOWS[:] = args.dataflows or rules_have
    except InputError as e:
        raise JobError(str(e)) from None
    if REFERENCE_DATAFLOW not in DATAFLOWS or len(set(DATAFLOWS)) != len(DATAFLOWS):
        raise JobError(f"--dataflows {','.join(DATAFLOWS)}: expected distinct dataflows "
                       f"including {REFERENCE_DATAFLOW} (the reference)")
    missing = [arch_for(df) for df in DATAFLOWS if not os.path.isfile(arch_for(df))]
    for path in [network, energy] + sorted(set(missing)):
        if not os.path.isfile(path):
            raise JobError(f"{display_path(path)}: no such file")

    layers_by_group, network_name = group_layers(network, args.layers)
    energy_table = read_json(energy)
    unit = energy_table.get("unit", "")
    leakage_used = float(energy_table.get("leakage_per_cycle", 0) or 0) != 0.0
    has_fast = dfsim_has_fast(dfsim)
    runs, skipped, batches = plan_runs(args, layers_by_group, arch_for, has_fast)
    if not has_fast:
        print(f"compare: {display_path(dfsim)} has no --fast: batches > 1 run with full "
              f"values, and batches > {MAX_BATCH_WITHOUT_FAST} are skipped", file=sys.stderr)
    for s in skipped:
        print(f"compare: skipping {s['group']} batch {s['batch']}: {s['reason']}",
              file=sys.stderr)
    if not runs:
        raise JobError("nothing to run")
    groups_run = {r.group for r in runs}
    layers_by_group = {g: l for g, l in layers_by_group.items() if g in groups_run}

    os.makedirs(out_dir, exist_ok=True)
    tmp_dir = os.path.join(out_dir, f".compare-tmp-{os.getpid()}")
    raw_tmp = os.path.join(tmp_dir, "raw")
    os.makedirs(raw_tmp)
    try:
        print(f"compare: {len(runs)} dfsim runs, {args.jobs} at a time", file=sys.stderr,
              flush=True)
        start = time.monotonic()
        # dfsim runs from the root with paths as recorded in summary.json.
        rel = display_path
        exe = os.path.join(tmp_dir, "dfsim")
        shutil.copy2(dfsim, exe)
        execute(runs, args.jobs, rel(dfsim), exe, rel(network), rel(energy), raw_tmp)
        runs_seconds = time.monotonic() - start
        results = {}
        for r in runs:
            results[(r.dataflow, r.group, r.batch)] = load_run(r, raw_tmp)
            r.mapped = mapped(results[(r.dataflow, r.group, r.batch)])
            if not r.mapped:
                for u in results[(r.dataflow, r.group, r.batch)]["unmapped"]:
                    print(f"compare: {r.name}: no legal mapping ({u['reason']})",
                          file=sys.stderr)
        tables = build_tables(runs, results, layers_by_group, batches, leakage_used)
        print(f"compare: halo reuse what-if, {2 * len(runs)} dfsim evaluate processes",
              file=sys.stderr, flush=True)
        what_if_start = time.monotonic()
        evaluations = evaluate_what_if(runs, args.jobs, rel(dfsim), exe, rel(network),
                                       rel(energy), raw_tmp)
        what_if = {(r.dataflow, r.group, r.batch): load_what_if(r, raw_tmp) for r in runs
                   if r.mapped}
        what_if_seconds = time.monotonic() - what_if_start
        energy_keys = tables["level_keys"] + ["weights", "inputs", "outputs", "total"]
        halo_rows = halo_what_if_rows(tables["points"], what_if, energy_keys)
        charts = draw_charts(tables, tmp_dir, unit, network_name)

        first = results[(runs[0].dataflow, runs[0].group, runs[0].batch)]["run"]
        recorded_raw = display_path(user_path(args.record_as, out_dir)) + "/raw"
        summary = {
            "generated_by": "scripts/compare.py",
            "setup": {
                "reference": "Chen, Emer, Sze, ISCA 2016 (shared/reference/eyeriss.md, §4)",
                "network": display_path(network), "network_name": network_name,
                "arch": {df: display_path(arch_for(df)) for df in DATAFLOWS},
                "arch_names": {df: results[(df, runs[0].group, runs[0].batch)]["run"]["arch"]
                               for df in DATAFLOWS},
                "energy_table": display_path(energy),
                "energy_table_name": first["energy_table"]["name"],
                "energy_unit": unit,
                "dfsim_version": first["dfsim_version"],
                "search": True, "objective": OBJECTIVE, "rules": args.rules,
                "dataflows": DATAFLOWS, "reference_dataflow": REFERENCE_DATAFLOW,
                "rules_have": rules_have,
                "layers": layers_by_group,
                "batches": {g: [b for gg, b in tables["points"] if gg == g]
                            for g in layers_by_group},
                "quick": args.quick,
                "check": ("no run compares outputs (--no-check: batch 1 ran with --fast)"
                          if args.no_check else
                          "batch 1 runs compare every output with the reference convolution"),
                "fast_available": has_fast,
                "skipped": skipped,
            },
            "winners": tables["winners"],
            "energy_by_level": tables["energy_by_level"],
            "energy_by_type": tables["energy_by_type"],
            "metrics": tables["metrics"],
            "rs_layers": tables["rs_layers"],
            "rs_layers_batch": tables["rs_layers_batch"],
            "accesses": tables["accesses"],
            **({"unmapped": tables["unmapped"]} if tables["unmapped"] else {}),
            "halo_what_if": {
                "what": "each run's searched mappings re-priced by the analytic model (dfsim "
                        "evaluate), as the runs were (halo_reuse: sliding-window reuse at GLB "
                        "and RF, whose per-layer accesses equal the simulated ones: checked) "
                        "and without it (no_halo_reuse: every tile fetched whole); the "
                        "searches scored halo reuse",
                "as_run": RUN_SETTING,
                "settings": {s: o for s, o in HALO_SETTINGS},
                "energy_unit": unit,
                "input_words": "reads + writes of inputs (ifmaps) per level, summed over "
                               "the group's layers",
                "rows": halo_rows,
            },
            "charts": charts,
            "runs": [{"dataflow": r.dataflow, "group": r.group, "batch": r.batch,
                      "layers": r.layers, "raw": f"raw/{r.name}",
                      "checked": r.check, "fast": r.fast,
                      "search": results[(r.dataflow, r.group, r.batch)]["search"],
                      "functional_check": check_label(results[(r.dataflow, r.group,
                                                               r.batch)]["checks"]),
                      "command": " ".join(r.cmd).replace(raw_tmp, recorded_raw),
                      "what_if_commands": {
                          s: " ".join(ev.cmd).replace(raw_tmp, recorded_raw)
                          for s, ev in evaluations.get(r.name, {}).items()}}
                     for r in sorted(runs, key=lambda r: (GROUPS.index(r.group), r.batch,
                                                          DATAFLOWS.index(r.dataflow)))],
        }
        files = ["energy_by_level.csv", "energy_by_type.csv", "metrics.csv", "rs_layers.csv",
                 "halo_what_if.csv", "summary.json", "timing.json"] + sorted(charts.values())
        texts = {
            "energy_by_level.csv": csv_text(tables["energy_by_level"]),
            "energy_by_type.csv": csv_text(tables["energy_by_type"]),
            "metrics.csv": csv_text(tables["metrics"]),
            "rs_layers.csv": csv_text(tables["rs_layers"]),
            "halo_what_if.csv": csv_text(halo_what_if_csv_rows(halo_rows, energy_keys)),
            "summary.json": json.dumps(summary, indent=2) + "\n",
            "timing.json": json.dumps(timing_summary(
                runs, results, evaluations, time.monotonic() - start, runs_seconds,
                what_if_seconds), indent=2) + "\n",
        }
        for name, text in texts.items():
            with open(os.path.join(tmp_dir, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        write_outputs(out_dir, tmp_dir, raw_tmp, files)
        print(stdout_tables(tables, unit))
        print(what_if_stdout(halo_rows, unit))
        print(f"compare: {len(runs)} runs in {time.monotonic() - start:.0f} s; results in "
              f"{display_path(out_dir)}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return 0


def timing_summary(runs, results, evaluations, total_seconds, runs_seconds, what_if_seconds):
    """timing.json: wall-clock seconds of the job, of its two phases (the simulations; the
    halo what-if's evaluate processes) and of each run (process, mapping search, simulation,
    its two evaluate processes) and simulated cycles per second. Kept out of summary.json,
    which is the same bytes on every re-run."""
    return {"total_seconds": round(total_seconds, 3),
            "runs_seconds": round(runs_seconds, 3),
            "what_if_seconds": round(what_if_seconds, 3),
            "runs": [dict({"name": r.name, "process_seconds": round(r.wall_s, 3)},
                          **results[(r.dataflow, r.group, r.batch)]["timing"],
                          evaluate_seconds={s: round(ev.wall_s, 3)
                                            for s, ev in evaluations.get(r.name, {}).items()})
                     for r in runs]}


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except JobError as e:
        print(f"compare: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("compare: interrupted", file=sys.stderr)
        sys.exit(130)
