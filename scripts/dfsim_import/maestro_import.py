"""MAESTRO `.m` network (and mapping) file -> dfsim network JSON.

A MAESTRO file holds `Constant NAME VALUE;` lines and one `Network NAME { ... }` block of
`Layer NAME { Type: T  Stride { X: sx, Y: sy }  Dimensions { K: .., C: .., ... }
Dataflow { ... } }` blocks. It is read as MAESTRO's own parser (DFSL_parser.hpp, checked at
the commit of shared/peer-files) reads it, where that is well defined, and strictly where it is
not:

- Tokens are separated by blanks and `, : ; ( )` (MAESTRO also splits at `-` and `>`; here a
  name such as `Conv2d-1` stays whole, where MAESTRO would keep only `1`). `{` and `}` are
  tokens of their own. `//` starts a comment to the end of the line.
- A value is a positive integer or the name of a Constant defined before it; `Sz(D)` in a
  directive is the size of the layer's dimension D.
- Everything else is an error (exit 2, the file, the line and what was expected): an unknown
  key in a layer, an unknown dimension, a brace that does not close, a layer without Type or
  Dimensions, a Stride after Dimensions (MAESTRO refuses that too: a stride applies to the
  dimensions read after it).

MAESTRO's dimensions: K output channels, C input channels, R x S the filter, Y x X the INPUT
size (no padding: the file's input is the padded one), N the batch (optional), G groups
(NGCONV). Its output size is Y' = (Y - R) / stride + 1 rounded down (checked against the
"Num MACs" column of the CSV outputs in MAESTRO's repository), and its MACs are the product of
the loop bounds: N*K*C*R*S*Y'*X' for CONV, N*C*R*S*Y'*X' for DSCONV (K must be 1),
N*G*K*C*R*S*Y'*X' for NGCONV, M*N*K for GEMM. Each becomes a dfsim layer with exactly those MACs:

- CONV: a conv (C, M = K, H = Y, W = X, R, S, stride, padding 0); an fc layer (in_shape
  [C, Y, X]) when the filter covers the whole input (R = Y, S = X). X and Y strides that differ
  are refused unless one value gives both output sizes (dfsim has one stride).
- DSCONV: a depthwise conv, groups = M = C.
- NGCONV: MAESTRO's tensors are input {G, C, Y, X}, weights {G, K, C, R, S}, outputs
  {G, K, C, Y', X'}: every one of the G*C input channels has its own K filters, i.e. a grouped
  conv with groups = G*C, C = G*C and M = G*C*K (said in the layer's notes).
- TRCONV: MAESTRO reads it as a CONV (its parser sets an inner stride of 2 that its cost model
  never uses at that commit), so it is imported as that CONV, with a note: a real transposed
  convolution has other MACs.
- GEMM (M, N, K; (M x K) x (K x N)): a 1x1 convolution with C = K, M = N over an M x 1 input,
  as the SCALE-Sim and Timeloop importers write GEMMs.
- FC, POOL, LSTM and RESIDUAL_IDENTITY are refused: MAESTRO's parser knows the words but builds
  no layer for them (it fails at the layer's closing brace).

A layer named like a matrix product (`MatMul`) is a CONV with a filter in MAESTRO, i.e. a weight
layer, and is imported as one; its note says so (if both operands are activations, as in
attention, dfsim has no such layer and the file does not say it).

Dataflow blocks (TemporalMap(size, offset) D; SpatialMap(size, offset) D; Cluster(size, P|L))
are parsed and checked as MAESTRO checks them (a TemporalMap over R or S must have size =
offset = the dimension's size), and written in each layer's `notes` with sizes resolved. A layer
without a Dataflow block after one that has one gets the previous layer's directives, as in
MAESTRO. They are not converted into dfsim mappings: MAESTRO's directives give each cluster
level a tile size and an offset per dimension (sliding, overlapping tiles when offset < size),
which dfsim's loop lists (bounds that tile each dimension exactly) do not express one to one.
"""

import argparse
import os
import re

from .common import (InputError, conv_layer, fc_layer, network_document, network_json,
                     read_text, run_main, unify_stride, unique_name, write_text)

PROG = "import_maestro"

