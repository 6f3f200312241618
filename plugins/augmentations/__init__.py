"""Image augmentations, vectorised over the batch: every image gets its own random transform, drawn from
the Trainer's generator. Images are (B, H, W) arrays; pixels outside the image read as 0."""
from __future__ import annotations

import numpy as np

from framework import Augmentation

from .sampling import Grid, GridWarp, gaussian, uniform

__all__ = ["Affine", "Cutout", "Elastic", "Flip", "Grid", "GridWarp", "Noise", "RandomCrop", "Shift"]


class RandomCrop(Augmentation):
    """The image padded by `padding` pixels on every side, by reflection (the CIFAR-10 standard: no black
    borders) or zeros, then a random window of the original size: a shift of up to `padding` pixels whose new
    border mirrors the image. For (B, H, W) and (B, C, H, W) (colour) images alike."""

    def __init__(self, padding: int = 4, mode: str = "reflect", p: float = 1.0):
        super().__init__(p)
        if not isinstance(padding, int) or isinstance(padding, bool) or padding < 1:
            raise ValueError(f"padding: expected a positive integer, got {padding!r}")
        if mode not in ("reflect", "zeros"):
            raise ValueError(f"mode: expected 'reflect' or 'zeros', got {mode!r}")
        self.padding, self.mode = padding, mode

    def transform(self, x, rng):
        k, (h, w) = self.padding, x.shape[-2:]
        if k >= min(h, w) and self.mode == "reflect":
            raise ValueError(f"random_crop: padding {k} needs images larger than {k} pixels, got {h}x{w}")
        pad = [(0, 0)] * (x.ndim - 2) + [(k, k), (k, k)]
        padded = np.pad(x, pad, mode="reflect") if self.mode == "reflect" else np.pad(x, pad)
        dy, dx = rng.integers(0, 2 * k + 1, size=(2, len(x)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(-2, -1))  # (B, ..., 2k+1, 2k+1, H, W)
        if x.ndim == 3:
            return windows[np.arange(len(x)), dy, dx]
        return windows[np.arange(len(x)), :, dy, dx]


class Shift(GridWarp):
    """Random translation by up to `max_shift` whole pixels in each direction, zero fill."""

    def __init__(self, max_shift: int = 2, p: float = 1.0):
        super().__init__(p)
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift: expected a non-negative integer, got {max_shift!r}")
        self.max_shift = max_shift

    def draw(self, grid, n, rng):
        return rng.integers(0, 2 * self.max_shift + 1, size=(2, n)) - self.max_shift  # source = out + (dy, dx)

    def compose(self, grid, params, images):
        grid.translate(params.T, images)

    def transform(self, x, rng):
        """Alone, a shift needs no interpolation: a window of the zero-padded batch."""
        b, h, w = x.shape
        k = self.max_shift
        padded = np.zeros((b, h + 2 * k, w + 2 * k), x.dtype)
        padded[:, k:k + h, k:k + w] = x
        dy, dx = self.draw(None, b, rng) + k
        windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(1, 2))  # (B, 2k+1, 2k+1, H, W)
        return windows[np.arange(b), dy, dx]


class Flip(GridWarp):
    """Mirror a fraction `p` of the images left to right (and/or top to bottom): for objects whose mirror
    image is the same class, as Fashion-MNIST's clothes, not digits."""

    def __init__(self, horizontal: bool = True, vertical: bool = False, p: float = 0.5):
        super().__init__(p)
        if not (isinstance(horizontal, bool) and isinstance(vertical, bool)) or not (horizontal or vertical):
            raise ValueError(f"horizontal, vertical: expected booleans, at least one true, got {horizontal!r}, "
                             f"{vertical!r}")
        self.horizontal, self.vertical = horizontal, vertical

    def draw(self, grid, n, rng):
        return n

    def compose(self, grid, n, images):
        h, w = grid.shape
        m = np.zeros((n, 2, 3))
        m[:, 0, 0], m[:, 0, 2] = (-1, h - 1) if self.vertical else (1, 0)  # source row = h - 1 - row
        m[:, 1, 1], m[:, 1, 2] = (-1, w - 1) if self.horizontal else (1, 0)
        grid.affine(m, images)

    def transform(self, x, rng):
        """Alone, a flip is a reversed view of the last two axes (rows, columns; also for (B, C, H, W) colour
        images): exact, no interpolation."""
        return x[..., ::-1 if self.vertical else 1, ::-1 if self.horizontal else 1].copy()


