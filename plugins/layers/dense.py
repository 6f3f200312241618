"""Dense layers: y = x W + b, and the weight initialisation every weight layer shares."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Param
from framework.layers import check_size


def _check_init(init: str) -> str:
    if init not in ("auto", "he", "glorot"):
        raise ValueError(f"init: expected 'auto', 'he' or 'glorot', got {init!r}")
    return init


def _weights(layer, shape, fan_in: int, fan_out: int, rng, dtype) -> list[Param]:
    """A weight layer's parameters: W of `shape` drawn N(0, 2/fan_in) (He) or N(0, 2/(fan_in + fan_out)) (Glorot)
    as `layer.init` says, and a zero bias over the last axis when `layer.bias`; set as layer.W and layer.b."""
    check_size("weights", shape, dtype)
    scale = math.sqrt(2.0 / fan_in) if layer.init == "he" else math.sqrt(2.0 / (fan_in + fan_out))
    layer.W = Param(f"{layer.name}.W", (rng.standard_normal(shape) * scale).astype(dtype), decay=True)
    layer.b = Param(f"{layer.name}.b", np.zeros(shape[-1], dtype=dtype), decay=False) if layer.bias else None
    return [layer.W, layer.b] if layer.bias else [layer.W]


class Dense(Layer):
    """y = x W + b for (features,) inputs, and at every position of (T, features) sequences (as Keras' Dense). init
    "auto": He before a ReLU-family activation, Glorot otherwise."""

    prefix, positionwise = "dense", True

    constants = ("tied",)  # a tied layer's weights: the other layer's Param, trained and saved there

    def __init__(self, units: int, init: str = "auto", bias: bool = True, tie: str | None = None):
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units: expected a positive integer, got {units!r}")
        if tie is not None and not isinstance(tie, str):
            raise ValueError(f"tie: expected the name of an embedding layer (e.g. 'embedding0'), got {tie!r}")
        self.units, self.init, self.bias, self.tie, self.tied = units, _check_init(init), bias, tie, None

    def build(self, input_shape, rng, dtype):
        if len(input_shape) not in (1, 2):
            raise ValueError(f"expects (features,) inputs or (T, features) sequences, got {tuple(input_shape)}: put a "
                             f"'flatten' layer before it")
        n_in = input_shape[-1]
        self.params = _weights(self, (n_in, self.units), n_in, self.units, rng, dtype)
        if self.tie:  # the weights come from the embedding (tie_to, once the whole model is built)
            self.params, self.W = self.params[1:], None
        return (*input_shape[:-1], self.units)

    def tie_to(self, other: Layer) -> None:
        """Share `other`'s (units, features) embedding table as this layer's weights, transposed (GPT-2's tied
        input and output embeddings): one parameter, trained by both layers and saved once, under other's name."""
        n_in = self.input_shape[-1]
        table = getattr(other, "W", None)
        if not getattr(other, "takes_tokens", False) or table is None or table.value.shape != (self.units, n_in):
            raise ValueError(f"tie: layer {other.name} ({type(other).__name__}) is not an embedding of shape "
                             f"({self.units}, {n_in}) (this layer's units and input width)")
        self.tied, other.shared = table, True

    def _w(self):
        return self.W.value if self.tied is None else self.tied.value.T

    def forward(self, x):
        self.x = x
        out = (x.reshape(-1, x.shape[-1]) @ self._w()).reshape(*x.shape[:-1], self.units)  # one product for all
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, grad, need_input_grad=True):
        g = grad.reshape(-1, self.units)  # every position is an example of the product
        x = self.x.reshape(-1, self.x.shape[-1])
        if self.tied is None:
            np.matmul(x.T, g, out=self.W.grad)
        else:  # written first (backward runs from the output): the embedding's own backward adds its part
            np.matmul(g.T, x, out=self.tied.grad)
        if self.b is not None:
            np.sum(g, axis=0, out=self.b.grad)
        return (g @ self._w().T).reshape(self.x.shape) if need_input_grad else None

    def to_onnx(self, graph, x):
        w = graph.const(np.ascontiguousarray(self._w()), f"{self.name}.W")
        b = [graph.const(self.b.value, f"{self.name}.b")] if self.b else []
        if len(self.input_shape) == 1:
            return graph.node("Gemm", [x, w, *b])
        y = graph.node("MatMul", [x, w])  # (N, T, F): Gemm takes matrices only
        return graph.node("Add", [y, *b]) if b else y

    def __repr__(self):
        return f"Dense({self.units}" + (f", tie={self.tie!r})" if self.tie else ")")
