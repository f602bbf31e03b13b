"""Timeloop / Accelergy problem YAML (one layer per file) -> dfsim network JSON.

A Timeloop problem file describes one layer:

  problem:
    shape: {name: CNN-Layer, dimensions: [...], data_spaces: [...], coefficients: [...]}
    instance: {C: 256, M: 384, R: 3, S: 3, N: 1, P: 13, Q: 13, Hstride: 1, Wstride: 1, ...}

`shape` may also be a name (`cnn-layer`), a mapping with only a name, or absent: Timeloop's
built-in CNN-Layer shape. Older files put the dimensions directly under `problem:`. Each file
becomes one layer named after the file (AlexNet_layer3.yaml -> AlexNet_layer3), in the order
given; a directory stands for its *.yaml files in natural order (layer2 before layer10).

timeloopfe files are read as timeloopfe reads them: the text is first rendered as a Jinja
template (Debian's python3-jinja2; `{{include_text('../problem_base.yaml')}}` inserts that file,
relative to the including file's folder; any other name is an error), then loaded as YAML in
which a `<<<` key merges its mapping (or list of mappings) into the mapping holding it,
recursively, the holder's own keys winning, and `<<` is YAML's ordinary (one-level) merge.

The shape's `data_spaces` decide the layer, by their projections, not by their names: one
read-write space (the outputs) and two operands. The operand with a sliding-window axis (terms
`R*Wdilation + P*Wstride`) is the input; the other holds the weights. Its dimensions then play
dfsim's roles: in both operands and the output G (groups), in both operands C, in the weights
and the output M, in the input and the output N (plain axes) or P/Q (the sliding axes' output
terms), in the weights and a sliding axis R/S. The first sliding axis is dfsim's height (R, P,
H), the second its width (S, Q, W): Timeloop's CNN-Layer pairs R and P with Wstride. A shape
with no sliding axis is a GEMM (Z[m,n] = A[m,k] B[n,k]): a 1x1 convolution over the m
positions, with the operand named like a weight (else the second) as the weights.

Coefficients (strides, dilations) are looked up in the instance by their exact names, as
Timeloop does: an instance key that is neither a dimension nor a coefficient of the shape (H,
W, or `HStride` for `Hstride`) is ignored by Timeloop and here, and named in the layer's notes
when its value is not 1. `--fold-case` reads such a key as the coefficient or dimension it
spells in another case (`HStride: 4` as `Hstride: 4`: what the timeloop-accelergy-exercises'
layer shapes mean, not what Timeloop computes).

Strides and dilations per axis become the layer's (`"stride": [rows, cols]`, `"dilation"`).
Refused (exit 2, one line naming the file and what is missing): a dilation other than 1 on an
axis whose filter is longer than 1 and whose stride is above 1 (dfsim covers one of the two per
axis), a shape that is not a convolution or GEMM of one weight operand (more or fewer
data spaces, a dimension in no role, a window axis of three terms), `densities` (Timeloop's
sparse extension; `--ignore-densities` imports the dense layer and says so in its notes), and
any layer whose MACs would not equal the product of the problem's dimension bounds.
"""

import argparse
import copy
import math
import os
import re

from .common import (InputError, conv_layer, fc_layer, network_document, network_json,
                     read_text, run_main, unique_name, window_keys, write_text)

PROG = "import_timeloop"

# Timeloop's built-in CNN-Layer shape (the projection of timeloopfe's problem_base.yaml), with G.
BUILTIN_DIMS = ["C", "M", "R", "S", "N", "P", "Q", "G"]
BUILTIN_COEFFICIENTS = {"Wstride": 1, "Hstride": 1, "Wdilation": 1, "Hdilation": 1}
BUILTIN_SPACES = [
    ("Weights", [[("C", 1)], [("M", 1)], [("R", 1)], [("S", 1)], [("G", 1)]], False),
    ("Inputs", [[("N", 1)], [("C", 1)], [("R", "Wdilation"), ("P", "Wstride")],
                [("S", "Hdilation"), ("Q", "Hstride")], [("G", 1)]], False),
    ("Outputs", [[("N", 1)], [("M", 1)], [("Q", 1)], [("P", 1)], [("G", 1)]], True),
]
BUILTIN_REQUIRED = ["C", "M", "R", "S", "P", "Q"]


