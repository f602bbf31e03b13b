"""Charts of a sweep table (scripts/plot_sweep), PNG through matplotlib's Agg backend.

For each metric, `<metric>_vs_<x>.png`: the metric over all layers of a point (summed, or
combined as columns.aggregate says) against the parameter x, one line per dataflow, and one
per value of every other independent parameter (a column that x and the columns already
chosen do not determine). And `energy_breakdown_vs_<x>.png`: energy per MAC stacked by level
(ALU, RF, NoC, GLB, DRAM, leakage when nonzero), bars grouped by x, one bar per dataflow, one
panel per value of the other parameters. Colours are those of scripts/compare.py. Only rows
with status ok are drawn, and only they are read into memory (so lines are split by the
values of the points drawn); sweep.json beside the table (written by scripts/sweep), when
there, gives units, the spec's name and its default x and metrics.
"""

import json
import math
import os
import re

from dfsim_import.common import InputError

from . import columns, table

MAX_PANELS = 12


def _load_meta(table_path):
    path = os.path.join(os.path.dirname(os.path.abspath(table_path)), "sweep.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def param_columns(head):
    """The parameter columns of a table: those between hash and dataflow."""
    return head[len(columns.HEAD):head.index("dataflow")]


def _float(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _determined(points, target, by):
    """Whether column `target` is a function of the columns `by` over `points` (dicts)."""
    seen = {}
    for p in points.values():
        key = tuple(p[c] for c in by)
        if seen.setdefault(key, p[target]) != p[target]:
            return False
    return True


def line_keys(points, params, x):
    """The parameter columns that split lines: in table order, each one not determined by x
    and the columns already chosen."""
    keys = []
    for col in params:
        if col != x and not _determined(points, col, [x] + keys):
            keys.append(col)
    return keys


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


class Data:
    """A table ready to draw: per (point, dataflow) aggregated metrics, the points' parameter
    values, the x order and the line keys."""

    def __init__(self, table_path, x=None, meta=None):
        try:
            head, rows = table.read_csv(table_path, status="ok")
        except OSError as e:
            raise InputError(table_path, f"cannot open ({e.strerror})") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(table_path, f"{e}") from None
        self.meta = meta if meta is not None else _load_meta(table_path)
        self.head, self.params = head, param_columns(head)
        if not self.params:
            raise InputError(table_path, "the table has no parameter column")
        plot_meta = self.meta.get("plot") or {}
        self.x = x or plot_meta.get("x") or self.params[0]
        if self.x not in self.params:
            raise InputError(f"--x {self.x}", f"expected a parameter column of the table "
                                              f"({', '.join(self.params)})")
        self.points = {}
        for r in rows:
            self.points.setdefault(r["point"], {c: r[c] for c in self.params})
        self.ok = [r for r in rows if r["status"] == "ok"]
        if not self.ok:
            raise InputError(table_path, "nothing to plot: no row has status ok")
        self.unit = self.ok[0].get("energy_unit", "")
        # In the table's order, which is the spec's (dfsim's registry order for "all").
        self.dataflows = list(dict.fromkeys(r["dataflow"] for r in self.ok))
        self.keys = line_keys(self.points, self.params, self.x)
        ran = {r["point"] for r in self.ok}
        xs = [p[self.x] for pid, p in self.points.items() if pid in ran]
        self.numeric = all(_float(v) is not None for v in xs)
        order = sorted(set(xs), key=_float) if self.numeric else list(dict.fromkeys(xs))
        self.x_values = order
        self.groups = {}
        for r in self.ok:
            self.groups.setdefault((r["point"], r["dataflow"]), []).append(r)
        self.table_path = table_path

    def value(self, point, dataflow, metric):
        """The metric of one (point, dataflow) over its layers, or None when it did not run."""
        rows = self.groups.get((point, dataflow))
        if not rows:
            return None
        try:
            return columns.aggregate([{k: _float(v) or 0.0 for k, v in r.items()
                                       if k in columns.METRICS} for r in rows], metric)
        except KeyError as e:
            raise InputError(self.table_path, f"metric {metric} needs column {e} in the "
                                              "table (add it to the spec's metrics)") from None

    def label(self, col):
        """An axis label for a parameter column: name, --set path and unit."""
        info = next((c for c in self.meta.get("columns", []) if c.get("column") == col), {})
        path = info.get("path") or (col if "." in col else None)
        unit = info.get("unit") or columns.path_unit(path)
        text = col if not path or path == col else f"{col} ({path})"
        return f"{text} [{unit}]" if unit else text

    def title(self):
        """The sweep's name (from sweep.json) or the table's file name."""
        return self.meta.get("name") or os.path.splitext(os.path.basename(self.table_path))[0]

    def key_values(self):
        """The distinct values of the line-key columns, in table order."""
        return list(dict.fromkeys(tuple(p[k] for k in self.keys)
                                  for p in self.points.values()))

    def x_position(self, value):
        """Where an x value goes on the axis: itself when numeric, else its index."""
        return _float(value) if self.numeric else self.x_values.index(value)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "dfsim"})
    return plt


