"""The built-in layers (`framework.layers` plugins), each with its forward and backward pass and its ONNX nodes.
Their gradients are derived in docs/math.md; every one passes `framework.testing.check_layer`."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Param, Sequential
from framework.layers import check_size, sigmoid
from framework.parallel import over_batch


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
    """y = x W + b for (features,) inputs. init "auto": He before a ReLU-family activation, Glorot otherwise."""

    prefix = "dense"

    def __init__(self, units: int, init: str = "auto", bias: bool = True):
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units: expected a positive integer, got {units!r}")
        self.units, self.init, self.bias = units, _check_init(init), bias

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (features,) inputs, got {tuple(input_shape)}: put a 'flatten' layer before it")
        n_in = input_shape[0]
        self.params = _weights(self, (n_in, self.units), n_in, self.units, rng, dtype)
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


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015): y = gamma (x - mean) / sqrt(var + eps) + beta, per feature for
    (features,) inputs and per channel for (H, W, C) images. Training uses batch statistics and updates running
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
            raise ValueError(f"expects (features,) or (H, W, C) inputs, got {tuple(input_shape)}")
        n = input_shape[-1]
        self.axes = (0,) if len(input_shape) == 1 else (0, 1, 2)
        self.shape = (n,)  # channels are the last axis: the per-channel vectors broadcast as they are
        self.gamma = Param(f"{self.name}.gamma", np.ones(n, dtype=dtype), decay=False)
        self.beta = Param(f"{self.name}.beta", np.zeros(n, dtype=dtype), decay=False)
        self.params = [self.gamma, self.beta]
        self.running_mean, self.running_var = np.zeros(n, dtype=dtype), np.ones(n, dtype=dtype)
        self.buffers = {f"{self.name}.running_mean": self.running_mean, f"{self.name}.running_var": self.running_var}
        return tuple(input_shape)

    def forward(self, x):
        if len(self.axes) > 1:
            return self._forward_images(x)
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
        out = self.xhat * np.tile(self.gamma.value, t)
        out += np.tile(self.beta.value, t)
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
        self.gamma.grad[...] = self._sums(gr * self.xhat, t)
        self.beta.grad[...] = self._sums(gr, t)
        if not need_input_grad:
            return None
        scale = np.tile(self.gamma.value * self.inv_std, t)
        if not self.training:
            return (gr * scale).reshape(grad.shape)
        dx = self.xhat * np.tile(-self.gamma.grad / m, t)  # the formula above, with the sums dγ and dβ share
        dx += gr
        dx -= np.tile(self.beta.grad / m, t)
        dx *= scale
        return dx.reshape(grad.shape)

    def backward(self, grad, need_input_grad=True):
        if len(self.axes) > 1:
            return self._backward_images(grad, need_input_grad)
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
        if len(self.input_shape) == 1:
            return graph.node("BatchNormalization", [x, *stats], epsilon=float(self.eps))
        x = graph.node("Transpose", [x], perm=[0, 3, 1, 2])  # ONNX normalises axis 1
        y = graph.node("BatchNormalization", [x, *stats], epsilon=float(self.eps))
        return graph.node("Transpose", [y], perm=[0, 2, 3, 1])

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
    """Each example to one row: (H, W, C) images inside a model -> (H*W*C,), a view, no copy."""

    def build(self, input_shape, rng, dtype):
        return (math.prod(input_shape),)

    def forward(self, x):
        return x.reshape(len(x), -1)

    def backward(self, grad, need_input_grad=True):
        return grad.reshape(len(grad), *self.input_shape)

    def to_onnx(self, graph, x):
        return graph.node("Flatten", [x], axis=1)


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


def _pair(value, name: str) -> tuple[int, int]:
    """An int or a list of two positive ints (height, width)."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value) \
        if isinstance(value, (list, tuple)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f"{name}: expected a positive integer or a list of two, got {value!r}")
    return pair


