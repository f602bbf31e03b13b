"""The columns of the sweep table: fixed ones, per-layer metrics and how metrics add up.

The per-layer metrics are the columns of dfsim's DIR/layers.csv (src/report/layers_csv.cpp)
after its layer, type, dataflow and batch columns, plus two computed here.
"""

# Columns before the parameters and between the parameters and the metrics.
HEAD = ["point", "hash"]
MIDDLE = ["dataflow", "layer", "layer_type", "batch", "status", "error", "energy_unit"]

_LEVELS = ["dram", "glb", "noc", "rf"]
_TENSORS = ["weights", "inputs", "outputs"]
DFSIM_METRICS = (
    ["macs", "cycles", "cycles_compute", "cycles_stall_dram", "cycles_stall_glb",
     "cycles_stall_noc", "active_pes", "total_pes", "utilization",
     "energy_total", "energy_mac", "energy_dram", "energy_glb", "energy_noc", "energy_rf",
     "energy_leakage", "energy_weights", "energy_inputs", "energy_outputs"]
    + [f"{level}_{tensor}_{op}" for level in _LEVELS for tensor in _TENSORS
       for op in ("reads", "writes")])
COMPUTED_METRICS = ["energy_per_mac", "edp"]
METRICS = DFSIM_METRICS + COMPUTED_METRICS

RESERVED = set(HEAD) | set(MIDDLE) | set(METRICS)

# Energy by level, bottom to top of a stacked bar: (metric, key of compare.LEVELS).
ENERGY_LEVELS = [("energy_mac", "alu"), ("energy_rf", "rf"), ("energy_noc", "noc"),
                 ("energy_glb", "glb"), ("energy_dram", "dram"), ("energy_leakage", "leakage")]


def metric_unit(metric, energy_unit):
    """The unit of a metric for axis labels ("" when it has none)."""
    if metric == "edp":
        return f"{energy_unit} x cycles"
    if metric == "energy_per_mac":
        return f"{energy_unit} per MAC"
    if metric.startswith("energy_"):
        return energy_unit
    if metric.startswith("cycles"):
        return "cycles"
    if metric.endswith(("_reads", "_writes")):
        return "words"
    if metric in ("active_pes", "total_pes"):
        return "PEs"
    if metric == "utilization":
        return "fraction of PE cycles"
    if metric == "macs":
        return "MACs"
    return ""


def aggregate(rows, metric):
    """The metric of one (point, dataflow) over its layer rows (dicts of floats).

    Counts, energies and cycles add up; utilization is MACs over (cycles x PEs), active_pes
    the MAC-weighted mean, total_pes the largest, energy_per_mac total energy over MACs and
    edp total energy times total cycles.
    """
    total = lambda key: sum(r[key] for r in rows)  # noqa: E731
    if metric == "utilization":
        denom = total("cycles") * max(r["total_pes"] for r in rows)
        return total("macs") / denom if denom else 0.0
    if metric == "active_pes":
        macs = total("macs")
        return sum(r["active_pes"] * r["macs"] for r in rows) / macs if macs else 0.0
    if metric == "total_pes":
        return max(r["total_pes"] for r in rows)
    if metric == "energy_per_mac":
        macs = total("macs")
        return total("energy_total") / macs if macs else 0.0
    if metric == "edp":
        return total("energy_total") * total("cycles")
    return total(metric)


_PATH_UNITS = [("size_kib", "KiB"), ("bytes_per_cycle", "bytes/cycle"),
               ("words_per_cycle", "words/cycle"), ("latency_cycles", "cycles"),
               ("clock_mhz", "MHz"), ("words", "words"), ("rows", "PEs"), ("cols", "PEs"),
               ("word_bits", "bits")]


def path_unit(path):
    """A guess of a --set path's unit from its last key ("" when unknown)."""
    if not path:
        return ""
    last = path.split(".")[-1]
    for suffix, unit in _PATH_UNITS:
        if last == suffix or last.endswith("_" + suffix):
            return unit
    return ""