LAYER_KEYS = ("Type", "Stride", "Dimensions", "Dataflow")
CONV_TYPES = ("CONV", "DSCONV", "TRCONV", "NGCONV")
NO_LAYER_TYPES = ("FC", "POOL", "LSTM", "RESIDUAL_IDENTITY")
REQUIRED = {"CONV": "KCRSYX", "TRCONV": "KCRSYX", "DSCONV": "CRSYX", "NGCONV": "GKCRSYX",
            "GEMM": "MNK"}
ALLOWED = {"CONV": "NKCRSYX", "TRCONV": "NKCRSYX", "DSCONV": "NKCRSYX", "NGCONV": "NGKCRSYX",
           "GEMM": "MNK"}
_SPLIT = re.compile(r"[\s,:;()]+")


class _Tokens:
    """The file's tokens as (text, line), comments removed, with a cursor."""

    def __init__(self, path, text):
        self.path = path
        self.items = []
        for lineno, line in enumerate(text.split("\n"), start=1):
            line = line.split("//", 1)[0]
            line = line.replace("{", " { ").replace("}", " } ")
            self.items += [(t, lineno) for t in _SPLIT.split(line) if t]
        self.pos = 0
        self.last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))

    def peek(self):
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def line(self):
        return self.items[self.pos][1] if self.pos < len(self.items) else self.last_line

    def error(self, what, line=None):
        return InputError(self.path, f"line {line or self.line()}: {what}")

    def next(self, expected):
        """The next token; at the end of the file an error saying `expected`."""
        if self.pos >= len(self.items):
            raise self.error(f"expected {expected}, got the end of the file")
        tok, _ = self.items[self.pos]
        self.pos += 1
        return tok

    def expect(self, token, context):
        line = self.line()
        tok = self.next(f"'{token}' {context}")
        if tok != token:
            raise self.error(f"expected '{token}' {context}, got '{tok}'", line)


def _value(toks, constants, what):
    line = toks.line()
    tok = toks.next(what)
    if tok in constants:
        return constants[tok]
    if not re.fullmatch(r"[0-9]+", tok) or int(tok) < 1:
        raise toks.error(f"expected {what} (a positive integer or a Constant defined above), "
                         f"got '{tok}'", line)
    return int(tok)


def _block(toks, context, item):
    """Reads `{ item* }`; `item(tok, line)` handles one entry starting at token `tok`."""
    open_line = toks.line()
    toks.expect("{", f"opening {context}")
    while True:
        if toks.peek() is None:
            raise toks.error(f"expected '}}' closing {context} opened at line {open_line}, got "
                             "the end of the file")
        line = toks.line()
        tok = toks.next("'}'")
        if tok == "}":
            return
        if tok == "{":
            raise toks.error(f"unexpected '{{' in {context}", line)
        item(tok, line)


def _size(toks, constants, dims, what):
    """A directive's size or offset: a value, or Sz(D) with D a dimension of the layer."""
    if toks.peek() == "Sz":
        toks.next("Sz")
        line = toks.line()
        dim = toks.next("a dimension after Sz")
        if dim not in dims:
            raise toks.error(f"Sz({dim}): expected a dimension of the layer "
                             f"({', '.join(dims)})", line)
        return dims[dim]
    return _value(toks, constants, what)


def _dataflow(toks, constants, dims, layer):
    """The directives of a Dataflow block as normalised text, checked as MAESTRO checks them."""
    directives = []

    def item(tok, line):
        if tok in ("TemporalMap", "SpatialMap"):
            size = _size(toks, constants, dims, f"the {tok}'s size")
            offset = _size(toks, constants, dims, f"the {tok}'s offset")
            dim_line = toks.line()
            dim = toks.next(f"the dimension the {tok} maps")
            if dim not in dims:
                raise toks.error(f"layer '{layer}': {tok} over '{dim}': expected a dimension "
                                 f"of the layer ({', '.join(dims)})", dim_line)
            if tok == "TemporalMap" and dim in ("R", "S") and not size == offset == dims[dim]:
                raise toks.error(f"layer '{layer}': TemporalMap({size},{offset}) {dim}: MAESTRO "
                                 f"requires a TemporalMap over {dim} to have size = offset = "
                                 f"the dimension's size {dims[dim]}", line)
            directives.append(f"{tok}({size},{offset}) {dim}")
        elif tok == "Cluster":
            size = _size(toks, constants, dims, "the Cluster's size")
            kind_line = toks.line()
            kind = toks.next("the Cluster's type, P or L")
            if kind not in ("P", "L"):
                raise toks.error(f"layer '{layer}': Cluster({size}, {kind}): expected the type "
                                 "P (physical) or L (logical)", kind_line)
            directives.append(f"Cluster({size},{kind})")
        else:
            raise toks.error(f"layer '{layer}': unknown directive '{tok}' in Dataflow (expected "
                             "TemporalMap, SpatialMap or Cluster)", line)

    _block(toks, f"the Dataflow of layer '{layer}'", item)
    if not directives:
        raise toks.error(f"layer '{layer}': empty Dataflow block")
    return directives


