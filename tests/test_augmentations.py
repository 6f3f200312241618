"""Augmentations: exact geometry on known inputs, no mutation, seeded determinism, wiring, errors."""
import numpy as np
import pytest
from test_trainer import make_trainer

from framework import Dataset, registry
from framework.build import build
from framework.recipe import RecipeError, validate
from plugins.augmentations.sampling import bilinear

NAMES = ["shift", "affine", "elastic", "noise", "cutout", "flip"]


def digits_images(n=16):
    d = registry.get("datasets", "digits")()
    return d.x_train[:n].reshape(n, 8, 8)


class HighRng:
    """Draws 1.0 for every uniform (the top of each range), to make 'random' transforms exact."""

    def random(self, size=None):
        return np.ones(size)


@pytest.mark.parametrize("name", NAMES)
def test_shape_dtype_no_mutation_and_determinism(name):
    aug = registry.get("augmentations", name)()
    for dtype in (np.float32, np.float64):
        x = digits_images().astype(dtype)
        before = x.copy()
        a = aug.transform(x, np.random.default_rng(5))
        b = aug.transform(x, np.random.default_rng(5))
        assert a.shape == x.shape and a.dtype == dtype
        assert np.array_equal(x, before)
        assert np.array_equal(a, b) and not np.array_equal(a, x)


def test_bilinear_identity_halfway_and_outside():
    x = np.arange(12, dtype=np.float64).reshape(1, 3, 4)
    r, c = np.meshgrid(np.arange(3.0), np.arange(4.0), indexing="ij")
    assert np.array_equal(bilinear(x, r[None], c[None]), x)
    half = bilinear(x, r[None], c[None] + 0.5)
    assert np.allclose(half[0, :, :3], (x[0, :, :3] + x[0, :, 1:]) / 2)
    assert np.allclose(half[0, :, 3], x[0, :, 3] / 2)  # halfway to the zero border
    assert np.all(bilinear(x, r[None] + 10, c[None]) == 0)


def test_shift_is_an_exact_translation():
    x = digits_images()
    out = registry.get("augmentations", "shift")(max_shift=2).transform(x, np.random.default_rng(0))
    for img, src in zip(out, x):
        padded = np.pad(src, 2)
        assert any(np.array_equal(img, padded[dy:dy + 8, dx:dx + 8]) for dy in range(5) for dx in range(5))


def test_flip_mirrors_alone_and_fused_with_other_warps():
    from plugins.augmentations import GridWarp
    x = digits_images()
    flip = registry.get("augmentations", "flip")
    assert np.array_equal(flip().transform(x, None), x[:, :, ::-1])
    assert np.array_equal(flip(horizontal=False, vertical=True).transform(x, None), x[:, ::-1, :])
    shift = registry.get("augmentations", "shift")(max_shift=1)
    for order in ([flip(p=1.0), shift], [shift, flip(vertical=True, p=1.0)]):
        seq = x
        for w in order:  # whole-pixel maps: the fused grid samples exactly what the sequence gives
            seq = w.transform(seq, np.random.default_rng(3))
        fused = GridWarp.apply(order, x, np.random.default_rng(3), select=False)
        np.testing.assert_array_equal(fused, seq)
    with pytest.raises(ValueError, match="at least one true"):
        flip(horizontal=False)
    with pytest.raises(ValueError, match="expected booleans"):
        flip(horizontal="yes")


def test_affine_rotation_by_90_degrees_and_identity():
    x = np.random.default_rng(0).random((3, 6, 6))
    rot = registry.get("augmentations", "affine")(rotation=90, scale=0, shear=0, translate=0)
    out = rot.transform(x, HighRng())
    assert np.allclose(out, np.rot90(x, k=1, axes=(1, 2))) or np.allclose(out, np.rot90(x, k=-1, axes=(1, 2)))
    ident = registry.get("augmentations", "affine")(rotation=0, scale=0, shear=0, translate=0)
    assert np.allclose(ident.transform(x, np.random.default_rng(0)), x)
    moved = registry.get("augmentations", "affine")(rotation=0, scale=0, shear=0, translate=1).transform(x, HighRng())
    assert np.allclose(moved[:, :-1, :-1], x[:, 1:, 1:])  # source = out + 1 pixel in both directions


