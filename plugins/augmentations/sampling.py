"""The sampling maths of the geometric augmentations: a `Grid` (where each output pixel of a batch reads
its source, composed warp by warp), bilinear sampling, separable field expansion, and fast float32 uniforms
and normals. `GridWarp` is the `framework.Warp` that composes into a Grid: subclass it to write a warp.
The maths is in docs/math.md ("Augmentations")."""
from __future__ import annotations

import numpy as np

from framework import Warp


def uniform(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
    """Uniform samples in [0, 1). For float32, 24 random bits each (as Generator.random gives), two per
    64-bit draw of the bit generator, which is about 20 % faster here than Generator.random."""
    dtype = np.dtype(dtype)
    if dtype != np.float32:
        return rng.random(shape, dtype=dtype)
    n = int(np.prod(shape))
    bits = rng.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    out = (bits >> np.uint32(8)).astype(np.float32)
    out *= np.float32(2.0 ** -24)
    return out.reshape(shape)


def gaussian(rng: np.random.Generator, shape, dtype=np.float32, std: float = 1.0) -> np.ndarray:
    """Normal samples of standard deviation `std` by the Box-Muller transform: exact in distribution, and
    several times faster here than Generator.standard_normal for float32."""
    n = int(np.prod(shape))
    m = (n + 1) // 2
    u = uniform(rng, (2, m), dtype)
    radius = np.subtract(1, u[0], out=u[0])  # in (0, 1], so the log is finite
    np.log(radius, out=radius)
    radius *= -2 * std ** 2
    np.sqrt(radius, out=radius)
    angle = u[1]
    angle *= 2 * np.pi
    out = np.empty(2 * m, dtype)
    np.multiply(radius, np.cos(angle), out=out[:m])
    np.multiply(radius, np.sin(angle, out=angle), out=out[m:])
    return out[:n].reshape(shape)


def bilinear(images: np.ndarray, ys: np.ndarray, xs: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """Sample images (B, H, W) at fractional source coordinates ys, xs (B, H, W), zeros outside.

    With `overwrite`, ys and xs (of the images' dtype) serve as scratch space.
    Works on a copy with a zero border (one pixel before, two after), so the four neighbours of any clipped
    coordinate exist; they are read through shifted views of one array, with 32-bit index arithmetic.
    """
    if not overwrite:
        ys, xs = (np.array(np.broadcast_to(c, images.shape), images.dtype) for c in (ys, xs))
    b, h, w = images.shape
    wp = w + 3
    padded = np.zeros((b, h + 3, wp), images.dtype)
    padded[:, 1:h + 1, 1:w + 1] = images
    flat = padded.reshape(-1)
    np.clip(ys, -1, h, out=ys)  # farther out reads the zero border just the same
    np.clip(xs, -1, w, out=xs)
    i = np.floor(ys)
    ys -= i  # now the fractional weights
    i *= wp
    x0 = np.floor(xs)
    xs -= x0
    i += x0  # exact: |i| < 2^24
    del x0  # (temporaries are dropped as soon as possible: fewer cache misses)
    i32 = i.astype(np.int32)
    del i
    i32.reshape(b, -1)[...] += (np.arange(b, dtype=np.int32) * ((h + 3) * wp) + (wp + 1))[:, None]  # image, border
    i = i32.astype(np.intp)
    del i32
    top, right = flat.take(i, mode="clip"), flat[1:].take(i, mode="clip")
    right -= top
    right *= xs
    top += right
    del right
    bottom, corner = flat[wp:].take(i, mode="clip"), flat[wp + 1:].take(i, mode="clip")
    del i
    corner -= bottom
    corner *= xs
    bottom += corner
    del corner
    bottom -= top
    bottom *= ys
    bottom += top
    return bottom


def expand(coefficients: np.ndarray, basis_h: np.ndarray, basis_w: np.ndarray) -> np.ndarray:
    """basis_h @ C[m] @ basis_w^T for a stack of coefficient matrices stored transposed, (m, kw, kh); returns
    (m, H, W). Two matrix products for the whole stack and one small transposition between them."""
    m, kw, kh = coefficients.shape
    h = len(basis_h)
    left = (coefficients.reshape(m * kw, kh) @ basis_h.T).reshape(m, kw, h)
    left = np.ascontiguousarray(left.transpose(0, 2, 1)).reshape(m * h, kw)
    return (left @ basis_w.T).reshape(m, h, len(basis_w))


class Grid:
    """Where each output pixel of a batch of n images reads its source: for image b and output pixel
    p = (row, col), source(p) = A[b] @ (row, col, 1) + sum_f M_f[b] @ e_f[b](p) + D[b](p).

    A is affine; each e_f is a smooth displacement field kept in a separable basis, e = Bh @ C @ Bw^T per
    coordinate, so composing an affine map after it only mixes its small coefficient matrices (M_f); D is a
    dense displacement, needed only when a field is composed after a non-identity map. Coordinates: (y, x).
    """

    def __init__(self, n: int, shape: tuple[int, int], dtype):
        self.n, self.shape, self.dtype = n, tuple(shape), np.dtype(dtype)
        self.matrix = np.zeros((n, 2, 3))
        self.matrix[:, 0, 0] = self.matrix[:, 1, 1] = 1
        self.fields = []  # [mix (n, 2, 2) or None for the identity, coefficients (2, n, kh, kw), Bh, Bw]
        self.dense = None  # (2, n, H, W)
        self.moved = np.zeros(n, bool)

    def affine(self, m: np.ndarray, images=None) -> None:
        """Follow the map with q -> m[:, :2] @ q + m[:, 2] (m: (k, 2, 3), one per selected image)."""
        sel = slice(None) if images is None else images
        lin = m[:, :, :2]
        new = lin @ self.matrix[sel]
        new[:, :, 2] += m[:, :, 2]
        self.matrix[sel] = new
        for f in self.fields:
            f[0] = np.tile(np.eye(2), (self.n, 1, 1)) if f[0] is None else f[0]
            f[0][sel] = lin @ f[0][sel]
        if self.dense is not None:
            self.dense[:, sel] = np.einsum("kij,jkhw->ikhw", lin.astype(self.dtype), self.dense[:, sel])
        self.moved[sel] = True

    def translate(self, offsets: np.ndarray, images=None) -> None:
        """Follow the map with q -> q + offsets[k] ((k, 2): rows, columns) for the selected images."""
        m = np.zeros((len(offsets), 2, 3))
        m[:, 0, 0] = m[:, 1, 1] = 1
        m[:, :, 2] = offsets
        self.affine(m, images)

    def displace(self, coefficients: np.ndarray, basis_h: np.ndarray, basis_w: np.ndarray, images=None) -> None:
        """Follow the map with q -> q + e(q), where e = basis_h @ coefficients[c, k] @ basis_w^T is coordinate c
        of a displacement field on the pixel grid for the k-th selected image. Where the map so far is not the
        identity, e is interpolated (bilinear, zero outside) at the mapped points."""
        if images is None and not self.moved.any():
            coef = coefficients.astype(self.dtype, copy=False)
        else:
            idx = np.arange(self.n) if images is None else np.asarray(images)
            coef = np.zeros((2, self.n, basis_h.shape[1], basis_w.shape[1]), self.dtype)
            coef[:, idx] = coefficients
            moved = idx[self.moved[idx]]
            if len(moved):
                k, (h, w) = len(moved), self.shape
                field = expand(coef[:, moved].transpose(0, 1, 3, 2).reshape(2 * k, basis_w.shape[1], -1),
                               basis_h.astype(self.dtype), basis_w.astype(self.dtype))  # (2k, H, W) on the grid
                coef[:, moved] = 0
                ys, xs = self.coordinates()
                at = [np.concatenate([c[moved]] * 2) for c in (ys, xs)]
                e = bilinear(field, *at, overwrite=True).reshape(2, k, h, w)
                if self.dense is None:
                    self.dense = np.zeros((2, self.n, h, w), self.dtype)
                self.dense[:, moved] += e
            self.moved[idx] = True
        self.fields.append([None, coef, basis_h.astype(self.dtype), basis_w.astype(self.dtype)])
        if images is None:
            self.moved[:] = True

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Source coordinates (ys, xs), each (n, H, W): the affine part and all fields in two matrix products."""
        (h, w), n, dt = self.shape, self.n, self.dtype
        bh = [np.ones((h, 1), dt), np.arange(h, dtype=dt)[:, None]] + [f[2] for f in self.fields]
        bw = [np.ones((w, 1), dt), np.arange(w, dtype=dt)[:, None]] + [f[3] for f in self.fields]
        kh, kw = sum(b.shape[1] for b in bh), sum(b.shape[1] for b in bw)
        coef = np.zeros((2, n, kw, kh), dt)  # coefficient of bw[:, j] * bh[:, i], transposed for expand()
        coef[:, :, 0, 0] = self.matrix[:, :, 2].T
        coef[:, :, 0, 1] = self.matrix[:, :, 0].T  # times the row
        coef[:, :, 1, 0] = self.matrix[:, :, 1].T  # times the column
        i = j = 2
        for mix, c, fh, fw in self.fields:
            if mix is not None:
                mix = mix.astype(dt)
                c = [mix[:, r, :1, None] * c[0] + mix[:, r, 1:, None] * c[1] for r in range(2)]
            coef[:, :, j:j + fw.shape[1], i:i + fh.shape[1]] = np.swapaxes(c, 2, 3)
            i, j = i + fh.shape[1], j + fw.shape[1]
        ys, xs = expand(coef.reshape(2 * n, kw, kh), np.concatenate(bh, axis=1),
                        np.concatenate(bw, axis=1)).reshape(2, n, h, w)
        if self.dense is not None:
            ys += self.dense[0]
            xs += self.dense[1]
        return ys, xs

    def sample(self, images: np.ndarray) -> np.ndarray:
        """The images (n, H, W) read through the map, by bilinear interpolation."""
        return bilinear(images, *self.coordinates(), overwrite=True)


class GridWarp(Warp):
    """A `framework.Warp` whose maps compose into a `Grid` and are sampled by bilinear interpolation.
    Subclasses implement `draw` and `compose` (through `grid.affine`, `grid.translate`, `grid.displace`)."""

    @classmethod
    def new_grid(cls, n, shape, dtype):
        return Grid(n, shape, dtype)
