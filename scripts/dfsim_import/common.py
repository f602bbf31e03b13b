"""Shared pieces of the importers: the error type, the one-line error exit, layer builders that
check their own arithmetic, and the deterministic network-JSON writer.

Every importer turns some foreign description into dfsim's network format (src/io/README.md,
"Network file"). The builders here emit exactly the keys that format allows, in a fixed order
(the order of models/alexnet.json), and refuse shapes the format cannot express, so that a file
we write is one `dfsim summary --network` reads.
"""

import json
import os
import sys
import tempfile


class InputError(Exception):
    """Bad input: `where` names the file (or option) and `what` says what was expected."""

    def __init__(self, where, what):
        super().__init__(f"{where}: {what}")
        self.where = str(where)
        self.what = str(what)


def run_main(prog, main, argv=None):
    """Runs `main(argv)`; an InputError becomes one line `prog: error: where: what` and exit 2.

    argparse already exits 2 with `prog: error: ...` for bad options, so every kind of bad input
    ends the same way.
    """
    try:
        main(argv)
    except InputError as e:
        line = f"{prog}: error: {e.where}: {e.what}"
        sys.stderr.write(" ".join(line.split("\n")) + "\n")
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)


# --- arithmetic shared with src/workload/layer.cpp ---------------------------------------------

def conv_output_size(size, window, stride, padding):
    """Output size along one axis: floor((size + 2*padding - window) / stride) + 1."""
    return (size + 2 * padding - window) // stride + 1


def smallest_input(out, window, stride, padding):
    """The smallest input that gives `out` outputs (the rule dfsim's reader uses for P -> H)."""
    return (out - 1) * stride + window - 2 * padding


# --- layer builders ----------------------------------------------------------------------------

def _check_positive(where, layer_name, **values):
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(where, f"layer '{layer_name}': expected {key} to be a positive "
                                    f"integer, got {value!r}")


def _pair(v):
    """(rows, cols) of a per-axis value given as one number or a pair."""
    return (v, v) if isinstance(v, int) else tuple(v)


def _sides(v):
    """(top, bottom, left, right) of a padding given as n, [rows, cols] or four sides."""
    if isinstance(v, int):
        return (v, v, v, v)
    v = tuple(v)
    return (v[0], v[0], v[1], v[1]) if len(v) == 2 else v


def axis_output(size, k, stride, dilation, before, after):
    """Outputs along one axis: (size + before + after - dilation*(k-1) - 1) // stride + 1."""
    return (size + before + after - dilation * (k - 1) - 1) // stride + 1


def _short(values):
    return values[0] if len(set(values)) == 1 else list(values)


def window_keys(where, name, sizes, windows, strides, sides, dilations, outs):
    """The dfsim window keys {stride, padding[, dilation]} of a conv whose height and width have
    these strides, (top, bottom, left, right) paddings and dilations, in the shortest form that
    gives the outputs `outs`: one stride and padding for both axes when one pair gives both (an
    axis with one output often does not care), else per axis (src/io/README.md)."""
    strides, dilations, sides = tuple(strides), tuple(dilations), tuple(sides)
    for axis, label in ((0, "height"), (1, "width")):
        if strides[axis] > 1 and dilations[axis] > 1:
            raise InputError(where, f"layer '{name}': stride {strides[axis]} and dilation "
                                    f"{dilations[axis]} along the {label}; dfsim's closed-form "
                                    "tile counts cover a strided window or a dilated one, not "
                                    "both")
    if dilations == (1, 1):
        for stride in dict.fromkeys(strides):
            for pad in dict.fromkeys(sides):
                if all(axis_output(n, k, stride, 1, pad, pad) == o and k <= n + 2 * pad
                       for n, k, o in zip(sizes, windows, outs)):
                    return {"stride": stride, "padding": pad}
    got = [axis_output(sizes[a], windows[a], strides[a], dilations[a], sides[2 * a],
                       sides[2 * a + 1]) for a in (0, 1)]
    if got != list(outs):
        raise InputError(where, f"layer '{name}': output {outs[0]}x{outs[1]} does not follow "
                                f"from input {sizes[0]}x{sizes[1]}, window "
                                f"{windows[0]}x{windows[1]}, strides {strides}, paddings "
                                f"{sides} (top, bottom, left, right), dilations {dilations}")
    top, bottom, left, right = sides
    if top == bottom and left == right:
        padding = _short((top, left))
    else:
        padding = list(sides)
    keys = {"stride": _short(strides), "padding": padding}
    if dilations != (1, 1):
        keys["dilation"] = _short(dilations)
    return keys


