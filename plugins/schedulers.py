"""Learning-rate schedules (factor of the optimizer's initial lr); all accept `warmup_epochs`."""
from __future__ import annotations

import math

from framework import Scheduler


class Constant(Scheduler):
    """factor = 1 (with optional warm-up)."""

    def factor(self, epoch):
        return 1.0


class Step(Scheduler):
    """factor = gamma ** floor(epoch / step_size): multiply the lr by gamma every step_size epochs."""

    def __init__(self, step_size: int = 5, gamma: float = 0.1, warmup_epochs: float = 0.0):
        super().__init__(warmup_epochs)
        if step_size < 1:
            raise ValueError(f"step_size: expected a positive integer, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma

    def factor(self, epoch):
        return self.gamma ** (int(epoch) // self.step_size)


class Exponential(Scheduler):
    """factor = gamma ** floor(epoch): multiply the lr by gamma after every epoch."""

    def __init__(self, gamma: float = 0.9, warmup_epochs: float = 0.0):
        super().__init__(warmup_epochs)
        self.gamma = gamma

    def factor(self, epoch):
        return self.gamma ** int(epoch)


class Cosine(Scheduler):
    """factor = min_factor + (1 - min_factor) * (1 + cos(pi * epoch / epochs)) / 2, per step (Loshchilov &
    Hutter 2017, without restarts): from 1 down to min_factor at the end of training."""

    def __init__(self, min_factor: float = 0.0, warmup_epochs: float = 0.0):
        super().__init__(warmup_epochs)
        self.min_factor = min_factor

    def factor(self, epoch):
        progress = min(1.0, epoch / self.total_epochs)
        return self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * progress))


class Linear(Scheduler):
    """factor falls linearly from 1 at the end of the warm-up to `min_factor` at the end of training (the
    warm-up-then-linear-decay of BERT and of airbench's CIFAR-10 runs)."""

    def __init__(self, min_factor: float = 0.0, warmup_epochs: float = 0.0):
        super().__init__(warmup_epochs)
        if not 0 <= min_factor <= 1:
            raise ValueError(f"min_factor: expected a value in [0, 1], got {min_factor!r}")
        self.min_factor = min_factor

    def factor(self, epoch):
        span = max(self.total_epochs - self.warmup_epochs, 1e-12)
        progress = min(1.0, max(0.0, epoch - self.warmup_epochs) / span)
        return 1.0 - (1.0 - self.min_factor) * progress


class OneCycle(Scheduler):
    """The one-cycle policy (Smith & Topin 2019) with PyTorch OneCycleLR's parameters: the rate rises from
    lr / div_factor to lr over the first `pct_start` of training, then falls towards lr / (div_factor x
    final_div_factor), which it reaches at the end of the last step (PyTorch: at its start), each by a half cosine
    (`anneal="cos"`) or a straight line ("linear"). The optimizer's lr is the peak; its own rise is the warm-up
    (`warmup_epochs` adds the common ramp on top)."""

    def __init__(self, pct_start: float = 0.3, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 anneal: str = "cos", warmup_epochs: float = 0.0):
        super().__init__(warmup_epochs)
        if not 0 < pct_start < 1:
            raise ValueError(f"pct_start: expected a fraction in (0, 1), got {pct_start!r}")
        if div_factor < 1 or final_div_factor < 1:
            raise ValueError(f"div_factor, final_div_factor: expected >= 1, got {div_factor!r}, {final_div_factor!r}")
        if anneal not in ("cos", "linear"):
            raise ValueError(f"anneal: expected 'cos' or 'linear', got {anneal!r}")
        self.pct_start, self.div, self.final_div, self.anneal = pct_start, div_factor, final_div_factor, anneal

    def _between(self, a, b, t):
        return a + (b - a) * ((1 - math.cos(math.pi * t)) / 2 if self.anneal == "cos" else t)

    def factor(self, epoch):
        p = min(1.0, epoch / self.total_epochs)
        start, end = 1.0 / self.div, 1.0 / (self.div * self.final_div)
        if p < self.pct_start:
            return self._between(start, 1.0, p / self.pct_start)
        return self._between(1.0, end, (p - self.pct_start) / (1 - self.pct_start))
