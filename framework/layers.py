"""Layers: the interface every layer plugin implements, the `Sequential` container, and building layers from
recipe specs. The layers themselves (dense, activations, batch norm, ...) are plugins (`framework.layers`).

A layer is constructed from its recipe parameters only; `build(input_shape, rng, dtype)` then makes its
parameters for the per-example shape it receives and returns its output shape, so recipes never state input
sizes. `backward(grad)` receives dL/d(output) and returns dL/d(input); gradients of parameters are written into
`Param.grad` in place, so optimizers and regularizers see one uniform list of `Param`s. The equations are in
docs/math.md.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from . import registry

ADAPT_CHUNK = 256  # examples a layer before the last adapting one forwards at once in Sequential.adapt


class Param:
    """A named parameter array and its gradient (same shape and dtype).

    `decay` marks weights (True) against biases and normalisation offsets (False): penalties such as L2
    apply to weights only unless told otherwise.
    """

    __slots__ = ("decay", "grad", "name", "value")

    def __init__(self, name: str, value: np.ndarray, decay: bool = True):
        self.name, self.value, self.decay = name, value, decay
        self.grad = np.zeros_like(value)

    def __repr__(self) -> str:
        return f"Param({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


def flatten(params: list[Param]) -> None:
    """Move the params' values into one contiguous buffer and their gradients into another (per dtype, in
    order), each Param.value and Param.grad becoming a view: values are kept, and an optimizer can then update
    every parameter in a few vectorised passes over the buffers (Optimizer.flat)."""
    by_dtype: dict[np.dtype, list[Param]] = {}
    for p in params:
        by_dtype.setdefault(p.value.dtype, []).append(p)
    for dtype, group in by_dtype.items():
        n = sum(p.value.size for p in group)
        values, grads, at = np.empty(n, dtype), np.zeros(n, dtype), 0
        for p in group:
            k = p.value.size
            values[at:at + k] = p.value.reshape(-1)
            p.value, p.grad = values[at:at + k].reshape(p.value.shape), grads[at:at + k].reshape(p.value.shape)
            at += k


def flat_buffers(params: list[Param]) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, grads), the 1-D buffers the params are views of, if they lie back to back in them, in order, and
    fill them (as `flatten` leaves them); else None."""
    if not params:
        return None
    buffers = []
    for attr in ("value", "grad"):
        base = getattr(params[0], attr).base
        if base is None or base.ndim != 1 or not base.flags.c_contiguous:
            return None
        start, at = base.__array_interface__["data"][0], 0
        for p in params:
            a = getattr(p, attr)
            if a.base is not base or not a.flags.c_contiguous or a.__array_interface__["data"][0] != start + at:
                return None
            at += a.nbytes
        if at != base.nbytes:
            return None
        buffers.append(base)
    return buffers[0], buffers[1]


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes, where the OS says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_size(what: str, shape: tuple[int, ...], dtype, copies: int = 4) -> None:
    """Refuse, before allocating, a parameter whose `copies` arrays (value, gradient, two optimizer moments) would
    not fit in this machine's memory: ValueError naming `what`, the shape and the memory it would need."""
    need = math.prod(shape) * np.dtype(dtype).itemsize * copies
    have = memory_bytes()
    if have and need > have:
        raise ValueError(f"{what} of shape {tuple(shape)} would need {need / 2 ** 30:,.1f} GiB (value, gradient and "
                         f"optimizer state in {np.dtype(dtype).name}); this machine has {have / 2 ** 30:,.1f} GiB")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, accurate to a few ulps in both tails: with e = exp(-|x|) (never overflows),
    1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so tiny values keep their relative precision."""
    e = np.exp(-np.abs(x))
    d = 1.0 + e
    return np.divide(np.where(x >= 0, 1.0, e), d, out=d)


class Layer:
    """Base class of every layer plugin. Override `build` (to make parameters), `forward`, `backward` and
    `to_onnx`; a layer without parameters that keeps the shape needs only the last three.

    Class attributes a layer may set: `prefix` (its name in a model: "dense" gives dense0, dense1, ...),
    `is_activation` (an elementwise non-linearity, after which the dropout regularizer inserts dropout),
    `init_hint` ("he" or "glorot": the initialisation a weight layer before this activation should use),
    `uses_rng` (draws random numbers in training: the Trainer sets `rng` to its generator, so runs repeat),
    `min_batch` (the smallest training batch it accepts), `takes_max` (max pooling: the max of its windows) and
    `takes_tokens` (its input is integer token ids, as an embedding's: nothing below it has a gradient),
    `positionwise` (on a sequence it acts on each position alone: generation steps it as it is) and
    `max_commutes` (an elementwise map that gives the same output and gradients, bit for bit, before or after a
    max, as ReLU: a model runs it after a `takes_max` layer that follows it, on fewer values) and `constants` (names
    of array attributes build() makes that are fixed, neither trained nor saved: `check_layer` refuses any other
    array not in `params` or `buffers`).

    Shapes: a layer receives per-example shapes, `(features,)` or, for images, `(H, W, C)` (channels-last inside a
    model; `ChannelsLast` turns the dataset's (C, H, W) into it).
    """

    params: Sequence[Param] = ()
    buffers: Mapping[str, np.ndarray] = MappingProxyType({})  # saved, not trained (e.g. running statistics)
    training: bool = True
    is_activation: bool = False
    init_hint: str | None = None
    uses_rng: bool = False
    min_batch: int = 1
    takes_max: bool = False
    max_commutes: bool = False
    takes_tokens: bool = False
    positionwise: bool = False
    prefix: str | None = None
    constants: tuple[str, ...] = ()  # attributes holding arrays build() makes that are neither trained nor saved
    name: str = ""  # set by the enclosing container before build; parameters are named f"{name}.W"
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None

    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype) -> tuple[int, ...]:
        """Make the parameters for inputs of per-example shape `input_shape` (weights drawn from `rng`, in
        `dtype`); return the per-example output shape. The default keeps the shape and makes nothing."""
        return tuple(input_shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Return dL/dx from dL/dy (may reuse `grad`'s memory); None if not `need_input_grad`."""
        raise NotImplementedError

    def to_onnx(self, graph: OnnxGraph, x: str) -> str:
        """Add the layer's inference-mode ONNX nodes after tensor `x`; return the output tensor's name."""
        raise NotImplementedError(f"{type(self).__name__} has no ONNX export (define to_onnx)")

    def children(self) -> list[Layer]:
        """Layers this one contains (composites); params, buffers, modes, summary and export recurse."""
        return []

    def adapt(self, x: np.ndarray) -> None:
        """Data-dependent initialisation (as Keras' `Normalization.adapt`): the Trainer calls it once, before the first
        step of a new run (never on a resumed one), with training inputs as they reach this layer. Default: nothing."""
        for child in self.children():
            child.adapt(x)

    def start(self, n: int) -> None:
        """Begin incremental decoding (generation) of n sequences: forget what earlier `step`s cached."""
        for child in self.children():
            child.start(n)

    def step(self, x: np.ndarray) -> np.ndarray:
        """Incremental decoding: the outputs at the next x.shape[1] positions of the sequences begun by `start`, as
        if the whole sequence so far were given to forward (a key/value cache, a carried state). A layer that acts
        on each position alone (`positionwise`) needs nothing more than forward."""
        if self.positionwise or self.is_activation:
            return self.forward(x)
        raise NotImplementedError(f"{type(self).__name__} has no incremental decoding (define start and step)")

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Layer:
        return self.train(False)

    def walk(self):
        """This layer and every layer inside it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


def adapts(layer: Layer) -> bool:
    """Whether the layer, or one inside it, has a data-dependent initialisation of its own."""
    own = type(layer).adapt not in (Layer.adapt, Sequential.adapt)
    return own or any(adapts(child) for child in layer.children())


def _prefix(layer: Layer) -> str:
    return layer.prefix or type(layer).__name__.lower()


class Sequential(Layer):
    """Layers in order: a model, and a composite layer (the `sequential` layer plugin). Building names each
    layer (dense0, dense1, bn0, ...; inside a named container, its name first) and passes every layer the
    shape the previous one returns. A built model's `params` are laid out in one buffer of values and one of
    gradients, so optimizers update them in a few passes (`flatten`)."""

    prefix = "sequential"

    def __init__(self, layers: list[Layer]):
        self.layers = list(layers)

    def children(self) -> list[Layer]:
        return self.layers

    @property
    def params(self) -> list[Param]:
        return [p for layer in self.layers for p in layer.params]

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        return {k: v for layer in self.layers for k, v in layer.buffers.items()}

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Build every layer in order; at the top level (no name) also flatten the parameters into buffers."""
        rng = np.random.default_rng() if rng is None else rng
        shape, seen = tuple(int(d) for d in input_shape), {}
        self.input_shape = shape
        for i, layer in enumerate(self.layers):
            p = _prefix(layer)
            seen[p] = seen.get(p, -1) + 1
            layer.name = f"{self.name}.{p}{seen[p]}" if self.name else f"{p}{seen[p]}"
            if getattr(layer, "init", None) == "auto":
                layer.init = self.init_after(i)
            layer.input_shape = shape
            try:
                out = layer.build(shape, rng, np.dtype(dtype))
                shape = tuple(int(d) for d in out)
            except (TypeError, ValueError) as e:  # the layer that cannot take the shape, and the shape
                raise ValueError(f"layer {layer.name} ({type(layer).__name__}) given {shape}: {e}") from None
            except MemoryError as e:
                raise ValueError(f"layer {layer.name} ({type(layer).__name__}) given {shape}: out of memory ({e})"
                                 ) from None
            except Exception as e:  # a plugin's bug, named with the layer (the command prints one line)
                raise ValueError(f"layer {layer.name} ({type(layer).__name__}) given {shape}: its build raised "
                                 f"{type(e).__name__}: {e}") from None
            layer.output_shape = shape
        self.output_shape = shape
        # the order layers run in: ReLU then max pooling runs as pooling then ReLU (same values and gradients, a
        # quarter of the ReLU's work after 2x2 pooling; docs/math.md)
        self.order = list(self.layers)
        for i in range(len(self.order) - 1):
            if self.order[i].max_commutes and self.order[i + 1].takes_max:
                self.order[i], self.order[i + 1] = self.order[i + 1], self.order[i]
        # layer i passes a gradient back only if a layer before it has parameters (or the caller asks for dL/dx)
        self.grad_below = [any(layer.params for layer in self.order[:i]) for i in range(len(self.order))]
        if not self.name:
            self._tie()
            flatten(self.params)
        return shape

    def _tie(self) -> None:
        """Layers with a `tie` (a layer's name) share that earlier layer's weights (`tie_to`): one parameter."""
        seen = {}
        for layer in self.walk():
            name = getattr(layer, "tie", None)
            if name:
                if name not in seen:
                    raise ValueError(f"layer {layer.name} ({type(layer).__name__}): tie: no layer {name!r} before it "
                                     f"(layers before it: {', '.join(k for k in seen if k) or 'none'})")
                layer.tie_to(seen[name])
            seen[layer.name] = layer
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("a parameter is listed by two layers (a shared weight belongs to one layer's params)")

    def init_after(self, i: int) -> str:
        """The initialisation for weight layer i: the `init_hint` of the first activation after it ("he" for
        the ReLU family, "glorot" otherwise), looking past layers that have none (batch norm, dropout, pooling);
        another weight layer, a composite or the end of the model means "glorot" (a linear output)."""
        for layer in self.layers[i + 1:]:
            if layer.init_hint:
                return layer.init_hint
            if hasattr(layer, "init") or layer.children():
                break
        return "glorot"

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 2 and len(self.input_shape) > 1 and x.shape[1:] != self.input_shape:
            x = x.reshape(len(x), *self.input_shape)  # flat rows for an image or sequence model: a view, no copy
        for layer in self.order:
            x = layer.forward(x)
        return x

    def step(self, x: np.ndarray) -> np.ndarray:
        for layer in self.order:
            x = layer.step(x)
        return x

    def adapt(self, x: np.ndarray) -> None:
        """Adapt each layer in turn to what reaches it: x passed through the layers before it (in eval mode, ADAPT_CHUNK
        examples at a time, as an evaluation), no further than the last layer that adapts, whose output nothing reads
        (a wrapper around a whole network, flip_tta's, would otherwise run it on every example at once)."""
        if x.ndim == 2 and len(self.input_shape) > 1 and x.shape[1:] != self.input_shape:
            x = x.reshape(len(x), *self.input_shape)
        last = max((i for i, layer in enumerate(self.layers) if adapts(layer)), default=-1)
        was_training = self.training
        self.eval()
        try:
            for i, layer in enumerate(self.layers[:last + 1]):
                layer.adapt(x)
                if i < last:
                    x = np.concatenate([layer.forward(x[j:j + ADAPT_CHUNK]) for j in range(0, len(x), ADAPT_CHUNK)])
        finally:
            self.train(was_training)

    def backward(self, grad: np.ndarray, need_input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate dL/d(output); fills each `Param.grad`. dL/d(input) is computed and returned only if
        `need_input_grad` (a model never needs it; as a layer inside another, its container asks); gradients stop
        at the lowest layer with parameters."""
        for i in range(len(self.order) - 1, -1, -1):
            if not (need_input_grad or self.grad_below[i]):  # nothing below learns: stop here
                self.order[i].backward(grad, need_input_grad=False)
                return None
            grad = self.order[i].backward(grad, need_input_grad=True)
        return grad

    def to_onnx(self, graph, x):
        for layer in self.layers:
            x = layer.to_onnx(graph, x)
        return x

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by name (the arrays themselves, not copies)."""
        return {**{p.name: p.value for p in self.params}, **self.buffers}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy values in place (optimizers keep pointing at the same arrays). Every array must be there with its
        shape, and nothing else: a checkpoint of another network is refused, naming the array."""
        own = self.state_dict()
        for name, arr in own.items():
            if name not in state:
                raise ValueError(f"model state {name}: missing (expected shape {arr.shape})")
            if np.shape(state[name]) != arr.shape:
                raise ValueError(f"model state {name}: expected shape {arr.shape}, got {np.shape(state[name])}")
        extra = [k for k in state if k not in own]
        if extra:
            raise ValueError(f"model state {extra[0]}: not an array of this model (shape {np.shape(state[extra[0]])})")
        for name, arr in own.items():
            arr[...] = state[name]

    def summary(self) -> str:
        """A table of the layers, their output shapes and parameter counts, as Keras' model.summary()."""
        rows, total = [], 0

        def add(layer, depth):
            nonlocal total
            count = sum(p.value.size for p in layer.params)
            if not layer.children():
                total += count
            shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")"
            rows.append(("  " * depth + f"{layer.name.rsplit('.', 1)[-1]} ({type(layer).__name__})", shape,
                         f"{count:,}"))
            for child in layer.children():
                add(child, depth + 1)

        for layer in self.layers:
            add(layer, 0)
        buffers = sum(a.size for a in self.buffers.values())
        dtype = self.params[0].value.dtype if self.params else np.dtype(np.float32)
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("Layer (type)", "Output shape", "Param #"))]
        line = "─" * (sum(w) + 4)
        out = [line, f"{'Layer (type)':<{w[0]}}  {'Output shape':<{w[1]}}  {'Param #':>{w[2]}}", line]
        out += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in rows]
        size = (total + buffers) * dtype.itemsize
        out += [line, f"Total params: {total:,} ({dtype}, {size / 2 ** 20:.2f} MiB with {buffers:,} buffer values)",
                "Input: (None, " + ", ".join(map(str, self.input_shape)) + ")"]
        return "\n".join(out)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