def _natural(s):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def expand(paths):
    """Files in the order given; a directory becomes its *.yaml / *.yml files, naturally sorted."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            files = sorted((f for f in os.listdir(p) if f.endswith((".yaml", ".yml"))),
                           key=_natural)
            if not files:
                raise InputError(p, "directory has no .yaml files")
            out += [os.path.join(p, f) for f in files]
        else:
            out.append(p)
    return out


# --- reading: Jinja, YAML, merges ---------------------------------------------------------------

def _read_text(path):
    return read_text(path, "a Timeloop problem YAML")


def render(path, text):
    """The text after timeloopfe's Jinja step (only when it holds `{{` or `{%`)."""
    if "{{" not in text and "{%" not in text:
        return text
    try:
        import jinja2
    except ImportError as e:  # pragma: no cover
        raise InputError(path, f"is a Jinja template and jinja2 cannot be imported ({e}); "
                               "install Debian's python3-jinja2 (scripts/setup does)")
    folder = os.path.dirname(os.path.abspath(path))

    def include_text(name):
        target = os.path.join(folder, str(name))
        try:
            with open(target, encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(path, f"include_text('{name}'): cannot read {target} "
                                   f"({getattr(e, 'strerror', None) or e})")

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.globals["include_text"] = include_text
    try:
        return env.from_string(text).render()
    except jinja2.TemplateError as e:
        line = f"line {e.lineno}: " if getattr(e, "lineno", None) else ""
        raise InputError(path, f"Jinja template: {line}{e.message or e} (timeloopfe's "
                               "include_text is the only function provided)")


def _merged(node):
    """`node` with every `<<<` key applied (recursive merge, the holder's keys winning)."""
    if isinstance(node, list):
        return [_merged(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    if "<<<" in node:
        bases = node["<<<"]
        for base in bases if isinstance(bases, list) else [bases]:
            if not isinstance(base, dict):
                raise ValueError(f"'<<<' expects a mapping or a list of mappings, got {base!r}")
            out = _deep_merge(out, _merged(copy.deepcopy(base)))
    for key, value in node.items():
        if key != "<<<":
            out = _deep_merge(out, {key: _merged(value)})
    return out


def _deep_merge(base, top):
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_problem_doc(path):
    """The problem document after Jinja rendering, YAML loading and `<<<` merges."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover
        raise InputError(path, f"cannot import yaml ({e}); install Debian's python3-yaml")
    raw = _read_text(path)
    text = render(path, raw)
    rendered = " (after rendering the Jinja template)" if text != raw else ""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise InputError(path, f"{at}YAML syntax error{rendered}: "
                               f"{getattr(e, 'problem', None) or e}")
    try:
        return _merged(doc)
    except ValueError as e:
        raise InputError(path, str(e))


# --- the shape ---------------------------------------------------------------------------------

def _shape(path, problem):
    """(name, dimensions, {coefficient: default}, [(space, axes, read_write)], builtin)."""
    shape = problem.get("shape", "cnn-layer")
    if isinstance(shape, dict) and "data_spaces" in shape:
        name = str(shape.get("name", ""))
        dims = shape.get("dimensions")
        if not isinstance(dims, list) or not dims or not all(isinstance(d, str) for d in dims):
            raise InputError(path, "problem.shape.dimensions: expected a list of dimension names")
        coefs = {}
        for i, c in enumerate(shape.get("coefficients") or []):
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                raise InputError(path, f"problem.shape.coefficients[{i}]: expected "
                                       "{name, default}")
            coefs[c["name"]] = c.get("default", 1)
        spaces = []
        raw = shape["data_spaces"]
        if not isinstance(raw, list):
            raise InputError(path, "problem.shape.data_spaces: expected a list of data spaces")
        for i, ds in enumerate(raw):
            at = f"problem.shape.data_spaces[{i}]"
            if not isinstance(ds, dict) or not isinstance(ds.get("projection"), list):
                raise InputError(path, f"{at}: expected {{name, projection, read_write}}")
            axes = []
            for j, axis in enumerate(ds["projection"]):
                terms = []
                for term in axis if isinstance(axis, list) else [axis]:
                    term = term if isinstance(term, list) else [term]
                    ds_dims = [t for t in term if t in dims]
                    others = [t for t in term if t not in dims]
                    if len(ds_dims) != 1 or len(others) > 1 or any(
                            not (isinstance(o, int) or o in coefs) for o in others):
                        raise InputError(path, f"{at}.projection[{j}]: term {term} is not a "
                                               "dimension times at most one coefficient")
                    terms.append((ds_dims[0], others[0] if others else 1))
                axes.append(terms)
            spaces.append((str(ds.get("name", f"space{i}")), axes, bool(ds.get("read_write"))))
        return name, list(dims), coefs, spaces, False
    name = shape.get("name", "") if isinstance(shape, dict) else str(shape)
    return name, BUILTIN_DIMS, dict(BUILTIN_COEFFICIENTS), BUILTIN_SPACES, True


def read_layer(path, fold_case=False, ignore_densities=False):
    """(name, layer dict) of one problem file."""
    doc = load_problem_doc(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("problem"), dict):
        raise InputError(path, "expected a Timeloop problem: a mapping with a 'problem' key "
                               "holding 'instance' (C, M, R, S, N, P, Q, Hstride, Wstride...)")
    problem = doc["problem"]
    shape_name, dims, coefs, spaces, builtin = _shape(path, problem)
    if "instance" in problem:
        inst, where = problem["instance"], "problem.instance"
    else:
        inst = {k: v for k, v in problem.items() if k not in ("shape", "version")}
        where = "problem"
    if not isinstance(inst, dict):
        raise InputError(path, f"{where}: expected a mapping of dimensions, got {inst!r}")
    notes = []
    inst = dict(inst)
    for key in ("densities", "commonDensity"):
        if key not in inst:
            continue
        if inst[key] in ({}, None):  # no density given: Timeloop's dense problem
            inst.pop(key)
            continue
        if not ignore_densities:
            raise InputError(path, f"{where}.{key}: sparse densities are not modelled by "
                                   "dfsim (remove them, or give --ignore-densities, to simulate "
                                   "the dense layer)")
        notes.append(f"{key} {inst.pop(key)!r} ignored (--ignore-densities): the dense layer")
    known = list(dims) + list(coefs)
    ignored = []
    for key in list(inst):
        if key in known:
            continue
        match = [k for k in known if k.lower() == str(key).lower()]
        if fold_case and match:
            # timeloopfe's problem_base gives every coefficient its default: the other case
            # wins over a default, not over a value of its own.
            own = inst.get(match[0], coefs.get(match[0], 1))
            if own not in (coefs.get(match[0], 1), inst[key]):
                raise InputError(path, f"{where}: --fold-case: both {match[0]}={own} and "
                                       f"{key}={inst[key]} are given")
            inst[match[0]] = inst.pop(key)
            notes.append(f"instance key {key} read as {match[0]} (--fold-case)")
            continue
        value = inst.pop(key)
        if value != 1:
            hint = f" (not {match[0]}: Timeloop's names are case-sensitive)" if match else ""
            ignored.append(f"{key}={value}{hint}")
    if ignored:
        notes.append("instance keys that are neither dimensions nor coefficients of the shape, "
                     "ignored as Timeloop ignores them: " + ", ".join(ignored))
    depthwise = builtin and bool(re.search(r"depthwise|(^|[^a-z])dw", shape_name.lower()))
    required = [d for d in BUILTIN_REQUIRED if not (depthwise and d == "M")] if builtin else dims
    for k in required:
        if k not in inst:
            raise InputError(path, f"{where}.{k}: missing required dimension (expected a "
                                   "positive integer)")
    bounds = {}
    for k in dims:
        v = inst.get(k, 1)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(path, f"{where}.{k}: expected a positive integer, got {v!r}")
        bounds[k] = v
    if depthwise and "M" not in inst:
        bounds["G"], bounds["C"] = bounds["C"] * bounds["G"], 1
    values = {}
    for k, default in coefs.items():
        v = inst.get(k, default)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(path, f"{where}.{k}: expected a positive integer, got {v!r}")
        values[k] = v
    name = os.path.splitext(os.path.basename(path))[0]
    layer = to_layer(path, name, bounds, values, spaces, where, notes)
    return name, layer


# --- the layer ---------------------------------------------------------------------------------

def _coef(values, c):
    return c if isinstance(c, int) else values[c]


def to_layer(path, name, bounds, values, spaces, where, notes):
    outs = [s for s in spaces if s[2]]
    ins = [s for s in spaces if not s[2]]
    if len(outs) != 1 or len(ins) != 2:
        raise InputError(path, f"the shape has {len(outs)} read-write and {len(ins)} read-only "
                               "data spaces; dfsim's layers have one output and two operands "
                               "(input and weights)")
    out = outs[0]

    def space_dims(s):
        return {d for axis in s[1] for d, _ in axis}

    def sliding(s):
        return [axis for axis in s[1] if len(axis) > 1]

    slide = [s for s in ins if sliding(s)]
    gemm = not slide
    if len(slide) == 2:
        raise InputError(path, "both operands have window axes; dfsim's weights have none")
    if gemm:
        named = [s for s in ins if re.search(r"weight|filter", s[0], re.I)]
        wts = named[0] if len(named) == 1 else ins[1]
        if len(named) != 1:
            notes.append(f"a GEMM: operand {wts[0]} taken as the weights, "
                         f"{[s for s in ins if s is not wts][0][0]} as the input (Timeloop's "
                         "shape does not say which is a weight; the MACs and sizes do not "
                         "depend on it)")
    else:
        wts = [s for s in ins if s is not slide[0]][0]
    act = [s for s in ins if s is not wts][0]
    W, X, O = space_dims(wts), space_dims(act), space_dims(out)
    axes = sliding(act)
    if len(axes) > 2:
        raise InputError(path, f"operand {act[0]} has {len(axes)} window axes; dfsim's "
                               "convolutions have two (height and width)")
    spatial = []  # (filter dim, dilation, output dim, stride) per window axis
    for axis in axes:
        fil = [(d, c) for d, c in axis if d in W and d not in O]
        outd = [(d, c) for d, c in axis if d in O and d not in W]
        if len(axis) != 2 or len(fil) != 1 or len(outd) != 1:
            raise InputError(path, f"operand {act[0]}: window axis "
                                   f"{' + '.join(f'{d}*{c}' for d, c in axis)} is not a filter "
                                   "dimension plus an output dimension")
        spatial.append((fil[0][0], fil[0][1], outd[0][0], outd[0][1]))
    in_window = {d for f, _, o, _ in spatial for d in (f, o)}
    roles = {"G": (W & X & O) - in_window, "C": (W & X) - O - in_window,
             "M": (W & O) - X - in_window, "N": (X & O) - W - in_window}
    covered = set().union(*roles.values()) | in_window
    for d in bounds:
        if d not in covered:
            where_in = [s[0] for s in spaces if d in space_dims(s)]
            raise InputError(path, f"dimension {d} (in {', '.join(where_in) or 'no data space'})"
                                   " has no place in a dfsim layer: expected every dimension "
                                   "to be a group, input or output channel, batch, output "
                                   "position or filter dimension of a convolution")
    for role in ("G", "C", "M"):
        if len(roles[role]) > 1:
            raise InputError(path, f"dimensions {', '.join(sorted(roles[role]))} would all be "
                                   f"dfsim's {role}; expected at most one")

    def size(ds):
        return math.prod(bounds[d] for d in ds)

    g, c, m = size(roles["G"]), size(roles["C"]), size(roles["M"])
    n = size(roles["N"])
    axes_out = []
    for fil, dil_name, outd, stride_name in spatial:
        r, p = bounds[fil], bounds[outd]
        dil, stride = _coef(values, dil_name), _coef(values, stride_name)
        if dil != 1 and r > 1 and stride > 1:
            raise InputError(path, f"{where}: dilation {dil_name}={dil} and stride "
                                   f"{stride_name}={stride} on the {fil} x {outd} axis; dfsim's "
                                   "closed-form tile counts cover a strided window or a dilated "
                                   "one, not both")
        axes_out.append((r, p, stride, dil if r > 1 else 1))
    if gemm:
        axes_out = [(1, n, 1, 1)]
        n = 1
    while len(axes_out) < 2:
        axes_out.append((1, 1, 1, 1))
    (r, p, sr, dr), (s, q, sq, dq) = axes_out
    if sr != sq:  # an axis of one output does not care about its stride
        if p == 1:
            sr = sq
        elif q == 1:
            sq = sr
    expected = math.prod(bounds.values())
    macs = n * g * c * m * r * s * p * q
    if macs != expected:  # pragma: no cover (a role assignment bug)
        raise InputError(path, f"internal: the layer would have {macs} MACs, the problem "
                               f"{expected}")
    text = "; ".join(notes) if notes else None
    if p == 1 and q == 1 and g == 1:
        return fc_layer(path, name, c * r * s, m, [c, r, s], N=n, notes=text)
    h, w = (p - 1) * sr + dr * (r - 1) + 1, (q - 1) * sq + dq * (s - 1) + 1
    keys = window_keys(path, name, (h, w), (r, s), (sr, sq), (0, 0, 0, 0), (dr, dq), (p, q))
    return conv_layer(path, name, c * g, m * g, h, w, r, s, keys["stride"], keys["padding"], g,
                      N=n, notes=text, dilation=keys.get("dilation", 1))


def _network_name(stems, files):
    prefix = os.path.commonprefix(stems) if len(stems) > 1 else stems[0]
    prefix = re.sub(r"[_\-. ]*(layer|conv|l)?[_\-. ]*$", "", prefix, flags=re.I)
    if len(re.sub(r"[^A-Za-z]", "", prefix)) < 2:
        folders = {os.path.basename(os.path.dirname(os.path.abspath(f))) for f in files}
        if len(folders) == 1:
            prefix = folders.pop()
    return prefix or "timeloop"


def convert(paths, name=None, fold_case=False, ignore_densities=False):
    files = expand(paths)
    layers, used, stems = [], set(), []
    for path in files:
        stem, layer = read_layer(path, fold_case, ignore_densities)
        layer["name"] = unique_name(stem, used)
        stems.append(stem)
        layers.append(layer)
    batch = layers[0].pop("N")
    for layer in layers[1:]:
        if layer.get("N") == batch:
            del layer["N"]
    notes = ("Imported by scripts/import_timeloop from Timeloop problem files ("
             + ", ".join(os.path.basename(f) for f in files[:4])
             + (", ..." if len(files) > 4 else "")
             + "). Timeloop has no padding: each input is the smallest that gives the layer's "
               "P x Q outputs.")
    return network_document(name or _network_name(stems, files), layers, batch=batch,
                            notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert Timeloop/Accelergy problem YAML files (one layer each; the v0.3/"
                    "v0.4 form or timeloopfe's Jinja form) into one dfsim network JSON (on "
                    "stdout), layers in the order given.",
        epilog="examples:\n"
               "  import_timeloop layer_shapes/CONV/AlexNet/ --name alexnet > alexnet_tl.json\n"
               "  import_timeloop layer_shapes/resnet18/ > resnet18_tl.json\n"
               "  import_timeloop AlexNet_layer1.yaml AlexNet_layer2.yaml > two_layers.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problems", nargs="+",
                        help="problem .yaml files, or directories of them (natural order)")
    parser.add_argument("--name", help="network name (default: the files' common prefix, or "
                                       "their folder's name)")
    parser.add_argument("--fold-case", action="store_true",
                        help="read an instance key that spells a coefficient or dimension in "
                             "another case (HStride) as that one (Timeloop ignores it)")
    parser.add_argument("--ignore-densities", action="store_true",
                        help="import a sparse problem (instance.densities) as its dense layer")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    doc = convert(args.problems, args.name, args.fold_case, args.ignore_densities)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
