"""Datasets as plain arrays, and the seeded validation split."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass
class Dataset:
    """Train/val/test arrays. x is (N, features) float32; `image_shape` is (H, W) for image data, else None.

    `task` is "multiclass" (y: int labels 0..n_classes-1), "binary" (y: 0/1) or "regression" (y: float).
    `class_names`, where known, names the classes in label order (a text's characters). For sequences y may be
    (N, T), a label per position; `tokens`, `shape` and `steps_per_epoch` describe text and sequence data. How raw
    inputs became x, so a trained model can take raw inputs: x = (raw - input_center) / input_scale (per feature,
    or one number); for regression, y = (raw target - target_center) / target_scale. None means unchanged.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str = "multiclass"
    n_classes: int | None = None
    image_shape: tuple[int, int] | None = None
    class_names: tuple[str, ...] | None = None
    input_center: np.ndarray | float | None = None
    input_scale: np.ndarray | float | None = None
    target_center: float | None = None
    target_scale: float | None = None
    columns: dict | None = None  # a table's encoding (framework.tables): predict reads its columns by name
    tokens: int | None = None  # x holds integer token ids below this vocabulary size (text): never scaled
    shape: tuple[int, ...] | None = None  # each row's shape for the network when not (features,) or an image's
    steps_per_epoch: int | None = None  # an epoch is this many batches drawn at random (nanoGPT's sampling)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """What the network takes per example: (channels, H, W) for images (one channel for (H, W) images), else
        (features,). x stays (N, features) rows; a model reshapes them (a view)."""
        if self.shape is not None:
            return tuple(self.shape)
        if self.image_shape is None:
            return (self.n_features,)
        return (1, *self.image_shape) if len(self.image_shape) == 2 else tuple(self.image_shape)

    @property
    def n_outputs(self) -> int:
        if self.task == "multiclass":
            return int(self.n_classes)
        return 1 if self.y_train.ndim == 1 else self.y_train.shape[1]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def limit(self, n: int) -> Dataset:
        """Keep at most n examples of each split (for quick runs and tests)."""
        splits = [f"{a}_{s}" for a in "xy" for s in ("train", "val", "test")]
        return replace(self, **{k: getattr(self, k)[:n] for k in splits})

    @property
    def raw(self) -> bool:
        """Features stored as raw integers (uint8 pixels): `inputs` makes each batch's network input, so a large
        image set stays a quarter of its float32 size in memory."""
        return self.x_train.dtype.kind in "iu" and not self.tokens

    def inputs(self, x: np.ndarray, dtype=np.float32) -> np.ndarray:
        """The network's input for rows of x: as they are for float features; for raw integer features,
        (x - input_center) / input_scale in `dtype`, one batch at a time."""
        if x.dtype.kind not in "iu" or self.tokens:
            return x
        out = x.astype(dtype)
        if self.input_center is not None:
            out -= np.asarray(self.input_center, dtype)
        if self.input_scale is not None:
            out *= np.asarray(1.0 / np.asarray(self.input_scale, np.float64), dtype)
        return out

    def astype(self, dtype) -> Dataset:
        """Float features cast to dtype (no copy when already so; raw integer features are kept as they are, see
        `inputs`); regression targets too."""
        keep = self.raw or self.tokens
        cast = {f"x_{s}": getattr(self, f"x_{s}") if keep else getattr(self, f"x_{s}").astype(dtype, copy=False)
                for s in ("train", "val", "test")}
        for s in ("train", "val", "test"):
            y = getattr(self, f"y_{s}")
            cast[f"y_{s}"] = y.astype(dtype, copy=False) if self.task != "multiclass" else y
        return replace(self, **cast)


def holdout(x: np.ndarray, y: np.ndarray, val_size: int | float, seed: int = 0, key: str = "val_size"):
    """Split (x, y) into train and held-out parts with a fixed seeded permutation.

    `val_size` is a fraction in (0, 1) (a float) or a count (an int), as scikit-learn's train_test_split;
    errors name `key`. Returns x_train, y_train, x_val, y_val.
    """
    n = len(x)
    expected = f"a fraction in (0, 1) or a whole count in 1..{n - 1}"
    if isinstance(val_size, (float, np.floating)):
        if not 0 < val_size < 1:
            raise ValueError(f"{key}: expected {expected}, got {val_size!r} (a float is read as a fraction)")
        n_val = round(float(val_size) * n)
    elif isinstance(val_size, (int, np.integer)) and not isinstance(val_size, bool):
        n_val = int(val_size)
    else:
        raise ValueError(f"{key}: expected {expected}, got {val_size!r}")
    if not 0 < n_val < n:
        raise ValueError(f"{key}: expected {expected}, got {val_size!r} ({n_val} of {n} examples)")
    perm = np.random.default_rng(seed).permutation(n)
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
    return x[tr], y[tr], x[va], y[va]


def _plain(v):
    return None if v is None else np.asarray(v, np.float64).tolist()


def describe(data: Dataset) -> dict:
    """What a trained model needs to know of its dataset, as JSON: preprocessing.json, and what `build_model`
    builds a network for."""
    return {"dataset": data.name, "task": data.task, "n_features": data.n_features, "n_outputs": data.n_outputs,
            "input_shape": list(data.input_shape), "image_shape": list(data.image_shape) if data.image_shape else None,
            "class_names": list(data.class_names) if data.class_names else None,
            "input_center": _plain(data.input_center), "input_scale": _plain(data.input_scale),
            "target_center": data.target_center, "target_scale": data.target_scale, "columns": data.columns,
            "tokens": data.tokens, "target_shape": list(data.y_train.shape[1:]) if data.task == "multiclass" else [],
            "fingerprint": fingerprint(data)}


def stratified(y: np.ndarray, candidates: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A `fraction` of `candidates` (indices into y) drawn from each class in proportion (at least one of a class
    with two or more), sorted."""
    out = []
    for c in np.unique(y[candidates]):
        members = candidates[y[candidates] == c]
        k = min(max(round(fraction * len(members)), 1), len(members) - 1) if len(members) > 1 else 0
        out.append(rng.permutation(members)[:k])
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def check_fractions(**fractions: float) -> None:
    """ValueError naming the first of the split rule's keyword fractions that is not in (0, 1)."""
    for key, v in fractions.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ValueError(f"{key}: expected a fraction in (0, 1), got {v!r}")


def split_rule(y: np.ndarray, is_test: np.ndarray | None, val_fraction: float, test_fraction: float,
               seed: int = 0) -> dict[str, np.ndarray]:
    """The one split rule of the file datasets: {"train", "val", "test"} indices into y, each in a seeded random
    order (files are listed class by class; `dataset.limit` then keeps a sample of every class). The test set is
    the examples `is_test` marks (a test/ folder, a test file) or, when none is marked, a stratified
    `test_fraction` of all; validation is a stratified `val_fraction` of the rest. Both are drawn with `seed`, a
    dataset parameter that the run's seed never changes, so every run of a comparison sees the same examples."""
    n = len(y)
    marked = np.zeros(n, bool) if is_test is None else np.asarray(is_test, bool)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20261207]))
    test = np.flatnonzero(marked) if marked.any() else stratified(y, np.arange(n), test_fraction, rng)
    rest = np.setdiff1d(np.arange(n), test)
    val = stratified(y, rest, val_fraction, rng)
    out = {"train": np.setdiff1d(rest, val), "val": val, "test": test}
    return {k: rng.permutation(v) for k, v in out.items()}  # shuffled once: `limit` keeps a sample of every class


