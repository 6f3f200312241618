"""Sequence layers on (T, F) inputs: token and position embeddings, and the recurrent layers (tanh RNN, LSTM,
GRU). A recurrent layer does the input products of all T steps as one matrix product before its time loop and the
weight gradients as one product after it; only h @ W_hh stays inside the loop. Gate order and the weights'
layout follow PyTorch, so weights map one to one (docs/math.md, "Recurrent layers")."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Param
from framework.layers import check_size, sigmoid


def _positive(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return value


class Embedding(Layer):
    """Token ids (T,) -> (T, units): row x[t] of a (vocab, units) table, drawn N(0, std^2) (PyTorch's nn.Embedding
    draws std 1; GPT-2 and nanoGPT 0.02). Its input is integers, so it passes no gradient below it."""

    prefix, takes_tokens, positionwise = "embedding", True, True
    shared = False  # a later dense layer uses the table too (Dense tie): its gradient is added to, not replaced

    def __init__(self, vocab: int, units: int, std: float = 0.02):
        self.vocab, self.units, self.std = _positive(vocab, "vocab"), _positive(units, "units"), float(std)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ValueError(f"expects (T,) token ids, got {tuple(input_shape)}")
        check_size("embedding table", (self.vocab, self.units), dtype)
        self.W = Param(f"{self.name}.W", (rng.standard_normal((self.vocab, self.units)) * self.std).astype(dtype))
        self.params = [self.W]
        return (input_shape[0], self.units)

    def forward(self, x):
        if x.dtype.kind not in "iu":
            raise ValueError(f"embedding: expects integer token ids, got {x.dtype} values")
        self.ids = x
        return self.W.value[x]

    def backward(self, grad, need_input_grad=True):
        if not self.shared:
            self.W.grad[...] = 0
        np.add.at(self.W.grad, self.ids.reshape(-1), grad.reshape(-1, self.units))
        return None  # token ids have no gradient

    def to_onnx(self, graph, x):
        return graph.node("Gather", [graph.const(self.W.value, f"{self.name}.W"), x], axis=0)

    def __repr__(self):
        return f"Embedding({self.vocab}, {self.units})"


class PositionalEmbedding(Layer):
    """x + P[:T] for (T, F) inputs: a learned vector per position (GPT-2's), P of the built length, drawn N(0,
    std^2). Shorter inputs (generation from a short prompt) use its first rows."""

    prefix = "positional_embedding"

    def __init__(self, std: float = 0.02):
        self.std = float(std)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 2:
            raise ValueError(f"expects (T, F) sequences, got {tuple(input_shape)}")
        self.P = Param(f"{self.name}.P", (rng.standard_normal(input_shape) * self.std).astype(dtype))
        self.params = [self.P]
        return tuple(input_shape)

    def forward(self, x):
        self.t = x.shape[1]
        return x + self.P.value[:self.t]

    def backward(self, grad, need_input_grad=True):
        self.P.grad[...] = 0
        np.sum(grad, axis=0, out=self.P.grad[:self.t])
        return grad

    def start(self, n):
        self.at = 0

    def step(self, x):
        k = x.shape[1]
        if self.at + k > len(self.P.value):
            raise ValueError(f"positional_embedding: position {self.at + k} is past the {len(self.P.value)} it was "
                             f"built for")
        self.at += k
        return x + self.P.value[self.at - k:self.at]

    def to_onnx(self, graph, x):
        return graph.node("Add", [x, graph.const(self.P.value, f"{self.name}.P")])


def _transposed(w: np.ndarray) -> np.ndarray:
    """W_hhᵀ as its own contiguous array, for the backward loop's products (a copy once a backward pass: OpenBLAS's
    small products with a transposed view are up to 1.4x slower here, benchmarks/lstm_step.py)."""
    return np.ascontiguousarray(w.T)


class _Recurrent(Layer):
    """What the three recurrent layers share: parameters W (F, G·H), W_hh (H, G·H), b (G·H) for G gate blocks;
    inputs (N, T, F); outputs (N, T, H) with `return_sequences`, else the last step's (N, H). The loop runs over
    time-major arrays, so each step reads and writes contiguous (N, ·) blocks."""

    gates = 1
    onnx_op = "RNN"

    def __init__(self, units: int, return_sequences: bool = False):
        self.units, self.return_sequences = _positive(units, "units"), bool(return_sequences)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 2:
            raise ValueError(f"expects (T, features) sequences, got {tuple(input_shape)}: put an embedding or a "
                             f"reshape before it")
        (t, f), h, g = input_shape, self.units, self.gates
        check_size("recurrent weights", (f + h, g * h), dtype)
        k = 1.0 / math.sqrt(h)  # PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias
        draw = lambda *shape: rng.uniform(-k, k, shape).astype(dtype)
        self.W = Param(f"{self.name}.W", draw(f, g * h))
        self.W_hh = Param(f"{self.name}.W_hh", draw(h, g * h))
        self.b = Param(f"{self.name}.b", draw(g * h), decay=False)
        self.params = [self.W, self.W_hh, self.b]
        return (t, h) if self.return_sequences else (h,)

    def forward(self, x):
        n, t, f = x.shape
        self.xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(t * n, f)  # time-major rows
        xw = (self.xt @ self.W.value).reshape(t, n, -1)  # (T, N, G·H): every step's input product, one product
        xw += self.b.value
        self.h = np.zeros((t + 1, n, self.units), x.dtype)  # h[0] is the zero initial state
        self._run(xw, None)
        return self.h[1:].transpose(1, 0, 2) if self.return_sequences else self.h[-1].copy()

    def start(self, n):
        self.state = None

    def step(self, x):
        """The next positions from the carried state (h, and c for an LSTM): what forward gives on the whole
        sequence so far, at a cost per position that does not grow with it."""
        n, t, f = x.shape
        xw = (x.transpose(1, 0, 2).reshape(t * n, f) @ self.W.value).reshape(t, n, -1) + self.b.value
        h0 = np.zeros((n, self.units), x.dtype) if self.state is None else self.state[0]
        self.h = np.empty((t + 1, n, self.units), x.dtype)
        self.h[0] = h0
        self._run(xw, self.state)
        self.state = (self.h[-1].copy(), *((self.c[-1].copy(),) if hasattr(self, "c") else ()))
        return self.h[1:].transpose(1, 0, 2) if self.return_sequences else self.h[-1].copy()

    def backward(self, grad, need_input_grad=True):
        t = self.h.shape[0] - 1
        dh_out = grad.transpose(1, 0, 2) if self.return_sequences else None
        if dh_out is None:
            dh_out = np.zeros_like(self.h[1:])
            dh_out[-1] = grad
        dxw, dhh = self._back(dh_out)  # (T, N, G·H) each: d(input products), d(h @ W_hh) (the same but in a GRU)
        h_prev = self.h[:t].reshape(-1, self.units)
        np.matmul(h_prev.T, dhh.reshape(-1, dhh.shape[-1]), out=self.W_hh.grad)
        flat = dxw.reshape(-1, dxw.shape[-1])
        np.matmul(self.xt.T, flat, out=self.W.grad)
        np.sum(flat, axis=0, out=self.b.grad)
        if not need_input_grad:
            return None
        return (flat @ self.W.value.T).reshape(t, -1, self.xt.shape[1]).transpose(1, 0, 2)

    def _onnx_weights(self):
        """(W, R, B) in ONNX's layout and gate order, one direction."""
        return self.W.value.T[None], self.W_hh.value.T[None], np.concatenate([self.b.value, 0 * self.b.value])[None]

    def to_onnx(self, graph, x):
        w, r, b = self._onnx_weights()
        seq = graph.node("Transpose", [x], perm=[1, 0, 2])  # ONNX recurrences take (T, N, F)
        y = graph.node(self.onnx_op, [seq, graph.const(w, f"{self.name}.W"), graph.const(r, f"{self.name}.R"),
                                      graph.const(b, f"{self.name}.B")], hidden_size=self.units,
                       **({"linear_before_reset": 1} if self.onnx_op == "GRU" else {}))  # Y: (T, 1, N, H)
        y = graph.node("Squeeze", [y, graph.const(np.array([1], np.int64), "axis1")])
        if self.return_sequences:
            return graph.node("Transpose", [y], perm=[1, 0, 2])
        last = graph.node("Gather", [y, graph.const(np.array(-1, np.int64), "last")], axis=0)
        return last

    def __repr__(self):
        return f"{type(self).__name__}({self.units}, return_sequences={self.return_sequences})"


