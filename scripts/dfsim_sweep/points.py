"""The points of a spec: the grid of its axes, derived values, filters.

The grid is the cartesian product of the axes in spec order, the first axis varying slowest;
a zipped group is one axis whose lists advance together. At each point the derived values are
computed in order, then the filters; a point whose derived value or filter falls outside its
min/max (or divides by zero) is skipped with the reason, and runs nothing.
"""

import itertools
import json

from dfsim_import.common import InputError

from . import expr

MAX_EXACT_INT = 2 ** 53


class Point:
    """One point: `index` (0-based, grid order), `values` {column: value} of every parameter
    column (None for derived values not computed because the point was skipped), `sets`
    [(path, value)] for dfsim's --set, and `skip` (the reason, or None when it runs)."""

    def __init__(self, index, values, sets, skip):
        self.index, self.values, self.sets, self.skip = index, values, sets, skip

    def set_args(self):
        """The point's --set arguments: `path=JSON value` (compact JSON, so that strings are
        quoted and dfsim never reinterprets them)."""
        return [f"{path}={value_text(value)}" for path, value in self.sets]


def value_text(value):
    """A parameter value as passed to dfsim and as written in the table: compact JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def cell_text(value):
    """A parameter value as a table cell: strings as they are, None empty, the rest JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value_text(value)


def _whole(value):
    """A float with an integral value becomes an int (dfsim wants integers for counts)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_EXACT_INT:
        return int(value)
    return value


def _outside(value, lo, hi):
    if lo is not None and value < lo:
        return f"below its min {value_text(lo)}"
    if hi is not None and value > hi:
        return f"above its max {value_text(hi)}"
    return None


def _describe(values):
    return ", ".join(f"{k}={cell_text(v)}" for k, v in values.items() if v is not None)


def expand(spec):
    """Every Point of the spec, in grid order, as a list (small grids and tests; the sweep
    itself iterates lazily, see iterate)."""
    return list(iterate(spec))


class Grid:
    """The points of a spec, generated lazily each time it is iterated (never held: a grid
    of the documented limit costs no memory). Construction walks the grid once, so that a
    spec error surfaces before anything is written, and keeps only counts: `total`,
    `skipped`, `runnable`, `first` (the first point that runs, or None) and `first_skipped`
    (up to `keep_skipped` skipped points, for the lines on stderr)."""

    def __init__(self, spec, keep_skipped=0):
        self.spec = spec
        self.total = self.skipped = 0
        self.first, self.first_skipped = None, []
        for p in iterate(spec):
            self.total += 1
            if p.skip is None:
                if self.first is None:
                    self.first = p
            else:
                self.skipped += 1
                if len(self.first_skipped) < keep_skipped:
                    self.first_skipped.append(p)
        self.runnable = self.total - self.skipped

    def __iter__(self):
        return iterate(self.spec)


def iterate(spec):
    """Every Point of the spec, in grid order, one at a time (a generator). InputError (exit
    2) when an expression uses a parameter whose value at some point is not a number."""
    ranges = [range(len(axis[0].values)) for axis in spec.axes]
    for index, combo in enumerate(itertools.product(*ranges)):
        env = dict(spec.constants)
        values, sets = {}, []
        for axis, k in zip(spec.axes, combo):
            for p in axis:
                v = p.values[k]
                values[p.column] = v
                sets.append((p.path, v))
                if p.ident:
                    env[p.ident] = v
        for d in spec.derived:
            values[d.column] = None
        skip = None
        for d in spec.derived:
            v, error = _evaluate(spec, d, env, index, values)
            if error:
                skip = f"{d.column}: {error}"
                break
            v = _whole(v)
            values[d.column] = v
            if d.ident:
                env[d.ident] = v
            out = _outside(v, d.min, d.max)
            if out:
                skip = f"{d.column} = {value_text(v)} is {out}"
                break
            if d.path:
                sets.append((d.path, v))
        if skip is None:
            for f in spec.filters:
                v, error = _evaluate(spec, f, env, index, values)
                if error:
                    skip = f"{f.where} ({f.text}): {error}"
                    break
                out = _outside(v, f.min, f.max)
                if out:
                    skip = f"{f.where}: {f.text} = {value_text(_whole(v))} is {out}"
                    break
        yield Point(index, values, sets, skip)


def _evaluate(spec, item, env, index, values):
    """(value, None), or (None, why) when the expression of `item` (a derived value or a filter)
    cannot be computed at this point (say, a division by zero: the point is skipped). A
    parameter that is not a number where arithmetic needs one is an error of the spec."""
    try:
        return expr.evaluate(item.tree, env), None
    except expr.NotANumber as e:
        raise InputError(spec.display, f"{item.where}.expr: {e} at point {index} "
                                       f"({_describe(values)})") from None
    except expr.EvalError as e:
        return None, str(e)
