"""Image augmentations, vectorised over the batch: every image gets its own random transform, drawn from
the Trainer's generator. Images are (B, H, W) arrays; pixels outside the image read as 0."""
from __future__ import annotations

import numpy as np

from framework.augment import Augmentation


def bilinear(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Sample images (B, H, W) at fractional source coordinates ys, xs (B, H, W), zeros outside."""
    b, h, w = images.shape
    padded = np.zeros((b, h + 2, w + 2), images.dtype)
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(-1)
    ys = np.clip(ys + 1, 0, h + 1).astype(images.dtype, copy=False)  # +1: coordinates in the padded image
    xs = np.clip(xs + 1, 0, w + 1).astype(images.dtype, copy=False)
    y0, x0 = np.floor(ys), np.floor(xs)
    wy, wx = ys - y0, xs - x0
    y0 = y0.astype(np.intp)
    x0 = x0.astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    base = (np.arange(b) * (h + 2) * (w + 2))[:, None, None]
    r0, r1 = base + y0 * (w + 2), base + y1 * (w + 2)
    top = flat[r0 + x0] * (1 - wx) + flat[r0 + x1] * wx
    bottom = flat[r1 + x0] * (1 - wx) + flat[r1 + x1] * wx
    return top * (1 - wy) + bottom * wy


def _grid(shape, dtype):
    h, w = shape
    return np.arange(h, dtype=dtype)[:, None], np.arange(w, dtype=dtype)[None, :]


class Shift(Augmentation):
    """Random translation by up to `max_shift` whole pixels in each direction, zero fill."""

    def __init__(self, max_shift: int = 2, p: float = 1.0):
        super().__init__(p)
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift: expected a non-negative integer, got {max_shift!r}")
        self.max_shift = max_shift

    def transform(self, x, rng):
        b, h, w = x.shape
        k = self.max_shift
        padded = np.zeros((b, h + 2 * k, w + 2 * k), x.dtype)
        padded[:, k:k + h, k:k + w] = x
        dy, dx = rng.integers(0, 2 * k + 1, size=(2, b))
        rows = dy[:, None, None] + np.arange(h)[None, :, None]
        cols = dx[:, None, None] + np.arange(w)[None, None, :]
        return padded[np.arange(b)[:, None, None], rows, cols]


class Affine(Augmentation):
    """Random rotation (+-`rotation` degrees), scale (1 +- `scale`), shear (+-`shear` degrees) and
    translation (+-`translate` pixels) about the image centre, with bilinear sampling."""

    def __init__(self, rotation: float = 10.0, scale: float = 0.1, shear: float = 10.0, translate: float = 2.0,
                 p: float = 1.0):
        super().__init__(p)
        self.rotation, self.scale, self.shear, self.translate = rotation, scale, shear, translate

    def transform(self, x, rng):
        b, h, w = x.shape
        dt = x.dtype
        theta = np.deg2rad(rng.uniform(-self.rotation, self.rotation, b))
        shear = np.tan(np.deg2rad(rng.uniform(-self.shear, self.shear, b)))
        s = 1.0 / rng.uniform(1 - self.scale, 1 + self.scale, b)  # sampling the inverse map
        t = rng.uniform(-self.translate, self.translate, (2, b))
        cos, sin = np.cos(theta), np.sin(theta)
        # source = s * R(theta) @ Shear @ (out - centre) + centre + t
        a, bb = s * cos, s * (cos * shear - sin)
        c, d = s * sin, s * (sin * shear + cos)
        r, col = _grid((h, w), dt)
        r, col = r - (h - 1) / 2, col - (w - 1) / 2
        coef = lambda v: v.astype(dt)[:, None, None]  # noqa: E731
        xs = coef(a) * col + coef(bb) * r + ((w - 1) / 2 + coef(t[0]))
        ys = coef(c) * col + coef(d) * r + ((h - 1) / 2 + coef(t[1]))
        return bilinear(x, ys, xs)


class Elastic(Augmentation):
    """Elastic distortion (Simard et al. 2003): a random displacement field, uniform in [-1, 1] per pixel,
    smoothed by a Gaussian of width `sigma` and scaled by `alpha`, then bilinear sampling."""

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0, p: float = 1.0):
        super().__init__(p)
        if not sigma > 0:
            raise ValueError(f"sigma: expected a positive number, got {sigma!r}")
        self.alpha, self.sigma = alpha, sigma
        self._kernels = {}

    def _kernel(self, n, dtype):
        """(n, n) matrix applying a zero-padded 1-D Gaussian filter: smoothing is K_h @ field @ K_w^T."""
        if (n, dtype) not in self._kernels:
            i = np.arange(n)
            k = np.exp(-((i[:, None] - i[None, :]) ** 2) / (2 * self.sigma ** 2)) / (np.sqrt(2 * np.pi) * self.sigma)
            self._kernels[n, dtype] = k.astype(dtype)
        return self._kernels[n, dtype]

    def transform(self, x, rng):
        b, h, w = x.shape
        kh, kw = self._kernel(h, x.dtype), self._kernel(w, x.dtype)
        field = rng.random((2, b, h, w), dtype=np.float32).astype(x.dtype, copy=False) * 2 - 1
        field = kh @ field @ kw.T
        field *= self.alpha
        r, c = _grid((h, w), x.dtype)
        return bilinear(x, r + field[0], c + field[1])


class Noise(Augmentation):
    """Additive Gaussian noise of standard deviation `std`, optionally clipped to [clip_min, clip_max].
    Works on any dataset, images or not."""

    needs_images = False

    def __init__(self, std: float = 0.1, clip_min: float | None = None, clip_max: float | None = None,
                 p: float = 1.0):
        super().__init__(p)
        self.std, self.clip_min, self.clip_max = std, clip_min, clip_max

    def transform(self, x, rng):
        out = x + rng.standard_normal(x.shape, dtype=np.float32).astype(x.dtype, copy=False) * x.dtype.type(self.std)
        if self.clip_min is not None or self.clip_max is not None:
            np.clip(out, self.clip_min, self.clip_max, out=out)
        return out


class Cutout(Augmentation):
    """Cutout (DeVries & Taylor 2017): zero a `size` x `size` square at a random centre (it may extend past
    the border)."""

    def __init__(self, size: int = 8, p: float = 1.0):
        super().__init__(p)
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size: expected a positive integer, got {size!r}")
        self.size = size

    def transform(self, x, rng):
        b, h, w = x.shape
        cy, cx = rng.integers(0, h, b), rng.integers(0, w, b)
        top, left = cy - self.size // 2, cx - self.size // 2
        rows = np.arange(h)[None, :] - top[:, None]
        cols = np.arange(w)[None, :] - left[:, None]
        inside = ((rows >= 0) & (rows < self.size))[:, :, None] & ((cols >= 0) & (cols < self.size))[:, None, :]
        return np.where(inside, x.dtype.type(0), x)
