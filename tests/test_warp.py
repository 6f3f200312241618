"""Warps compose into one sampling grid: order, analytic maps, fields, selection, wiring, random numbers."""
import numpy as np
import pytest

from framework import registry
from framework.augment import WarpRun
from framework.build import build
from framework.recipe import validate
from plugins.augmentations.sampling import Grid, GridWarp, gaussian, uniform

Shift, Affine, Elastic = (registry.get("augmentations", n) for n in ("shift", "affine", "elastic"))


class TopRng:
    """Draws the top of every range (uniforms 1.0, integers high - 1): 'random' warps become exact."""

    def random(self, size=None):
        return np.ones(size)

    def integers(self, low, high, size=None):
        return np.broadcast_to(np.asarray(high) - 1, size).copy()


def pixels(h, w):
    r, c = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    return np.stack([r, c, np.ones_like(r)])  # (3, H, W): row, column, 1


def test_fused_warps_equal_sequential_ones_in_either_order():
    x = np.random.default_rng(0).random((3, 8, 8))
    rot, shift = Affine(rotation=90, scale=0, shear=0, translate=0), Shift(max_shift=1)
    results = []
    for order in ([rot, shift], [shift, rot]):
        seq = x
        for w in order:  # a quarter turn and whole-pixel shifts: interpolation is exact, so must be the fusion
            seq = w.transform(seq, TopRng())
        fused = GridWarp.apply(order, x, TopRng())
        np.testing.assert_allclose(fused, seq, atol=1e-12)
        results.append(fused)
    assert not np.allclose(results[0], results[1])  # the two orders are different maps


def test_grid_composes_affine_maps():
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=(2, 4, 2, 3))
    g = Grid(4, (5, 6), np.float64)
    g.affine(m1)
    g.affine(m2)
    ys, xs = g.coordinates()
    p = pixels(5, 6)
    q = np.einsum("kij,jhw->kihw", m1, p)  # first map, then the second
    expect = np.einsum("kij,kjhw->kihw", m2[:, :, :2], q) + m2[:, :, 2, None, None]
    np.testing.assert_allclose(ys, expect[:, 0], atol=1e-12)
    np.testing.assert_allclose(xs, expect[:, 1], atol=1e-12)


def test_field_then_affine_mixes_coefficients_exactly():
    rng = np.random.default_rng(2)
    h, w, n = 7, 5, 3
    bh, bw = rng.normal(size=(h, 2)), rng.normal(size=(w, 3))
    coef = rng.normal(size=(2, n, 2, 3))
    m = rng.normal(size=(n, 2, 3))
    g = Grid(n, (h, w), np.float64)
    g.displace(coef, bh, bw)  # q -> q + e(q) on the pixel grid ...
    g.affine(m)  # ... then an affine map of the result
    ys, xs = g.coordinates()
    e = np.einsum("ha,ckab,wb->ckhw", bh, coef, bw)
    moved = pixels(h, w)[:2, None] + e  # (2, n, H, W)
    expect = np.einsum("kij,jkhw->ikhw", m[:, :, :2], moved) + m[:, :, 2].T[:, :, None, None]
    np.testing.assert_allclose(ys, expect[0], atol=1e-12)
    np.testing.assert_allclose(xs, expect[1], atol=1e-12)


def test_field_after_a_map_is_interpolated_at_the_mapped_points():
    h, w = 9, 9
    g = Grid(2, (h, w), np.float64)
    g.translate(np.array([[0.25, 0.5]] * 2))  # a translation by a fraction of a pixel
    d = np.array([1.5, -2.0])  # a constant displacement field, only for image 1
    g.displace(d.reshape(2, 1, 1, 1), np.ones((h, 1)), np.ones((w, 1)), images=[1])
    ys, xs = g.coordinates()
    p = pixels(h, w)
    np.testing.assert_allclose(ys[0], p[0] + 0.25)
    np.testing.assert_allclose(xs[0], p[1] + 0.5)
    inner = (slice(1, -2), slice(1, -2))  # where the shifted points still see the field on both sides
    np.testing.assert_allclose(ys[1][inner], (p[0] + 0.25 + d[0])[inner])
    np.testing.assert_allclose(xs[1][inner], (p[1] + 0.5 + d[1])[inner])
    swap = np.array([[[0, 1, 0], [2, 0, 1]]] * 2, float)  # then (y, x) -> (x, 2 y + 1): mixes the dense part
    g.affine(swap)
    ys2, xs2 = g.coordinates()
    np.testing.assert_allclose(ys2, xs)
    np.testing.assert_allclose(xs2, 2 * ys + 1)


def test_each_warp_selects_its_own_images():
    x = np.random.default_rng(3).random((2000, 6, 6))
    out = GridWarp.apply([Affine(p=0.5), Shift(max_shift=2, p=0.6)], x, np.random.default_rng(4))
    untouched = np.all(out == x, axis=(1, 2)).mean()
    assert abs(untouched - 0.5 * 0.4) < 0.04  # neither picked it (a shift can draw (0, 0): +1/25 of the rest)


