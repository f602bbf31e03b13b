"""PyTorch -> dfsim network JSON, by running the module once and recording its layers.

How: every module gets a forward hook; one forward pass on a zero input of the given shape calls
the hooks of the layers that actually run, in execution order, with their real input and output
shapes. Conv2d, Linear, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and AdaptiveMaxPool2d become
layers; everything else either has no MACs (activations, batch norm, dropout, residual adds,
concatenation) or is refused with a clear error (Conv1d/3d, transposed convs, RNNs).

Products outside those modules (F.linear, F.conv2d, matmul, einsum, attention's products of two
activations) are seen at PyTorch's dispatcher (_watch_products) and become layers of their own
(mm -> fc, bmm -> grouped 1x1 conv), so the network holds every MAC of the forward pass; the
dispatcher's MAC sum must equal the layers' MACs, else the import is refused.

Speed: weights are irrelevant to shapes, so the model is built with torch.nn.init's functions
turned into no-ops and then moved to PyTorch's "meta" device, where a forward pass computes
shapes only (ResNet-50 takes milliseconds instead of seconds). If the model's forward cannot run
on meta tensors it is built again and run on the CPU.

The input of a linear layer that follows a flatten is given the shape of the last conv/pool
output when the sizes agree (AlexNet's fc1 is a 6x6 filter over 256 channels).
"""

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import warnings

from .common import (InputError, conv_layer, conv_output_size, fc_layer, network_document,
                     network_json, parse_shape, pool_layer, run_main, unify_stride, unique_name,
                     window_keys, write_text)

PROG = "import_torch"


def _load_torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise InputError("torch", f"cannot import PyTorch ({e}); install Debian's python3-torch "
                                  "and run with /usr/bin/python3")
    return torch


@contextlib.contextmanager
def _no_weight_init(torch):
    """Makes torch.nn.init's in-place initialisers no-ops while a model is built."""
    init = torch.nn.init
    saved = {n: getattr(init, n) for n in dir(init)
             if n.endswith("_") and not n.startswith("_") and callable(getattr(init, n))}
    for n in saved:
        setattr(init, n, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(init, n, f)


def _factory(spec):
    """A zero-argument callable returning the nn.Module named by `spec`, and a default name."""
    if ":" not in spec:
        raise InputError(spec, "expected torchvision:NAME or MODULE:FUNCTION "
                               "(MODULE a module name or a path to a .py file)")
    module_part, func_part = spec.rsplit(":", 1)
    if not module_part or not func_part:
        raise InputError(spec, "expected torchvision:NAME or MODULE:FUNCTION")
    if module_part == "torchvision":
        try:
            import torchvision.models as tvm
        except ImportError as e:  # pragma: no cover
            raise InputError(spec, f"cannot import torchvision ({e}); install python3-torchvision")
        known = tvm.list_models() if hasattr(tvm, "list_models") else []
        fn = getattr(tvm, func_part, None)
        if fn is None and func_part in known and hasattr(tvm, "get_model_builder"):
            fn = tvm.get_model_builder(func_part)  # segmentation, detection, video models
        if (known and func_part not in known) or not callable(fn):
            raise InputError(spec, f"no torchvision model '{func_part}'; models include "
                                   "alexnet, vgg16, googlenet, resnet50, mobilenet_v2 "
                                   "(torchvision.models.list_models() lists all)")

        def build():
            kwargs = {"weights": None}
            if func_part in ("googlenet", "inception_v3"):
                kwargs["init_weights"] = False  # weights are not used; skips a slow scipy init
            if func_part.startswith(("deeplabv3", "fcn_", "lraspp")):
                kwargs["weights_backbone"] = None  # no download of the backbone's weights
            return fn(**kwargs)
        return build, func_part

    try:
        if module_part.endswith(".py") or os.sep in module_part:
            if not os.path.isfile(module_part):
                raise InputError(spec, f"no such file '{module_part}'")
            name = "_dfsim_user_" + os.path.splitext(os.path.basename(module_part))[0]
            loader = importlib.util.spec_from_file_location(name, module_part)
            module = importlib.util.module_from_spec(loader)
            sys.modules[name] = module
            loader.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_part)
    except InputError:
        raise
    except Exception as e:  # a user's module can raise anything while importing
        raise InputError(spec, f"cannot import '{module_part}': {type(e).__name__}: {e}")
    target = module
    for attr in func_part.split("."):
        if not hasattr(target, attr):
            raise InputError(spec, f"'{module_part}' has no attribute '{func_part}'")
        target = getattr(target, attr)
    if not callable(target):
        raise InputError(spec, f"'{func_part}' is not callable; expected a function (or class) "
                               "returning a torch.nn.Module")
    return target, func_part.split(".")[-1]


