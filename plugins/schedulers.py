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
