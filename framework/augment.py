"""The augmentation interface: a callback that transforms each training batch in `on_batch_begin`.

Only training batches pass through `on_batch_begin`; validation and test data never do.
"""
from __future__ import annotations

import numpy as np

from .callbacks import Callback


class Augmentation(Callback):
    """Base class for `framework.augmentations` plugins: implement `transform(x, rng)`.

    With `needs_images` (the default) `x` arrives as (B, H, W) images and `setup` rejects datasets without
    an `image_shape`; otherwise as the (B, features) batch. A fraction `p` of the batch is transformed.
    `transform` returns a new array of the same shape and dtype; it must not modify `x`.
    """

    order = 10
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
