"""RMS normalisation (Zhang & Sennrich 2019): each example's features divided by their root mean square, then
scaled by a learned gamma; no mean is subtracted and there is no shift, so it costs less than layer norm (which
npframe ships as `layer_norm`). It needs no batch statistics: the same in training and evaluation. Exported as its
decomposition (ONNX opset 17 has no RMSNormalization)."""
from __future__ import annotations

import numpy as np

from framework import Layer, Param


class RMSNorm(Layer):
    prefix = "rms"

    def __init__(self, eps: float = 1e-6):
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.eps = eps

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (features,) inputs, got {tuple(input_shape)}")
        self.gamma = Param(f"{self.name}.gamma", np.ones(input_shape, dtype), decay=False)
        self.params = [self.gamma]
        return tuple(input_shape)

    def forward(self, x):
        self.inv_rms = 1.0 / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + x.dtype.type(self.eps))
        self.xhat = x * self.inv_rms
        return self.xhat * self.gamma.value

    def backward(self, grad, need_input_grad=True):
        np.sum(grad * self.xhat, axis=0, out=self.gamma.grad)
        if not need_input_grad:
            return None
        d = grad * self.gamma.value
        return self.inv_rms * (d - self.xhat * np.mean(d * self.xhat, axis=1, keepdims=True))

    def to_onnx(self, graph, x):
        ms = graph.node("ReduceMean", [graph.node("Mul", [x, x])], axes=[-1], keepdims=1)
        rms = graph.node("Sqrt", [graph.node("Add", [ms, graph.const(np.float32(self.eps), f"{self.name}.eps")])])
        return graph.node("Mul", [graph.node("Div", [x, rms]), graph.const(self.gamma.value, f"{self.name}.gamma")])

    def __repr__(self):
        return f"RMSNorm({self.eps})"
