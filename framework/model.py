"""Sequential model: a list of layers run forward, then backward in reverse."""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from .layers import ACTIVATIONS, INIT_FOR, BatchNorm, Dense, Layer, Param, flatten


class Sequential:
    """Layers in order. `params` gathers every layer's `Param`s, so optimizers never special-case a layer.

    `layers` is a plain list: a plugin may insert layers (e.g. dropout) before training starts.
    """

    def __init__(self, layers: list[Layer]):
        self.layers = list(layers)
        flatten(self.params)  # one buffer of values, one of gradients: optimizers update them in blocks

    @property
    def params(self) -> list[Param]:
        return [p for layer in self.layers for p in layer.params]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> None:
        """Backpropagate dL/d(output); fills each `Param.grad`. dL/d(input) of the first layer is skipped."""
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            grad = self.layers[i].backward(grad, need_input_grad=i > 0)

    def train(self, mode: bool = True) -> Sequential:
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by name (the arrays themselves, not copies)."""
        out = {p.name: p.value for p in self.params}
        for layer in self.layers:
            out.update(layer.buffers)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy values in place, so optimizers keep pointing at the same arrays."""
        for name, arr in self.state_dict().items():
            if name not in state or np.shape(state[name]) != arr.shape:
                got = np.shape(state[name]) if name in state else "missing"
                raise ValueError(f"model state {name}: expected shape {arr.shape}, got {got}")
            arr[...] = state[name]

    def summary(self, n_in: int) -> str:
        """A table of the layers, their output shapes and parameter counts, as Keras' model.summary()."""
        rows, width, total, seen = [], n_in, 0, {}
        for layer in self.layers:
            width = layer.params[0].value.shape[-1] if isinstance(layer, Dense) else width
            count = sum(p.value.size for p in layer.params)
            total += count
            kind = type(layer).__name__
            seen[kind] = seen.get(kind, -1) + 1
            name = layer.params[0].name.split(".")[0] if layer.params else f"{kind.lower()}{seen[kind]}"
            rows.append((f"{name} ({kind})", f"(None, {width})", f"{count:,}"))
        buffers = sum(a.size for layer in self.layers for a in layer.buffers.values())
        dtype = self.params[0].value.dtype if self.params else np.dtype(np.float32)
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("Layer (type)", "Output shape", "Param #"))]
        line = "─" * (sum(w) + 4)
        out = [line, f"{'Layer (type)':<{w[0]}}  {'Output shape':<{w[1]}}  {'Param #':>{w[2]}}", line]
        out += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in rows]
        size = (total + buffers) * dtype.itemsize
        out += [line, f"Total params: {total:,} ({dtype}, {size / 2 ** 20:.2f} MiB with {buffers:,} buffer values)",
                f"Input: (None, {n_in})"]
        return "\n".join(out)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


class ModelError(ValueError):
    """A bad model argument; `key` names it (hidden, activation, activation_params, norm)."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def build_mlp(n_in: int, n_out: int, hidden: list[int], activation: str = "relu", *, rng=None,
              dtype=np.float32, activation_params: dict | None = None, norm: str | None = None) -> Sequential:
    """Dense [-> BatchNorm] -> activation for each hidden width, then a linear Dense output (the loss adds
    the softmax or sigmoid)."""
    if norm not in (None, "batch"):
        raise ModelError("norm", f"expected None or 'batch', got {norm!r}")
    if activation not in ACTIVATIONS:
        raise ModelError("activation", f"expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    try:
        ACTIVATIONS[activation](**(activation_params or {}))
    except (TypeError, ValueError) as e:
        raise ModelError("activation_params", f"{ACTIVATIONS[activation].__name__}: {e}") from None
    rng = np.random.default_rng() if rng is None else rng
    layers: list[Layer] = []
    widths = [n_in, *hidden]
    for i, (a, b) in enumerate(pairwise(widths)):
        layers.append(Dense(a, b, init=INIT_FOR[activation], rng=rng, dtype=dtype, name=f"dense{i}"))
        if norm == "batch":
            layers.append(BatchNorm(b, dtype=dtype, name=f"bn{i}"))
        layers.append(ACTIVATIONS[activation](**(activation_params or {})))
    layers.append(Dense(widths[-1], n_out, init="glorot", rng=rng, dtype=dtype, name=f"dense{len(hidden)}"))
    return Sequential(layers)
