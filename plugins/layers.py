"""The built-in layers (`framework.layers` plugins), each with its forward and backward pass and its ONNX nodes.
Their gradients are derived in docs/math.md; every one passes `framework.testing.check_layer`."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Param, Sequential
from framework.layers import sigmoid


class Dense(Layer):
    """y = x W + b for (features,) inputs. init "auto": He before a ReLU-family activation, Glorot otherwise."""

    prefix = "dense"

    def __init__(self, units: int, init: str = "auto", bias: bool = True):
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units: expected a positive integer, got {units!r}")
        if init not in ("auto", "he", "glorot"):
            raise ValueError(f"init: expected 'auto', 'he' or 'glorot', got {init!r}")
        self.units, self.init, self.bias = units, init, bias

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (features,) inputs, got {tuple(input_shape)}: put a 'flatten' layer before it")
        n_in = input_shape[0]
        scale = math.sqrt(2.0 / n_in) if self.init == "he" else math.sqrt(2.0 / (n_in + self.units))
        self.W = Param(f"{self.name}.W", (rng.standard_normal((n_in, self.units)) * scale).astype(dtype), decay=True)
        self.b = Param(f"{self.name}.b", np.zeros(self.units, dtype=dtype), decay=False) if self.bias else None
        self.params = [self.W, self.b] if self.bias else [self.W]
        return (self.units,)

    def forward(self, x):
        self.x = x
        out = x @ self.W.value
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, grad, need_input_grad=True):
        np.matmul(self.x.T, grad, out=self.W.grad)
        if self.b is not None:
            np.sum(grad, axis=0, out=self.b.grad)
        return grad @ self.W.value.T if need_input_grad else None

    def to_onnx(self, graph, x):
        w = graph.const(self.W.value, f"{self.name}.W")
        return graph.node("Gemm", [x, w] + ([graph.const(self.b.value, f"{self.name}.b")] if self.b else []))

    def __repr__(self):
        return f"Dense({self.units})"


class ReLU(Layer):
    is_activation, init_hint = True, "he"

    def forward(self, x):
        if self.training:
            self.mask = x > 0
        else:
            self.mask = None
            self.x = x
        return np.maximum(x, 0)

    def backward(self, grad, need_input_grad=True):
        mask = self.mask if self.mask is not None else self.x > 0
        return np.multiply(grad, mask, out=grad)

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


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015): y = gamma (x - mean) / sqrt(var + eps) + beta, per feature for
    (features,) inputs and per channel for (C, H, W) images. Training uses batch statistics and updates running
    ones (unbiased variance, as PyTorch); evaluation uses the running ones."""

    prefix, min_batch = "bn", 2

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5):
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum: expected a value in [0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.momentum, self.eps = momentum, eps

    def build(self, input_shape, rng, dtype):
        if len(input_shape) not in (1, 3):
            raise ValueError(f"expects (features,) or (C, H, W) inputs, got {tuple(input_shape)}")
        n = input_shape[0]
        self.axes = (0,) if len(input_shape) == 1 else (0, 2, 3)
        self.shape = (n,) if len(input_shape) == 1 else (n, 1, 1)  # how the per-channel vectors broadcast
        self.gamma = Param(f"{self.name}.gamma", np.ones(n, dtype=dtype), decay=False)
        self.beta = Param(f"{self.name}.beta", np.zeros(n, dtype=dtype), decay=False)
        self.params = [self.gamma, self.beta]
        self.running_mean, self.running_var = np.zeros(n, dtype=dtype), np.ones(n, dtype=dtype)
        self.buffers = {f"{self.name}.running_mean": self.running_mean, f"{self.name}.running_var": self.running_var}
        return tuple(input_shape)

    def forward(self, x):
        g, b = self.gamma.value.reshape(self.shape), self.beta.value.reshape(self.shape)
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

    def backward(self, grad, need_input_grad=True):
        np.sum(grad * self.xhat, axis=self.axes, out=self.gamma.grad)
        np.sum(grad, axis=self.axes, out=self.beta.grad)
        if not need_input_grad:
            return None
        dxhat = grad * self.gamma.value.reshape(self.shape)
        if not self.training:  # the statistics are constants
            return dxhat * self.inv_std
        n = grad.size // len(self.gamma.value)
        k = self.shape
        return (self.inv_std / n) * (n * dxhat - dxhat.sum(axis=self.axes).reshape(k)
                                     - self.xhat * (dxhat * self.xhat).sum(axis=self.axes).reshape(k))

    def to_onnx(self, graph, x):
        stats = [graph.const(v, f"{self.name}.{k}") for k, v in (
            ("gamma", self.gamma.value), ("beta", self.beta.value), ("running_mean", self.running_mean),
            ("running_var", self.running_var))]
        return graph.node("BatchNormalization", [x, *stats], epsilon=float(self.eps))

    def __repr__(self):
        return f"BatchNorm({self.momentum}, {self.eps})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and scale the rest by
    1/(1-rate), so evaluation needs no rescaling. Draws from `rng`, which the Trainer sets to its own
    generator (runs repeat exactly)."""

    uses_rng = True

    def __init__(self, rate: float = 0.5, rng=None):
        if not 0 <= rate < 1:
            raise ValueError(f"rate: expected a value in [0, 1), got {rate!r}")
        self.rate, self.rng = rate, rng

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        if self.rng is None:
            self.rng = np.random.default_rng()
        keep = self.rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64) >= self.rate
        self.mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, grad, need_input_grad=True):
        if not self.training or self.rate == 0:
            return grad
        return np.multiply(grad, self.mask, out=grad)

    def to_onnx(self, graph, x):
        return x  # the identity at inference

    def __repr__(self):
        return f"Dropout({self.rate})"


class Flatten(Layer):
    """(C, H, W) -> (C*H*W,): a view, no copy."""

    def build(self, input_shape, rng, dtype):
        return (math.prod(input_shape),)

    def forward(self, x):
        return x.reshape(len(x), -1)

    def backward(self, grad, need_input_grad=True):
        return grad.reshape(len(grad), *self.input_shape)

    def to_onnx(self, graph, x):
        return graph.node("Flatten", [x], axis=1)


class Reshape(Layer):
    """Each example to `shape` (same number of values), e.g. [1, 28, 28] for MNIST rows: a view, no copy."""

    def __init__(self, shape: list):
        if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape) or not shape:
            raise ValueError(f"shape: expected a list of positive integers, got {shape!r}")
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

    def to_onnx(self, graph, x):
        return graph.node("Add", [super().to_onnx(graph, x), x])

    def __repr__(self):
        return "Residual(" + ", ".join(map(repr, self.layers)) + ")"