def _layer_body(toks, constants, name, name_line):
    """The layer's fields: {'type', 'stride', 'dims', 'dataflow', 'line'}."""
    seen = {}
    layer = {"line": name_line, "stride": {}, "dims": None, "dataflow": None, "type": None}

    def item(tok, line):
        if tok not in LAYER_KEYS:
            raise toks.error(f"layer '{name}': unknown key '{tok}' (expected "
                             f"{', '.join(LAYER_KEYS)})", line)
        if tok in seen:
            raise toks.error(f"layer '{name}': a second {tok} (the first is at line "
                             f"{seen[tok]})", line)
        seen[tok] = line
        if tok == "Type":
            type_line = toks.line()
            kind = toks.next("the layer's type")
            if kind in NO_LAYER_TYPES:
                raise toks.error(f"layer '{name}': Type {kind}: MAESTRO's parser builds no "
                                 "layer for it (it fails at the layer's closing brace); write "
                                 "it as a CONV whose filter covers the input (R = Y, S = X) or "
                                 "as a GEMM", type_line)
            if kind not in CONV_TYPES + ("GEMM",):
                raise toks.error(f"layer '{name}': unknown Type '{kind}' (expected "
                                 f"{', '.join(CONV_TYPES)} or GEMM)", type_line)
            layer["type"] = kind
        elif tok == "Stride":
            if layer["dims"] is not None:
                raise toks.error(f"layer '{name}': Stride must precede Dimensions (MAESTRO "
                                 "applies a stride only to dimensions read after it)", line)

            def stride_item(key, key_line):
                if key not in ("X", "Y"):
                    raise toks.error(f"layer '{name}': Stride '{key}': expected X or Y",
                                     key_line)
                if key in layer["stride"]:
                    raise toks.error(f"layer '{name}': Stride {key} given twice", key_line)
                layer["stride"][key] = _value(toks, constants, f"the stride of {key}")

            _block(toks, f"the Stride of layer '{name}'", stride_item)
        elif tok == "Dimensions":
            dims = {}

            def dim_item(key, key_line):
                if key in ("Y'", "X'"):
                    raise toks.error(f"layer '{name}': Dimensions {key}: output sizes are not "
                                     "read by this importer; give the input sizes Y and X",
                                     key_line)
                if not re.fullmatch(r"[A-Z]", key) or key not in "NGKCRSYXM":
                    raise toks.error(f"layer '{name}': unknown dimension '{key}' in Dimensions "
                                     "(expected N, G, K, C, R, S, Y, X, or M, N, K for a GEMM)",
                                     key_line)
                if key in dims:
                    raise toks.error(f"layer '{name}': dimension {key} given twice", key_line)
                dims[key] = _value(toks, constants, f"the size of {key}")

            _block(toks, f"the Dimensions of layer '{name}'", dim_item)
            layer["dims"] = dims
            layer["dims_line"] = line
        else:  # Dataflow
            if layer["dims"] is None:
                raise toks.error(f"layer '{name}': Dataflow must follow Dimensions (its Sz() "
                                 "and checks read the layer's sizes)", line)
            layer["dataflow"] = _dataflow(toks, constants, layer["dims"], name)

    _block(toks, f"layer '{name}'", item)
    if layer["type"] is None:
        raise toks.error(f"layer '{name}': missing Type (expected CONV, DSCONV, TRCONV, NGCONV "
                         "or GEMM)", name_line)
    if layer["dims"] is None:
        raise toks.error(f"layer '{name}': missing Dimensions (expected Dimensions "
                         f"{{ {', '.join(REQUIRED[layer['type']])} }})", name_line)
    kind, dims = layer["type"], layer["dims"]
    for d in dims:
        if d not in ALLOWED[kind]:
            raise toks.error(f"layer '{name}': dimension {d} is not one of a {kind} "
                             f"({', '.join(ALLOWED[kind])})", layer["dims_line"])
    missing = [d for d in REQUIRED[kind] if d not in dims]
    if missing:
        raise toks.error(f"layer '{name}': Dimensions: missing {', '.join(missing)} (a {kind} "
                         f"needs {', '.join(REQUIRED[kind])})", layer["dims_line"])
    if kind == "GEMM" and any(v != 1 for v in layer["stride"].values()):
        raise toks.error(f"layer '{name}': a GEMM has no stride", name_line)
    return layer