class _Tracer:
    """Forward hooks that turn the layers a forward pass runs into dfsim layer dicts."""

    def __init__(self, torch, where, batch):
        self.torch = torch
        self.nn = torch.nn
        self.where = where
        self.batch = batch
        self.layers = []
        self.used = set()
        self.ignored = {}          # module type -> calls, for leaf modules with parameters
        self.last_feature = None   # (C, H, W) of the last conv/pool output
        self.stack = []            # names of the modules running now, outermost first
        self.in_layer = 0          # how many Conv2d / Linear modules are running now
        self.aten_macs = {}        # ATen operator -> MACs, every product of the pass
        nn = self.nn
        self.unsupported = tuple(t for t in (
            nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
            nn.RNNBase, nn.RNNCellBase, nn.Bilinear, nn.MaxPool1d,
            nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool3d,
            nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool3d, nn.LPPool2d, nn.FractionalMaxPool2d,
            nn.MaxUnpool2d, getattr(nn, "Transformer", None)) if t is not None)

    # -- helpers --
    def _fail(self, name, module, what):
        raise InputError(self.where, f"layer '{name}' ({type(module).__name__}): {what}")

    def _name(self, name):
        return unique_name(name or "model", self.used)

    def _n_field(self, n):
        return None if n == self.batch else n

    @staticmethod
    def _pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    def _image(self, name, module, x):
        """(N, C, H, W) of a conv/pool input, accepting an unbatched (C, H, W)."""
        shape = tuple(x.shape)
        if len(shape) == 3:
            return (1,) + shape
        if len(shape) != 4:
            self._fail(name, module, f"expected a 4-D input (N, C, H, W), got shape {list(shape)}")
        return shape

    # -- layer kinds --
    def conv(self, name, m, x, y):
        n, c, h, w = self._image(name, m, x)
        p, q = tuple(y.shape)[-2:]
        r, s = self._pair(m.kernel_size)
        left, right, top, bottom = m._reversed_padding_repeated_twice
        keys = window_keys(self.where, name, (h, w), (r, s), self._pair(m.stride),
                           (top, bottom, left, right), self._pair(m.dilation), (p, q))
        self.last_feature = (m.out_channels, p, q)
        return conv_layer(self.where, name, m.in_channels, m.out_channels, h, w, r, s,
                          keys["stride"], keys["padding"], m.groups, N=self._n_field(n),
                          dilation=keys.get("dilation", 1))

    def linear(self, name, m, x, y):
        shape = tuple(x.shape)
        if len(shape) <= 2:
            n = shape[0] if len(shape) == 2 else 1
            in_shape = None
            if self.last_feature is not None:
                c, h, w = self.last_feature
                if c * h * w == m.in_features:
                    in_shape = [c, h, w]
            self.last_feature = None
            return fc_layer(self.where, name, m.in_features, m.out_features, in_shape,
                            N=self._n_field(n))
        # A linear layer over a sequence (N, L..., F) is a 1x1 convolution over L positions.
        rows = 1
        for d in shape[1:-1]:
            rows *= d
        self.last_feature = None
        return conv_layer(self.where, name, m.in_features, m.out_features, rows, 1, 1, 1,
                          N=self._n_field(shape[0]),
                          notes=f"nn.Linear applied to an input of shape {list(shape)}: a 1x1 "
                                f"convolution over its {rows} positions")

    def pool(self, name, m, x, y):
        n, c, h, w = self._image(name, m, x)
        p, q = tuple(y.shape)[-2:]
        nn = self.nn
        notes = None
        if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
            if h % p or w % q:
                self._fail(name, m, f"adaptive pooling from {h}x{w} to {p}x{q} uses windows of "
                                    "unequal sizes; dfsim pools need one window size (use an "
                                    "input size that is a multiple of the output size)")
            r, s = h // p, w // q
            strides, pads = (r, s), (0, 0)
            kind = "adaptive " + ("average" if isinstance(m, nn.AdaptiveAvgPool2d) else "max")
            notes = f"{kind} pooling to {p}x{q}"
        else:
            r, s = self._pair(m.kernel_size)
            strides = self._pair(m.stride if m.stride is not None else m.kernel_size)
            pads = self._pair(m.padding)
            if isinstance(m, nn.MaxPool2d) and self._pair(m.dilation) != (1, 1):
                self._fail(name, m, f"dilation {self._pair(m.dilation)} is not supported: dfsim "
                                    "has no dilated pooling")
            if getattr(m, "ceil_mode", False) and (
                    conv_output_size(h, r, strides[0], pads[0]) != p
                    or conv_output_size(w, s, strides[1], pads[1]) != q):
                # dfsim rounds down; the same output size comes from one more row of padding.
                # Pooling has no MACs and is not simulated: only its output shape matters.
                pads = (pads[0] + 1, pads[1] + 1)
                if (conv_output_size(h, r, strides[0], pads[0]) != p
                        or conv_output_size(w, s, strides[1], pads[1]) != q):
                    self._fail(name, m, f"ceil_mode=True gives a {p}x{q} output that dfsim's "
                                        "rounding down cannot reproduce with one more padding")
                notes = (f"ceil_mode=True in PyTorch (output {p}x{q}); written with padding "
                         f"{pads[0]}, which gives the same output size with dfsim's rounding down")
        stride, pad = unify_stride(self.where, name, (h, w), (r, s), strides, pads, (p, q))
        self.last_feature = (c, p, q)
        return pool_layer(self.where, name, c, h, w, r, s, stride, pad, N=self._n_field(n),
                          notes=notes)

    def pre_hook(self, name):
        def on_enter(module, inputs):
            if isinstance(module, self.unsupported):
                self._fail(name, module, "this module type is not supported by dfsim (supported: "
                                         "Conv2d, Linear, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, "
                                         "AdaptiveMaxPool2d)")
            self.stack.append(name)
            if isinstance(module, (self.nn.Conv2d, self.nn.Linear)):
                self.in_layer += 1
        return on_enter

    def hook(self, name):
        def on_forward(module, inputs, output):
            nn = self.nn
            self.stack.pop()
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                self.in_layer -= 1
            if not inputs or not isinstance(inputs[0], self.torch.Tensor):
                return
            x = inputs[0]
            if isinstance(module, nn.Conv2d):
                layer = self.conv(name, module, x, output)
            elif isinstance(module, nn.Linear):
                layer = self.linear(name, module, x, output)
            elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                                     nn.AdaptiveMaxPool2d)):
                layer = self.pool(name, module, x, output)
            else:
                if not any(True for _ in module.children()) and any(
                        True for _ in module.parameters(recurse=False)):
                    kind = type(module).__name__
                    self.ignored[kind] = self.ignored.get(kind, 0) + 1
                return
            layer["name"] = self._name(name)
            self.layers.append(layer)
        return on_forward

    def product(self, op, args, out):
        """Writes a layer for an ATen product that runs outside every Conv2d / Linear module (a
        function call: F.linear, F.conv2d, matmul, einsum, attention); one inside is the
        module's, whose hook writes its layer."""
        if self.in_layer:
            return
        where = self.stack[-1] if self.stack else ""
        short = op.split(".")[-1]
        name = self._name(f"{where}.{short}" if where else short)
        shapes = " x ".join(str(list(a.shape)) for a in args
                            if isinstance(a, self.torch.Tensor) and a.dim() > 1)
        note = (f"{op} {shapes} called in {where or 'the model'} outside any Conv2d/Linear "
                "module; its second operand is dfsim's weights (it may be an activation)")
        if op in ("aten.mm", "aten.addmm"):
            a, b = (args[0], args[1]) if op == "aten.mm" else (args[1], args[2])
            n, k = (int(v) for v in a.shape)
            layer = fc_layer(self.where, name, k, int(b.shape[1]), None, N=self._n_field(n),
                             notes=note)
        elif op in ("aten.bmm", "aten.baddbmm"):
            a, b = (args[0], args[1]) if op == "aten.bmm" else (args[1], args[2])
            g, n, k = (int(v) for v in a.shape)
            m = int(b.shape[2])
            layer = conv_layer(self.where, name, g * k, g * m, n, 1, 1, 1, groups=g,
                               N=self._n_field(1),
                               notes=note + f"; a batch of {g} products as a grouped 1x1 "
                                            f"convolution (G {g}, C {k}, M {m}, P {n})")
        elif op in ("aten.mv", "aten.addmv"):
            a = args[0] if op == "aten.mv" else args[1]
            n, k = (int(v) for v in a.shape)
            layer = fc_layer(self.where, name, k, n, None, N=self._n_field(1), notes=note)
        elif op in ("aten.dot", "aten.vdot"):
            layer = fc_layer(self.where, name, int(args[0].numel()), 1, None,
                             N=self._n_field(1), notes=note)
        else:
            layer = self._function_conv(name, args, out, note)
        layer["name"] = name
        self.layers.append(layer)

    def _function_conv(self, name, args, out, note):
        x, w = args[0], args[1]
        stride, padding, dilation, transposed, groups = (args[3], args[4], args[5], args[6],
                                                         args[8])
        if transposed or x.dim() != 4:
            kind = "transposed" if transposed else f"{x.dim() - 2}-D"
            raise InputError(self.where, f"'{name}': a {kind} convolution called as a function; "
                                         "dfsim has no such layer")
        n, c, h, wd = (int(v) for v in x.shape)
        r, s = (int(v) for v in w.shape[2:])
        p, q = (int(v) for v in out.shape[2:])
        ph, pw = (int(v) for v in padding)
        keys = window_keys(self.where, name, (h, wd), (r, s), tuple(int(v) for v in stride),
                           (ph, ph, pw, pw), tuple(int(v) for v in dilation), (p, q))
        return conv_layer(self.where, name, c, int(w.shape[0]), h, wd, r, s, keys["stride"],
                          keys["padding"], int(groups), N=self._n_field(n), notes=note,
                          dilation=keys.get("dilation", 1))


