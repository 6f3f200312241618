"""Elementwise activations: ReLU, leaky ReLU, sigmoid, tanh, GELU, SiLU, softplus."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer
from framework.layers import sigmoid
from framework.parallel import over_batch


class ReLU(Layer):
    is_activation, init_hint, max_commutes = True, "he", True

    def forward(self, x):
        out = np.empty_like(x)
        self.mask = np.empty(x.shape, bool)

        def part(a, b):
            np.greater(x[a:b], 0, out=self.mask[a:b])
            np.maximum(x[a:b], 0, out=out[a:b])

        over_batch(part, len(x), x.nbytes)
        return out

    def backward(self, grad, need_input_grad=True):
        over_batch(lambda a, b: np.multiply(grad[a:b], self.mask[a:b], out=grad[a:b]), len(grad), grad.nbytes)
        return grad

    def to_onnx(self, graph, x):
        return graph.node("Relu", [x])


class LeakyReLU(Layer):
    is_activation, init_hint, prefix = True, "he", "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        return x * self.slope

    def backward(self, grad, need_input_grad=True):
        return np.multiply(grad, self.slope, out=grad)

    def to_onnx(self, graph, x):
        return graph.node("LeakyRelu", [x], alpha=float(self.alpha))

    def __repr__(self):
        return f"LeakyReLU({self.alpha})"


class Sigmoid(Layer):
    is_activation, init_hint = True, "glorot"

    def forward(self, x):
        self.y = sigmoid(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * self.y * (1.0 - self.y)

    def to_onnx(self, graph, x):
        return graph.node("Sigmoid", [x])


class Tanh(Layer):
    is_activation, init_hint = True, "glorot"

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad, need_input_grad=True):
        return grad * (1.0 - self.y * self.y)

    def to_onnx(self, graph, x):
        return graph.node("Tanh", [x])


_SQRT_2_PI = math.sqrt(2.0 / math.pi)


class GELU(Layer):
    """x Φ(x) (Hendrycks & Gimpel 2016), Φ the standard normal CDF, exact ("none", via erf) or with PyTorch's
    tanh approximation ("tanh"). ONNX opset 17 has no Gelu: exported as its decomposition."""

    is_activation, init_hint = True, "he"

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        if self.approximate == "tanh":
            self.t = np.tanh(x.dtype.type(_SQRT_2_PI) * (x + x.dtype.type(0.044715) * x ** 3))
            return 0.5 * x * (1.0 + self.t)
        from scipy.special import erf  # scipy comes with scikit-learn

        self.cdf = 0.5 * (1.0 + erf(x * x.dtype.type(1 / math.sqrt(2.0))))
        return x * self.cdf

    def backward(self, grad, need_input_grad=True):
        x = self.x
        if self.approximate == "tanh":
            du = x.dtype.type(_SQRT_2_PI) * (1.0 + x.dtype.type(3 * 0.044715) * x * x)
            return grad * (0.5 * (1.0 + self.t) + 0.5 * x * (1.0 - self.t * self.t) * du)
        pdf = np.exp(-0.5 * x * x) * x.dtype.type(1 / math.sqrt(2 * math.pi))
        return grad * (self.cdf + x * pdf)

    def to_onnx(self, graph, x):
        half, one = graph.const(0.5, "half"), graph.const(1.0, "one")
        if self.approximate == "tanh":
            cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
            inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.const(0.044715, "gelu_c")])])
            t = graph.node("Tanh", [graph.node("Mul", [inner, graph.const(_SQRT_2_PI, "sqrt_2_over_pi")])])
        else:
            t = graph.node("Erf", [graph.node("Div", [x, graph.const(math.sqrt(2.0), "sqrt2")])])
        return graph.node("Mul", [graph.node("Mul", [x, half]), graph.node("Add", [t, one])])

    def __repr__(self):
        return f"GELU({self.approximate!r})"


class SiLU(Layer):
    """x σ(x) (swish)."""

    is_activation, init_hint = True, "he"

    def forward(self, x):
        self.x, self.s = x, sigmoid(x)
        return x * self.s

    def backward(self, grad, need_input_grad=True):
        return grad * (self.s * (1.0 + self.x * (1.0 - self.s)))

    def to_onnx(self, graph, x):
        return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


class Softplus(Layer):
    """log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) (no overflow); its derivative is σ(x)."""

    is_activation, init_hint = True, "he"

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, grad, need_input_grad=True):
        return grad * sigmoid(self.x)

    def to_onnx(self, graph, x):
        return graph.node("Softplus", [x])