def parse(path, text):
    """(network name, constants, [(layer name, fields)]) of a MAESTRO file."""
    toks = _Tokens(path, text)
    constants = {}
    network = None
    layers = []
    while toks.peek() is not None:
        line = toks.line()
        tok = toks.next("Constant or Network")
        if tok == "Constant":
            name_line = toks.line()
            name = toks.next("the Constant's name")
            if name in constants:
                raise toks.error(f"Constant {name} defined twice", name_line)
            constants[name] = _value(toks, constants, f"the value of Constant {name}")
        elif tok == "Network":
            if network is not None:
                raise toks.error(f"a second Network block (the first is at line {network[1]}); "
                                 "expected one network per file", line)
            name = ""
            if toks.peek() not in ("{", None):
                name = toks.next("the network's name")
            network = (name, line)

            def layer_item(key, key_line):
                if key != "Layer":
                    raise toks.error(f"expected 'Layer' or '}}' in Network '{name}', got "
                                     f"'{key}'", key_line)
                if toks.peek() in ("{", None):
                    raise toks.error("expected the layer's name after 'Layer'", toks.line())
                parts = []
                while toks.peek() not in ("{", "}", None):
                    parts.append(toks.next("the layer's name"))
                layer_name = " ".join(parts)
                layers.append((layer_name, _layer_body(toks, constants, layer_name, key_line)))

            _block(toks, f"Network '{name}'", layer_item)
        else:
            raise toks.error(f"expected 'Constant' or 'Network', got '{tok}'", line)
    if network is None:
        raise InputError(path, "no Network block (expected Network NAME { Layer NAME { ... } })")
    if not layers:
        raise InputError(path, f"line {network[1]}: Network '{network[0]}' has no layers")
    return network[0], constants, layers


def maestro_macs(kind, dims, stride):
    """MAESTRO's MACs: the product of the loop bounds with Y' = (Y-R)//sy + 1 (GEMM: M*N*K)."""
    if kind == "GEMM":
        return dims["M"] * dims["N"] * dims["K"]
    p = (dims["Y"] - dims["R"]) // stride.get("Y", 1) + 1
    q = (dims["X"] - dims["S"]) // stride.get("X", 1) + 1
    macs = dims.get("N", 1) * dims.get("K", 1) * dims["C"] * dims["R"] * dims["S"] * p * q
    return macs * dims.get("G", 1)


