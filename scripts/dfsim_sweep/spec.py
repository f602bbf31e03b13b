"""The sweep spec (JSON): strict validation into a Spec.

Every error is an InputError whose `where` is the spec file and whose `what` starts with the
JSON path of the offending value (`parameters[1].values[2]: expected ...`). Unknown keys,
duplicate keys, wrong types, unknown names in expressions and unknown metrics are errors. The
README's "Sweeps" section documents every key; what dfsim accepts for a --set path or value is
asked of dfsim itself (probe.py), not guessed here.
"""

import json
import math
import os
import re

from dfsim_import.common import InputError

from . import columns, expr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ENERGY = os.path.join(ROOT, "configs", "energy", "isca16_normalized.json")
SEARCH_OBJECTIVES = ["energy", "cycles", "edp"]
TILINGS = ["ragged", "perfect"]  # dfsim run --tiling
DOCUMENTS = ("arch", "network", "energy")
MAX_POINTS = 1_000_000
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SPEC_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")

TOP_KEYS = {"name", "description", "notes", "arch", "network", "energy", "dataflows", "layers",
            "batch", "fast", "search", "tiling", "constants", "parameters", "derived", "filters",
            "metrics", "objective", "plot"}
PARAM_KEYS = {"name", "path", "values", "unit", "description"}
DERIVED_KEYS = {"name", "path", "expr", "min", "max", "unit", "description"}
FILTER_KEYS = {"expr", "min", "max", "description"}
PLOT_KEYS = {"x", "metrics"}


class Param:
    """One swept parameter: its table column, expression name (or None), --set path, values."""

    def __init__(self, column, ident, path, values, unit, where):
        self.column, self.ident, self.path = column, ident, path
        self.values, self.unit, self.where = values, unit, where


class Derived:
    """A value computed from an expression at each point; sets `path` when it has one."""

    def __init__(self, column, ident, path, text, tree, lo, hi, unit, where):
        self.column, self.ident, self.path, self.text, self.tree = column, ident, path, text, tree
        self.min, self.max, self.unit, self.where = lo, hi, unit, where


class Filter:
    """A point is kept only when min <= expression <= max (either bound may be None)."""

    def __init__(self, text, tree, lo, hi, where):
        self.text, self.tree, self.min, self.max, self.where = text, tree, lo, hi, where


class Spec:
    """A validated sweep spec. Paths of files are absolute; `axes` is a list of lists of Param
    (a list of one for a plain parameter, of several for a zipped group)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def params(self):
        """Every swept parameter in spec order (zipped groups flattened)."""
        return [p for axis in self.axes for p in axis]

    def set_columns(self):
        """(column, path or None, unit) of every parameter column, swept then derived."""
        return ([(p.column, p.path, p.unit) for p in self.params()]
                + [(d.column, d.path, d.unit) for d in self.derived])

    def point_count(self):
        """Points of the grid before filters: the product of the axes' lengths."""
        n = 1
        for axis in self.axes:
            n *= len(axis[0].values)
        return n