def _windows(x, size, stride, out_hw):
    """The (kh, kw) offset views of x (N, H, W, C): for each offset, x at the rows and columns it meets in every
    output position, as (i, j, view of shape (N, Ho, Wo, C))."""
    (kh, kw), (sh, sw), (ho, wo) = size, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :]


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as PyTorch's Conv2d) of (H, W, C) images with `filters` kernels of
    `kernel` (an int or [kh, kw]), `stride`, and padding "same" (output H/stride, rounded up; extra padding at the
    bottom and right, as TensorFlow), "valid" (none) or an int (zeros on every side). Forward: one matrix product of
    the im2col matrix (a copy of a strided view) with the (kh·kw·C, filters) weights; backward: one product for the
    weights' gradient, one for the columns' gradient, scattered back by a loop over the kh·kw kernel offsets.
    Weights are stored (kh, kw, C, filters); init "auto" is He before a ReLU-family activation, else Glorot."""

    prefix = "conv"

    def __init__(self, filters: int, kernel: int | list = 3, stride: int | list = 1, padding: str | int = "same",
                 bias: bool = True, init: str = "auto"):
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"filters: expected a positive integer, got {filters!r}")
        self.filters, self.kernel, self.stride = filters, _pair(kernel, "kernel"), _pair(stride, "stride")
        if padding not in ("same", "valid") and not (isinstance(padding, int) and not isinstance(padding, bool)
                                                     and padding >= 0):
            raise ValueError(f"padding: expected 'same', 'valid' or a non-negative integer, got {padding!r}")
        self.padding, self.bias, self.init = padding, bias, _check_init(init)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"expects (H, W, C) images, got {tuple(input_shape)}")
        h, w, c = input_shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        pads = []
        for n, k, s in ((h, kh, sh), (w, kw, sw)):
            if self.padding == "same":
                total = max((-(-n // s) - 1) * s + k - n, 0)
                pads.append((total // 2, total - total // 2))
            else:
                p = 0 if self.padding == "valid" else self.padding
                pads.append((p, p))
        self.pads = tuple(pads)
        ho = (h + sum(pads[0]) - kh) // sh + 1
        wo = (w + sum(pads[1]) - kw) // sw + 1
        if ho < 1 or wo < 1:
            raise ValueError(f"a {kh}x{kw} kernel does not fit {h}x{w} images with padding {self.padding!r}")
        self.params = _weights(self, (kh, kw, c, self.filters), kh * kw * c, kh * kw * self.filters, rng, dtype)
        self.out_hw = (ho, wo)
        return (ho, wo, self.filters)

    def forward(self, x):
        n, (ho, wo), (kh, kw), (sh, sw) = len(x), self.out_hw, self.kernel, self.stride
        (pt, pb), (pl, pr) = self.pads
        c, k, bias = x.shape[3], kh * kw * x.shape[3], self.b is not None
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0))) if pt or pb or pl or pr else x
        self.xp_shape = xp.shape
        # the columns (N·Ho·Wo, kh·kw·C), plus a column of ones when there is a bias: the bias joins the weights'
        # matrix, so the product adds it and the weight gradient's product yields its gradient (no extra passes)
        if c <= 4:  # few channels: offset-major columns, each offset's view copied in long contiguous runs
            ct = np.empty((k + bias, n, ho, wo), x.dtype)
            blocks = ct[:k].reshape(kh, kw, c, n, ho, wo)
            for i, j, view in _windows(xp, self.kernel, self.stride, self.out_hw):
                blocks[i, j] = view.transpose(3, 0, 1, 2)
            self.cols = ct.reshape(k + bias, -1).T  # a transposed view
        else:  # im2col: one copy of a strided view
            self.cols = np.empty((n * ho * wo, k + bias), x.dtype)
            s = xp.strides
            view = np.lib.stride_tricks.as_strided(xp, (n, ho, wo, kh, kw, c),
                                                   (s[0], s[1] * sh, s[2] * sw, s[1], s[2], s[3]), writeable=False)
            target = self.cols[:, :k].reshape(n, ho, wo, kh, kw, c)
            over_batch(lambda a, b: np.copyto(target[a:b], view[a:b]), n, self.cols.nbytes)
        if bias:
            self.cols[:, k] = 1.0
            w = np.concatenate([self.W.value.reshape(k, self.filters), self.b.value[None]])
        else:
            w = self.W.value.reshape(k, self.filters)
        return (self.cols @ w).reshape(n, ho, wo, self.filters)

    def backward(self, grad, need_input_grad=True):
        n, (ho, wo), (kh, kw) = len(grad), self.out_hw, self.kernel
        g = grad.reshape(-1, self.filters)
        dw = self.cols.T @ g
        k = dw.shape[0] - (self.b is not None)
        self.W.grad.reshape(k, self.filters)[...] = dw[:k]
        if self.b is not None:
            self.b.grad[...] = dw[k]
        if not need_input_grad:
            return None
        c = self.W.value.shape[2]
        # dL/dcols, one (N·Ho·Wo, C) block per kernel offset, so that each block adds to a slice of whole rows
        w = np.ascontiguousarray(self.W.value.reshape(kh * kw, c, self.filters).transpose(0, 2, 1))
        dcols = np.matmul(g, w).reshape(kh, kw, n, ho, wo, c)
        dxp = np.empty(self.xp_shape, grad.dtype)

        def part(a, b):
            dxp[a:b] = 0
            for i, j, view in _windows(dxp[a:b], self.kernel, self.stride, self.out_hw):
                view += dcols[i, j, a:b]

        over_batch(part, n, dcols.nbytes)
        (pt, pb), (pl, pr) = self.pads
        return dxp[:, pt:dxp.shape[1] - pb, pl:dxp.shape[2] - pr, :]

    def to_onnx(self, graph, x):
        (pt, pb), (pl, pr) = self.pads
        inputs = [graph.node("Transpose", [x], perm=[0, 3, 1, 2]),
                  graph.const(self.W.value.transpose(3, 2, 0, 1), f"{self.name}.W")]  # (O, C, kh, kw)
        if self.b is not None:
            inputs.append(graph.const(self.b.value, f"{self.name}.b"))
        y = graph.node("Conv", inputs, kernel_shape=list(self.kernel), strides=list(self.stride),
                       pads=[pt, pl, pb, pr])
        return graph.node("Transpose", [y], perm=[0, 2, 3, 1])

    def __repr__(self):
        return (f"Conv2D({self.filters}, kernel={list(self.kernel)}, stride={list(self.stride)}, "
                f"padding={self.padding!r})")


def _running_max(parts, picks, best):
    """best = the elementwise max of equally shaped arrays; picks[k - 1] marks where parts[k] beat every earlier
    part strictly."""
    if len(parts) == 1:
        best[...] = parts[0]
    for k in range(1, len(parts)):
        np.greater(parts[k], parts[0] if k == 1 else best, out=picks[k - 1])
        np.maximum(parts[0] if k == 1 else best, parts[k], out=best)


def _route(grad, picks, slots):
    """Write grad into the slot of the part that won (the last k with picks[k - 1]), zeros into the others."""
    rest = grad
    for k in range(len(picks), 0, -1):
        np.multiply(rest, picks[k - 1], out=slots[k])
        rest = np.subtract(rest, slots[k], out=slots[0] if k == 1 else None)
    if not picks:
        slots[0][...] = rest


class _Pool2D(Layer):
    """Pooling over `size` windows (an int or [h, w]) moved by `stride` (default: size), without padding: rows
    and columns that do not fill a window are left out (PyTorch's default, floor mode)."""

    def __init__(self, size: int | list = 2, stride: int | list | None = None):
        self.size = _pair(size, "size")
        self.stride = self.size if stride is None else _pair(stride, "stride")

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"expects (H, W, C) images, got {tuple(input_shape)}")
        h, w, c = input_shape
        ho, wo = (h - self.size[0]) // self.stride[0] + 1, (w - self.size[1]) // self.stride[1] + 1
        if ho < 1 or wo < 1:
            raise ValueError(f"a {self.size[0]}x{self.size[1]} window does not fit {h}x{w} images")
        self.out_hw = (ho, wo)
        return (ho, wo, c)

    def onnx_node(self, graph, op, x):
        y = graph.node(op, [graph.node("Transpose", [x], perm=[0, 3, 1, 2])], kernel_shape=list(self.size),
                       strides=list(self.stride))
        return graph.node("Transpose", [y], perm=[0, 2, 3, 1])

    def __repr__(self):
        return f"{type(self).__name__}(size={list(self.size)}, stride={list(self.stride)})"


