"""Sequence datasets: a text file at the character level (a language model's data), MNIST read row by row, and
generated sums ("123+45" -> "168", the Keras and deep-learning-from-scratch-2 toy task)."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from framework import Dataset
from framework.data import DataError


def _windows(ids: np.ndarray, block: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): windows of `block` ids starting every `stride` ids, and the same windows one id later (the next
    character at every position); read-only strided views of ids, no copy."""
    n = (len(ids) - 1 - block) // stride + 1
    if n < 1:
        return np.zeros((0, block), ids.dtype), np.zeros((0, block), ids.dtype)
    s = ids.strides[0]
    view = lambda a: np.lib.stride_tricks.as_strided(a, (n, block), (s * stride, s), writeable=False)
    return view(ids), view(ids[1:])


def text(path: str, block_size: int = 64, steps_per_epoch: int = 500, split: str = "end",
         val_fraction: float = 0.05, test_fraction: float = 0.05, encoding: str = "utf-8") -> Dataset:
    """A text file as characters: x a window of `block_size` character ids, y the next character at every
    position. The vocabulary (the file's characters, sorted) travels with the run as its class names. Training
    windows start anywhere in the training text and an epoch draws `steps_per_epoch` batches of them at random,
    as nanoGPT samples; validation and test are the non-overlapping windows of held-out text at the end of the
    file. `split`: "end" (train, then `val_fraction`, then `test_fraction` of the file) or "nanogpt" (its split:
    the first 90 % train, the last 10 % validation, no test split)."""
    if split not in ("end", "nanogpt"):
        raise ValueError(f"split: expected 'end' or 'nanogpt', got {split!r}")
    for key, v in (("block_size", block_size), ("steps_per_epoch", steps_per_epoch)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{key}: expected a positive integer, got {v!r}")
    for key, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 0.5:
            raise ValueError(f"{key}: expected a fraction in (0, 0.5), got {v!r}")
    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
        content = raw.decode(encoding)
    except FileNotFoundError:
        raise DataError(f"{p}: no such file (dataset 'text' needs a text file)") from None
    except IsADirectoryError:
        raise DataError(f"{p}: is a folder, expected a text file") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{p}: not {encoding} text (byte {e.start}); set dataset.encoding") from None
    except LookupError:
        raise ValueError(f"encoding: unknown text encoding {encoding!r}") from None
    codes = np.frombuffer(content.encode("utf-32-le"), np.uint32)
    vocab, ids = np.unique(codes, return_inverse=True)
    ids = ids.astype(np.uint8 if len(vocab) <= 256 else np.int32)
    n = len(ids)
    cut = [int(n * 0.9), n] if split == "nanogpt" else \
        [int(n * (1 - val_fraction - test_fraction)), int(n * (1 - test_fraction))]
    parts = np.split(ids, cut)  # train, validation, test (empty with "nanogpt")
    if min(len(parts[0]), len(parts[1])) < block_size + 1 or (split == "end" and len(parts[2]) < block_size + 1):
        raise DataError(f"{p}: {n:,} characters are too few for block_size {block_size} (each split needs "
                        f"{block_size + 1} or more)")
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = (_windows(parts[0], block_size, 1),
                                                *(_windows(q, block_size, block_size) for q in parts[1:]))
    data = Dataset("text", x_tr, y_tr, x_va, y_va, x_te, y_te, task="multiclass", n_classes=len(vocab),
                   class_names=tuple(chr(c) for c in vocab), tokens=len(vocab), shape=(block_size,),
                   steps_per_epoch=steps_per_epoch)
    h = hashlib.sha256(raw)  # the membership: the file and the split (hashing a million windows would be slow)
    h.update(f"{split}:{block_size}:{val_fraction}:{test_fraction}".encode())
    data._fingerprint = h.hexdigest()[:16]
    return data


def mnist_rows(val_size: int | float = 5000, split_seed: int = 0) -> Dataset:
    """MNIST as sequences: each image 28 steps of 28 pixels (its rows, top to bottom), for recurrent layers."""
    from .mnist import mnist

    return replace(mnist(val_size, split_seed), name="mnist_rows", image_shape=None, shape=(28, 28))


ADDITION_VOCAB = "0123456789+ "


def addition(n: int = 50000, digits: int = 3, reverse: bool = False, val_fraction: float = 0.1,
             test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """Sums to learn as text: x "123+45 " (two numbers of up to `digits` digits, padded with spaces to
    2·digits + 1 characters; reversed with `reverse`, as Keras' example may), y "168 " (the sum, padded to digits +
    1). Every pair is distinct and drawn with `seed`; ids index ADDITION_VOCAB, the run's class names."""
    for key, v in (("n", n), ("digits", digits)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{key}: expected a positive integer, got {v!r}")
    if n > (10 ** digits) ** 2 // 2:
        raise ValueError(f"n: {n} distinct sums of {digits}-digit numbers are too many (at most "
                         f"{(10 ** digits) ** 2 // 2:,})")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    pairs = set()
    while len(pairs) < n:  # operands of 1..digits digits, as Keras' example draws them
        lengths = rng.integers(1, digits + 1, (2 * n, 2))
        values = (rng.random((2 * n, 2)) * 10.0 ** lengths).astype(np.int64)
        for a, b in values:
            pairs.add((int(a), int(b)))
            if len(pairs) == n:
                break
    pairs = sorted(pairs)
    order = rng.permutation(n)
    index = {c: i for i, c in enumerate(ADDITION_VOCAB)}
    width = 2 * digits + 1
    q = [f"{pairs[i][0]}+{pairs[i][1]}".ljust(width) for i in order]
    a = [str(pairs[i][0] + pairs[i][1]).ljust(digits + 1) for i in order]
    x = np.array([[index[c] for c in (s[::-1] if reverse else s)] for s in q], np.uint8)
    y = np.array([[index[c] for c in s] for s in a], np.int64)
    n_te, n_va = round(test_fraction * n), round(val_fraction * n)
    cut = [n - n_te - n_va, n - n_te]
    (x_tr, x_va, x_te), (y_tr, y_va, y_te) = np.split(x, cut), np.split(y, cut)
    return Dataset("addition", x_tr, y_tr, x_va, y_va, x_te, y_te, task="multiclass", n_classes=len(ADDITION_VOCAB),
                   class_names=tuple(ADDITION_VOCAB), tokens=len(ADDITION_VOCAB), shape=(width,))
