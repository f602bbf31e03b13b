"""ONNX -> dfsim network JSON, from the graph after ONNX shape inference.

Nodes are read in graph order (ONNX requires a topological order): Conv becomes a conv layer,
Gemm and MatMul with a constant weight operand become fc layers (a MatMul over a sequence, input
of rank 3 or more, becomes a 1x1 conv over its positions), MaxPool, AveragePool,
GlobalAveragePool and GlobalMaxPool become pool layers. Operators without MACs on the array
(activations, normalisation, Add, Concat, Flatten, Reshape...) are skipped; operators with MACs
that dfsim cannot express (ConvTranspose, RNNs, quantised or integer convs, Einsum, a MatMul of
two activations) are refused with a clear error.

Every shape comes from the model itself after onnx.shape_inference; a graph input with a
symbolic batch dimension needs --batch.
"""

import argparse
import os
import warnings

from .common import (InputError, conv_layer, conv_output_size, fc_layer, network_document,
                     network_json, pool_layer, run_main, unify_stride, unique_name, window_keys,
                     write_text)

PROG = "import_onnx"

# Operators that multiply-accumulate but have no dfsim equivalent.
UNSUPPORTED = {
    "ConvTranspose": "transposed convolution", "ConvInteger": "integer convolution",
    "QLinearConv": "quantised convolution", "QLinearMatMul": "quantised matrix product",
    "MatMulInteger": "integer matrix product", "Einsum": "einsum", "LSTM": "LSTM", "GRU": "GRU",
    "RNN": "RNN", "DeformConv": "deformable convolution", "LpPool": "Lp pooling",
    "MaxRoiPool": "RoI pooling", "GlobalLpPool": "Lp pooling",
}


def _onnx(path):
    try:
        import onnx
        import onnx.shape_inference  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise InputError(path, f"cannot import onnx ({e}); install Debian's python3-onnx and run "
                               "with /usr/bin/python3")
    return onnx