class MaxPool2D(_Pool2D):
    """The largest value of each window. Ties: the gradient goes to the first maximum in row-major window order
    (as PyTorch), so it is never counted twice."""

    prefix, takes_max = "max_pool", True

    def forward(self, x):
        n, h, w, c = x.shape
        (sh, sw), (ho, wo) = self.size, self.out_hw
        self.fast = self.stride == self.size and h == ho * sh and w == wo * sw and x.flags.c_contiguous
        if self.fast:  # windows tile the image: columns first, then rows, each a pass over contiguous runs
            return self._tiled(x.reshape(n, h, wo, sw, c), n, h, w, c)
        self.x, out = x, None
        for _, _, view in _windows(x, self.size, self.stride, self.out_hw):
            out = view.copy() if out is None else np.maximum(out, view, out=out)
        self.peak = out  # later layers never write into their input (check_layer)
        return out

    def _tiled(self, xc, n, h, w, c):
        """Max over tiling windows: over the sw columns of each window (keeping, per offset, where a strictly
        larger value was met: ties stay with the first), then over its sh rows likewise; the two choices give
        the first maximum in row-major order."""
        (sh, sw), (ho, wo) = self.size, self.out_hw
        best, out = np.empty((n, h, wo, c), xc.dtype), np.empty((n, ho, wo * c), xc.dtype)
        self.col_pick = [np.empty(best.shape, bool) for _ in range(sw - 1)]
        self.row_pick = [np.empty(out.shape, bool) for _ in range(sh - 1)]
        rows = best.reshape(n, ho, sh, wo * c)

        def part(a, b):
            _running_max([xc[a:b, :, :, j] for j in range(sw)], [p[a:b] for p in self.col_pick], best[a:b])
            _running_max([rows[a:b, :, i] for i in range(sh)], [p[a:b] for p in self.row_pick], out[a:b])

        over_batch(part, n, xc.nbytes)
        self.shape = (n, h, w, c)
        return out.reshape(n, ho, wo, c)

    def _tiled_backward(self, grad):
        """Each output's gradient to the row, then the column, its maximum came from."""
        (sh, sw), (ho, wo) = self.size, self.out_hw
        n, h, w, c = self.shape
        g = grad.reshape(n, ho, wo * c)
        rows = np.empty((n, ho, sh, wo * c), grad.dtype)
        gc = rows.reshape(n, h, wo, c)
        dx = np.empty((n, h, wo, sw, c), grad.dtype)

        def part(a, b):
            _route(g[a:b], [p[a:b] for p in self.row_pick], [rows[a:b, :, i] for i in range(sh)])
            _route(gc[a:b], [p[a:b] for p in self.col_pick], [dx[a:b, :, :, j] for j in range(sw)])

        over_batch(part, n, dx.nbytes)
        return dx.reshape(n, h, w, c)

    def backward(self, grad, need_input_grad=True):
        if self.fast:
            return self._tiled_backward(grad)
        dx = np.zeros_like(self.x)
        taken = np.zeros(grad.shape, bool)
        windows = zip(_windows(self.x, self.size, self.stride, self.out_hw),
                      _windows(dx, self.size, self.stride, self.out_hw))
        for (_, _, view), (_, _, target) in windows:
            first = (view == self.peak) & ~taken
            taken |= first
            target += grad * first
        return dx

    def to_onnx(self, graph, x):
        return self.onnx_node(graph, "MaxPool", x)