class Affine(GridWarp):
    """Random rotation (+-`rotation` degrees), scale (1 +- `scale`), shear (+-`shear` degrees) and
    translation (+-`translate` pixels) about the image centre, with bilinear sampling."""

    def __init__(self, rotation: float = 10.0, scale: float = 0.1, shear: float = 10.0, translate: float = 2.0,
                 p: float = 1.0):
        super().__init__(p)
        self.rotation, self.scale, self.shear, self.translate = rotation, scale, shear, translate

    def draw(self, grid, n, rng):
        u = 2 * rng.random((5, n)) - 1  # each in [-1, 1)
        theta = np.deg2rad(self.rotation * u[0])
        shear = np.tan(np.deg2rad(self.shear * u[1]))
        s = 1.0 / (1 + self.scale * u[2])  # sampling the inverse map
        t = self.translate * u[3:]
        cos, sin = np.cos(theta), np.sin(theta)
        # (x, y) source = s * R(theta) @ Shear @ (out - centre) + centre + t; rows of m: y, x; columns: row, col, 1
        m = np.empty((n, 2, 3))
        m[:, 1, 1], m[:, 1, 0] = s * cos, s * (cos * shear - sin)
        m[:, 0, 1], m[:, 0, 0] = s * sin, s * (sin * shear + cos)
        return m, t

    def compose(self, grid, params, images):
        m, t = params
        h, w = grid.shape
        centre = np.array([(h - 1) / 2, (w - 1) / 2])
        m[:, :, 2] = centre + t[::-1].T - m[:, :, :2] @ centre
        grid.affine(m, images)


class Elastic(GridWarp):
    """Elastic distortion (Simard et al. 2003): a random displacement field, uniform in [-1, 1] per pixel,
    smoothed by a Gaussian of width `sigma` and scaled by `alpha`, then bilinear sampling.

    The smoothed field has few degrees of freedom: it is drawn in the leading eigenvectors of the smoothing
    (99.99 % of the variance along each axis), same mean and covariance as smoothing H x W uniforms, with a
    small fraction of the random numbers (docs/math.md)."""

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0, p: float = 1.0):
        super().__init__(p)
        if not sigma > 0:
            raise ValueError(f"sigma: expected a positive number, got {sigma!r}")
        self.alpha, self.sigma = alpha, sigma
        self._bases = {}

    def basis(self, n: int) -> np.ndarray:
        """(n, k) matrix L with L @ L^T = K @ K^T to 99.99 % of its trace, K the zero-padded 1-D Gaussian filter."""
        if n not in self._bases:
            i = np.arange(n)
            k = np.exp(-((i[:, None] - i[None, :]) ** 2) / (2 * self.sigma ** 2)) / (np.sqrt(2 * np.pi) * self.sigma)
            lam, vec = np.linalg.eigh(k @ k.T)
            lam, vec = np.clip(lam[::-1], 0, None), vec[:, ::-1]
            keep = int(np.searchsorted(np.cumsum(lam) / lam.sum(), 0.9999)) + 1
            self._bases[n] = vec[:, :keep] * np.sqrt(lam[:keep])
        return self._bases[n]

    def draw(self, grid, n, rng):
        k = [self.basis(size).shape[1] for size in grid.shape]
        u = uniform(rng, (2, n, *k), grid.dtype)
        u -= 0.5
        u *= 2 * self.alpha
        return u

    def compose(self, grid, params, images):
        grid.displace(params, self.basis(grid.shape[0]), self.basis(grid.shape[1]), images)


class Noise(Augmentation):
    """Additive Gaussian noise of standard deviation `std`, optionally clipped to [clip_min, clip_max].
    Works on any dataset, images or not."""

    needs_images = False

    def __init__(self, std: float = 0.1, clip_min: float | None = None, clip_max: float | None = None,
                 p: float = 1.0):
        super().__init__(p)
        self.std, self.clip_min, self.clip_max = std, clip_min, clip_max

    def transform(self, x, rng):
        out = gaussian(rng, x.shape, x.dtype, std=self.std)
        out += x
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
        top, left = rng.integers(0, [[h], [w]], (2, b)) - self.size // 2  # corner of a square with a random centre
        a = np.arange(max(h, w))
        rows = (a[:h] - top[:, None]).astype(np.uint64) < self.size  # (B, H): the square's rows
        keep = ((a[:w] - left[:, None]).astype(np.uint64) >= self.size).astype(x.dtype)  # (B, W): 0 in its columns
        out = x.copy().reshape(b * h, w)
        hit = np.flatnonzero(rows)  # at most `size` rows per image change
        out[hit] *= keep[hit // h]
        return out.reshape(x.shape)
