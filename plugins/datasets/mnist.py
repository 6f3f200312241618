"""MNIST (LeCun, Cortes, Burges): the original IDX files ship inside this package, checked by MD5."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from framework import Dataset, holdout

from .idx import read_idx

DATA = Path(__file__).parent / "data" / "mnist"
# MD5 of each decompressed file, as published with the originals.
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"),
}


def load_idx_set(folder: Path, files: dict, name: str, val_size: int | float, split_seed: int) -> Dataset:
    """Images scaled to [0, 1] and flattened to (N, H*W) float32; labels int64; seeded validation holdout."""
    arr = {key: read_idx(folder / fname, md5) for key, (fname, md5) in files.items()}
    h, w = arr["train_images"].shape[1:]

    def flat(images):
        return (images.reshape(len(images), -1) / np.float32(255)).astype(np.float32, copy=False)

    x_tr, y_tr, x_va, y_va = holdout(flat(arr["train_images"]), arr["train_labels"].astype(np.int64),
                                     val_size, split_seed)
    return Dataset(name, x_tr, y_tr, x_va, y_va, flat(arr["test_images"]), arr["test_labels"].astype(np.int64),
                   task="multiclass", n_classes=10, image_shape=(h, w), input_center=0.0, input_scale=255.0)


def mnist(val_size: int | float = 5000, split_seed: int = 0) -> Dataset:
    """60,000 training images (less `val_size` held out for validation) and 10,000 test images, 28x28."""
    return load_idx_set(DATA, FILES, "mnist", val_size, split_seed)
