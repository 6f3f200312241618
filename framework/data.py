"""Datasets as plain arrays, the seeded validation split, and a checked IDX reader (MNIST's file format)."""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass

import numpy as np


@dataclass
class Dataset:
    """Train/val/test arrays. x is (N, features) float32; `image_shape` is (H, W) for image data, else None.

    `task` is "multiclass" (y: int labels 0..n_classes-1), "binary" (y: 0/1) or "regression" (y: float).
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

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        if self.task == "multiclass":
            return int(self.n_classes)
        return 1 if self.y_train.ndim == 1 else self.y_train.shape[1]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def limit(self, n: int) -> "Dataset":
        """Keep at most n examples of each split (for quick runs and tests)."""
        cut = {f"{a}_{s}": getattr(self, f"{a}_{s}")[:n] for a in "xy" for s in ("train", "val", "test")}
        return Dataset(self.name, task=self.task, n_classes=self.n_classes, image_shape=self.image_shape, **cut)

    def astype(self, dtype) -> "Dataset":
        """Features cast to dtype (no copy when already so); regression targets too."""
        cast = {f"x_{s}": getattr(self, f"x_{s}").astype(dtype, copy=False) for s in ("train", "val", "test")}
        for s in ("train", "val", "test"):
            y = getattr(self, f"y_{s}")
            cast[f"y_{s}"] = y.astype(dtype, copy=False) if self.task != "multiclass" else y
        return Dataset(self.name, task=self.task, n_classes=self.n_classes, image_shape=self.image_shape, **cast)


def holdout(x: np.ndarray, y: np.ndarray, val_size: int | float, seed: int = 0):
    """Split (x, y) into train and validation with a fixed seeded permutation.

    `val_size` is a count, or a fraction when < 1. Returns x_train, y_train, x_val, y_val.
    """
    n = len(x)
    n_val = int(round(val_size * n)) if 0 < val_size < 1 else int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size: expected a count in 1..{n - 1} or a fraction in (0, 1), got {val_size!r}")
    perm = np.random.default_rng(seed).permutation(n)
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
    return x[tr], y[tr], x[va], y[va]


class DataError(Exception):
    """A data file is missing, truncated, corrupt, or not the file expected."""


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes: magic (0, 0, dtype code, ndim), ndim big-endian uint32 sizes, then the data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(f"{source}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{source}: truncated IDX header ({len(raw)} bytes, expected at least {head})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = head + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataError(f"{source}: IDX file {what}: {len(raw)} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(raw, dtype, offset=head).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike, md5: str | None = None) -> np.ndarray:
    """Read a (optionally gzip-compressed) IDX file; verify the MD5 of its decompressed bytes if given."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path}: corrupt gzip data ({type(e).__name__}: {e})") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if md5 is not None:
        got = hashlib.md5(raw).hexdigest()
        if got != md5:
            raise DataError(f"{path}: checksum mismatch: MD5 of the decompressed data is {got}, expected {md5}")
    return parse_idx(raw, path)
