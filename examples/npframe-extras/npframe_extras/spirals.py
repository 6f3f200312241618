"""Two interleaved spirals: a classic synthetic binary task no linear model can solve."""
from __future__ import annotations

import numpy as np

from framework import Dataset, holdout


def two_spirals(n: int = 2000, noise: float = 0.3, turns: float = 1.5, val_size: float = 0.1,
                test_size: float = 0.2, seed: int = 0) -> Dataset:
    """n points (half per spiral) with Gaussian noise; classes 0 and 1; fixed seeded splits."""
    r = np.random.default_rng(seed)
    t = np.sqrt(r.random(n)) * turns * 2 * np.pi
    label = np.arange(n) % 2
    sign = np.where(label == 0, 1.0, -1.0)
    x = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / (turns * 2 * np.pi / 2)
    x += r.standard_normal(x.shape) * noise / (turns * 2)
    x = x.astype(np.float32)
    y = label.astype(np.int64)
    x_rest, y_rest, x_te, y_te = holdout(x, y, test_size, seed, key="test_size")
    x_tr, y_tr, x_va, y_va = holdout(x_rest, y_rest, val_size, seed + 1)
    return Dataset("two_spirals", x_tr, y_tr, x_va, y_va, x_te, y_te, task="multiclass", n_classes=2)