class RNN(_Recurrent):
    """Elman's RNN as PyTorch's nn.RNN: h_t = tanh(x_t W + b + h_{t-1} W_hh)."""

    prefix = "rnn"

    def _run(self, xw, state):
        w, h = self.W_hh.value, self.h
        for t in range(len(xw)):
            np.tanh(np.matmul(h[t], w) + xw[t], out=h[t + 1])

    def _back(self, dh_out):
        w, h = _transposed(self.W_hh.value), self.h
        dpre = np.empty_like(dh_out)
        dh = np.zeros_like(h[0])
        for t in range(len(dh_out) - 1, -1, -1):
            dh += dh_out[t]
            np.multiply(dh, 1 - h[t + 1] * h[t + 1], out=dpre[t])
            dh = np.matmul(dpre[t], w)
        return dpre, dpre


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber 1997) as PyTorch's nn.LSTM, gates in its order i, f, g, o:
    [i f g o] = [σ σ tanh σ](x_t W + b + h_{t-1} W_hh), c_t = f c_{t-1} + i g, h_t = o tanh(c_t). PyTorch's
    two biases are one here (b = b_ih + b_hh)."""

    prefix, gates, onnx_op = "lstm", 4, "LSTM"

    def _run(self, xw, state):
        h, u, n = self.h, self.units, xw.shape[1]
        # σ(x) = (1 + tanh(x / 2)) / 2: all four gates in one tanh a step, the halves folded into the input
        # products and W_hh's columns (exact: a power of two), then one multiply-add turns i, f, o into σ
        half = np.full(4 * u, 0.5, xw.dtype)
        half[2 * u:3 * u] = 1.0
        xw *= half
        w, shift = self.W_hh.value * half, half.copy()
        shift[2 * u:3 * u] = 0.0
        self.a = a = np.empty_like(xw)  # the activated gates, every step
        self.c = c = np.zeros((len(xw) + 1, n, u), xw.dtype)
        if state is not None:
            c[0] = state[1]
        self.tc, ig = np.empty_like(h[1:]), np.empty_like(h[0])
        for t in range(len(xw)):
            at = a[t]
            np.matmul(h[t], w, out=at)
            at += xw[t]
            np.tanh(at, out=at)
            at *= half
            at += shift
            np.multiply(at[:, u:2 * u], c[t], out=c[t + 1])
            np.multiply(at[:, :u], at[:, 2 * u:3 * u], out=ig)
            c[t + 1] += ig
            np.tanh(c[t + 1], out=self.tc[t])
            np.multiply(at[:, 3 * u:], self.tc[t], out=h[t + 1])

    def _back(self, dh_out):
        w, a, c, tc, u = _transposed(self.W_hh.value), self.a, self.c, self.tc, self.units
        i, f, g, o = a[..., :u], a[..., u:2 * u], a[..., 2 * u:3 * u], a[..., 3 * u:]
        # every step's local derivatives at once, over all steps: the loop is left with seven calls a step
        k = o * (1 - tc * tc)  # d c_t / d h_t
        p = np.empty((*i.shape[:2], 3, u), a.dtype)  # d c_t -> d pre for i, f, g
        np.multiply(g, i * (1 - i), out=p[:, :, 0])
        np.multiply(c[:-1], f * (1 - f), out=p[:, :, 1])
        np.multiply(i, 1 - g * g, out=p[:, :, 2])
        q = tc * o * (1 - o)  # d h_t -> d pre for o
        dpre = np.empty_like(a)
        d4 = dpre.reshape(*p.shape[:2], 4, u)
        dh, dc, tmp = np.zeros_like(c[0]), np.zeros_like(c[0]), np.empty_like(c[0])
        for t in range(len(dh_out) - 1, -1, -1):
            dh += dh_out[t]
            np.multiply(dh, k[t], out=tmp)
            dc += tmp
            np.multiply(dc[:, None, :], p[t], out=d4[t, :, :3])
            np.multiply(dh, q[t], out=d4[t, :, 3])
            dc *= f[t]
            np.matmul(dpre[t], w, out=dh)
        return dpre, dpre

    def _onnx_weights(self):
        u = self.units
        order = np.r_[0:u, 3 * u:4 * u, u:2 * u, 2 * u:3 * u]  # ONNX's i, o, f, c from PyTorch's i, f, g, o
        return self.W.value.T[order][None], self.W_hh.value.T[order][None], \
            np.concatenate([self.b.value[order], 0 * self.b.value])[None]


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al. 2014) as PyTorch's nn.GRU, gates in its order r, z, n:
    r, z = σ(x_t W + b + h_{t-1} W_hh) (their blocks), n = tanh(x_t W_n + b_n + r (h_{t-1} W_hh,n + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. b holds b_ih + b_hh for r and z and b_in for n; b_hn is its own parameter, since
    r multiplies it."""

    prefix, gates, onnx_op = "gru", 3, "GRU"

    def build(self, input_shape, rng, dtype):
        out = super().build(input_shape, rng, dtype)
        k = 1.0 / math.sqrt(self.units)
        self.b_hn = Param(f"{self.name}.b_hn", rng.uniform(-k, k, self.units).astype(dtype), decay=False)
        self.params = [*self.params, self.b_hn]
        return out

    def _run(self, xw, state):
        w, h, u = self.W_hh.value, self.h, self.units
        self.a = a = np.empty_like(xw)  # r, z, n
        self.hn = np.empty_like(h[1:])  # h_{t-1} W_hh,n + b_hn, which r multiplies
        for t in range(len(xw)):
            hh = np.matmul(h[t], w)
            a[t, :, :2 * u] = sigmoid(hh[:, :2 * u] + xw[t, :, :2 * u])
            np.add(hh[:, 2 * u:], self.b_hn.value, out=self.hn[t])
            np.tanh(xw[t, :, 2 * u:] + a[t, :, :u] * self.hn[t], out=a[t, :, 2 * u:])
            z, n = a[t, :, u:2 * u], a[t, :, 2 * u:]
            np.multiply(z, h[t] - n, out=h[t + 1])
            h[t + 1] += n

    def _back(self, dh_out):
        w, a, h, u = _transposed(self.W_hh.value), self.a, self.h, self.units
        dxw, dhh = np.empty_like(a), np.empty_like(a)
        dh = np.zeros_like(h[0])
        for t in range(len(dh_out) - 1, -1, -1):
            dh += dh_out[t]
            r, z, n = a[t, :, :u], a[t, :, u:2 * u], a[t, :, 2 * u:]
            dn = dh * (1 - z) * (1 - n * n)
            np.multiply(dn * self.hn[t], r * (1 - r), out=dxw[t, :, :u])
            np.multiply(dh * (h[t] - n), z * (1 - z), out=dxw[t, :, u:2 * u])
            dxw[t, :, 2 * u:] = dn
            dhh[t, :, :2 * u] = dxw[t, :, :2 * u]
            np.multiply(dn, r, out=dhh[t, :, 2 * u:])
            dh = np.matmul(dhh[t], w) + dh * z
        self.b_hn.grad[...] = dhh[:, :, 2 * u:].sum(axis=(0, 1))
        return dxw, dhh

    def _onnx_weights(self):
        u = self.units
        order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]  # ONNX's z, r, h from PyTorch's r, z, n
        rb = np.concatenate([np.zeros(2 * u, self.b.value.dtype), self.b_hn.value])
        return self.W.value.T[order][None], self.W_hh.value.T[order][None], \
            np.concatenate([self.b.value[order], rb])[None]
