"""Layers that regularise in training only: inverted dropout."""
from __future__ import annotations

import numpy as np

from framework import Layer


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability `rate` and scale the rest by
    1/(1-rate), so evaluation needs no rescaling. Draws from `rng`, which the Trainer sets to its own
    generator (runs repeat exactly)."""

    uses_rng, positionwise = True, True

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
