"""Image layers on (H, W, C) images: 2-D convolution, max and average pooling, global average pooling."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

from framework import Layer
from framework.parallel import over_batch

from .dense import _check_init, _weights


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


_scratch = threading.local()


def _reused(owner, name: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array of `shape` in memory kept on `owner` between steps (grown when too small): a
    convolution's 100 MB columns mapped afresh every step cost a tenth of a CIFAR-10 step in page faults."""
    size = int(np.prod(shape))
    buf = getattr(owner, name, None)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(size, dtype)
        setattr(owner, name, buf)
    return buf[:size].reshape(shape)


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as PyTorch's Conv2d) of (H, W, C) images with `filters` kernels of
    `kernel` (an int or [kh, kw]), `stride`, and padding "same" (output H/stride, rounded up; extra padding at the
    bottom and right, as TensorFlow), "valid" (none) or an int (zeros on every side). Forward: one matrix product of
    the im2col matrix (a copy of a strided view) with the (kh·kw·C, filters) weights; backward: one product for the
    weights' gradient, and for the input's gradient either one for the columns' gradient, scattered back by a loop
    over the kh·kw kernel offsets, or (stride 1, at least as many input channels as filters, so fewer bytes to
    copy) one of the padded output gradient's im2col with the flipped kernel. The columns live in memory kept
    between steps.
    Weights are stored (kh, kw, C, filters); init "auto" is He before a ReLU-family activation, else Glorot.
    `identity` > 0 starts the first min(C, filters) filters as that multiple of the identity at the kernel's centre
    (PyTorch's dirac_ init; airbench's implicit residual), the rest as `init` says."""

    prefix = "conv"

    def __init__(self, filters: int, kernel: int | list = 3, stride: int | list = 1, padding: str | int = "same",
                 bias: bool = True, init: str = "auto", identity: float = 0.0):
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"filters: expected a positive integer, got {filters!r}")
        self.filters, self.kernel, self.stride = filters, _pair(kernel, "kernel"), _pair(stride, "stride")
        if padding not in ("same", "valid") and not (isinstance(padding, int) and not isinstance(padding, bool)
                                                     and padding >= 0):
            raise ValueError(f"padding: expected 'same', 'valid' or a non-negative integer, got {padding!r}")
        if isinstance(identity, bool) or not isinstance(identity, (int, float)) or not identity >= 0:
            raise ValueError(f"identity: expected a number >= 0 (0: off), got {identity!r}")
        self.padding, self.bias, self.init, self.identity = padding, bias, _check_init(init), float(identity)

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
        if self.identity:
            d = min(c, self.filters)
            self.W.value[..., :d] = 0
            self.W.value[kh // 2, kw // 2, np.arange(d), np.arange(d)] = self.identity
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
            ct = _reused(self, "_cols", (k + bias, n, ho, wo), x.dtype)
            blocks = ct[:k].reshape(kh, kw, c, n, ho, wo)
            for i, j, view in _windows(xp, self.kernel, self.stride, self.out_hw):
                blocks[i, j] = view.transpose(3, 0, 1, 2)
            self.cols = ct.reshape(k + bias, -1).T  # a transposed view
        else:  # im2col: one copy of a strided view
            self.cols = _reused(self, "_cols", (n * ho * wo, k + bias), x.dtype)
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
        (pt, pb), (pl, pr) = self.pads
        if self.stride == (1, 1) and c >= self.filters and max(pt, pb) < kh and max(pl, pr) < kw:
            return self._transposed(grad, c)
        # dL/dcols, one (N·Ho·Wo, C) block per kernel offset, so that each block adds to a slice of whole rows
        w = np.ascontiguousarray(self.W.value.reshape(kh * kw, c, self.filters).transpose(0, 2, 1))
        dcols = np.matmul(g, w, out=_reused(_scratch, "dcols", (kh * kw, len(g), c), g.dtype))
        dcols = dcols.reshape(kh, kw, n, ho, wo, c)
        dxp = np.empty(self.xp_shape, grad.dtype)

        def part(a, b):
            dxp[a:b] = 0
            for i, j, view in _windows(dxp[a:b], self.kernel, self.stride, self.out_hw):
                view += dcols[i, j, a:b]

        over_batch(part, n, dcols.nbytes)
        return dxp[:, pt:dxp.shape[1] - pb, pl:dxp.shape[2] - pr, :]

    def _transposed(self, grad, c):
        """dL/dx for stride 1: the output gradient, padded by kernel - 1 - padding, correlated with the kernel
        turned by 180 degrees and its channel axes swapped (docs/math.md)."""
        (kh, kw), (pt, pb), (pl, pr), f = self.kernel, *self.pads, self.filters
        n, h, w = len(grad), self.xp_shape[1] - pt - pb, self.xp_shape[2] - pl - pr
        gp = np.pad(grad, ((0, 0), (kh - 1 - pt, kh - 1 - pb), (kw - 1 - pl, kw - 1 - pr), (0, 0)))
        s = gp.strides
        view = np.lib.stride_tricks.as_strided(gp, (n, h, w, kh, kw, f), (s[0], s[1], s[2], s[1], s[2], s[3]),
                                               writeable=False)
        cols = _reused(_scratch, "dcols", (n * h * w, kh * kw * f), grad.dtype)
        target = cols.reshape(n, h, w, kh, kw, f)
        over_batch(lambda a, b: np.copyto(target[a:b], view[a:b]), n, cols.nbytes)
        flipped = self.W.value[::-1, ::-1].transpose(0, 1, 3, 2).reshape(kh * kw * f, c)
        return (cols @ flipped).reshape(n, h, w, c)

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


class PatchWhitening(Conv2D):
    """A fixed patch-whitening convolution, airbench's first layer (K. Jordan 2024): `size` x `size` filters without
    padding, the principal directions of the training images' centred patches, each scaled by 1/sqrt(eigenvalue +
    eps * mean eigenvalue) and paired with its negative (2·size²·C channels, so that a ReLU after it loses no sign),
    and a bias of minus their response to the mean patch. `adapt` sets them once from training images before the
    first step (docs/math.md); nothing in it trains (both are buffers), so the layer after it computes no input
    gradient, which at full resolution would cost as much as the rest of the step's first block."""

    prefix = "whiten"

    def __init__(self, size: int = 2, eps: float = 5e-4):
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size: expected a positive integer, got {size!r}")
        if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        super().__init__(filters=1, kernel=size, padding="valid")
        self.size, self.eps = size, float(eps)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 3:
            raise ValueError(f"expects (H, W, C) images, got {tuple(input_shape)}")
        self.filters = 2 * self.size ** 2 * input_shape[2]
        out = super().build(input_shape, rng, dtype)  # random filters until adapt (a conformance check's gradients)
        self.W, self.b = (SimpleNamespace(name=p.name, value=p.value, grad=p.grad) for p in self.params)  # fixed
        self.params, self.buffers = [], {self.W.name: self.W.value, self.b.name: self.b.value}
        return out

    def adapt(self, x):
        k, c = self.size, x.shape[3]
        d, n, total, outer = k * k * c, 0, np.zeros(k * k * c), np.zeros((k * k * c, k * k * c))
        for i in range(0, len(x), 256):  # the patch sums and products in float64, 256 images at a time
            patches = np.lib.stride_tricks.sliding_window_view(x[i:i + 256], (k, k), axis=(1, 2))
            p = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, d).astype(np.float64)  # rows in (kh, kw, C) order
            n, total, outer = n + len(p), total + p.sum(0), outer + p.T @ p
        mean = total / n
        values, vectors = np.linalg.eigh(outer / n - np.outer(mean, mean))
        values, vectors = np.maximum(values[::-1], 0), vectors[:, ::-1]
        w = vectors / np.sqrt(values + self.eps * max(values.mean(), 1e-12))
        w = np.concatenate([w, -w], axis=1)
        self.W.value[...] = w.reshape(k, k, c, 2 * d)
        self.b.value[...] = -mean @ w

    def __repr__(self):
        return f"PatchWhitening(size={self.size}, eps={self.eps})"


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
        self.fast = self.stride == self.size and x.flags.c_contiguous
        if self.fast:  # windows tile the image (but for a last row or column that fits none, left out): columns
            # first, then rows, each a pass over contiguous runs
            self.shape = (n, h, w, c)
            return self._tiled(x[:, :ho * sh, :wo * sw].reshape(n, ho * sh, wo, sw, c), n, ho * sh, c)
        self.x, out = x, None
        for _, _, view in _windows(x, self.size, self.stride, self.out_hw):
            out = view.copy() if out is None else np.maximum(out, view, out=out)
        self.peak = out  # later layers never write into their input (check_layer)
        return out

    def _tiled(self, xc, n, h, c):
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
        return out.reshape(n, ho, wo, c)

    def _tiled_backward(self, grad):
        """Each output's gradient to the row, then the column, its maximum came from."""
        (sh, sw), (ho, wo) = self.size, self.out_hw
        n, h, w, c = self.shape
        g = grad.reshape(n, ho, wo * c)
        rows = np.empty((n, ho, sh, wo * c), grad.dtype)
        gc = rows.reshape(n, ho * sh, wo, c)
        dx = np.empty((n, h, w, c), grad.dtype)
        dx[:, ho * sh:], dx[:, :, wo * sw:] = 0, 0  # the row and column no window covers
        tiles = dx[:, :ho * sh, :wo * sw].reshape(n, ho * sh, wo, sw, c)

        def part(a, b):
            _route(g[a:b], [p[a:b] for p in self.row_pick], [rows[a:b, :, i] for i in range(sh)])
            _route(gc[a:b], [p[a:b] for p in self.col_pick], [tiles[a:b, :, :, j] for j in range(sw)])

        over_batch(part, n, dx.nbytes)
        return dx

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
