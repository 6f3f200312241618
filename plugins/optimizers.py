"""Optimizers. Each updates Param.value in place from Param.grad; equations in docs/math.md."""
from __future__ import annotations

import numpy as np

from framework import Optimizer


class SGD(Optimizer):
    """Plain stochastic gradient descent: w <- w - lr * g."""

    def __init__(self, params, lr: float = 0.1):
        super().__init__(params, lr)

    def step(self):
        self.t += 1
        for p in self.params:
            p.value -= self.lr * p.grad


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), bias-corrected:
    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  w <- w - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
    """

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(params, lr)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"beta1, beta2: expected values in [0, 1), got {beta1!r}, {beta2!r}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        for p, st in zip(self.params, self.state):
            st["m"], st["v"] = np.zeros_like(p.value), np.zeros_like(p.value)
        self._tmp = [np.empty_like(p.value) for p in self.params]  # scratch, so the step allocates nothing

    def step(self):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1 - b1 ** self.t)
        inv_sqrt_bc2 = 1.0 / np.sqrt(1 - b2 ** self.t)
        for p, st, tmp in zip(self.params, self.state, self._tmp):
            m, v, g = st["m"], st["v"], p.grad
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_sqrt_bc2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p.value -= tmp


class Momentum(Optimizer):
    """SGD with momentum (PyTorch's form): v <- mu v + g; w <- w - lr v.
    Nesterov (nesterov=True): v <- mu v + g; w <- w - lr (g + mu v)."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum: expected a value in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = momentum, nesterov
        for p, st in zip(self.params, self.state):
            st["v"] = np.zeros_like(p.value)
        self._tmp = [np.empty_like(p.value) for p in self.params] if nesterov else None

    def step(self):
        self.t += 1
        for i, (p, st) in enumerate(zip(self.params, self.state)):
            v = st["v"]
            v *= self.momentum
            v += p.grad
            if self.nesterov:
                tmp = self._tmp[i]
                np.multiply(v, self.momentum, out=tmp)
                tmp += p.grad
                tmp *= self.lr
                p.value -= tmp
            else:
                p.value -= self.lr * v


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012): s <- rho s + (1-rho) g^2; w <- w - lr g / (sqrt(s) + eps)."""

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr)
        if not 0 <= rho < 1:
            raise ValueError(f"rho: expected a value in [0, 1), got {rho!r}")
        self.rho, self.eps = rho, eps
        for p, st in zip(self.params, self.state):
            st["s"] = np.zeros_like(p.value)
        self._tmp = [np.empty_like(p.value) for p in self.params]

    def step(self):
        self.t += 1
        for p, st, tmp in zip(self.params, self.state, self._tmp):
            s, g = st["s"], p.grad
            s *= self.rho
            np.multiply(g, g, out=tmp)
            tmp *= 1 - self.rho
            s += tmp
            _scaled_step(p.value, g, s, tmp, self.lr, self.eps)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): s <- s + g^2; w <- w - lr g / (sqrt(s) + eps)."""

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, initial_accumulator: float = 0.0):
        super().__init__(params, lr)
        self.eps = eps
        for p, st in zip(self.params, self.state):
            st["s"] = np.full_like(p.value, initial_accumulator)
        self._tmp = [np.empty_like(p.value) for p in self.params]

    def step(self):
        self.t += 1
        for p, st, tmp in zip(self.params, self.state, self._tmp):
            s, g = st["s"], p.grad
            np.multiply(g, g, out=tmp)
            s += tmp
            _scaled_step(p.value, g, s, tmp, self.lr, self.eps)


def _scaled_step(w, g, s, tmp, lr, eps):
    """w <- w - lr g / (sqrt(s) + eps), through the scratch array tmp."""
    np.sqrt(s, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    tmp *= lr
    w -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): w <- w (1 - lr wd), then the Adam step.
    The decay applies to weights only (Param.decay), not biases, unless decay_bias=True."""

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, decay_bias: bool = False):
        super().__init__(params, lr, beta1, beta2, eps)
        if weight_decay < 0:
            raise ValueError(f"weight_decay: expected >= 0, got {weight_decay!r}")
        self.weight_decay, self.decay_bias = weight_decay, decay_bias

    def step(self):
        shrink = 1.0 - self.lr * self.weight_decay
        for p in self.params:
            if p.decay or self.decay_bias:
                p.value *= shrink
        super().step()