def conv_layer(where, name, C, M, H, W, R, S, stride=1, padding=0, groups=1, N=None, notes=None,
               dilation=1):
    """A conv layer dict with P and Q derived (and therefore checked by dfsim's reader).

    `where` names the source for error messages. C and M are totals over groups. `stride` and
    `dilation` are a number or [rows, cols], `padding` a number, [rows, cols] or [top, bottom,
    left, right] (as the network file takes them).
    """
    _check_positive(where, name, C=C, M=M, H=H, W=W, R=R, S=S, groups=groups)
    (sh, sw), (dh, dw), sides = _pair(stride), _pair(dilation), _sides(padding)
    _check_positive(where, name, stride=sh, stride_w=sw, dilation=dh, dilation_w=dw)
    if any(not isinstance(p, int) or p < 0 for p in sides):
        raise InputError(where, f"layer '{name}': expected padding >= 0, got {padding!r}")
    if C % groups or M % groups:
        raise InputError(where, f"layer '{name}': groups={groups} does not divide C={C} and M={M}")
    if dh * (R - 1) + 1 > H + sides[0] + sides[1] or dw * (S - 1) + 1 > W + sides[2] + sides[3]:
        raise InputError(where, f"layer '{name}': a {R}x{S} filter does not fit the input "
                                f"{H}x{W} with padding {padding}")
    layer = {"name": name, "type": "conv"}
    if N is not None:
        layer["N"] = N
    layer.update({
        "C": C, "M": M, "H": H, "W": W,
        "P": axis_output(H, R, sh, dh, sides[0], sides[1]),
        "Q": axis_output(W, S, sw, dw, sides[2], sides[3]),
        "R": R, "S": S, "stride": stride, "padding": padding,
    })
    if dilation != 1:
        layer["dilation"] = dilation
    layer["groups"] = groups
    if notes:
        layer["notes"] = notes
    return layer


def fc_layer(where, name, in_features, out_features, in_shape=None, N=None, notes=None):
    """An fc layer dict; `in_shape` [C, H, W] (product = in_features) is kept when H*W > 1."""
    _check_positive(where, name, in_features=in_features, out_features=out_features)
    layer = {"name": name, "type": "fc"}
    if N is not None:
        layer["N"] = N
    layer.update({"in_features": in_features, "out_features": out_features})
    if in_shape is not None:
        c, h, w = in_shape
        if c * h * w != in_features:
            raise InputError(where, f"layer '{name}': in_shape {list(in_shape)} does not multiply "
                                    f"to in_features={in_features}")
        if h * w > 1:
            layer["in_shape"] = [c, h, w]
    if notes:
        layer["notes"] = notes
    return layer


def pool_layer(where, name, C, H, W, R, S, stride, padding=0, N=None, notes=None):
    """A pool layer dict with its input shape explicit (not inherited from the layer before)."""
    _check_positive(where, name, C=C, H=H, W=W, R=R, S=S, stride=stride)
    if R > H + 2 * padding or S > W + 2 * padding:
        raise InputError(where, f"layer '{name}': a {R}x{S} pooling window does not fit the input "
                                f"{H}x{W} with padding {padding}")
    layer = {"name": name, "type": "pool"}
    if N is not None:
        layer["N"] = N
    layer.update({"C": C, "H": H, "W": W, "R": R, "S": S, "stride": stride, "padding": padding})
    if notes:
        layer["notes"] = notes
    return layer


