"""The augmentation interface: callbacks that transform each training batch in `on_batch_begin`.

Only training batches pass through `on_batch_begin`; validation and test data never do. Geometric
augmentations (`Warp`) describe a map from output pixels to source coordinates instead of pixels; a run of
consecutive warps is composed into one map and the batch sampled once (`fuse_warps`, applied where the
Trainer assembles its callbacks): one interpolation instead of one per warp, faster and less blurred.
The grid that warps compose into lives with the augmentation plugins (plugins.augmentations.sampling).
"""
from __future__ import annotations

import numpy as np

from .callbacks import Callback, Order


class Augmentation(Callback):
    """Base class for `framework.augmentations` plugins: implement `transform(x, rng)`.

    With `needs_images` (the default) `x` arrives as (B, H, W) images and `setup` rejects datasets without
    an `image_shape`; otherwise as the (B, features) batch. A fraction `p` of the batch is transformed.
    `transform` returns a new array of the same shape and dtype; it must not modify `x`.
    """

    order = Order.AUGMENT
    needs_images = True

    def __init__(self, p: float = 1.0):
        if not 0 <= p <= 1:
            raise ValueError(f"p: expected a probability in [0, 1], got {p!r}")
        self.p = p

    def transform(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def setup(self, trainer):
        self.shape = trainer.data.image_shape
        if self.needs_images and self.shape is None:
            raise ValueError(f"augmentation {type(self).__name__} needs image data, but dataset "
                             f"{trainer.data.name!r} has no image_shape (it is not an image dataset)")

    def on_batch_begin(self, trainer, state):
        x = state.batch.x
        shape = (len(x), *self.shape) if self.needs_images else x.shape
        if self.p >= 1:
            state.batch.x = self.transform(x.reshape(shape), trainer.rng).reshape(x.shape)
            return
        chosen = np.flatnonzero(trainer.rng.random(len(x)) < self.p)
        out = x.copy()
        out[chosen] = self.transform(x[chosen].reshape(len(chosen), *shape[1:]), trainer.rng).reshape(len(chosen), -1)
        state.batch.x = out


class Warp(Augmentation):
    """A geometric augmentation: a random map from output pixels to source coordinates, for each image.

    Implement `draw(grid, n, rng)` (the random parameters of n images) and `compose(grid, params, images)`,
    which follows `grid`'s map with this warp's map for the selected images. `new_grid(n, shape, dtype)`
    makes the grid: plugins.augmentations.GridWarp provides one (affine maps, smooth fields, bilinear
    sampling); subclass it. Warps that follow one another in the callback order are applied together.
    """

    def draw(self, grid, n: int, rng: np.random.Generator):
        raise NotImplementedError

    def compose(self, grid, params, images) -> None:
        raise NotImplementedError

    @classmethod
    def new_grid(cls, n: int, shape: tuple[int, int], dtype):
        raise NotImplementedError(f"{cls.__name__}: a Warp needs new_grid(); subclass "
                                  f"plugins.augmentations.GridWarp, which provides it")

    @classmethod
    def apply(cls, warps, x: np.ndarray, rng: np.random.Generator, select: bool = True) -> np.ndarray:
        """Images x (n, H, W) through `warps` in order, sampled once. Parameters are drawn in order; with
        `select`, each warp first picks the images it moves with probability `p`."""
        n = len(x)
        grid = cls.new_grid(n, x.shape[1:], x.dtype)
        draws = []
        for w in warps:
            images = np.flatnonzero(rng.random(n) < w.p) if select and w.p < 1 else None
            draws.append((w, w.draw(grid, n if images is None else len(images), rng), images))
        for w, params, images in reversed(draws):  # source = first(second(...(last(p))))
            w.compose(grid, params, images)
        return grid.sample(x)

    def transform(self, x, rng):
        return self.apply([self], x, rng, select=False)


class WarpRun(Callback):
    """Consecutive warps of one grid type applied as one augmentation (see `fuse_warps`)."""

    order = Order.AUGMENT

    def __init__(self, warps: list[Warp]):
        self.warps = warps

    def on_batch_begin(self, trainer, state):
        x, first = state.batch.x, self.warps[0]
        state.batch.x = first.apply(self.warps, x.reshape(len(x), *first.shape), trainer.rng).reshape(x.shape)


def fuse_warps(batch_callbacks: list) -> list:
    """The callbacks to call in `on_batch_begin`, in order, with each run of two or more consecutive warps
    that share a grid type replaced by one `WarpRun`. A warp alone keeps its own `transform`."""
    out, run = [], []

    def flush():
        out.extend(run if len(run) < 2 else [WarpRun(list(run))])
        run.clear()

    for cb in batch_callbacks:
        if run and not (isinstance(cb, Warp) and type(cb).new_grid.__func__ is type(run[0]).new_grid.__func__):
            flush()
        (run if isinstance(cb, Warp) else out).append(cb)
    flush()
    return out
