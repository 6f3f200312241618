"""Layers: each computes its forward pass and the gradients of its parameters; nothing else.

A layer's `backward(grad)` receives dL/d(output) and returns dL/d(input). Gradients of parameters are
written into `Param.grad` in place, so optimizers and regularizers see one uniform list of `Param`s.
The equations are in docs/math.md.
"""
from __future__ import annotations

import numpy as np


class Param:
    """A named parameter array and its gradient (same shape and dtype).

    `decay` marks weights (True) against biases and normalisation offsets (False): penalties such as L2
    apply to weights only unless told otherwise.
    """

    __slots__ = ("name", "value", "grad", "decay")

    def __init__(self, name: str, value: np.ndarray, decay: bool = True):
        self.name, self.value, self.decay = name, value, decay
        self.grad = np.zeros_like(value)

    def __repr__(self) -> str:
        return f"Param({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class. `params` lists the layer's `Param`s; `training` switches train/eval behaviour."""

    params: list[Param] = []
    training: bool = True

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
    def forward(self, x):
        if self.training:
            self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad, need_input_grad=True):
        return np.multiply(grad, self.mask, out=grad)


class LeakyReLU(Layer):
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
    """Logistic function, stable for large |x| (no overflow in exp)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Sigmoid(Layer):
    def forward(self, x):
        self.y = sigmoid(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * self.y * (1.0 - self.y)


class Tanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * (1.0 - self.y * self.y)


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
# Initialisation that keeps activations' variance steady for each activation (He et al. 2015; Glorot 2010).
INIT_FOR = {"relu": "he", "leaky_relu": "he", "sigmoid": "glorot", "tanh": "glorot", "linear": "glorot"}
