"""The arrays dataset: an .npz of splits, 4-D images only with a stated layout, missing splits drawn by the rule."""
import numpy as np
import pytest

from framework import DataError, registry, testing


def arrays(*args, **kw):
    return registry.get("datasets", "arrays")(*args, **kw)


def test_images_need_a_layout_and_keep_their_channels(tmp_path):
    r = np.random.default_rng(0)
    x = r.integers(0, 256, (60, 8, 6, 3), dtype=np.uint8)
    x[:, 0, 0, 0] = 7  # the first channel's corner, to find it again
    y = np.arange(60) % 3
    np.savez(tmp_path / "a.npz", x_train=x, y_train=y, class_names=np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"layout: .* holds 4-D images \(60, 8, 6, 3\): say 'nhwc'"):
        arrays(str(tmp_path / "a.npz"))
    d = arrays(str(tmp_path / "a.npz"), layout="nhwc")
    assert d.image_shape == (3, 8, 6) and d.x_train.dtype == np.uint8 and d.class_names == ("a", "b", "c")
    assert np.all(d.x_train.reshape(-1, 3, 8, 6)[:, 0, 0, 0] == 7)
    assert len(d.x_test) == 12 and sorted(np.bincount(d.y_test)) == [4, 4, 4]
    testing.check_dataset(registry.get("datasets", "arrays"), path=str(tmp_path / "a.npz"), layout="nhwc")
    np.savez(tmp_path / "b.npz", x_train=x.transpose(0, 3, 1, 2), y_train=y)
    assert np.array_equal(arrays(str(tmp_path / "b.npz"), layout="nchw").x_train, d.x_train)


def test_given_splits_are_kept_and_mistakes_are_named(tmp_path):
    x = np.random.default_rng(0).standard_normal((30, 4))
    np.savez(tmp_path / "s.npz", x_train=x[:20], y_train=x[:20, 0], x_val=x[20:25], y_val=x[20:25, 0],
             x_test=x[25:], y_test=x[25:, 0])
    d = arrays(str(tmp_path / "s.npz"))
    assert d.task == "regression" and len(d.x_val) == 5 and np.allclose(d.x_test, x[25:])
    np.savez(tmp_path / "bad.npz", x_train=x, y_train=x[:10, 0])
    with pytest.raises(DataError, match="x_train has 30 rows, y_train 10"):
        arrays(str(tmp_path / "bad.npz"))
    np.savez(tmp_path / "none.npz", features=x)
    with pytest.raises(DataError, match="no array 'x_train'; found features"):
        arrays(str(tmp_path / "none.npz"))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match=r"not a NumPy \.npz without objects"):
        arrays(str(tmp_path / "obj.npy"))
