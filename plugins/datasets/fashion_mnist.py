"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 70,000 28x28 greyscale images of 10 kinds of clothing.

Looked up in order: an explicit `path` (used alone when given), $FRAMEWORK_DATA/fashion-mnist, the user
cache ($XDG_CACHE_HOME or ~/.cache)/npframe/fashion-mnist, and /usr/share/datasets/fashion-mnist (Debian's
dataset-fashion-mnist package); otherwise downloaded from the official source into the cache.
"""
from __future__ import annotations

import os
from pathlib import Path

from framework import DataError, Dataset

from .idx import fetch_idx_files
from .mnist import load_idx_set

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
# MD5 of each decompressed file (the published .gz checksums vary with the compressor; the content does not).
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "9018921c3c673c538a1fc5bad174d6f9"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8181f5470baa50b63fa0f6fddb340f0a"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "15d484375f8d13e6eb1aabb0c3f46965"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "npframe" / "fashion-mnist"


def candidates() -> list[Path]:
    out = []
    if os.environ.get("FRAMEWORK_DATA"):
        out.append(Path(os.environ["FRAMEWORK_DATA"]) / "fashion-mnist")
    return [*out, cache_dir(), SYSTEM_DIR]


def _complete(folder: Path) -> bool:
    return all((folder / fname).is_file() for fname, _ in FILES.values())


def locate(path: str | None = None, download: bool = True, base_url: str = BASE_URL) -> Path:
    """The folder holding the four files, downloading them into the cache if no location has them."""
    if path is not None:
        if not _complete(Path(path)):
            missing = [f for f, _ in FILES.values() if not (Path(path) / f).is_file()]
            raise DataError(f"dataset.path {path}: missing Fashion-MNIST files: {', '.join(missing)}")
        return Path(path)
    tried = candidates()
    for folder in tried:
        if _complete(folder):
            return folder
    how = ("get it with `apt-get install dataset-fashion-mnist` (Debian), or put the four files from "
           "https://github.com/zalandoresearch/fashion-mnist into one of: " + ", ".join(map(str, tried)) +
           " (or give dataset.path)")
    if not download:
        raise DataError(f"Fashion-MNIST not found and download=False; {how}")
    try:
        fetch_idx_files(FILES, cache_dir(), base_url)
    except DataError as e:
        raise DataError(f"Fashion-MNIST not found locally and the download failed ({e}); {how}") from None
    return cache_dir()


def fashion_mnist(path: str | None = None, val_size: int | float = 5000, split_seed: int = 0, download: bool = True,
                  base_url: str = BASE_URL) -> Dataset:
    """60,000 training images (less `val_size` for validation) and 10,000 test images, checked by MD5."""
    data = load_idx_set(locate(path, download, base_url), FILES, "fashion_mnist", val_size, split_seed)
    data.class_names = CLASSES
    return data
