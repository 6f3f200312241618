"""Attention layers on (T, D) sequences: layer norm, multi-head self-attention, and the pre-norm transformer block
built from them (GPT-2's). The heads are one batched product, never a loop; docs/math.md has the backward passes."""
from __future__ import annotations

import math

import numpy as np

from framework import Layer, Param, Sequential

from .activations import GELU
from .dense import Dense, _weights
from .regularization import Dropout
from .structure import Residual


class LayerNorm(Layer):
    """Layer normalisation (Ba et al. 2016) over the last axis: y = gamma (x - mean) / sqrt(var + eps) + beta, the
    same in training and evaluation; `bias: false` leaves beta out (nanoGPT's bias-free model)."""

    prefix, positionwise = "ln", True

    def __init__(self, eps: float = 1e-5, bias: bool = True):
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.eps, self.bias = eps, bool(bias)

    def build(self, input_shape, rng, dtype):
        n = input_shape[-1]
        self.gamma = Param(f"{self.name}.gamma", np.ones(n, dtype=dtype), decay=False)
        self.beta = Param(f"{self.name}.beta", np.zeros(n, dtype=dtype), decay=False) if self.bias else None
        self.params = [self.gamma, self.beta] if self.bias else [self.gamma]
        return tuple(input_shape)

    def forward(self, x):
        mean = x.mean(axis=-1, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=-1, keepdims=True)
        self.rstd = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        self.xhat = xc * self.rstd
        out = self.xhat * self.gamma.value
        if self.beta is not None:
            out += self.beta.value
        return out

    def backward(self, grad, need_input_grad=True):
        axes = tuple(range(grad.ndim - 1))
        self.gamma.grad[...] = np.sum(grad * self.xhat, axis=axes)
        if self.beta is not None:
            self.beta.grad[...] = np.sum(grad, axis=axes)
        if not need_input_grad:
            return None
        g = grad * self.gamma.value
        return self.rstd * (g - g.mean(axis=-1, keepdims=True)
                            - self.xhat * np.mean(g * self.xhat, axis=-1, keepdims=True))

    def to_onnx(self, graph, x):
        beta = self.beta.value if self.beta is not None else np.zeros_like(self.gamma.value)
        return graph.node("LayerNormalization", [x, graph.const(self.gamma.value, f"{self.name}.gamma"),
                                                 graph.const(beta, f"{self.name}.beta")], axis=-1, epsilon=self.eps)


_MASKS: dict = {}


def _mask(t: int, dtype) -> np.ndarray:
    """(T, T): 0 on and below the diagonal, -inf above (what a causal score may not see), made once per size."""
    key = (t, np.dtype(dtype))
    if key not in _MASKS:
        _MASKS[key] = np.triu(np.full((t, t), -np.inf, dtype), 1)
    return _MASKS[key]