def _style_x(ax, data):
    if data.numeric:
        vals = [_float(v) for v in data.x_values]
        if min(vals) > 0 and max(vals) / min(vals) >= 16:
            from matplotlib.ticker import NullLocator
            ax.set_xscale("log", base=2)
            ax.set_xticks(vals)
            ax.set_xticklabels(data.x_values)
            ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.set_xticks(range(len(data.x_values)))
        ax.set_xticklabels(data.x_values)


def _save(plt, fig, out_dir, name):
    path = os.path.join(out_dir, name)
    tmp = os.path.join(out_dir, f".tmp-{os.getpid()}-{name}")
    try:
        fig.savefig(tmp, dpi=110, metadata={"Software": None}, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def metric_chart(plt, data, metric, out_dir):
    """`<metric>_vs_<x>.png`: one line per dataflow and line-key value; returns its path."""
    from compare import DATAFLOW_COLORS
    markers = ["o", "s", "^", "D", "v", "P", "X", "*"]
    styles = ["-", "--", ":", "-."]
    fig, ax = plt.subplots(figsize=(7.4, 4.4))
    keyvals = data.key_values()
    drawn = False
    for df in data.dataflows:
        for k, kv in enumerate(keyvals):
            pts = []
            for pid, p in data.points.items():
                if tuple(p[c] for c in data.keys) != kv:
                    continue
                v = data.value(pid, df, metric)
                if v is not None:
                    pts.append((data.x_position(p[data.x]), v))
            if not pts:
                continue
            pts.sort()
            label = df + "".join(f", {c}={v}" for c, v in zip(data.keys, kv))
            ax.plot([a for a, _ in pts], [b for _, b in pts], color=DATAFLOW_COLORS[df],
                    linestyle=styles[k % len(styles)], marker=markers[k % len(markers)],
                    markersize=4, label=label)
            drawn = True
    _style_x(ax, data)
    unit = columns.metric_unit(metric, data.unit)
    ax.set_xlabel(data.label(data.x))
    ax.set_ylabel(f"{metric} [{unit}]" if unit else metric)
    ax.set_title(f"{data.title()}: {metric} over all layers vs {data.x}")
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    if drawn:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8,
                  title="dataflow")
    fig.tight_layout()
    return _save(plt, fig, out_dir, f"{_safe(metric)}_vs_{_safe(data.x)}.png")