class AvgPool2D(_Pool2D):
    """The mean of each window."""

    prefix = "avg_pool"

    def forward(self, x):
        self.x_shape = x.shape
        out = None
        for _, _, view in _windows(x, self.size, self.stride, self.out_hw):
            out = view.copy() if out is None else np.add(out, view, out=out)
        out *= x.dtype.type(1.0 / (self.size[0] * self.size[1]))
        return out

    def backward(self, grad, need_input_grad=True):
        dx = np.zeros(self.x_shape, grad.dtype)
        g = grad * grad.dtype.type(1.0 / (self.size[0] * self.size[1]))
        for _, _, view in _windows(dx, self.size, self.stride, self.out_hw):
            view += g
        return dx

    def to_onnx(self, graph, x):
        return self.onnx_node(graph, "AveragePool", x)


class GlobalAvgPool(Layer):
    """(H, W, C) -> (C,): each channel's mean over the image."""

    prefix = "global_avg_pool"

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"expects (H, W, C) images, got {tuple(input_shape)}")
        return (input_shape[2],)

    def forward(self, x):
        return x.mean(axis=(1, 2))

    def backward(self, grad, need_input_grad=True):
        h, w, c = self.input_shape
        return np.broadcast_to((grad * grad.dtype.type(1.0 / (h * w)))[:, None, None, :], (len(grad), h, w, c)).copy()

    def to_onnx(self, graph, x):
        y = graph.node("GlobalAveragePool", [graph.node("Transpose", [x], perm=[0, 3, 1, 2])])
        return graph.node("Flatten", [y], axis=1)
