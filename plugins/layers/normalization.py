"""Normalisation layers: batch norm, per feature and per channel of (H, W, C) images."""
from __future__ import annotations

import numpy as np

from framework import Layer, Param


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015): y = gamma (x - mean) / sqrt(var + eps) + beta, per feature for
    (features,) inputs and per channel for (H, W, C) images. Training uses batch statistics and updates running
    ones (unbiased variance, as PyTorch); evaluation uses the running ones. `scale: false` (Keras') drops gamma
    (fixed at 1): redundant when a batch-normalised convolution follows (through a ReLU too), as in airbench."""

    prefix, min_batch = "bn", 2

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5, scale: bool = True):
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum: expected a value in [0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        if not isinstance(scale, bool):
            raise ValueError(f"scale: expected true or false, got {scale!r}")
        self.momentum, self.eps, self.scale = momentum, eps, scale

    def build(self, input_shape, rng, dtype):
        if len(input_shape) not in (1, 3):
            raise ValueError(f"expects (features,) or (H, W, C) inputs, got {tuple(input_shape)}")
        n = input_shape[-1]
        self.axes = (0,) if len(input_shape) == 1 else (0, 1, 2)
        self.shape = (n,)  # channels are the last axis: the per-channel vectors broadcast as they are
        self.gamma = Param(f"{self.name}.gamma", np.ones(n, dtype=dtype), decay=False) if self.scale else None
        self.beta = Param(f"{self.name}.beta", np.zeros(n, dtype=dtype), decay=False)
        self.params = [self.gamma, self.beta] if self.scale else [self.beta]
        self.running_mean, self.running_var = np.zeros(n, dtype=dtype), np.ones(n, dtype=dtype)
        self.buffers = {f"{self.name}.running_mean": self.running_mean, f"{self.name}.running_var": self.running_var}
        return tuple(input_shape)

    def forward(self, x):
        if len(self.axes) > 1:
            return self._forward_images(x)
        g, b = self._gamma().reshape(self.shape), self.beta.value.reshape(self.shape)
        if not self.training:
            self.inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).reshape(self.shape)
            self.xhat = (x - self.running_mean.reshape(self.shape)) * self.inv_std
            return self.xhat * g + b
        if len(x) < 2:
            raise ValueError("BatchNorm: a training batch of one example has no batch statistics")
        mean, var = x.mean(axis=self.axes), x.var(axis=self.axes)
        self.inv_std = (1.0 / np.sqrt(var + self.eps)).reshape(self.shape)
        self.xhat = (x - mean.reshape(self.shape)) * self.inv_std
        m, n = self.momentum, x.size // len(mean)
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += m * var * (n / max(n - 1, 1))
        return self.xhat * g + b

    def _forward_images(self, x):
        """(N, H, W, C): per-channel sums as products of each image's (H·W, C) rows with a vector of ones (BLAS), the
        N image sums then added in float64 (`_sums`: as accurate as PyTorch's double accumulation, no slower than one
        product), and the per-channel vectors tiled to a whole image's length when they meet the (N, H·W·C) rows, so
        that NumPy's loops run over long rows rather than C values at a time (several times faster than
        broadcasting (C,))."""
        n, t = len(x), x.size // (len(x) * x.shape[-1])  # t pixels an image
        xr = x.reshape(n, -1)
        m = n * t
        if not self.training:
            self.inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            self.xhat = (xr - np.tile(self.running_mean, t)) * np.tile(self.inv_std, t)
        else:
            if n < 2:
                raise ValueError("BatchNorm: a training batch of one example has no batch statistics")
            mean = (self._sums(xr, t) / m).astype(x.dtype)
            xc = xr - np.tile(mean, t)
            var = (self._sums(np.square(xc), t) / m).astype(x.dtype)
            self.inv_std = 1.0 / np.sqrt(var + self.eps)
            self.xhat = np.multiply(xc, np.tile(self.inv_std, t), out=xc)
            k = self.momentum
            self.running_mean *= 1 - k
            self.running_mean += k * mean
            self.running_var *= 1 - k
            self.running_var += k * var * (m / max(m - 1, 1))
        self.tile = t
        b = np.tile(self.beta.value, t)
        if not self.scale:
            return (self.xhat + b).reshape(x.shape)
        out = self.xhat * np.tile(self.gamma.value, t)
        out += b
        return out.reshape(x.shape)

    def _sums(self, rows, t):
        """Per-channel sums (float64) of (N, t·C) rows: each image's t pixels summed by a product with ones in the
        rows' dtype, then the N image sums in float64 (a float32 sum over all N·t pixels at once loses up to 40x more,
        measured in tests/test_gradients.py)."""
        n = len(rows)
        if getattr(self, "ones", None) is None or self.ones.shape != (t,) or self.ones.dtype != rows.dtype:
            self.ones = np.ones(t, rows.dtype)
        return (self.ones @ rows.reshape(n, t, -1)).sum(axis=0, dtype=np.float64)

    def _backward_images(self, grad, need_input_grad):
        t, c = self.tile, grad.shape[-1]
        gr = grad.reshape(len(grad), -1)
        m = gr.size // c
        dgamma = self._sums(gr * self.xhat, t)
        if self.scale:
            self.gamma.grad[...] = dgamma
        self.beta.grad[...] = self._sums(gr, t)
        if not need_input_grad:
            return None
        scale = np.tile(self._gamma() * self.inv_std, t)
        if not self.training:
            return (gr * scale).reshape(grad.shape)
        dg = self.gamma.grad if self.scale else dgamma.astype(gr.dtype)
        dx = self.xhat * np.tile(-dg / m, t)  # the formula above, with the sums dγ and dβ share
        dx += gr
        dx -= np.tile(self.beta.grad / m, t)
        dx *= scale
        return dx.reshape(grad.shape)

    def backward(self, grad, need_input_grad=True):
        if len(self.axes) > 1:
            return self._backward_images(grad, need_input_grad)
        if self.scale:
            np.sum(grad * self.xhat, axis=self.axes, out=self.gamma.grad)
        np.sum(grad, axis=self.axes, out=self.beta.grad)
        if not need_input_grad:
            return None
        dxhat = grad * self._gamma().reshape(self.shape)
        if not self.training:  # the statistics are constants
            return dxhat * self.inv_std
        n = grad.size // len(self.beta.value)
        k = self.shape
        return (self.inv_std / n) * (n * dxhat - dxhat.sum(axis=self.axes).reshape(k)
                                     - self.xhat * (dxhat * self.xhat).sum(axis=self.axes).reshape(k))

    def to_onnx(self, graph, x):
        stats = [graph.const(v, f"{self.name}.{k}") for k, v in (
            ("gamma", self._gamma()), ("beta", self.beta.value), ("running_mean", self.running_mean),
            ("running_var", self.running_var))]
        if len(self.input_shape) == 1:
            return graph.node("BatchNormalization", [x, *stats], epsilon=float(self.eps))
        x = graph.node("Transpose", [x], perm=[0, 3, 1, 2])  # ONNX normalises axis 1
        y = graph.node("BatchNormalization", [x, *stats], epsilon=float(self.eps))
        return graph.node("Transpose", [y], perm=[0, 2, 3, 1])

    def _gamma(self) -> np.ndarray:
        return self.gamma.value if self.scale else np.ones_like(self.beta.value)

    def __repr__(self):
        return f"BatchNorm({self.momentum}, {self.eps}{'' if self.scale else ', scale=False'})"
