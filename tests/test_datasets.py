"""Datasets: Fashion-MNIST lookup order and download (against a local HTTP server), scikit-learn sets."""
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from framework import DataError, registry
from plugins.datasets import fashion_mnist as fm


def idx(arr):
    arr = np.asarray(arr, np.uint8)
    return bytes([0, 0, 8, arr.ndim]) + np.array(arr.shape, ">u4").tobytes() + arr.tobytes()


@pytest.fixture
def fake_fashion(tmp_path, monkeypatch):
    """Small fake Fashion-MNIST files and their checksums in place of the real table; no system copy."""
    r = np.random.default_rng(0)
    raw = {"train_images": idx(r.integers(0, 256, (30, 4, 4))), "train_labels": idx(np.arange(30) % 10),
           "test_images": idx(r.integers(0, 256, (10, 4, 4))), "test_labels": idx(np.arange(10))}
    files = {k: (fname, hashlib.md5(raw[k]).hexdigest()) for k, (fname, _) in fm.FILES.items()}
    src = tmp_path / "served"
    src.mkdir()
    for k, (fname, _) in files.items():
        (src / fname).write_bytes(gzip.compress(raw[k]))
    monkeypatch.setattr(fm, "FILES", files)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "no-system-copy")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FRAMEWORK_DATA", raising=False)
    return src


@pytest.fixture
def server(fake_fashion):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(fake_fashion))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", fake_fashion
    httpd.shutdown()
    httpd.server_close()


def test_download_good_files_into_cache(server):
    url, _ = server
    data = fm.fashion_mnist(base_url=url, val_size=5)
    assert data.x_train.shape == (25, 16) and data.image_shape == (4, 4) and len(data.x_test) == 10
    cached = sorted(p.name for p in fm.cache_dir().iterdir())
    assert cached == sorted(f for f, _ in fm.FILES.values())  # no temporary files left
    again = fm.fashion_mnist(base_url="http://127.0.0.1:9", val_size=5)  # found in the cache now
    assert np.array_equal(again.x_test, data.x_test)


def test_download_wrong_checksum_leaves_nothing(server):
    url, src = server
    fname = fm.FILES["test_images"][0]
    (src / fname).write_bytes(gzip.compress(idx(np.zeros((10, 4, 4)))))
    with pytest.raises(DataError) as e:
        fm.fashion_mnist(base_url=url)
    msg = str(e.value)
    assert f"{url}/{fname}: downloaded file rejected: checksum mismatch" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert not (fm.cache_dir() / fname).exists()
    assert not [p for p in fm.cache_dir().iterdir() if p.name.startswith(".")]


def test_connection_refused(fake_fashion):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    with pytest.raises(DataError, match=rf"127.0.0.1:{port}/.*download failed.*refused.*dataset.path"):
        fm.fashion_mnist(base_url=f"http://127.0.0.1:{port}")


def test_lookup_order(fake_fashion, tmp_path, monkeypatch):
    def place(folder, label_offset):
        folder.mkdir(parents=True)
        for fname, _ in fm.FILES.values():
            (folder / fname).write_bytes((fake_fashion / fname).read_bytes())
        return folder

    system = place(tmp_path / "system", 0)
    monkeypatch.setattr(fm, "SYSTEM_DIR", system)
    assert fm.locate(download=False) == system
    cache = place(fm.cache_dir(), 0)
    assert fm.locate(download=False) == cache
    monkeypatch.setenv("FRAMEWORK_DATA", str(tmp_path / "fd"))
    env = place(tmp_path / "fd" / "fashion-mnist", 0)
    assert fm.locate(download=False) == env
    explicit = place(tmp_path / "explicit", 0)
    assert fm.locate(str(explicit)) == explicit
    with pytest.raises(DataError, match=r"dataset.path .*nowhere: missing Fashion-MNIST files"):
        fm.locate(str(tmp_path / "nowhere"))


def test_not_found_without_download(fake_fashion):
    with pytest.raises(DataError, match="not found and download=False; get it with `apt-get install"):
        fm.fashion_mnist(download=False)


@pytest.mark.skipif(not fm.SYSTEM_DIR.is_dir() and not os.environ.get("CI"),
                    reason="needs Debian's dataset-fashion-mnist; .ci/run installs it, and in CI this never skips")
def test_real_fashion_mnist_from_debian_package(monkeypatch):
    monkeypatch.delenv("FRAMEWORK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent")
    d = fm.fashion_mnist(download=False)
    assert d.x_train.shape == (55000, 784) and np.bincount(d.y_test).tolist() == [1000] * 10


@pytest.mark.parametrize("name,task,n_out,n_total", [("breast_cancer", "binary", 1, 569),
                                                    ("diabetes", "regression", 1, 442),
                                                    ("iris", "multiclass", 3, 150), ("wine", "multiclass", 3, 178)])
def test_sklearn_sets(name, task, n_out, n_total):
    d = registry.get("datasets", name)()
    assert d.task == task and d.n_outputs == n_out and d.image_shape is None
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == n_total
    assert np.allclose(d.x_train.mean(axis=0), 0, atol=1e-5)  # standardised on the training split only
    assert not np.allclose(d.x_test.mean(axis=0), 0, atol=1e-5)
    again = registry.get("datasets", name)()
    assert np.array_equal(d.x_val, again.x_val)  # fixed seeded split


def test_class_names_follow_the_labels():
    iris = registry.get("datasets", "iris")()
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    assert registry.get("datasets", "breast_cancer")().class_names == ("malignant", "benign")  # label 0, 1
    assert registry.get("datasets", "digits")().class_names is None and iris.limit(5).class_names == iris.class_names
