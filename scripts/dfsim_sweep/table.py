"""The tidy table of a sweep: one row per point x dataflow x layer (pooling layers, which dfsim
does not simulate, are left out), a column per parameter and per metric.

Columns: point, hash, the parameter columns (swept, then derived), dataflow, layer,
layer_type, batch, status (ok, failed or skipped), error, energy_unit, then the metrics. A
failed or skipped point has one row per dataflow with an empty layer, its error or reason and
no metrics. Metric cells are dfsim's own text from layers.csv (computed ones use 10
significant digits), so a table does not depend on how or where the points ran.
"""

import csv
import io
import json
import os

from . import columns
from .points import cell_text

PARQUET_NOTE = "sweep.parquet is written only when pyarrow can be imported (not in Debian 12)"


def header(spec):
    """The table's column names for a spec."""
    return (columns.HEAD + [c for c, _, _ in spec.set_columns()] + columns.MIDDLE
            + list(spec.metrics))


def _number(text):
    return float(text) if text not in ("", None) else 0.0


def _fmt(value):
    return f"{value:.10g}"


def read_point(point_dir):
    """(energy unit, {dataflow: [layers.csv rows as dicts, in file order]}) of one point
    folder (one dfsim run of every dataflow); OSError, ValueError or KeyError when it is
    unreadable. Pooling rows (dataflow "-") are left out."""
    with open(os.path.join(point_dir, "stats.json"), encoding="utf-8") as f:
        stats = json.load(f)
    unit = stats["run"]["energy_table"]["unit"]
    by_df = {}
    with open(os.path.join(point_dir, "layers.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rename = _role_names(reader.fieldnames or [])
        for r in reader:
            r = {rename.get(k, k): v for k, v in r.items()}
            if r.get("dataflow") not in (None, "-"):
                by_df.setdefault(r["dataflow"], []).append(r)
    return unit, by_df


_ROLES = ["dram", "glb", "noc", "rf"]


def _role_names(header):
    """{layers.csv column: the table's column} for an arch whose four levels have their own
    names (a levels-form arch file may call them e.g. dram, glb, array_bus, spad): the table
    keeps the 4-level instance's role names, matched by position. ValueError for a hierarchy
    of another size (the sweep's table has the 4-level columns only)."""
    try:
        levels = [c[len("energy_"):] for c in
                  header[header.index("energy_mac") + 1:header.index("energy_leakage")]]
    except ValueError:
        raise ValueError("layers.csv has no energy_mac ... energy_leakage columns") from None
    if levels == _ROLES:
        return {}
    if len(levels) != len(_ROLES):
        raise ValueError(f"layers.csv has {len(levels)} levels ({', '.join(levels)}); the "
                         f"sweep's table has the columns of the 4-level hierarchy only")
    rename = {}
    for name, role in zip(levels, _ROLES):
        rename[f"energy_{name}"] = f"energy_{role}"
        for tensor in ("weights", "inputs", "outputs"):
            for op in ("reads", "writes"):
                rename[f"{name}_{tensor}_{op}"] = f"{role}_{tensor}_{op}"
    return rename


def build(spec, points, results, points_dir):
    """The table rows (lists of strings, header order) of every point and dataflow.

    `results` maps point index -> the task's result dict (task.run_point); skipped points have
    none.
    """
    rows = []
    for point in points:
        rows.extend(point_rows(spec, point, results.get(point.index), points_dir))
    return rows


def point_rows(spec, point, result, points_dir):
    """The table rows of one point (one per dataflow and layer; one per dataflow when it
    failed or was skipped). `result` is the task's result dict, or None (skipped, not run)."""
    set_cols = [c for c, _, _ in spec.set_columns()]
    rows = []
    params = [cell_text(point.values.get(c)) for c in set_cols]
    read = None
    if point.skip is None and result is not None and result["hash"] is not None:
        try:
            read = read_point(os.path.join(points_dir, result["hash"]))
        except (OSError, ValueError, KeyError) as e:
            read = e
    for df in spec.dataflows:
        def plain(status, error, digest=""):
            return ([str(point.index), digest] + params
                    + [df, "", "", "", status, error, ""] + [""] * len(spec.metrics))
        if point.skip is not None:
            rows.append(plain("skipped", point.skip))
            continue
        if result is None or result["hash"] is None:
            rows.append(plain("failed", result["error"] if result else "not run"))
            continue
        run = result["runs"].get(df)
        if run is None or run["status"] == "failed":
            rows.append(plain("failed", run["error"] if run else result["error"],
                              result["hash"]))
            continue
        if isinstance(read, Exception):
            rows.append(plain("failed", f"unreadable results: {read}", result["hash"]))
            continue
        unit, by_df = read
        if not by_df.get(df):
            rows.append(plain("failed", f"unreadable results: {result['hash']}/layers.csv "
                                        f"has no row of dataflow {df}", result["hash"]))
            continue
        for lr in by_df[df]:
            values = dict(lr)
            macs, energy = _number(lr["macs"]), _number(lr["energy_total"])
            values["energy_per_mac"] = _fmt(energy / macs) if macs else ""
            values["edp"] = _fmt(energy * _number(lr["cycles"]))
            rows.append([str(point.index), result["hash"]] + params
                        + [df, lr["layer"], lr["type"], lr["batch"], "ok", "", unit]
                        + [values.get(m, "") for m in spec.metrics])
    return rows


def csv_text(head, rows):
    """The table as CSV text (LF line ends, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(rows)
    return buf.getvalue()


def parquet_available():
    """Whether pyarrow (needed by pandas for Parquet) can be imported."""
    try:
        import pyarrow  # noqa: F401
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def write_parquet(csv_path, path, spec):
    """Writes the table of the CSV file `csv_path` as Parquet (numbers as float64, the rest
    as strings; see numeric_columns). Reads the whole table into memory (pandas)."""
    import pandas as pd
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for col in numeric_columns(frame, spec):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")  # "" becomes NaN
    frame.to_parquet(path, index=False)


def numeric_columns(frame, spec):
    """Columns to store as numbers in Parquet: the metrics, point, and every parameter column
    whose non-empty cells all parse as numbers."""
    out = ["point"] + list(spec.metrics)
    for col in [c for c, _, _ in spec.set_columns()] + ["batch"]:
        cells = [c for c in frame[col] if c != ""]
        try:
            [float(c) for c in cells]
        except ValueError:
            continue
        out.append(col)
    return out


def read_csv(path, status=None):
    """(header, rows as dicts) of a sweep table (only those whose status is `status`, when
    given: the others are never held); ValueError when it is not a sweep table."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            head = next(reader)
        except StopIteration:
            raise ValueError("empty file") from None
        missing = [c for c in columns.HEAD + columns.MIDDLE if c not in head]
        if missing:
            raise ValueError(f"not a sweep table: no column {', '.join(missing)}")
        at = head.index("status")
        rows = [dict(zip(head, r)) for r in reader
                if status is None or (len(r) > at and r[at] == status)]
    return head, rows