def to_layer(path, name, fields, inherited):
    """One dfsim layer dict of a parsed MAESTRO layer; `inherited` names the layer whose
    directives it takes (or None)."""
    kind, dims, stride = fields["type"], fields["dims"], fields["stride"]
    at = f"line {fields['line']}: layer '{name}'"
    notes = []
    if re.search(r"mat_?mul", name, re.IGNORECASE):
        notes.append("a CONV with a filter in MAESTRO (a weight layer), imported as one; if its "
                     "two operands are activations (attention), dfsim has no such layer")
    n = dims.get("N")  # the batch of a convolution (a GEMM's N is its column count)
    if kind == "GEMM":
        m, cols, k = dims["M"], dims["N"], dims["K"]
        notes.insert(0, f"MAESTRO GEMM M={m}, N={cols}, K={k}: (MxK) x (KxN) as a 1x1 "
                        "convolution with C=K, M=N over an Mx1 input")
        layer = conv_layer(path, name, k, cols, m, 1, 1, 1, notes=None)
    else:
        c, r, s, y, x = dims["C"], dims["R"], dims["S"], dims["Y"], dims["X"]
        k = dims.get("K", 1)
        if r > y or s > x:
            raise InputError(path, f"{at}: the {r}x{s} filter (R x S) is larger than the "
                                   f"{y}x{x} input (Y x X)")
        sy, sx = stride.get("Y", 1), stride.get("X", 1)
        p, q = (y - r) // sy + 1, (x - s) // sx + 1
        groups, c_total, m_total = 1, c, k
        if kind == "DSCONV":
            if k != 1:
                raise InputError(path, f"{at}: a DSCONV with K={k}: MAESTRO's depthwise tensors "
                                       "have no K (expected K: 1 or no K)")
            groups, m_total = c, c
        elif kind == "NGCONV":
            g = dims["G"]
            groups, c_total, m_total = g * c, g * c, g * c * k
            notes.insert(0, f"MAESTRO NGCONV G={g}, K={k}, C={c}: every one of the G*C input "
                            "channels has its own K filters (MAESTRO's output tensor is "
                            f"G x K x C): groups={g * c}, C={g * c}, M={g * c * k}")
        elif kind == "TRCONV":
            notes.insert(0, "MAESTRO TRCONV: MAESTRO reads it as a CONV of these dimensions "
                            "(its inner stride 2 is not used by its cost model), and so does "
                            "this importer; a real transposed convolution has other MACs")
        if r == y and s == x and groups == 1:
            layer = fc_layer(path, name, c * y * x, m_total, [c, y, x], N=n)
        else:
            try:
                st, _ = unify_stride(path, name, [y, x], [r, s], [sy, sx], [0, 0], [p, q])
            except InputError as e:
                raise InputError(path, f"line {fields['line']}: {e.what} (MAESTRO's Stride "
                                       f"{{ X: {sx}, Y: {sy} }})")
            layer = conv_layer(path, name, c_total, m_total, y, x, r, s, st, 0, groups, N=n)
    if fields["dataflow"]:
        origin = f" (none of its own: layer '{inherited}''s, as MAESTRO inherits it)" \
            if inherited else ""
        notes.append(f"MAESTRO dataflow{origin}: " + "; ".join(fields["dataflow"]))
    if notes:
        layer["notes"] = "; ".join(notes)
    return layer


def layer_macs(layer):
    """dfsim's MACs of a layer dict written here (conv or fc), for the self-check."""
    if layer["type"] == "fc":
        return layer.get("N", 1) * layer["in_features"] * layer["out_features"]
    return (layer.get("N", 1) * layer["M"] * (layer["C"] // layer["groups"]) * layer["R"] *
            layer["S"] * layer["P"] * layer["Q"])


def convert(path, name=None):
    """The network document of a MAESTRO file."""
    net_name, _, parsed = parse(path, read_text(path, "a MAESTRO .m file"))
    layers, used = [], set()
    previous = None  # (name, directives) of the last layer with a Dataflow block of its own
    with_dataflow = 0
    for layer_name, fields in parsed:
        inherited = None
        if fields["dataflow"]:
            previous = (layer_name, fields["dataflow"])
            with_dataflow += 1
        elif previous:
            fields = dict(fields, dataflow=previous[1])
            inherited = previous[0]
        layer = to_layer(path, layer_name, fields, inherited)
        expected = maestro_macs(fields["type"], fields["dims"], fields["stride"])
        if layer_macs(layer) != expected:  # pragma: no cover (a bug here, not bad input)
            raise InputError(path, f"line {fields['line']}: layer '{layer_name}': internal "
                                   f"error: {layer_macs(layer)} MACs written, MAESTRO counts "
                                   f"{expected}")
        layer["name"] = unique_name(layer_name, used)
        layers.append(layer)
    base = os.path.basename(path)
    flow = (f"{with_dataflow} of its {len(layers)} layers have a Dataflow block (directives in "
            "each layer's notes; not converted to dfsim mappings)" if with_dataflow else
            "no Dataflow blocks (a model file)")
    notes = (f"Imported by scripts/import_maestro from {base} (MAESTRO network "
             f"'{net_name}'); {flow}. MAESTRO has no padding: input sizes are the file's Y x X, "
             "outputs (Y - R) / stride + 1, so the MACs equal MAESTRO's.")
    return network_document(name or net_name or os.path.splitext(base)[0], layers, batch=1,
                            notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a MAESTRO .m network or mapping file (Network { Layer { Type, "
                    "Stride, Dimensions, Dataflow } }) into a dfsim network JSON (on stdout).",
        epilog="examples:\n"
               "  import_maestro data/model/Resnet50_model.m > resnet50_maestro.json\n"
               "  import_maestro data/mapping/Resnet50_rs.m   # directives go to the notes\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="the MAESTRO .m file")
    parser.add_argument("--name", help="network name (default: the Network's name in the file)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    write_text(network_json(convert(args.file, args.name)), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
