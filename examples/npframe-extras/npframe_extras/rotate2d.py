"""Random rotation of 2-D points about the origin: an augmentation for tabular (x, y) data."""
from __future__ import annotations

import numpy as np

from framework import Augmentation


class Rotate2D(Augmentation):
    """Rotates each 2-D feature vector by its own random angle in [-max_degrees, max_degrees]."""

    needs_images = False  # works on (B, 2) feature batches

    def __init__(self, max_degrees: float = 10.0, p: float = 1.0):
        super().__init__(p)
        self.max_degrees = max_degrees

    def setup(self, trainer):
        super().setup(trainer)
        if trainer.data.n_features != 2:
            raise ValueError(f"augmentation Rotate2D needs 2 features, dataset {trainer.data.name!r} has "
                             f"{trainer.data.n_features}")

    def transform(self, x, rng):
        theta = np.deg2rad(rng.uniform(-self.max_degrees, self.max_degrees, len(x))).astype(x.dtype)
        c, s = np.cos(theta), np.sin(theta)
        return np.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], axis=1).reshape(x.shape)
