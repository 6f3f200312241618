"""Layers that change the shape or compose other layers: flatten, reshape, rescaling, repeat, residual blocks."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Sequential


class Flatten(Layer):
    """Each example to one row: (H, W, C) images inside a model -> (H*W*C,), a view, no copy."""

    def build(self, input_shape, rng, dtype):
        return (math.prod(input_shape),)

    def forward(self, x):
        return x.reshape(len(x), -1)

    def backward(self, grad, need_input_grad=True):
        return grad.reshape(len(grad), *self.input_shape)

    def to_onnx(self, graph, x):
        return graph.node("Flatten", [x], axis=1)


class Rescaling(Layer):
    """y = scale x + offset (Keras' Rescaling), no parameters. After the last dense layer (airbench's 1/9) it sets
    the logits' scale and, with it, how fast that layer's weights move the logits."""

    def __init__(self, scale: float, offset: float = 0.0):
        for key, v in (("scale", scale), ("offset", offset)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{key}: expected a finite number, got {v!r}")
        self.scale, self.offset = float(scale), float(offset)

    def build(self, input_shape, rng, dtype):
        self.k, self.b = np.dtype(dtype).type(self.scale), np.dtype(dtype).type(self.offset)
        return tuple(input_shape)

    def forward(self, x):
        y = x * self.k
        if self.offset:
            y += self.b
        return y

    def backward(self, grad, need_input_grad=True):
        return grad * self.k

    def to_onnx(self, graph, x):
        y = graph.node("Mul", [x, graph.const(np.float32(self.scale), f"{self.name}.scale")])
        return graph.node("Add", [y, graph.const(np.float32(self.offset), f"{self.name}.offset")]) if self.offset else y

    def __repr__(self):
        return f"Rescaling({self.scale}{f', {self.offset}' if self.offset else ''})"


class Reshape(Layer):
    """Each example to `shape` (same number of values): a view, no copy. Images inside a model are channels-last,
    so 784 MNIST pixels become [28, 28, 1]; a channels-first shape such as [1, 28, 28] or [3, 32, 32] (one, three
    or four channels first, then a square) is refused, since a convolution would read it as a 1 x 28 image with 28
    channels."""

    def __init__(self, shape: list):
        if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape) or not shape:
            raise ValueError(f"shape: expected a list of positive integers, got {shape!r}")
        if len(shape) == 3 and shape[0] in (1, 3, 4) and shape[1] == shape[2] != shape[0]:
            c, h, w = shape
            raise ValueError(f"shape: {list(shape)} reads as channels-first (C, H, W), but images inside a model "
                             f"are (H, W, C): for {h}x{w} images with {c} channel{'s' if c > 1 else ''} write "
                             f"[{h}, {w}, {c}]")
        self.shape = tuple(shape)

    def build(self, input_shape, rng, dtype):
        if math.prod(input_shape) != math.prod(self.shape):
            raise ValueError(f"cannot reshape {tuple(input_shape)} ({math.prod(input_shape)} values) to {self.shape}")
        return self.shape

    def forward(self, x):
        return x.reshape(len(x), *self.shape)

    def backward(self, grad, need_input_grad=True):
        return grad.reshape(len(grad), *self.input_shape)

    def to_onnx(self, graph, x):
        return graph.node("Reshape", [x, graph.const(np.array([0, *self.shape], np.int64), f"{self.name}.shape")])

    def __repr__(self):
        return f"Reshape({list(self.shape)})"


class Repeat(Layer):
    """(F,) -> (n, F): the vector at each of n positions (Keras' RepeatVector), to decode a sequence from one
    encoding (an LSTM's last state)."""

    def __init__(self, n: int):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n: expected a positive integer, got {n!r}")
        self.n = n

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (features,) inputs, got {tuple(input_shape)}")
        return (self.n, input_shape[0])

    def forward(self, x):
        return np.repeat(x[:, None], self.n, axis=1)

    def backward(self, grad, need_input_grad=True):
        return grad.sum(axis=1) if need_input_grad else None

    def to_onnx(self, graph, x):
        y = graph.node("Unsqueeze", [x, graph.const(np.array([1], np.int64), "axis1")])
        return graph.node("Tile", [y, graph.const(np.array([1, self.n, 1], np.int64), f"{self.name}.repeats")])

    def __repr__(self):
        return f"Repeat({self.n})"


class Residual(Sequential):
    """x + f(x), f its `layers` in order (He et al. 2016); f must keep the shape."""

    prefix = "residual"

    def build(self, input_shape, rng=None, dtype=np.float32):
        out = super().build(input_shape, rng, dtype)
        if out != tuple(input_shape):
            raise ValueError(f"its layers turn {tuple(input_shape)} into {out}; a residual block must keep the shape")
        return out

    def forward(self, x):
        return super().forward(x) + x

    def backward(self, grad, need_input_grad=True):
        g = super().backward(grad.copy(), need_input_grad=True)  # layers may overwrite the grad they are given
        g += grad
        return g

    def step(self, x):
        return super().step(x) + x

    def to_onnx(self, graph, x):
        return graph.node("Add", [super().to_onnx(graph, x), x])

    def __repr__(self):
        return "Residual(" + ", ".join(map(repr, self.layers)) + ")"