def fingerprint(data: Dataset) -> str:
    """A short digest of what each split holds (its labels and features): runs whose datasets differ in membership
    or content have different fingerprints."""
    import hashlib

    if getattr(data, "_fingerprint", None):
        return data._fingerprint
    h = hashlib.sha256()
    for s in ("train", "val", "test"):
        x, y = data.split(s)
        h.update(f"{s}:{x.shape}:{x.dtype}".encode())
        h.update(np.ascontiguousarray(y).tobytes())
        h.update(hashlib.sha256(np.ascontiguousarray(x).tobytes()).digest())
    data._fingerprint = h.hexdigest()[:16]  # the arrays of a Dataset are not changed in place
    return data._fingerprint


def resize_image(img: np.ndarray, size: tuple[int, int], rule: str) -> np.ndarray:
    """An (H, W, C) uint8 image brought to `size` (h, w) by `rule`: stretch, crop (shorter side to size, then the
    centre), or pad (longer side to size, then zeros around): image_folder's rules, which predict applies again to a
    run's inputs. Needs Pillow."""
    from PIL import Image

    h, w = size
    if img.shape[:2] == (h, w):
        return img
    pil = Image.fromarray(img[..., 0] if img.shape[2] == 1 else img)
    if rule == "stretch":
        out = pil.resize((w, h), Image.BILINEAR)
    else:
        k = (max if rule == "crop" else min)(w / pil.width, h / pil.height)
        pil = pil.resize((max(1, round(pil.width * k)), max(1, round(pil.height * k))), Image.BILINEAR)
        canvas = Image.new(pil.mode, (w, h))
        canvas.paste(pil, ((w - pil.width) // 2, (h - pil.height) // 2))
        out = canvas
    a = np.asarray(out)
    return a[..., None] if a.ndim == 2 else a


class DataError(Exception):
    """A data file is missing, truncated, corrupt, or not the file expected."""
