"""IDX reader on good, truncated and corrupt files; the shipped MNIST files; dataset splits."""
import gzip
import hashlib

import numpy as np
import pytest

from framework import DataError, holdout, registry
from plugins.datasets.idx import parse_idx, read_idx


def idx_bytes(arr):
    arr = np.asarray(arr, dtype=np.uint8)
    return bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, ">u4").tobytes() + arr.tobytes()


@pytest.fixture
def images():
    return np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


def test_good_file_plain_and_gzip(tmp_path, images):
    raw = idx_bytes(images)
    (tmp_path / "a.idx").write_bytes(raw)
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "a.idx"), images)
    got = read_idx(tmp_path / "a.idx.gz", md5=hashlib.md5(raw).hexdigest())
    assert np.array_equal(got, images) and got.dtype == np.uint8


def test_big_endian_types():
    vals = np.array([1, -2, 70000], ">i4")
    raw = bytes([0, 0, 0x0C, 1]) + np.array([3], ">u4").tobytes() + vals.tobytes()
    assert parse_idx(raw).tolist() == [1, -2, 70000]


def test_truncated(tmp_path, images):
    raw = idx_bytes(images)[:-5]
    (tmp_path / "t.gz").write_bytes(gzip.compress(raw))
    with pytest.raises(DataError, match=r"t\.gz: IDX file truncated: 35 bytes, expected 40 for shape \(2, 3, 4\)"):
        read_idx(tmp_path / "t.gz")
    with pytest.raises(DataError, match="truncated IDX header"):
        parse_idx(idx_bytes(images)[:9], "h")


def test_truncated_gzip(tmp_path, images):
    (tmp_path / "t.gz").write_bytes(gzip.compress(idx_bytes(images))[:-10])
    with pytest.raises(DataError, match=r"t\.gz: corrupt gzip data"):
        read_idx(tmp_path / "t.gz")


def test_corrupt(tmp_path, images):
    raw = bytearray(idx_bytes(images))
    raw[2] = 0x42
    (tmp_path / "c").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="c: not an IDX file"):
        read_idx(tmp_path / "c")
    (tmp_path / "long").write_bytes(idx_bytes(images) + b"xx")
    with pytest.raises(DataError, match="trailing bytes"):
        read_idx(tmp_path / "long")
    gz = bytearray(gzip.compress(idx_bytes(images)))
    gz[12] ^= 0xFF
    (tmp_path / "bad.gz").write_bytes(bytes(gz))
    with pytest.raises(DataError, match="corrupt gzip"):
        read_idx(tmp_path / "bad.gz")


def test_checksum_mismatch(tmp_path, images):
    (tmp_path / "a").write_bytes(idx_bytes(images))
    with pytest.raises(DataError, match=r"a: checksum mismatch: MD5 .* expected 0+"):
        read_idx(tmp_path / "a", md5="0" * 32)


def test_missing(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope")


def test_mnist_shipped_files():
    data = registry.get("datasets", "mnist")()
    assert data.x_train.shape == (55000, 784) and data.x_val.shape == (5000, 784)
    assert data.x_test.shape == (10000, 784) and data.x_train.dtype == np.float32
    assert data.image_shape == (28, 28) and data.n_outputs == 10
    assert 0.0 == data.x_train.min() and data.x_train.max() == 1.0
    counts = np.bincount(np.concatenate([data.y_train, data.y_val]))
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_holdout_is_seeded_and_disjoint():
    x = np.arange(100)[:, None]
    a = holdout(x, x[:, 0], 10, seed=1)
    b = holdout(x, x[:, 0], 10, seed=1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert len(a[0]) == 90 and not set(a[1]) & set(a[3])
    assert len(holdout(x, x[:, 0], 0.25)[2]) == 25
    with pytest.raises(ValueError, match="val_size"):
        holdout(x, x[:, 0], 100)


def test_digits():
    d = registry.get("datasets", "digits")()
    assert d.n_features == 64 and d.image_shape == (8, 8) and d.n_outputs == 10
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 1797
