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