class MultiHeadAttention(Layer):
    """Multi-head self-attention (Vaswani et al. 2017) on (T, D): q, k, v = x W_qkv (+ b), split into `heads` of
    D / heads; each head softmax(q k^T / sqrt(d) [+ causal mask]) v; the heads joined and projected, W_o (+ b).
    `causal` lets position t see positions <= t only (a language model's)."""

    prefix = "attention"

    def __init__(self, heads: int, causal: bool = True, bias: bool = True):
        if not isinstance(heads, int) or isinstance(heads, bool) or heads < 1:
            raise ValueError(f"heads: expected a positive integer, got {heads!r}")
        self.heads, self.causal, self.bias, self.init = heads, bool(causal), bool(bias), "glorot"

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 2:
            raise ValueError(f"expects (T, D) sequences, got {tuple(input_shape)}")
        d = input_shape[1]
        if d % self.heads:
            raise ValueError(f"width {d} is not divisible by heads={self.heads}")
        qkv = _weights(self, (d, 3 * d), d, 3 * d, rng, dtype)
        self.W_qkv, self.b_qkv = self.W, self.b
        out = _weights(self, (d, d), d, d, rng, dtype)
        self.W_o, self.b_o = self.W, self.b
        del self.W, self.b
        for p, name in zip(qkv + out, ("W_qkv", "b_qkv", "W_o", "b_o") if self.bias else ("W_qkv", "W_o")):
            p.name = f"{self.name}.{name}"
        self.params = qkv + out
        return tuple(input_shape)

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads
        self.x = x
        qkv = x.reshape(-1, d) @ self.W_qkv.value  # (N·T, 3D): one product, not one per example
        if self.bias:
            qkv += self.b_qkv.value
        q, k, v = qkv.reshape(n, t, 3, h, d // h).transpose(2, 0, 3, 1, 4)  # (N, heads, T, d) each
        s = np.matmul(q, k.transpose(0, 1, 3, 2))
        s *= x.dtype.type(1 / math.sqrt(d // h))
        if self.causal:
            s += _mask(t, s.dtype)
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)
        self.q, self.k, self.v, self.p = q, k, v, s
        self.y = np.matmul(s, v).transpose(0, 2, 1, 3).reshape(n, t, d)  # heads joined
        out = self.y.reshape(-1, d) @ self.W_o.value
        if self.bias:
            out += self.b_o.value
        return out.reshape(n, t, d)

    def start(self, n):
        self.cache = None

    def step(self, x):
        """The next positions, attending to the keys and values cached from earlier steps (a key/value cache):
        each new position costs one row of scores instead of the whole sequence again."""
        n, t, d = x.shape
        h = self.heads
        qkv = x.reshape(-1, d) @ self.W_qkv.value
        if self.bias:
            qkv += self.b_qkv.value
        q, k, v = qkv.reshape(n, t, 3, h, d // h).transpose(2, 0, 3, 1, 4)
        if self.cache is not None:
            k, v = np.concatenate([self.cache[0], k], axis=2), np.concatenate([self.cache[1], v], axis=2)
        self.cache = (k, v)
        s = np.matmul(q, k.transpose(0, 1, 3, 2)) * x.dtype.type(1 / math.sqrt(d // h))
        if self.causal:  # new position i (of t) sits at k.shape[2] - t + i: it sees keys up to there
            past = k.shape[2] - t
            s[:, :, np.arange(t)[:, None] + past < np.arange(k.shape[2])] = -np.inf
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        out = np.matmul(s, v).transpose(0, 2, 1, 3).reshape(n, t, d) @ self.W_o.value
        return out + self.b_o.value if self.bias else out

    def backward(self, grad, need_input_grad=True):
        n, t, d = grad.shape
        h = self.heads
        g2 = grad.reshape(-1, d)
        np.matmul(self.y.reshape(-1, d).T, g2, out=self.W_o.grad)
        if self.bias:
            np.sum(g2, axis=0, out=self.b_o.grad)
        dy = (g2 @ self.W_o.value.T).reshape(n, t, h, d // h).transpose(0, 2, 1, 3)
        dp = np.matmul(dy, self.v.transpose(0, 1, 3, 2))
        dv = np.matmul(self.p.transpose(0, 1, 3, 2), dy)
        dp -= np.sum(dp * self.p, axis=-1, keepdims=True)
        dp *= self.p
        dp *= grad.dtype.type(1 / math.sqrt(d // h))  # now d(scores before scaling)
        dq, dk = np.matmul(dp, self.k), np.matmul(dp.transpose(0, 1, 3, 2), self.q)
        dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(-1, 3 * d)  # (N·T, 3D)
        np.matmul(self.x.reshape(-1, d).T, dqkv, out=self.W_qkv.grad)
        if self.bias:
            np.sum(dqkv, axis=0, out=self.b_qkv.grad)
        return (dqkv @ self.W_qkv.value.T).reshape(n, t, d) if need_input_grad else None

    def to_onnx(self, graph, x):
        d = self.W_o.value.shape[0]
        h, dh = self.heads, d // self.heads
        const = lambda a, hint: graph.const(np.asarray(a), f"{self.name}.{hint}")
        qkv = graph.node("MatMul", [x, const(self.W_qkv.value, "W_qkv")])
        if self.bias:
            qkv = graph.node("Add", [qkv, const(self.b_qkv.value, "b_qkv")])
        split = graph.node("Reshape", [qkv, graph.const(np.array([0, 0, 3, h, dh], np.int64), "qkv_shape")])
        heads = graph.node("Transpose", [split], perm=[2, 0, 3, 1, 4])  # (3, N, heads, T, d)
        q, k, v = (graph.node("Gather", [heads, graph.const(np.array(i, np.int64), f"part{i}")], axis=0)
                   for i in range(3))
        s = graph.node("MatMul", [q, graph.node("Transpose", [k], perm=[0, 1, 3, 2])])
        s = graph.node("Mul", [s, graph.const(1 / math.sqrt(dh), "scale")])
        if self.causal:  # a mask of -inf above the diagonal, cut to the input's length
            t = self.input_shape[0]
            big = np.triu(np.full((t, t), -np.inf, np.float32), 1)
            s = graph.node("Add", [s, const(big, "mask")])
        y = graph.node("MatMul", [graph.node("Softmax", [s], axis=-1), v])
        y = graph.node("Reshape", [graph.node("Transpose", [y], perm=[0, 2, 1, 3]),
                                   graph.const(np.array([0, 0, d], np.int64), "joined")])
        out = graph.node("MatMul", [y, const(self.W_o.value, "W_o")])
        return graph.node("Add", [out, const(self.b_o.value, "b_o")]) if self.bias else out

    def __repr__(self):
        return f"MultiHeadAttention(heads={self.heads}, causal={self.causal})"


class TransformerBlock(Sequential):
    """GPT-2's pre-norm block on (T, D): x + attention(layer_norm(x)), then x + mlp(layer_norm(x)), the MLP dense
    (mlp_ratio · D) -> GELU -> dense (D); `dropout` after the attention and the MLP, `bias` for every dense layer and
    layer norm (nanoGPT: false). Built from the other layers, so its gradients are theirs."""

    prefix = "block"

    def __init__(self, heads: int, causal: bool = True, mlp_ratio: int = 4, dropout: float = 0.0, bias: bool = True):
        if not isinstance(mlp_ratio, int) or isinstance(mlp_ratio, bool) or mlp_ratio < 1:
            raise ValueError(f"mlp_ratio: expected a positive integer, got {mlp_ratio!r}")
        MultiHeadAttention(heads, causal, bias), Dropout(dropout)  # check the parameters now
        self.heads, self.causal, self.mlp_ratio, self.dropout, self.bias = heads, causal, mlp_ratio, dropout, bias
        super().__init__([])

    def build(self, input_shape, rng=None, dtype=np.float32):
        if len(input_shape) != 2:
            raise ValueError(f"expects (T, D) sequences, got {tuple(input_shape)}")
        d, drop = input_shape[1], ([Dropout(self.dropout)] if self.dropout else [])
        self.layers = [
            Residual([LayerNorm(bias=self.bias), MultiHeadAttention(self.heads, self.causal, self.bias), *drop]),
            Residual([LayerNorm(bias=self.bias), Dense(self.mlp_ratio * d, bias=self.bias), GELU(),
                      Dense(d, bias=self.bias), *[Dropout(self.dropout)] * bool(self.dropout)])]
        return super().build(input_shape, rng, dtype)

    def __repr__(self):
        return f"TransformerBlock(heads={self.heads}, causal={self.causal})"
