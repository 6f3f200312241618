"""Ways to compute the second convolution's input gradient in the reference CNN (batch 128, 14x14x32 -> 64, 3x3
same, float32), measured against the one npframe uses: nine products, one per kernel offset, then the adds of each
offset's block into the padded gradient over both cores; one product for all offsets then the same adds (strided
reads); one product and its adds a few images at a time (in cache). Also the im2col products at rows of 288 and 289
floats (with the bias column). Median and best ms of --rounds, order rotated. docs/benchmarks.md cites it.

    OPENBLAS_THREAD_TIMEOUT=4 python benchmarks/conv_backward_variants.py [--rounds 15]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from framework.parallel import over_batch

N, H, W, C, F = 128, 14, 14, 32, 64
rng = np.random.default_rng(0)
G = rng.standard_normal((N * H * W, F), dtype=np.float32)
K = rng.standard_normal((3, 3, C, F), dtype=np.float32)


def nine_products():
    """npframe's Conv2D.backward: dcols as (offset, rows, C) blocks, each added as whole rows."""
    w3 = np.ascontiguousarray(K.reshape(9, C, F).transpose(0, 2, 1))
    d = np.matmul(G, w3).reshape(3, 3, N, H, W, C)
    dxp = np.empty((N, H + 2, W + 2, C), np.float32)

    def part(a, b):
        dxp[a:b] = 0
        for i in range(3):
            for j in range(3):
                dxp[a:b, i:i + H, j:j + W] += d[i, j, a:b]

    over_batch(part, N, d.nbytes)
    return dxp


def one_product(chunk=N, threads=True):
    """dcols as (rows, offset x C) from one product; its adds read 32-float runs 288 floats apart."""
    wt = np.ascontiguousarray(K.reshape(9 * C, F).T)
    gi = G.reshape(N, H * W, F)
    dxp = np.empty((N, H + 2, W + 2, C), np.float32)

    def part(a0, b0):
        dxp[a0:b0] = 0
        for a in range(a0, b0, chunk):
            b = min(a + chunk, b0)
            d = (gi[a:b].reshape(-1, F) @ wt).reshape(b - a, H, W, 3, 3, C)
            for i in range(3):
                for j in range(3):
                    dxp[a:b, i:i + H, j:j + W] += d[:, :, :, i, j]

    over_batch(part, N, 1 << 30) if threads else part(0, N)
    return dxp


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args()
    ways = {"nine products (npframe)": nine_products, "one product": lambda: one_product(threads=False)}
    for chunk in (8, 16):
        ways[f"one product, {chunk} images at a time"] = lambda chunk=chunk: one_product(chunk, threads=False)
        ways[f"one product, {chunk} images at a time, two threads"] = lambda chunk=chunk: one_product(chunk)
    cols = {k: rng.standard_normal((N * H * W, k), dtype=np.float32) for k in (288, 289)}
    weights = {k: rng.standard_normal((k, F), dtype=np.float32) for k in cols}
    ways.update({f"im2col forward product, rows of {k}": (lambda c=c, w=weights[k]: c @ w) for k, c in cols.items()})
    ways.update({f"weight-gradient product, rows of {k}": (lambda c=c: c.T @ G) for k, c in cols.items()})
    ref = nine_products()
    for name, f in ways.items():
        if name.startswith("one product"):
            assert np.allclose(f(), ref, atol=1e-3), name
    times = {name: [] for name in ways}
    names = list(ways)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            ways[name]()
            times[name].append(time.perf_counter() - t0)
    for name, ts in times.items():
        print(f"{name:52s} median {1e3 * np.median(ts):6.2f} ms   best {1e3 * min(ts):6.2f} ms")


if __name__ == "__main__":
    main()
