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


_ERFC_FIT = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
             1.00002368, -1.26551223)  # Numerical Recipes' Chebyshev fit to erfc (fractional error < 1.2e-7)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x), the standard normal CDF. float64: via scipy's erf. float32: 0.5 erfc(|x|/√2) from a Chebyshev fit
    (docs/math.md) in NumPy's vectorised exp and arithmetic, within 3e-7 of the exact value and 7x faster than
    scipy's float32 erf, which does not vectorise (GELU's forward was a third of a GPT step)."""
    if x.dtype != np.float32:
        from scipy.special import erf  # scipy comes with scikit-learn

        return 0.5 * (1.0 + erf(x * (1 / math.sqrt(2.0))))
    f = np.float32
    z = np.abs(x)
    z *= f(1 / math.sqrt(2.0))
    t = np.multiply(z, f(0.5))
    t += f(1.0)
    np.reciprocal(t, out=t)  # t = 1 / (1 + z / 2)
    p = np.multiply(t, f(_ERFC_FIT[0]))
    p += f(_ERFC_FIT[1])
    for c in _ERFC_FIT[2:]:
        p *= t
        p += f(c)
    z *= z
    p -= z
    np.exp(p, out=p)
    p *= t  # erfc(|x| / √2)
    p *= f(0.5)
    p -= f(0.5)
    np.copysign(p, x, out=p)  # Φ(x) - 1/2 = ± (1/2 - erfc(|x| / √2) / 2), the sign of x
    p += f(0.5)
    return p


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
        self.cdf = normal_cdf(x)
        return x * self.cdf

    def backward(self, grad, need_input_grad=True):
        x = self.x
        if self.approximate == "tanh":
            du = x.dtype.type(_SQRT_2_PI) * (1.0 + x.dtype.type(3 * 0.044715) * x * x)
            return grad * (0.5 * (1.0 + self.t) + 0.5 * x * (1.0 - self.t * self.t) * du)
        d = np.square(x)  # dL/dx = grad (Φ(x) + x φ(x)), in place on one temporary
        d *= x.dtype.type(-0.5)
        np.exp(d, out=d)
        d *= x.dtype.type(1 / math.sqrt(2 * math.pi))
        d *= x
        d += self.cdf
        d *= grad
        return d

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