class ChannelsLast(Layer):
    """(C, H, W) images to (H, W, C): inside a model image tensors are channels-last, (N, H, W, C), as Keras'
    (docs/math.md says why); models take (N, C, H, W) like datasets and ONNX. `build_model` puts this first in
    every model of an image dataset. One channel: a reshape (a view, free); more: a transposed view."""

    prefix = "channels_last"

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"expects (C, H, W) images, got {tuple(input_shape)}")
        c, h, w = input_shape
        return (h, w, c)

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, h, w, 1) if c == 1 else x.transpose(0, 2, 3, 1)

    def backward(self, grad, need_input_grad=True):
        n, h, w, c = grad.shape
        return grad.reshape(n, 1, h, w) if c == 1 else grad.transpose(0, 3, 1, 2)

    def to_onnx(self, graph, x):
        return graph.node("Transpose", [x], perm=[0, 2, 3, 1])


class ModelError(ValueError):
    """A bad model or layer argument; `key` names it relative to the recipe's `model` (e.g. layers[2].units)."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def make_layer(spec, key: str, outputs: int | None = None) -> Layer:
    """A layer from its recipe spec: a name ("relu") or {"name": "dense", "units": 128, ...}, looked up in the
    `framework.layers` plugins and type-checked against the class's signature. The value "outputs" stands for
    the dataset's output width; a parameter named `layers` holds child specs, built first. Errors are
    `ModelError`s whose key is `key` or `key.param`."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ModelError(key, f"expected a layer name or a dict with a 'name', got {spec!r}")
    params = {k: (outputs if v == "outputs" and outputs is not None else v) for k, v in spec.items() if k != "name"}
    if isinstance(params.get("layers"), (list, tuple)):
        params["layers"] = [make_layer(s, f"{key}.layers[{i}]", outputs) for i, s in enumerate(params["layers"])]

    def bad(param, message):  # a parameter given "outputs" is named as such, not as the number it stood for
        if spec.get(param) == "outputs" and outputs is not None:
            message = f"was given \"outputs\" (the dataset's output width, {outputs}), but {message}"
        return ModelError(f"{key}.{param}", message)

    try:
        cls = registry.get("layers", spec["name"])
        registry.check_params(cls, params, f"layer {spec['name']!r}")
        layer = cls(**params)
    except registry.PluginError as e:
        raise ModelError(key, str(e)) from None
    except registry.ParamError as e:
        raise bad(e.param, e.message) from None
    except registry.UnknownParam as e:
        raise ModelError(f"{key}.{e.param}", str(e)) from None
    except (TypeError, ValueError) as e:
        if isinstance(e, ModelError):
            raise
        param, sep, rest = str(e).partition(": ")
        if sep and param in params:
            raise bad(param, rest) from None
        raise ModelError(key, str(e)) from None
    except MemoryError as e:
        raise ModelError(key, f"layer {spec['name']!r}: out of memory ({e})") from None
    except Exception as e:  # a plugin's bug: one line naming it and its entry point
        info = registry.info("layers", spec["name"])
        raise ModelError(key, f"layers plugin {spec['name']!r} (entry point {info.target}, distribution "
                              f"{info.dist!r}) raised {type(e).__name__}: {e}") from None
    if not isinstance(layer, Layer):
        raise ModelError(key, f"layers plugin {spec['name']!r} made a {type(layer).__name__}, expected a "
                              f"framework.Layer")
    return layer


