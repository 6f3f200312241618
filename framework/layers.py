"""Layers: each computes its forward pass and the gradients of its parameters; nothing else.

A layer's `backward(grad)` receives dL/d(output) and returns dL/d(input). Gradients of parameters are
written into `Param.grad` in place, so optimizers and regularizers see one uniform list of `Param`s.
The equations are in docs/math.md.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np


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


class Layer:
    """Base class. `params` lists the layer's `Param`s; `training` switches train/eval behaviour."""

    params: Sequence[Param] = ()
    buffers: Mapping[str, np.ndarray] = MappingProxyType({})  # saved, not trained (e.g. running statistics)
    training: bool = True
    is_activation: bool = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Return dL/dx from dL/dy (may reuse `grad`'s memory); None if not `need_input_grad`."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class Dense(Layer):
    """y = x W + b. He initialisation for ReLU-family activations, Glorot (Xavier) otherwise."""

    def __init__(self, n_in: int, n_out: int, init: str = "glorot", rng=None, dtype=np.float32, name: str = "dense"):
        rng = np.random.default_rng() if rng is None else rng
        if init == "he":
            scale = np.sqrt(2.0 / n_in)
        elif init == "glorot":
            scale = np.sqrt(2.0 / (n_in + n_out))
        else:
            raise ValueError(f"Dense init: expected 'he' or 'glorot', got {init!r}")
        self.W = Param(f"{name}.W", (rng.standard_normal((n_in, n_out)) * scale).astype(dtype), decay=True)
        self.b = Param(f"{name}.b", np.zeros(n_out, dtype=dtype), decay=False)
        self.params = [self.W, self.b]
        self.x = None

    def forward(self, x):
        self.x = x
        out = x @ self.W.value
        out += self.b.value
        return out

    def backward(self, grad, need_input_grad=True):
        np.matmul(self.x.T, grad, out=self.W.grad)
        np.sum(grad, axis=0, out=self.b.grad)
        return grad @ self.W.value.T if need_input_grad else None

    def __repr__(self):
        return f"Dense({self.W.value.shape[0]}, {self.W.value.shape[1]})"


class ReLU(Layer):
    is_activation = True

    def forward(self, x):
        if self.training:
            self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad, need_input_grad=True):
        return np.multiply(grad, self.mask, out=grad)


class LeakyReLU(Layer):
    is_activation = True

    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        return x * self.slope

    def backward(self, grad, need_input_grad=True):
        return np.multiply(grad, self.slope, out=grad)

    def __repr__(self):
        return f"LeakyReLU({self.alpha})"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, accurate to a few ulps in both tails: with e = exp(-|x|) (never overflows),
    1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so tiny values keep their relative precision."""
    e = np.exp(-np.abs(x))
    d = 1.0 + e
    return np.divide(np.where(x >= 0, 1.0, e), d, out=d)


class Sigmoid(Layer):
    is_activation = True

    def forward(self, x):
        self.y = sigmoid(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * self.y * (1.0 - self.y)


class Tanh(Layer):
    is_activation = True

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * (1.0 - self.y * self.y)


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and scale the rest by
    1/(1-rate), so evaluation needs no rescaling. Draws from `rng` (the Trainer's, for reproducibility)."""

    def __init__(self, rate: float, rng=None):
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate: expected a value in [0, 1), got {rate!r}")
        self.rate, self.rng = rate, np.random.default_rng() if rng is None else rng

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        keep = self.rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64) >= self.rate
        self.mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, grad, need_input_grad=True):
        if not self.training or self.rate == 0:
            return grad
        return np.multiply(grad, self.mask, out=grad)

    def __repr__(self):
        return f"Dropout({self.rate})"


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over the batch axis: y = gamma * (x - mean) / sqrt(var + eps)
    + beta. Training uses batch statistics and updates running ones; eval mode uses the running ones."""

    def __init__(self, n: int, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float32, name: str = "bn"):
        self.gamma = Param(f"{name}.gamma", np.ones(n, dtype=dtype), decay=False)
        self.beta = Param(f"{name}.beta", np.zeros(n, dtype=dtype), decay=False)
        self.params = [self.gamma, self.beta]
        self.running_mean, self.running_var = np.zeros(n, dtype=dtype), np.ones(n, dtype=dtype)
        self.buffers = {f"{name}.running_mean": self.running_mean, f"{name}.running_var": self.running_var}
        self.momentum, self.eps = momentum, eps

    def forward(self, x):
        if not self.training:
            return (x - self.running_mean) * (self.gamma.value / np.sqrt(self.running_var + self.eps)) + self.beta.value
        if len(x) < 2:
            raise ValueError("BatchNorm: a training batch of one example has no batch statistics")
        mean, var = x.mean(axis=0), x.var(axis=0)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        m, n = self.momentum, len(x)
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += m * var * (n / max(n - 1, 1))  # unbiased, as PyTorch
        return self.xhat * self.gamma.value + self.beta.value

    def backward(self, grad, need_input_grad=True):
        np.sum(grad * self.xhat, axis=0, out=self.gamma.grad)
        np.sum(grad, axis=0, out=self.beta.grad)
        if not need_input_grad:
            return None
        dxhat = grad * self.gamma.value
        n = len(grad)
        return (self.inv_std / n) * (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))

    def __repr__(self):
        return f"BatchNorm({len(self.gamma.value)})"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
# Initialisation that keeps activations' variance steady for each activation (He et al. 2015; Glorot 2010).
INIT_FOR = {"relu": "he", "leaky_relu": "he", "sigmoid": "glorot", "tanh": "glorot", "linear": "glorot"}
