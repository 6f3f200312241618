"""Lion optimizer (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""
from __future__ import annotations

import numpy as np

from framework import Optimizer


class Lion(Optimizer):
    """c = b1 m + (1-b1) g;  w <- w - lr (sign(c) + wd w);  m <- b2 m + (1-b2) g.

    Every coordinate moves by exactly lr (plus decay): use a learning rate 3-10x smaller than Adam's.
    """

    def __init__(self, params, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.weight_decay = beta1, beta2, weight_decay
        for p, st in zip(self.params, self.state):
            st["m"] = np.zeros_like(p.value)

    def step(self):
        self.t += 1
        for p, st in zip(self.params, self.state):
            m, g = st["m"], p.grad
            update = np.sign(self.beta1 * m + (1 - self.beta1) * g)
            if self.weight_decay and p.decay:
                update += self.weight_decay * p.value
            p.value -= self.lr * update
            m *= self.beta2
            m += (1 - self.beta2) * g