def make_layers(specs, key: str = "layers", outputs: int | None = None) -> list[Layer]:
    """Layers from a list of specs (`make_layer`), keys named `key[i]`."""
    if not isinstance(specs, (list, tuple)) or not specs:
        raise ModelError(key, f"expected a non-empty list of layer specs, got {specs!r}")
    return [s if isinstance(s, Layer) else make_layer(s, f"{key}[{i}]", outputs) for i, s in enumerate(specs)]


class OnnxGraph:
    """What `Layer.to_onnx` adds nodes to: `node(op, inputs, **attributes)` returns the new tensor's name,
    `const(value, hint)` stores an initializer (float32 unless the array says otherwise) and returns its name,
    `model(x, name, ...)` ends the graph at x and makes the onnx.ModelProto. Layers of image tensors wrap their
    ONNX op in Transposes (channels-last inside, NCHW in ONNX); `node` cancels a Transpose undone by the next one
    and moves Transposes past unary elementwise ops, and `model` drops the nodes nothing reads, so the file has
    only the layout changes it needs."""

    OPSET = 17
    UNARY = frozenset({"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Erf", "Elu", "Selu", "Abs", "Neg",
                       "Exp", "Identity"})

    def __init__(self):
        self.nodes, self.initializers, self._names = [], [], set()
        self._transposed = {}  # a Transpose's output -> (its input, perm)

    def unique(self, hint: str) -> str:
        name, i = hint, 0
        while name in self._names:
            i += 1
            name = f"{hint}_{i}"
        self._names.add(name)
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        from onnx import helper

        source = self._transposed.get(inputs[0]) if inputs else None
        if source and op == "Transpose":  # two in a row: one, or none if the second undoes the first
            perm = [source[1][p] for p in attrs["perm"]]
            if perm == list(range(len(perm))):
                return source[0]
            inputs, attrs = [source[0]], {"perm": perm}
        elif source and op in self.UNARY and len(inputs) == 1:  # op(transpose(x)) = transpose(op(x))
            return self.node("Transpose", [self.node(op, [source[0]], **attrs)], perm=source[1])
        out = self.unique(f"{op.lower()}{len(self.nodes)}")
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        if op == "Transpose":
            self._transposed[out] = (inputs[0], list(attrs["perm"]))
        return out

    def model(self, x: str, name: str, input_shape, output_shape, graph_name: str = "npframe", tokens: bool = False):
        """The onnx.ModelProto whose float input "input" (int64 token ids with `tokens`) has input_shape and whose
        output `name` is x (shape output_shape; None entries and names are free dimensions); nodes whose outputs
        lead nowhere are dropped. Opset 17, IR version 8: readable by onnxruntime releases of the last years."""
        from onnx import TensorProto, helper

        self.nodes.append(helper.make_node("Identity", [x], [name]))
        needed, kept = {name}, []
        for node in reversed(self.nodes):
            if needed.intersection(node.output):
                kept.append(node)
                needed.update(node.input)
        self.nodes = kept[::-1]
        graph = helper.make_graph(self.nodes, graph_name,
                                  [helper.make_tensor_value_info("input", TensorProto.INT64 if tokens else
                                                                 TensorProto.FLOAT, input_shape)],
                                  [helper.make_tensor_value_info(name, TensorProto.FLOAT, output_shape)],
                                  self.initializers)
        proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.OPSET)], producer_name="npframe")
        proto.ir_version = 8
        return proto

    def const(self, value, hint: str = "const") -> str:
        from onnx import numpy_helper

        a = np.asarray(value)
        a = a.astype(np.float32) if a.dtype.kind == "f" or a.dtype == object else a
        name = self.unique(hint)
        self.initializers.append(numpy_helper.from_array(a, name))
        return name