def test_elastic_field_has_the_covariance_of_smoothed_uniform_noise():
    """The low-rank field must match the full construction: K @ U @ K^T with U uniform in [-alpha, alpha]."""
    n, h, sigma = 6000, 12, 2.0
    el = Elastic(alpha=1.0, sigma=sigma)
    g = Grid(n, (h, h), np.float64)
    el.compose(g, el.draw(g, n, np.random.default_rng(5)), None)
    ys, _ = g.coordinates()
    e = (ys - np.arange(h)[:, None]).reshape(n, -1)
    i = np.arange(h)
    k = np.exp(-((i[:, None] - i[None, :]) ** 2) / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)
    c1 = k @ k.T
    expected = np.kron(c1, c1) / 3  # covariance of the flattened field
    observed = np.cov(e, rowvar=False)
    for a, b in [(0, 0), (5 * h + 6, 5 * h + 6), (5 * h + 6, 5 * h + 8), (6 * h + 6, 3 * h + 2), (0, h * h - 1)]:
        assert abs(observed[a, b] - expected[a, b]) < 0.06 * expected[a, a], (a, b)
    basis = el.basis(h)
    assert np.trace(basis @ basis.T) >= 0.9999 * np.trace(c1)


def test_warps_in_a_row_are_applied_as_one(monkeypatch):
    x = np.zeros((12, 64), np.float32)
    from framework import Dataset
    data = Dataset("img", x, np.zeros(12, int), x, np.zeros(12, int), x, np.zeros(12, int), n_classes=2,
                   image_shape=(8, 8))
    recipe = validate({"dataset": "img", "loggers": [], "epochs": 1, "model": {"hidden": [4]},
                       "augmentations": ["shift", "affine", "noise", "elastic"]})
    t = build(recipe, data=data)
    shift, affine, noise, elastic = [c for c in t.callbacks if type(c).__name__ in ("Shift", "Affine", "Noise",
                                                                                    "Elastic")]
    hooks = [h.__self__ for h in t.callbacks._hooks["on_batch_begin"]]
    assert isinstance(hooks[0], WarpRun) and hooks[0].warps == [shift, affine]
    assert hooks[1:] == [noise, elastic]
    samples = []
    original = Grid.sample
    monkeypatch.setattr(Grid, "sample", lambda self, images: samples.append(len(images)) or original(self, images))
    t.fit()
    assert samples == [12, 12]  # one sampling for shift + affine, one for elastic (after noise)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_and_gaussian(dtype):
    rng = np.random.default_rng(6)
    u = uniform(rng, (200_000,), dtype)
    assert u.dtype == dtype and u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.003 and abs(u.var() - 1 / 12) < 0.001
    z = gaussian(rng, (3, 100_001), dtype, std=2.0)
    assert z.shape == (3, 100_001) and z.dtype == dtype and np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 2.0) < 0.01
    assert abs(np.mean((z / 2) ** 4) - 3) < 0.05  # the kurtosis of a normal distribution
    assert abs(np.mean(z[0] * z[1])) < 0.03  # independent


def test_only_warps_of_one_grid_type_fuse():
    from framework import Callback, Warp
    from framework.augment import fuse_warps

    class OtherGrid(Warp):  # a third-party warp with a grid of its own
        @classmethod
        def new_grid(cls, n, shape, dtype):
            return Grid(n, shape, dtype)

    class Plain(Callback):
        def on_batch_begin(self, trainer, state): ...

    a, b, o, p, c = Affine(), Elastic(), OtherGrid(), Plain(), Shift()
    out = fuse_warps([a, b, o, p, c])
    assert isinstance(out[0], WarpRun) and out[0].warps == [a, b] and out[1:] == [o, p, c]
    assert fuse_warps([c]) == [c] and fuse_warps([p, a, p]) == [p, a, p]


def test_callbacks_added_later_keep_the_warps_fused():
    x = np.zeros((12, 64), np.float32)
    from framework import Callback, Dataset
    data = Dataset("img", x, np.zeros(12, int), x, np.zeros(12, int), x, np.zeros(12, int), n_classes=2,
                   image_shape=(8, 8))
    t = build(validate({"dataset": "img", "loggers": [], "epochs": 1, "model": {"hidden": [4]},
                        "augmentations": ["shift", "affine"]}), data=data)
    seen = []

    class Late(Callback):
        def setup(self, trainer):
            seen.append("setup")

    t.add_callbacks(Late())
    hooks = [h.__self__ for h in t.callbacks._hooks["on_batch_begin"]]
    assert isinstance(hooks[0], WarpRun) and len(hooks) == 1 and seen == ["setup"]