def unify_stride(where, name, sizes, windows, strides, paddings, outs):
    """One (stride, padding) pair for both axes that gives the outputs `outs`, or an InputError.

    dfsim has one stride and one padding per layer. A layer whose two axes differ can still be
    written exactly when one of the pairs gives both outputs (an axis whose output is 1 often does
    not care about its stride).
    """
    for stride in dict.fromkeys(strides):
        for padding in dict.fromkeys(paddings):
            if all(conv_output_size(s, k, stride, padding) == o and k <= s + 2 * padding
                   for s, k, o in zip(sizes, windows, outs)):
                return stride, padding
    if strides[0] != strides[1]:
        raise InputError(where, f"layer '{name}': stride {tuple(strides)} differs between height "
                                "and width; dfsim has one stride for both axes")
    if paddings[0] != paddings[1]:
        raise InputError(where, f"layer '{name}': padding {tuple(paddings)} differs between "
                                "height and width; dfsim pads all sides equally")
    raise InputError(where, f"layer '{name}': output {outs[0]}x{outs[1]} does not follow from "
                            f"input {sizes[0]}x{sizes[1]}, window {windows[0]}x{windows[1]}, "
                            f"stride {strides[0]} and padding {paddings[0]}")


def unique_name(name, used):
    """`name`, or `name#2`, `name#3`... if already in `used`; records the result in `used`."""
    base = name or "layer"
    candidate, k = base, 1
    while candidate in used:
        k += 1
        candidate = f"{base}#{k}"
    used.add(candidate)
    return candidate


# --- output -------------------------------------------------------------------------------------

def network_document(name, layers, batch=1, notes=None):
    """The network as an ordered dict: name, notes, batch, layers."""
    doc = {"name": name}
    if notes:
        doc["notes"] = notes
    doc["batch"] = batch
    doc["layers"] = layers
    return doc


def network_json(doc):
    """Network JSON text: 2-space indent, one layer per line, keys in fixed order, final newline."""
    head = {k: v for k, v in doc.items() if k != "layers"}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "layers": [')
    rows = [f"    {json.dumps(layer)}" for layer in doc["layers"]]
    lines.append(",\n".join(rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_text(path, what):
    """The text of the UTF-8 file `path`; InputError naming the file when it cannot be opened
    or is not UTF-8 text (`what` says what it should have been, e.g. "a SCALE-Sim .cfg")."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except UnicodeDecodeError:
        raise InputError(path, f"not a UTF-8 text file (expected {what})")


def read_json(path):
    """The JSON document in `path`; InputError naming the file when it cannot be opened or is
    not JSON (with the line and column of the syntax error)."""
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except json.JSONDecodeError as e:
        raise InputError(path, f"{e.lineno}:{e.colno}: JSON syntax error: {e.msg}")


def write_text(text, path=None):
    """Writes `text` to `path` atomically (temp file then rename), or to stdout when no path."""
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def parse_positive_int(text, where, what):
    """An int >= 1 from `text`, else an InputError naming `where`."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InputError(where, f"expected {what} (a positive integer), got {str(text).strip()!r}")
    if value < 1:
        raise InputError(where, f"expected {what} (a positive integer), got {value}")
    return value


def parse_shape(text, option="--input"):
    """`1x3x224x224` -> [1, 3, 224, 224] (2 to 4 positive integers)."""
    parts = text.lower().split("x")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        dims = []
    if not 2 <= len(dims) <= 4 or any(d < 1 for d in dims):
        raise InputError(f"{option} {text}", "expected an input shape NxCxHxW (or NxF for a "
                                             "network of linear layers) of positive integers, "
                                             "like 1x3x224x224")
    return dims


def load_yaml(path):
    """The YAML document in `path` (Debian's python3-yaml); InputError when the module is
    missing, the file cannot be opened or it is not YAML (with line:column)."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover
        raise InputError(path, f"cannot import yaml ({e}); install Debian's python3-yaml")
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise InputError(path, f"{at}YAML syntax error: {getattr(e, 'problem', None) or e}")
