"""`arrays`: a NumPy .npz of `x_train`, `y_train` and optionally `x_val`, `y_val`, `x_test`, `y_test` (and
`class_names`), read without pickle. Rows are examples: (N, features), (N, H, W) greyscale images, or 4-D colour
images whose `layout` ("nhwc" or "nchw") the recipe states."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from framework import DataError, Dataset
from framework.data import check_fractions, split_rule

SPLITS = ("train", "val", "test")


def arrays(path: str, layout: str | None = None, task: str | None = None, val_fraction: float = 0.1,
           test_fraction: float = 0.2, split_seed: int = 0) -> Dataset:
    """The arrays at `path`. Splits it lacks are drawn from the training arrays by the split rule (stratified,
    `split_seed`); `task` ("classification" or "regression") defaults to classification for integer labels.
    uint8 features are raw pixels 0..255, kept as uint8 (a batch at a time becomes x / 255); other features are
    taken as they are."""
    if layout not in (None, "nhwc", "nchw"):
        raise ValueError(f"layout: expected 'nhwc' or 'nchw', got {layout!r}")
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task: expected 'classification' or 'regression', got {task!r}")
    check_fractions(val_fraction=val_fraction, test_fraction=test_fraction)
    try:
        with np.load(Path(path), allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a NumPy .npz without objects ({e})") from None
    for k in ("x_train", "y_train"):
        if k not in a:
            raise DataError(f"{path}: no array {k!r}; found {', '.join(sorted(a)) or 'none'}")
    for s in SPLITS:
        if (f"x_{s}" in a) != (f"y_{s}" in a):
            raise DataError(f"{path}: x_{s} without y_{s} (or the other way round)")
        if f"x_{s}" in a and len(a[f"x_{s}"]) != len(a[f"y_{s}"]):
            raise DataError(f"{path}: x_{s} has {len(a[f'x_{s}'])} rows, y_{s} {len(a[f'y_{s}'])}")
    x0 = a["x_train"]
    if x0.dtype.kind not in "biuf" or a["y_train"].dtype.kind not in "biuf":
        raise DataError(f"{path}: x_train and y_train must hold numbers, got {x0.dtype} and {a['y_train'].dtype}")
    if x0.ndim == 4 and layout is None:
        raise ValueError(f"layout: {path} holds 4-D images {x0.shape}: say 'nhwc' (channels last) or 'nchw'")
    if x0.ndim not in (2, 3, 4):
        raise DataError(f"{path}: x_train of shape {x0.shape}; expected (N, features), (N, H, W) or 4-D images")

    def rows(x):
        if x.shape[1:] != x0.shape[1:]:
            raise DataError(f"{path}: arrays of per-example shapes {x0.shape[1:]} and {x.shape[1:]}")
        if x.ndim == 4 and layout == "nhwc":
            x = x.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(x.reshape(len(x), -1))

    parts = {s: (rows(a[f"x_{s}"]), a[f"y_{s}"]) for s in SPLITS if f"x_{s}" in a}
    y_all = np.concatenate([parts[s][1] for s in parts])
    classify = task == "classification" or (task is None and y_all.dtype.kind in "biu")
    x_all = np.concatenate([parts[s][0] for s in parts])
    which = np.concatenate([np.full(len(parts[s][1]), i) for i, s in enumerate(parts)])
    names = list(parts)
    if classify:
        classes = np.unique(y_all)
        y_all = np.searchsorted(classes, y_all).astype(np.int64)
    if "val" in parts and "test" in parts:
        idx = {s: np.flatnonzero(which == names.index(s)) for s in SPLITS}
    else:
        strat = y_all if classify else np.zeros(len(y_all), np.int64)
        marked = which == names.index("test") if "test" in parts else None
        idx = split_rule(strat, marked, val_fraction, test_fraction, split_seed)
        if "val" in parts:  # given val, drawn test: keep the given validation rows
            idx = {"train": np.flatnonzero(which == 0), "val": np.flatnonzero(which == names.index("val")),
                   "test": idx["test"]}
    shape = x0.shape[1:]
    image_shape = None
    if x0.ndim == 3:
        image_shape = shape
    elif x0.ndim == 4:
        c, h, w = (shape[2], shape[0], shape[1]) if layout == "nhwc" else shape
        image_shape = (h, w) if c == 1 else (c, h, w)
    raw = x_all.dtype == np.uint8
    x_all = x_all if raw else x_all.astype(np.float32)
    out = dict(image_shape=image_shape, input_center=0.0, input_scale=255.0 if raw else 1.0)
    if classify:
        n = len(classes)
        given = [str(v) for v in a["class_names"]] if "class_names" in a else [str(v) for v in classes]
        if len(given) != n:
            raise DataError(f"{path}: class_names has {len(given)} names for {n} classes")
        out.update(task="binary" if n == 2 else "multiclass", n_classes=n if n > 2 else None, class_names=tuple(given))
    else:
        y_all = y_all.astype(np.float32)
        out.update(task="regression")
    return Dataset(Path(path).stem, *(v for s in SPLITS for v in (x_all[idx[s]], y_all[idx[s]])), **out)