def breakdown_chart(plt, data, out_dir):
    """`energy_breakdown_vs_<x>.png`: energy per MAC stacked by level; returns its path, or
    None when the table lacks the energy or MAC columns."""
    from compare import LEVELS, energy_ylabel
    needed = ["macs"] + [m for m, _ in columns.ENERGY_LEVELS]
    if any(m not in data.head for m in needed):
        return None
    colour = {key: (label, c) for key, label, c in LEVELS}
    levels = [(m, key) for m, key in columns.ENERGY_LEVELS
              if key != "leakage" or any(_float(r["energy_leakage"]) for r in data.ok)]
    keyvals = data.key_values()[:MAX_PANELS]
    ncols = min(3, len(keyvals))
    nrows = math.ceil(len(keyvals) / ncols)
    n_df = len(data.dataflows)
    width_in = max(4.2, 0.35 * n_df * len(data.x_values) + 1.2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width_in * ncols + 1.4, 3.8 * nrows),
                             squeeze=False, sharey=True)
    width = 0.8 / n_df
    top = 0.0
    for ax, kv in zip([a for row in axes for a in row], keyvals):
        for j, df in enumerate(data.dataflows):
            for i, xv in enumerate(data.x_values):
                pid = next((pid for pid, p in data.points.items() if p[data.x] == xv and
                            tuple(p[c] for c in data.keys) == kv), None)
                if pid is None or (pid, df) not in data.groups:
                    continue
                macs = data.value(pid, df, "macs")
                pos = i + (j - (n_df - 1) / 2) * width
                bottom = 0.0
                for metric, key in levels:
                    v = data.value(pid, df, metric) / macs if macs else 0.0
                    label, c = colour[key]
                    ax.bar(pos, v, width, bottom=bottom, color=c, edgecolor="white",
                           linewidth=0.5, label=label if (i, j) == (0, 0) else None)
                    bottom += v
                top = max(top, bottom)
        if n_df > 1:
            ticks = [i + (j - (n_df - 1) / 2) * width for i in range(len(data.x_values))
                     for j in range(n_df)]
            ax.set_xticks(ticks, minor=True)
            ax.set_xticklabels(data.dataflows * len(data.x_values), minor=True, fontsize=7,
                               rotation=90)
            ax.tick_params(axis="x", which="major", pad=26, length=0)
        ax.set_xticks(range(len(data.x_values)))
        ax.set_xticklabels(data.x_values)
        ax.set_xlabel(data.label(data.x))
        ax.set_ylabel(energy_ylabel(data.unit))
        ax.yaxis.set_tick_params(labelleft=True)
        if data.keys:
            ax.set_title(", ".join(f"{c}={v}" for c, v in zip(data.keys, kv)), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0][0].set_ylim(0, top * 1.15 if top else 1)
    for ax in [a for row in axes for a in row][len(keyvals):]:
        ax.set_visible(False)
    handles, labels = [], []
    for ax in [a for row in axes for a in row]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles[::-1], labels[::-1], loc="center right", title="level", frameon=False)
    fig.suptitle(f"{data.title()}: energy per MAC by level vs {data.x}")
    fig.tight_layout(rect=(0, 0, 1 - 1.3 / fig.get_figwidth(), 1))
    return _save(plt, fig, out_dir, f"energy_breakdown_vs_{_safe(data.x)}.png")


def draw(table_path, out_dir, metrics=None, x=None, meta=None):
    """Draws the charts of the table into out_dir (created); returns the paths written.
    `meta` (default: read from sweep.json beside the table) gives units, name and defaults:
    `metrics` default: its plot metrics, else energy_total; `x` default: its plot x, else the
    first parameter column. InputError for a bad table, metric or x."""
    data = Data(table_path, x, meta)
    plot_meta = data.meta.get("plot") or {}
    metrics = metrics or plot_meta.get("metrics") or ["energy_total"]
    for m in metrics:
        if m not in columns.METRICS:
            raise InputError(f"--metric {m}", f"expected a metric "
                                              f"({', '.join(columns.METRICS)})")
    os.makedirs(out_dir, exist_ok=True)
    plt = _pyplot()
    written = [metric_chart(plt, data, m, out_dir) for m in metrics]
    breakdown = breakdown_chart(plt, data, out_dir)
    if breakdown:
        written.append(breakdown)
    return written


def main(argv=None):
    """scripts/plot_sweep: parses options and draws; prints the files written."""
    import argparse
    ap = argparse.ArgumentParser(
        prog="plot_sweep", description="Charts of a sweep table (sweep.csv of scripts/sweep): "
        "a metric against a parameter, one line per dataflow, and the energy breakdown by "
        "level. PNG files.")
    ap.add_argument("table", help="the table (sweep.csv)")
    ap.add_argument("--out", help="output folder (default: plots/ beside the table)")
    ap.add_argument("--metric", action="append", metavar="NAME",
                    help="metric to draw against x (repeatable; default: the spec's plot "
                         "metrics or objective, else energy_total)")
    ap.add_argument("--x", metavar="PARAM",
                    help="parameter column on the x axis (default: the spec's plot.x, else "
                         "the first parameter column)")
    args = ap.parse_args(argv)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.table)), "plots")
    for path in draw(args.table, out, args.metric, args.x):
        print(path)