def test_elastic_zero_alpha_is_identity():
    x = digits_images()
    assert np.allclose(registry.get("augmentations", "elastic")(alpha=0).transform(x, np.random.default_rng(0)), x)


def test_noise_statistics_and_clip():
    x = np.full((100, 10, 10), 0.5, np.float32)
    out = registry.get("augmentations", "noise")(std=0.1).transform(x, np.random.default_rng(0))
    assert abs((out - x).mean()) < 0.005 and abs((out - x).std() - 0.1) < 0.005
    noise = registry.get("augmentations", "noise")(std=1, clip_min=0, clip_max=1)
    clipped = noise.transform(x, np.random.default_rng(0))
    assert clipped.min() == 0 and clipped.max() == 1


def test_cutout_zeroes_one_square():
    x = np.ones((200, 12, 12))
    out = registry.get("augmentations", "cutout")(size=4).transform(x, np.random.default_rng(0))
    zeros = (out == 0).sum(axis=(1, 2))
    assert zeros.max() == 16 and zeros.min() >= 4  # a corner square keeps at least 2x2 inside
    for img in out[:20]:  # the zeros form one rectangle
        r, c = np.nonzero(img == 0)
        assert (r.max() - r.min() + 1) * (c.max() - c.min() + 1) == len(r)


def test_probability_p():
    aug = registry.get("augmentations", "noise")(std=1.0, p=0.5)
    aug.shape = None
    x = np.zeros((1000, 3), np.float32)
    from types import SimpleNamespace

    from framework import Batch, State
    state = State(batch=Batch(x, np.zeros(1000)))
    aug.on_batch_begin(SimpleNamespace(rng=np.random.default_rng(0)), state)
    changed = np.any(state.batch.x != 0, axis=1).mean()
    assert 0.45 < changed < 0.55 and np.all(x == 0)


def test_applied_to_training_batches_only():
    calls = []
    Noise = registry.get("augmentations", "noise")

    class Counting(Noise):
        def transform(self, x, rng):
            calls.append(len(x))
            return super().transform(x, rng)

    t = make_trainer([Counting()], epochs=2, batch_size=32)
    t.fit()
    assert calls == [32, 32, 32, 4] * 2  # 100 training rows per epoch; val and test never pass through


def test_image_augmentation_on_tabular_data_is_a_recipe_error():
    r = np.random.default_rng(0)
    x = r.standard_normal((20, 3)).astype(np.float32)
    y = r.integers(0, 2, 20)
    data = Dataset("table", x, y, x, y, x, y, n_classes=2)
    recipe = validate({"dataset": "table", "augmentations": ["shift"], "loggers": []})
    with pytest.raises(RecipeError, match=r"r.py: augmentation Shift needs image data, but dataset 'table'"):
        build(recipe, where="r.py", data=data)
    build(validate({"dataset": "table", "augmentations": ["noise"], "loggers": []}), data=data)  # fine


def test_augmentations_on_digits_end_to_end(tmp_path):
    augs = ["shift", {"name": "affine", "translate": 1}, {"name": "elastic", "alpha": 3, "sigma": 1},
            {"name": "noise", "std": 0.05}, {"name": "cutout", "size": 2}]
    recipe = validate({"dataset": {"name": "digits"}, "augmentations": augs, "loggers": ["tensorboard"],
                       "epochs": 10, "batch_size": 32, "optimizer": {"name": "adam", "lr": 0.01},
                       "model": {"hidden": [32]}})
    t = build(recipe, run_dir=str(tmp_path))
    s = t.fit()
    assert s.metrics["test_accuracy"] > 0.2
    from tb_events import load
    assert "train/batch_images" in load(tmp_path).Runs()["train"]["images"]
