"""Small datasets that scikit-learn ships (offline), with seeded train/validation/test splits."""
from __future__ import annotations

import numpy as np

from framework import Dataset, holdout


def _split(name, x, y, task, n_classes, test_size, val_size, split_seed, image_shape=None, standardize=True,
           class_names=None):
    """Hold out test then validation with fixed seeds; standardise features on the training split only."""
    x_rest, y_rest, x_te, y_te = holdout(x, y, test_size, split_seed, key="test_size")
    x_tr, y_tr, x_va, y_va = holdout(x_rest, y_rest, val_size, split_seed + 1)
    mu, sd = 0.0, 1.0
    if standardize:
        mu, sd = x_tr.mean(axis=0), x_tr.std(axis=0)
        sd[sd == 0] = 1.0
        x_tr, x_va, x_te = ((a - mu) / sd for a in (x_tr, x_va, x_te))
    f32 = lambda a: a.astype(np.float32)
    return Dataset(name, f32(x_tr), y_tr, f32(x_va), y_va, f32(x_te), y_te, task=task, n_classes=n_classes,
                   image_shape=image_shape, class_names=None if class_names is None else tuple(map(str, class_names)),
                   input_center=mu, input_scale=sd)


def digits(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits (1,797 images, 10 classes), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    data = _split("digits", d.data / 16.0, d.target.astype(np.int64), "multiclass", 10, test_size, val_size,
                  split_seed, image_shape=(8, 8), standardize=False)
    data.input_scale = 16.0  # raw pixels are 0..16
    return data


def breast_cancer(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """Wisconsin breast cancer (569 tumours, 30 features): binary, malignant (0) or benign (1)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return _split("breast_cancer", d.data, d.target.astype(np.float32), "binary", 2, test_size, val_size,
                  split_seed, class_names=d.target_names)


def diabetes(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """Diabetes progression (442 patients, 10 features): regression. The target is standardised with the
    training split's mean and standard deviation, so RMSE is in standard deviations (R^2 is unchanged)."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    data = _split("diabetes", d.data, d.target.astype(np.float64), "regression", None, test_size, val_size,
                  split_seed)
    mu, sd = data.y_train.mean(), data.y_train.std()
    for s in ("train", "val", "test"):
        setattr(data, f"y_{s}", ((getattr(data, f"y_{s}") - mu) / sd).astype(np.float32))
    data.target_center, data.target_scale = float(mu), float(sd)
    return data


def iris(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """Fisher's iris (150 flowers, 4 features, 3 classes)."""
    from sklearn.datasets import load_iris

    d = load_iris()
    return _split("iris", d.data, d.target.astype(np.int64), "multiclass", 3, test_size, val_size, split_seed,
                  class_names=d.target_names)


def wine(test_size: float = 0.2, val_size: float = 0.1, split_seed: int = 0) -> Dataset:
    """Wine recognition (178 wines, 13 chemical features, 3 cultivars)."""
    from sklearn.datasets import load_wine

    d = load_wine()
    return _split("wine", d.data, d.target.astype(np.int64), "multiclass", 3, test_size, val_size, split_seed,
                  class_names=d.target_names)