def _prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def _op_macs(op, args, out):
    """MACs of one ATen operator call, from its operands' shapes (0 for operators without
    multiply-accumulates). Every dense product an nn.Module or a function call performs reaches
    one of these at PyTorch's dispatcher (matmul, einsum, linear and conv2d decompose into them)."""
    if op in ("aten.convolution", "aten._convolution", "aten.convolution_overrideable"):
        x, w, transposed = args[0], args[1], bool(args[6])
        per_output = _prod(w.shape[1:])  # (C / groups) x kernel
        return (x.numel() if transposed else out.numel()) * per_output
    if op == "aten.mm":
        return _prod(args[0].shape) * args[1].shape[1]
    if op == "aten.addmm":
        return _prod(args[1].shape) * args[2].shape[1]
    if op == "aten.bmm":
        return _prod(args[0].shape) * args[1].shape[2]
    if op in ("aten.baddbmm", "aten.addbmm"):
        return _prod(args[1].shape) * args[2].shape[2]
    if op == "aten.mv":
        return _prod(args[0].shape)
    if op == "aten.addmv":
        return _prod(args[1].shape)
    if op in ("aten.dot", "aten.vdot"):
        return args[0].numel()
    return 0


@contextlib.contextmanager
def _watch_products(tracer):
    """While the block runs, every ATen product (`_op_macs` > 0) adds its MACs to
    tracer.aten_macs {operator: MACs}, a count of the model's work independent of the hooks, and
    goes to tracer.product, which writes a layer for it when no Conv2d/Linear module runs it."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Watcher(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            op = str(func.overloadpacket)
            macs = _op_macs(op, args, out)
            if macs:
                tracer.aten_macs[op] = tracer.aten_macs.get(op, 0) + macs
                tracer.product(op, args, out)
            return out

    with Watcher():
        yield


def layer_macs(layer, batch):
    """MACs of one dfsim layer dict (conv or fc; 0 for pooling)."""
    n = layer.get("N", batch)
    if layer["type"] == "conv":
        return (n * layer["M"] * layer["P"] * layer["Q"] * (layer["C"] // layer["groups"])
                * layer["R"] * layer["S"])
    if layer["type"] == "fc":
        return n * layer["in_features"] * layer["out_features"]
    return 0


def trace(spec, shape, name=None):
    """Builds the module named by `spec`, runs it on a zero input of `shape`, returns the network
    document (see common.network_document). Raises InputError on anything dfsim cannot express.
    """
    if ":" not in spec or spec.startswith(":") or spec.endswith(":"):
        raise InputError(spec, "expected torchvision:NAME or MODULE:FUNCTION "
                               "(MODULE a module name or a path to a .py file)")
    torch = _load_torch()
    build, default_name = _factory(spec)

    def make():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with _no_weight_init(torch):
                    model = build()
            except InputError:
                raise
            except Exception as e:
                raise InputError(spec, f"building the model failed: {type(e).__name__}: {e}")
        if not isinstance(model, torch.nn.Module):
            raise InputError(spec, f"expected a torch.nn.Module, got {type(model).__name__}")
        return model.eval()

    def run(model, device):
        tracer = _Tracer(torch, spec, shape[0])
        handles = [h for n, m in model.named_modules()
                   for h in (m.register_forward_pre_hook(tracer.pre_hook(n)),
                             m.register_forward_hook(tracer.hook(n)))]
        try:
            model = model.to(device)
            x = torch.zeros(*shape, device=device)
            with torch.no_grad(), warnings.catch_warnings(), _watch_products(tracer):
                warnings.simplefilter("ignore")
                model(x)
        finally:
            for h in handles:
                h.remove()
        return tracer

    try:
        tracer = run(make(), "meta")
    except InputError:
        raise
    except Exception:
        try:
            tracer = run(make(), "cpu")
        except InputError:
            raise
        except Exception as e:
            raise InputError(spec, f"the forward pass on an input of shape {list(shape)} failed: "
                                   f"{type(e).__name__}: {e}")

    if not tracer.layers:
        raise InputError(spec, "the forward pass ran no Conv2d, Linear or pooling module")
    performed = sum(tracer.aten_macs.values())
    kept = sum(layer_macs(layer, shape[0]) for layer in tracer.layers)
    if performed != kept:
        ops = ", ".join(f"{op} {n:,}" for op, n in sorted(tracer.aten_macs.items()))
        why = ("are in products dfsim has no layer for (such as a product of two activations: "
               "attention, a matmul written as a function)" if performed > kept
               else "are counted twice")
        raise InputError(spec, f"the forward pass performs {performed:,} MACs ({ops}) but the "
                               f"network's layers hold {kept:,}: {abs(performed - kept):,} MACs "
                               f"{why}; refused rather than imported with a different amount "
                               "of work")

    dims = "x".join(str(d) for d in shape)
    notes = (f"Imported by scripts/import_torch from {spec} with input {dims}. Activations, "
             "normalisation, dropout, residual additions and concatenation have no MACs on the "
             "PE array and are not layers here")
    if tracer.ignored:
        kinds = ", ".join(f"{k} x{v}" for k, v in sorted(tracer.ignored.items()))
        notes += f" (modules with parameters left out: {kinds})"
    notes += ". Biases are not modelled."
    return network_document(name or default_name, tracer.layers, batch=shape[0], notes=notes)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a PyTorch model into a dfsim network JSON (on stdout) by running it "
                    "once on a zero input and recording its Conv2d, Linear and pooling layers. "
                    "No weights are needed or loaded.",
        epilog="examples:\n"
               "  import_torch torchvision:resnet50 --input 1x3x224x224 > resnet50.json\n"
               "  import_torch mynets.py:build_net --input 4x3x32x32 --name mynet -o mynet.json\n"
               "  import_torch mypackage.models:Net --input 1x1x28x28\n"
               "exit status: 0 success, 2 bad input (one line on stderr)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="torchvision:NAME (built with weights=None), or "
                                      "MODULE:FUNCTION where MODULE is an importable module name "
                                      "or a path to a .py file and FUNCTION returns an nn.Module")
    parser.add_argument("--input", required=True, metavar="NxCxHxW",
                        help="input shape, e.g. 1x3x224x224; N becomes the network's batch")
    parser.add_argument("--name", help="network name (default: the model's name)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    args = parser.parse_args(argv)
    shape = parse_shape(args.input)
    doc = trace(args.model, shape, args.name)
    write_text(network_json(doc), args.output)


if __name__ == "__main__":
    run_main(PROG, main)
