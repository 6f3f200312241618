"""Which layout for convolutions: one 3x3 "same" conv layer's forward and backward (im2col products and the scatter
of the input gradient by kernel offsets) in NCHW with a batched product per image, NCHW with one product per pass
and transposes, and NHWC (channels-last) with one product per pass; median ms of 7 and GFLOP/s (docs/math.md).

    python benchmarks/conv_layouts.py
"""
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided

from framework.malloc import tune_malloc

K = 3


def median_ms(f, rounds=7):
    f()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def scatter(dxp, dcols, h, w, layout):
    for i in range(K):
        for j in range(K):
            if layout == "nhwc":
                dxp[:, i:i + h, j:j + w, :] += dcols[i, j]
            else:
                dxp[:, :, i:i + h, j:j + w] += dcols[i, j]
    return dxp


def nchw_batched(x, g, wm):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    s = xp.strides
    cols = as_strided(xp, (n, c, K, K, h, w), (s[0], s[1], s[2], s[3], s[2], s[3])).reshape(n, c * K * K, h * w)
    out = np.matmul(wm, cols)
    gg = g.reshape(n, -1, h * w)
    dw = np.matmul(gg, cols.transpose(0, 2, 1)).sum(0)
    dcols = np.matmul(wm.T, gg).reshape(n, c, K, K, h, w).transpose(2, 3, 0, 1, 4, 5)
    return out, dw, scatter(np.zeros_like(xp), dcols, h, w, "nchw")


def nchw_transposed(x, g, wm):
    n, c, h, w = x.shape
    o = wm.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    s = xp.strides
    cols = as_strided(xp, (c, K, K, n, h, w), (s[1], s[2], s[3], s[0], s[2], s[3])).reshape(c * K * K, -1)
    out = np.ascontiguousarray((wm @ cols).reshape(o, n, h * w).transpose(1, 0, 2))
    gg = np.ascontiguousarray(g.reshape(n, o, h * w).transpose(1, 0, 2)).reshape(o, -1)
    dw = gg @ cols.T
    dcols = (wm.T @ gg).reshape(c, K, K, n, h, w).transpose(1, 2, 3, 0, 4, 5)
    return out, dw, scatter(np.zeros_like(xp), dcols, h, w, "nchw")


def nhwc(x, g, wh):
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    s = xp.strides
    cols = as_strided(xp, (n, h, w, K, K, c), (s[0], s[1], s[2], s[1], s[2], s[3])).reshape(n * h * w, -1)
    out = cols @ wh
    gg = g.reshape(n * h * w, -1)
    dw = cols.T @ gg
    wt = np.ascontiguousarray(wh.reshape(K * K, c, -1).transpose(0, 2, 1))
    dcols = np.matmul(gg, wt).reshape(K, K, n, h, w, c)
    return out, dw, scatter(np.zeros_like(xp), dcols, h, w, "nhwc")


def case(n, c, size, o, rng):
    x = rng.standard_normal((n, c, size, size)).astype(np.float32)
    g = rng.standard_normal((n, o, size, size)).astype(np.float32)
    wm = rng.standard_normal((o, c * K * K)).astype(np.float32)
    xh, gh = np.ascontiguousarray(x.transpose(0, 2, 3, 1)), np.ascontiguousarray(g.transpose(0, 2, 3, 1))
    wh = np.ascontiguousarray(wm.reshape(o, c, K, K).transpose(2, 3, 1, 0).reshape(K * K * c, o))
    a, b = nchw_batched(x, g, wm), nhwc(xh, gh, wh)
    assert np.allclose(a[0].reshape(n, o, size, size).transpose(0, 2, 3, 1), b[0].reshape(n, size, size, o),
                       rtol=1e-3, atol=1e-3)  # the same convolution
    flops = 3 * 2 * n * size * size * o * c * K * K
    for name, f in (("NCHW, a product per image", lambda: nchw_batched(x, g, wm)),
                    ("NCHW, one product + transposes", lambda: nchw_transposed(x, g, wm)),
                    ("NHWC, one product", lambda: nhwc(xh, gh, wh))):
        ms = median_ms(f)
        print(f"batch {n:>3}, {c:>2} -> {o} channels, {size}x{size}: {name:<32} {ms:7.2f} ms  "
              f"{flops / ms / 1e6:6.1f} GFLOP/s")


def main():
    tune_malloc()
    rng = np.random.default_rng(0)
    for n, c, size, o in ((128, 32, 14, 64), (128, 1, 28, 32), (32, 32, 14, 64), (512, 32, 14, 64)):
        case(n, c, size, o, rng)


if __name__ == "__main__":
    main()
