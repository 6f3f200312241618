"""Small datasets that scikit-learn ships (offline), with seeded train/validation/test splits."""
from __future__ import annotations

import numpy as np

from framework import Dataset, holdout


def _split(name, x, y, task, n_classes, test_size, val_size, split_seed, image_shape=None, standardize=True):
    """Hold out test then validation with fixed seeds; standardise features on the training split only."""
    x_rest, y_rest, x_te, y_te = holdout(x, y, test_size, split_seed)
    x_tr, y_tr, x_va, y_va = holdout(x_rest, y_rest, val_size, split_seed + 1)
    if standardize:
        mu, sd = x_tr.mean(axis=0), x_tr.std(axis=0)
        sd[sd == 0] = 1.0
        x_tr, x_va, x_te = ((a - mu) / sd for a in (x_tr, x_va, x_te))
    f32 = lambda a: a.astype(np.float32)  # noqa: E731
    return Dataset(name, f32(x_tr), y_tr, f32(x_va), y_va, f32(x_te), y_te, task=task, n_classes=n_classes,
                   image_shape=image_shape)


def digits(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits (1,797 images, 10 classes), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _split("digits", d.data / 16.0, d.target.astype(np.int64), "multiclass", 10, test_size, val_size,
                  split_seed, image_shape=(8, 8), standardize=False)