def _attrs(onnx, node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _as_text(v):
    return v.decode() if isinstance(v, bytes) else v


class _Reader:
    def __init__(self, onnx, path, model):
        self.onnx = onnx
        self.path = path
        self.graph = model.graph
        self.shapes = {}     # value name -> list of ints (static shapes only)
        self.constants = set()
        self.producer = {}   # value name -> node
        self.layers = []
        self.used = set()
        self.batch = None
        g = self.graph
        for init in g.initializer:
            self.shapes[init.name] = list(init.dims)
            self.constants.add(init.name)
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            dims = self._static_dims(vi)
            if dims is not None:
                self.shapes.setdefault(vi.name, dims)
        for node in g.node:
            for out in node.output:
                self.producer[out] = node
            if node.op_type == "Constant":
                self.constants.update(node.output)

    @staticmethod
    def _static_dims(vi):
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            return None
        dims = []
        for d in t.shape.dim:
            if not d.HasField("dim_value") or d.dim_value < 1:
                return None
            dims.append(d.dim_value)
        return dims

    def fail(self, node, what):
        raise InputError(self.path, f"node '{node.name or node.op_type}' ({node.op_type}): {what}")

    def shape(self, node, name, rank=None):
        dims = self.shapes.get(name)
        if dims is None:
            self.fail(node, f"the shape of '{name}' is unknown after shape inference (expected "
                            "static shapes: export with a fixed input size)")
        if rank is not None and len(dims) != rank:
            self.fail(node, f"expected '{name}' of rank {rank}, got shape {dims}")
        return dims

    def n_field(self, n):
        if self.batch is None:
            self.batch = n
        return None if n == self.batch else n

    def add(self, node, layer):
        layer["name"] = unique_name(node.name or f"{node.op_type.lower()}{len(self.layers)}",
                                    self.used)
        self.layers.append(layer)

    # -- helpers for windows --
    def _window(self, node, attrs, x, y, kernel, default_stride):
        """stride, pads (top, left), checking symmetry and resolving auto_pad."""
        h, w = x[2], x[3]
        p, q = y[2], y[3]
        strides = list(attrs.get("strides", [default_stride[0], default_stride[1]]))
        if len(strides) != 2 or len(kernel) != 2:
            self.fail(node, f"expected 2-D windows, got kernel {list(kernel)} strides {strides}")
        dil = self._dilations(node, attrs)
        auto_pad = _as_text(attrs.get("auto_pad", "NOTSET"))
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            pads = []
            for size, k, s, d, out in ((h, kernel[0], strides[0], dil[0], p),
                                       (w, kernel[1], strides[1], dil[1], q)):
                total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
                small = total // 2
                pads.append((small, total - small) if auto_pad == "SAME_UPPER"
                            else (total - small, small))
            (top, bottom), (left, right) = pads
        elif auto_pad == "VALID":
            top = bottom = left = right = 0
        else:
            pads = list(attrs.get("pads", [0, 0, 0, 0]))
            if len(pads) != 4:
                self.fail(node, f"expected 4 pads, got {pads}")
            top, left, bottom, right = pads
        if top != bottom or left != right:
            # A ceil-mode pool may still be written exactly; the caller decides for pools.
            return strides, (top, left), (bottom, right)
        return strides, (top, left), None

    def _dilations(self, node, attrs):
        dil = [int(d) for d in attrs.get("dilations", [1, 1])]
        if len(dil) != 2 or any(d < 1 for d in dil):
            self.fail(node, f"expected 2 dilations >= 1, got {dil}")
        return dil

    # -- operators --
    def conv(self, node, attrs):
        x = self.shape(node, node.input[0])
        if len(x) != 4:
            self.fail(node, f"only 2-D convolutions are supported (input of rank 4), got input "
                            f"shape {x}")
        wshape = self.shape(node, node.input[1], 4)
        y = self.shape(node, node.output[0], 4)
        groups = attrs.get("group", 1)
        kernel = list(attrs.get("kernel_shape", wshape[2:]))
        strides, (top, left), ends = self._window(node, attrs, x, y, kernel, (1, 1))
        bottom, right = ends if ends is not None else (top, left)
        if wshape[1] * groups != x[1]:
            self.fail(node, f"weight shape {wshape} with group={groups} does not match "
                            f"{x[1]} input channels")
        name = node.name or "conv"
        keys = window_keys(self.path, name, x[2:], kernel, strides, (top, bottom, left, right),
                           self._dilations(node, attrs), y[2:])
        self.add(node, conv_layer(self.path, name, x[1], wshape[0], x[2], x[3], kernel[0],
                                  kernel[1], keys["stride"], keys["padding"], groups,
                                  N=self.n_field(x[0]), dilation=keys.get("dilation", 1)))

    def _weight(self, node, name, kind):
        if name not in self.constants:
            self.fail(node, f"the {kind} operand '{name}' is not a constant weight: a product of "
                            "two activations (as in attention) has no dfsim layer")
        return self.shape(node, name, 2)

    def _in_shape(self, name, k):
        """[C, H, W] when the value is a flattened 4-D feature map of k elements."""
        node = self.producer.get(name)
        while node is not None and node.op_type in ("Flatten", "Reshape", "Identity"):
            src = self.shapes.get(node.input[0])
            if src is not None and len(src) == 4:
                return src[1:] if src[1] * src[2] * src[3] == k else None
            node = self.producer.get(node.input[0])
        return None

    def fc(self, node, a_name, rows_shape, k, n_out):
        name = node.name or "fc"
        if len(rows_shape) <= 1:
            self.add(node, fc_layer(self.path, name, k, n_out, self._in_shape(a_name, k),
                                    N=self.n_field(rows_shape[0] if rows_shape else 1)))
            return
        rows = 1
        for d in rows_shape[1:]:
            rows *= d
        self.add(node, conv_layer(self.path, name, k, n_out, rows, 1, 1, 1,
                                  N=self.n_field(rows_shape[0]),
                                  notes=f"{node.op_type} over an input of shape "
                                        f"{rows_shape + [k]}: a 1x1 convolution over its "
                                        f"{rows} positions"))

    def gemm(self, node, attrs):
        a = self.shape(node, node.input[0], 2)
        if attrs.get("transA", 0):
            self.fail(node, "transA=1 is not supported (the activations must be rows)")
        b = self._weight(node, node.input[1], "B")
        k, n_out = (b[1], b[0]) if attrs.get("transB", 0) else (b[0], b[1])
        if a[1] != k:
            self.fail(node, f"A of shape {a} does not match B of shape {b}")
        self.fc(node, node.input[0], a[:1], k, n_out)

    def matmul(self, node, attrs):
        a = self.shape(node, node.input[0])
        b = self._weight(node, node.input[1], "second")
        if len(a) < 2 or a[-1] != b[0]:
            self.fail(node, f"A of shape {a} does not match the weight of shape {b}")
        self.fc(node, node.input[0], a[:-1], b[0], b[1])

    def pool(self, node, attrs):
        x = self.shape(node, node.input[0])
        if len(x) != 4:
            self.fail(node, f"only 2-D pooling is supported (input of rank 4), got shape {x}")
        y = self.shape(node, node.output[0], 4)
        notes = None
        if node.op_type.startswith("Global"):
            kernel, strides, pads = [x[2], x[3]], [x[2], x[3]], (0, 0)
        else:
            kernel = list(attrs.get("kernel_shape", []))
            if self._dilations(node, attrs) != [1, 1]:
                self.fail(node, f"dilations {attrs.get('dilations')} are not supported for "
                                "pooling: dfsim's pool layers have no dilation")
            strides, pads, ends = self._window(node, attrs, x, y, kernel, (1, 1))
            ceil = attrs.get("ceil_mode", 0)
            floor_ok = (ends is None and
                        conv_output_size(x[2], kernel[0], strides[0], pads[0]) == y[2] and
                        conv_output_size(x[3], kernel[1], strides[1], pads[1]) == y[3])
            if not floor_ok:
                # ceil_mode or a one-sided pad: pooling has no MACs, only its output size
                # matters, so write the symmetric padding that gives the same output size.
                for extra in (0, 1):
                    cand = (max(pads[0], ends[0] if ends else 0) + extra,
                            max(pads[1], ends[1] if ends else 0) + extra)
                    if (conv_output_size(x[2], kernel[0], strides[0], cand[0]) == y[2] and
                            conv_output_size(x[3], kernel[1], strides[1], cand[1]) == y[3]):
                        break
                else:
                    self.fail(node, f"the output {y[2]}x{y[3]} (ceil_mode={ceil}) cannot be "
                                    "written with dfsim's symmetric padding and rounding down")
                notes = (f"{'ceil_mode=1' if ceil else 'one-sided padding'} in ONNX (output "
                         f"{y[2]}x{y[3]}); written with padding {cand[0]}, which gives the same "
                         "output size with dfsim's rounding down")
                pads = cand
        name = node.name or "pool"
        stride, pad = unify_stride(self.path, name, x[2:], kernel, strides, pads, y[2:])
        self.add(node, pool_layer(self.path, name, x[1], x[2], x[3], kernel[0], kernel[1], stride,
                                  pad, N=self.n_field(x[0]), notes=notes))

    def read(self):
        handlers = {"Conv": self.conv, "Gemm": self.gemm, "MatMul": self.matmul,
                    "MaxPool": self.pool, "AveragePool": self.pool,
                    "GlobalAveragePool": self.pool, "GlobalMaxPool": self.pool}
        for node in self.graph.node:
            if node.domain not in ("", "ai.onnx"):
                self.fail(node, f"operator domain '{node.domain}' is not supported (only the "
                                "standard ONNX operators)")
            if node.op_type in UNSUPPORTED:
                self.fail(node, f"{UNSUPPORTED[node.op_type]} is not supported by dfsim "
                                "(supported: Conv, Gemm, MatMul, MaxPool, AveragePool, "
                                "GlobalAveragePool, GlobalMaxPool)")
            handler = handlers.get(node.op_type)
            if handler is not None:
                handler(node, _attrs(self.onnx, node))
        if not self.layers:
            raise InputError(self.path, "no Conv, Gemm, MatMul or pooling node in the graph")


def _fix_batch(onnx, path, model, batch):
    """Gives graph inputs static shapes: a symbolic first dimension becomes `batch`."""
    weights = {init.name for init in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name in weights:
            continue
        for i, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            label = d.dim_param or "?"
            if i == 0 and batch is not None:
                d.dim_value = batch
            elif i == 0:
                raise InputError(path, f"input '{vi.name}' has a symbolic batch dimension "
                                       f"'{label}'; give --batch N")
            else:
                raise InputError(path, f"input '{vi.name}' has a symbolic dimension '{label}' "
                                       f"at position {i}; export the model with a fixed input "
                                       "size")


def convert(path, batch=None, name=None):
    """Reads the ONNX file at `path` and returns the network document."""
    onnx = _onnx(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(path, f"cannot open ({e.strerror})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = onnx.load_model_from_string(data)
    except Exception as e:
        raise InputError(path, f"not an ONNX model (protobuf decoding failed: {e})")
    if len(model.graph.node) == 0:
        raise InputError(path, "not an ONNX model with a graph (expected a ModelProto with "
                               "nodes)")
    _fix_batch(onnx, path, model, batch)
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise InputError(path, f"invalid ONNX model: {str(e).strip().splitlines()[0]}")
    try:
        model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True,
                                                  data_prop=True)
    except Exception as e:
        raise InputError(path, f"ONNX shape inference failed: {str(e).strip().splitlines()[0]}")
    reader = _Reader(onnx, path, model)
    reader.read()
    network_name = name or os.path.splitext(os.path.basename(path))[0]
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                default=0)
    notes = (f"Imported by scripts/import_onnx from {os.path.basename(path)} (ONNX opset {opset}"
             "). Operators without MACs on the PE array (activations, normalisation, Add, "
             "Concat, reshapes) are not layers here. Biases are not modelled.")
    return network_document(network_name, reader.layers, batch=reader.batch or 1, notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a shape-inferable ONNX model into a dfsim network JSON (on stdout). "
                    "Conv, Gemm/MatMul with constant weights, MaxPool, AveragePool and "
                    "GlobalAveragePool/GlobalMaxPool become layers.",
        epilog="example:\n  import_onnx resnet18.onnx > resnet18.json\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .onnx file")
    parser.add_argument("--batch", type=int, metavar="N",
                        help="value for a symbolic batch dimension of the graph inputs")
    parser.add_argument("--name", help="network name (default: the file name without .onnx)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        parser.error(f"argument --batch: expected a positive integer, got {args.batch}")
    doc = convert(args.model, args.batch, args.name)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
