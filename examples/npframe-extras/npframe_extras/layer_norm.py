"""Layer normalisation (Ba et al. 2016): each example's features normalised by their own mean and variance, then
scaled and shifted by learned gamma and beta. Unlike batch norm it needs no batch statistics, so it behaves the
same in training and evaluation. Exported as ONNX's LayerNormalization (opset 17)."""
from __future__ import annotations

import numpy as np

from framework import Layer, Param


class LayerNorm(Layer):
    prefix = "ln"

    def __init__(self, eps: float = 1e-5):
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.eps = eps

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (features,) inputs, got {tuple(input_shape)}")
        self.gamma = Param(f"{self.name}.gamma", np.ones(input_shape, dtype), decay=False)
        self.beta = Param(f"{self.name}.beta", np.zeros(input_shape, dtype), decay=False)
        self.params = [self.gamma, self.beta]
        return tuple(input_shape)

    def forward(self, x):
        mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        return self.xhat * self.gamma.value + self.beta.value

    def backward(self, grad, need_input_grad=True):
        np.sum(grad * self.xhat, axis=0, out=self.gamma.grad)
        np.sum(grad, axis=0, out=self.beta.grad)
        if not need_input_grad:
            return None
        d = grad * self.gamma.value
        n = d.shape[1]
        return (self.inv_std / n) * (n * d - d.sum(axis=1, keepdims=True)
                                     - self.xhat * (d * self.xhat).sum(axis=1, keepdims=True))

    def to_onnx(self, graph, x):
        return graph.node("LayerNormalization", [x, graph.const(self.gamma.value, f"{self.name}.gamma"),
                                                 graph.const(self.beta.value, f"{self.name}.beta")],
                          axis=-1, epsilon=float(self.eps))

    def __repr__(self):
        return f"LayerNorm({self.eps})"