def describe(value):
    """A JSON value as shown after `got` in a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        text = json.dumps(value)
        return text if len(text) <= 60 else text[:57] + '..."'
    return "an object" if isinstance(value, dict) else "an array"


def canonical_path(path):
    """`a.b[2].c` -> `a.b.2.c`, the way dfsim splits a --set path (src/io/overrides.cpp)."""
    return re.sub(r"\[([^\]]*)\]", r".\1", path)


def split_path(path):
    """The components of a canonical path."""
    return canonical_path(path).split(".")


class _Checker:
    """Validation helpers bound to one spec file."""

    def __init__(self, display):
        self.display = display

    def fail(self, where, what):
        raise InputError(self.display, f"{where}: {what}" if where else what)

    def obj(self, value, where, allowed, required=()):
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {describe(value)}")
        for key in value:
            if key not in allowed:
                self.fail(_join(where, key), f"unknown key; valid keys: "
                                             f"{', '.join(sorted(allowed))}")
        for key in required:
            if key not in value:
                self.fail(where, f"missing key {key!r}")
        return value

    def string(self, value, where, pattern=None, what="a non-empty string"):
        if not isinstance(value, str) or not value.strip() or (pattern and not
                                                               pattern.match(value)):
            self.fail(where, f"expected {what}, got {describe(value)}")
        return value

    def number(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)):
            self.fail(where, f"expected a number, got {describe(value)}")
        return value

    def positive_int(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(where, f"expected a positive integer, got {describe(value)}")
        return value

    def boolean(self, value, where):
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {describe(value)}")
        return value

    def array(self, value, where, min_len=1):
        if not isinstance(value, list):
            self.fail(where, f"expected an array, got {describe(value)}")
        if len(value) < min_len:
            self.fail(where, f"expected at least {min_len} element"
                             f"{'s' if min_len > 1 else ''}, got {len(value)}")
        return value

    def file(self, value, where, base_dir):
        self.string(value, where, what="a file path")
        path = os.path.normpath(os.path.join(base_dir, value))
        if not os.path.isfile(path):
            self.fail(where, f"no such file: {value} (looked for {path})")
        return path

    def set_path(self, value, where):
        self.string(value, where, what="a --set path like arch.glb.size_kib")
        parts = split_path(value)
        if parts[0] not in DOCUMENTS or len(parts) < 2 or any(p == "" for p in parts):
            self.fail(where, f"expected a --set path starting with arch., network. or energy. "
                             f"with no empty component, got {describe(value)}")
        if "=" in value or any(c.isspace() for c in value):
            self.fail(where, f"expected a --set path without '=' or spaces, got "
                             f"{describe(value)}")
        return canonical_path(value)


def _join(where, key):
    return f"{where}.{key}" if where else key


def _reject_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(text):
    raise ValueError(f"{text} is not a JSON number")


def load_json(path, display):
    """The JSON document in `path`; InputError with line and column on a syntax error."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(display, f"cannot open ({e.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(display, "expected UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise InputError(display, f"line {e.lineno} column {e.colno}: JSON syntax error: "
                                  f"{e.msg}") from None
    except ValueError as e:
        raise InputError(display, f"{e}") from None
    except RecursionError:
        raise InputError(display, "nested too deeply") from None


def load(path, registry, display=None, default_energy=DEFAULT_ENERGY):
    """The Spec in file `path` (errors name `display`, default `path`); InputError when bad.

    `registry` is dfsim's list of dataflows (dfsim_import.dataflows.names(dfsim)): what
    "dataflows": "all" means and what a listed name must be. `default_energy` is the energy
    table used when the spec names none (absolute path).
    """
    display = display or path
    doc = load_json(path, display)
    c = _Checker(display)
    c.obj(doc, "", TOP_KEYS, required=("arch", "network", "dataflows", "parameters"))
    base_dir = os.path.dirname(os.path.abspath(path))

    name = doc.get("name", os.path.splitext(os.path.basename(path))[0])
    c.string(name, "name", SPEC_NAME, "a name of letters, digits, '_', '.' or '-'")
    for key in ("description", "notes"):
        if key in doc:
            c.string(doc[key], key)
    files = {key: c.file(doc[key], key, base_dir) for key in ("arch", "network")}
    files["energy"] = (c.file(doc["energy"], "energy", base_dir) if "energy" in doc
                       else default_energy)

    dataflows = doc["dataflows"]
    if dataflows == "all":
        dataflows = list(registry)
    else:
        c.array(dataflows, "dataflows")
        for i, df in enumerate(dataflows):
            if df not in registry:
                c.fail(f"dataflows[{i}]", f"expected one of {', '.join(registry)}, "
                                          f"got {describe(df)}")
            if df in dataflows[:i]:
                c.fail(f"dataflows[{i}]", f"duplicate dataflow {df!r}")

    layers = None
    if "layers" in doc:
        layers = c.array(doc["layers"], "layers")
        for i, layer in enumerate(layers):
            c.string(layer, f"layers[{i}]", what="a layer name")
            if layer in layers[:i]:
                c.fail(f"layers[{i}]", f"duplicate layer {layer!r}")
    batch = c.positive_int(doc["batch"], "batch") if "batch" in doc else None
    fast = c.boolean(doc["fast"], "fast") if "fast" in doc else True
    search = doc.get("search")
    if search is not None and search not in SEARCH_OBJECTIVES:
        c.fail("search", f"expected null or one of {', '.join(SEARCH_OBJECTIVES)}, got "
                         f"{describe(search)}")

    tiling = doc.get("tiling")
    if tiling is not None and tiling not in TILINGS:
        c.fail("tiling", f"expected null or one of {', '.join(TILINGS)}, got {describe(tiling)}")

    names = {}  # expression name -> where it was defined
    used_columns = {}
    used_paths = {}

    def claim_column(column, where):
        if column in columns.RESERVED:
            c.fail(where, f"{column!r} is a column of the table already; choose another name")
        if column in used_columns:
            c.fail(where, f"column {column!r} is already {used_columns[column]}")
        used_columns[column] = f"defined at {where}"

    def claim_name(ident, where):
        if ident in names:
            c.fail(where, f"name {ident!r} is already defined at {names[ident]}")
        if ident in expr.FUNCTIONS:
            c.fail(where, f"{ident!r} is a function name; choose another name")
        names[ident] = where

    def claim_path(path, where):
        if path in used_paths:
            c.fail(where, f"path {path!r} is already set by {used_paths[path]}")
        used_paths[path] = where

    constants = {}
    if "constants" in doc:
        if not isinstance(doc["constants"], dict):
            c.fail("constants", f"expected an object of name: number, got "
                                f"{describe(doc['constants'])}")
        for key, value in doc["constants"].items():
            where = f"constants.{key}"
            if not IDENT.match(key):
                c.fail(where, "expected a name of letters, digits and '_' not starting with "
                              "a digit")
            claim_name(key, where)
            constants[key] = c.number(value, where)

    def name_and_column(item, where, path):
        """The item's expression name (None without "name") and its table column (the name, else
        the --set path), both claimed."""
        ident = None
        if "name" in item:
            ident = c.string(item["name"], f"{where}.name", IDENT,
                             "a name of letters, digits and '_' not starting with a digit")
            claim_name(ident, f"{where}.name")
        column = ident or path
        claim_column(column, f"{where}.name" if ident else f"{where}.path")
        return ident, column

    def param(item, where):
        c.obj(item, where, PARAM_KEYS, required=("path", "values"))
        path = c.set_path(item["path"], f"{where}.path")
        claim_path(path, f"{where}.path")
        ident, column = name_and_column(item, where, path)
        values = c.array(item["values"], f"{where}.values")
        for j, v in enumerate(values):
            if v is None or (isinstance(v, (dict, list)) and not v):
                c.fail(f"{where}.values[{j}]", f"expected a number, string, boolean, array or "
                                               f"object, got {describe(v)}")
        unit = c.string(item["unit"], f"{where}.unit") if "unit" in item else None
        if "description" in item:
            c.string(item["description"], f"{where}.description")
        return Param(column, ident, path, values, unit, where)

    axes = []
    c.array(doc["parameters"], "parameters")
    for i, item in enumerate(doc["parameters"]):
        where = f"parameters[{i}]"
        if isinstance(item, dict) and "zip" in item:
            c.obj(item, where, {"zip", "description"})
            group = c.array(item["zip"], f"{where}.zip", min_len=2)
            axis = [param(p, f"{where}.zip[{j}]") for j, p in enumerate(group)]
            for j, p in enumerate(axis[1:], start=1):
                if len(p.values) != len(axis[0].values):
                    c.fail(f"{where}.zip[{j}].values",
                           f"expected {len(axis[0].values)} values like {where}.zip[0].values "
                           f"(zipped lists go together), got {len(p.values)}")
        else:
            axis = [param(item, where)]
        _unique_values(c, axis, where)
        axes.append(axis)

    derived = []
    for i, item in enumerate(c.array(doc.get("derived", []), "derived", min_len=0)):
        where = f"derived[{i}]"
        c.obj(item, where, DERIVED_KEYS, required=("expr",))
        if "name" not in item and "path" not in item:
            c.fail(where, "expected a name, a path or both")
        dpath = None
        if "path" in item:
            dpath = c.set_path(item["path"], f"{where}.path")
            claim_path(dpath, f"{where}.path")
        tree = _expression(c, item["expr"], f"{where}.expr", names)
        ident, column = name_and_column(item, where, dpath)
        lo, hi = _bounds(c, item, where)
        unit = c.string(item["unit"], f"{where}.unit") if "unit" in item else None
        if "description" in item:
            c.string(item["description"], f"{where}.description")
        derived.append(Derived(column, ident, dpath, item["expr"], tree, lo, hi, unit, where))

    filters = []
    for i, item in enumerate(c.array(doc.get("filters", []), "filters", min_len=0)):
        where = f"filters[{i}]"
        c.obj(item, where, FILTER_KEYS, required=("expr",))
        tree = _expression(c, item["expr"], f"{where}.expr", names)
        lo, hi = _bounds(c, item, where)
        if lo is None and hi is None:
            c.fail(where, "expected min, max or both")
        if "description" in item:
            c.string(item["description"], f"{where}.description")
        filters.append(Filter(item["expr"], tree, lo, hi, where))

    metrics = list(columns.METRICS)
    if "metrics" in doc:
        metrics = c.array(doc["metrics"], "metrics")
        for i, m in enumerate(metrics):
            _metric(c, m, f"metrics[{i}]")
            if m in metrics[:i]:
                c.fail(f"metrics[{i}]", f"duplicate metric {m!r}")
    objective = doc.get("objective", "energy_total")
    _metric(c, objective, "objective")
    if objective not in metrics:
        c.fail("objective", f"{objective!r} is not among the collected metrics")

    plot_x, plot_metrics = None, [objective]
    if "plot" in doc:
        plot = c.obj(doc["plot"], "plot", PLOT_KEYS)
        if "x" in plot:
            plot_x = plot["x"]
            if plot_x not in used_columns:
                c.fail("plot.x", f"expected a parameter column ({', '.join(used_columns)}), "
                                 f"got {describe(plot_x)}")
        if "metrics" in plot:
            plot_metrics = c.array(plot["metrics"], "plot.metrics")
            for i, m in enumerate(plot_metrics):
                _metric(c, m, f"plot.metrics[{i}]")
                if m not in metrics:
                    c.fail(f"plot.metrics[{i}]", f"{m!r} is not among the collected metrics")

    spec = Spec(file=os.path.abspath(path), display=display, dir=base_dir, name=name,
                description=doc.get("description", ""), arch=files["arch"],
                network=files["network"], energy=files["energy"], dataflows=dataflows,
                layers=layers, batch=batch, fast=fast, search=search, tiling=tiling,
                constants=constants,
                axes=axes, derived=derived, filters=filters, metrics=metrics,
                objective=objective, plot_x=plot_x, plot_metrics=plot_metrics, document=doc)
    if spec.point_count() > MAX_POINTS:
        c.fail("parameters", f"the grid has {spec.point_count():,} points; at most "
                             f"{MAX_POINTS:,} are allowed")
    return spec


def _unique_values(c, axis, where):
    """A value (or, zipped, a tuple of values at the same index) may appear once per axis."""
    seen = {}
    for j in range(len(axis[0].values)):
        key = tuple(json.dumps(p.values[j], sort_keys=True) for p in axis)
        if key in seen:
            if len(axis) == 1:
                c.fail(f"{where}.values[{j}]", f"duplicate value {key[0]} (also at "
                                               f"{where}.values[{seen[key]}])")
            c.fail(f"{where}.zip", f"duplicate values ({', '.join(key)}) at index {j} (also "
                                   f"at index {seen[key]})")
        seen[key] = j


def _metric(c, value, where):
    if value not in columns.METRICS:
        c.fail(where, f"expected a metric ({', '.join(columns.METRICS)}), got {describe(value)}")


def _bounds(c, item, where):
    lo = c.number(item["min"], f"{where}.min") if "min" in item else None
    hi = c.number(item["max"], f"{where}.max") if "max" in item else None
    if lo is not None and hi is not None and lo > hi:
        c.fail(where, f"min {lo} is larger than max {hi}")
    return lo, hi


def _expression(c, text, where, names):
    """The parsed expression; every name must be defined before (constants, parameters,
    earlier derived values)."""
    if not isinstance(text, str):
        c.fail(where, f"expected an arithmetic expression (a string), got {describe(text)}")
    try:
        tree = expr.parse(text)
    except expr.ExprError as e:
        c.fail(where, f"{e.message} at column {e.column} of {json.dumps(text)}")
    for ident, col in expr.names(tree):
        if ident not in names:
            known = ", ".join(names) or "none"
            c.fail(where, f"unknown name {ident!r} at column {col} of {json.dumps(text)}; "
                          f"names defined before it: {known}")
    return tree
