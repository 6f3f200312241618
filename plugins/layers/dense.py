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

    def __init__(self, units: int, init: str = "auto", bias: bool = True):
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units: expected a positive integer, got {units!r}")
        self.units, self.init, self.bias = units, _check_init(init), bias

    def build(self, input_shape, rng, dtype):
        if len(input_shape) not in (1, 2):
            raise ValueError(f"expects (features,) inputs or (T, features) sequences, got {tuple(input_shape)}: put a "
                             f"'flatten' layer before it")
        n_in = input_shape[-1]
        self.params = _weights(self, (n_in, self.units), n_in, self.units, rng, dtype)
        return (*input_shape[:-1], self.units)

    def forward(self, x):
        self.x = x
        out = x @ self.W.value
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, grad, need_input_grad=True):
        g = grad.reshape(-1, self.units)  # every position is an example of the product
        np.matmul(self.x.reshape(-1, self.x.shape[-1]).T, g, out=self.W.grad)
        if self.b is not None:
            np.sum(g, axis=0, out=self.b.grad)
        return grad @ self.W.value.T if need_input_grad else None

    def to_onnx(self, graph, x):
        w = graph.const(self.W.value, f"{self.name}.W")
        b = [graph.const(self.b.value, f"{self.name}.b")] if self.b else []
        if len(self.input_shape) == 1:
            return graph.node("Gemm", [x, w, *b])
        y = graph.node("MatMul", [x, w])  # (N, T, F): Gemm takes matrices only
        return graph.node("Add", [y, *b]) if b else y

    def __repr__(self):
        return f"Dense({self.units})"
