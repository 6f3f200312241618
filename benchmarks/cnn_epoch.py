"""Epoch time of the reference CNN (recipes/mnist_cnn.py: conv 3x3 32 same, ReLU, max pool 2, conv 3x3 64 same, ReLU,
max pool 2, flatten, dense 128, ReLU, dense 10; Adam 1e-3, float32) on MNIST: npframe against PyTorch on CPU (the
same network, fused Adam, 2 threads, NCHW and channels_last; if torch is installed: pip install torch==2.13.0) and
against a plain hand-written NumPy im2col loop, side by side in one process, the order rotated every round.

    python benchmarks/cnn_epoch.py [--rounds 3] [--images 10000] [--batches 32,128,512] [--no-torch]

Per batch size: median (and min) seconds per epoch of `--images` training images, npframe / each other method
(among them "products only": the epoch's matrix products alone, with npframe's shapes, the floor of an im2col
network in NumPy),
npframe's GFLOP/s as a % of NumPy's own float32 matrix-multiply peak measured in the same run, where npframe's time
goes (conv forward and backward, pooling, the optimizer, the rest: from one further epoch with every layer timed),
and the peak of memory NumPy allocates during an npframe epoch and a hand-written one (tracemalloc). Epochs train
only: no validation or test split is evaluated.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from dataclasses import replace

import machine  # benchmarks/machine.py
import numpy as np

from framework import SoftmaxCrossEntropy, build_model, registry
from framework.build import load_dataset
from framework.data import describe
from framework.malloc import tune_malloc
from framework.recipe import load_raw, validate
from framework.trainer import Trainer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LR = 1e-3


def flops_per_image() -> float:
    """Multiply-adds x 2 of the convolutions and dense layers: forward, weight gradient, and input gradient for all
    but the first convolution."""
    c1, c2, d1, d2 = 28 * 28 * 32 * 9 * 1, 14 * 14 * 64 * 9 * 32, 3136 * 128, 128 * 10
    fwd = 2 * (c1 + c2 + d1 + d2)
    return 3 * fwd - 2 * 2 * c1


def make_npframe(data, batch, seed=0):
    recipe = validate({"model": _recipe_model(), "dataset": "mnist", "seed": seed}, "cnn_epoch")
    model = build_model(recipe, describe(data), rng=np.random.default_rng(seed))
    opt = registry.get("optimizers", "adam")(model.params, lr=LR)
    return Trainer(model, SoftmaxCrossEntropy(), opt, data, epochs=1, batch_size=batch, seed=seed)


def _recipe_model():
    return load_raw(os.path.join(ROOT, "recipes", "mnist_cnn.py"))["model"]


def npframe_epoch(data, batch, seed=0) -> float:
    t = make_npframe(data, batch, seed)
    t.fit()
    return t.state.epoch_seconds[0]


def npframe_shares(data, batch) -> dict[str, float]:
    """Seconds per part of one npframe epoch, every layer's forward and backward timed."""
    t = make_npframe(data, batch)
    spent: dict[str, float] = {}

    def timed(key, f):
        def g(*a, **k):
            t0 = time.perf_counter()
            out = f(*a, **k)
            if t.model.training:  # the epoch's seconds leave out evaluation
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - t0
            return out
        return g

    for layer in t.model.layers:
        kind = {"Conv2D": "conv", "MaxPool2D": "pooling"}.get(type(layer).__name__, "other layers")
        layer.forward = timed(f"{kind} forward" if kind == "conv" else kind, layer.forward)
        layer.backward = timed(f"{kind} backward" if kind == "conv" else kind, layer.backward)
    t.optimizer.step = timed("optimizer", t.optimizer.step)
    t.fit()
    total = t.state.epoch_seconds[0]
    spent["rest (loss, batches, Python)"] = total - sum(spent.values())
    return {k: v / total for k, v in spent.items()}


def handwritten_epoch(x, y, batch, seed=0) -> float:
    """A plain NumPy im2col CNN of the same shape, channels-last: im2col by a strided view, max pooling by a
    reshape, the input gradient scattered back by a loop over kernel offsets, Adam as written in the paper."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    shapes = {"w1": (3, 3, 1, 32), "b1": (32,), "w2": (3, 3, 32, 64), "b2": (64,), "w3": (3136, 128), "b3": (128,),
              "w4": (128, 10), "b4": (10,)}
    P = {k: (rng.standard_normal(s) * np.sqrt(2 / np.prod(s[:-1])) if k[0] == "w" else np.zeros(s)).astype(f32)
         for k, s in shapes.items()}
    M = {k: np.zeros_like(v) for k, v in P.items()}
    V = {k: np.zeros_like(v) for k, v in P.items()}

    def im2col(a):
        n, h, w, c = a.shape
        ap = np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)))
        s = ap.strides
        v = np.lib.stride_tricks.as_strided(ap, (n, h, w, 3, 3, c), (s[0], s[1], s[2], s[1], s[2], s[3]))
        return v.reshape(n * h * w, 9 * c)

    def col2im(d, shape):
        n, h, w, c = shape
        d = d.reshape(n, h, w, 3, 3, c)
        out = np.zeros((n, h + 2, w + 2, c), f32)
        for i in range(3):
            for j in range(3):
                out[:, i:i + h, j:j + w] += d[:, :, :, i, j]
        return out[:, 1:-1, 1:-1]

    def pool(a):
        n, h, w, c = a.shape
        r = a.reshape(n, h // 2, 2, w // 2, 2, c)
        m = r.max(axis=(2, 4))
        return m, r == m[:, :, None, :, None, :]

    t0, order, step = time.perf_counter(), rng.permutation(len(x)), 0
    for i in range(0, len(x), batch):
        idx = order[i:i + batch]
        xb, yb, n = x[idx].reshape(-1, 28, 28, 1), y[idx], len(idx)
        c1 = im2col(xb)
        z1 = (c1 @ P["w1"].reshape(9, 32) + P["b1"]).reshape(n, 28, 28, 32)
        a1 = np.maximum(z1, 0)
        p1, m1 = pool(a1)
        c2 = im2col(p1)
        z2 = (c2 @ P["w2"].reshape(288, 64) + P["b2"]).reshape(n, 14, 14, 64)
        a2 = np.maximum(z2, 0)
        p2, m2 = pool(a2)
        f = p2.reshape(n, -1)
        z3 = f @ P["w3"] + P["b3"]
        a3 = np.maximum(z3, 0)
        z4 = a3 @ P["w4"] + P["b4"]
        e = np.exp(z4 - z4.max(axis=1, keepdims=True))
        g4 = e / e.sum(axis=1, keepdims=True)
        g4[np.arange(n), yb] -= 1
        g4 /= n
        G = {"w4": a3.T @ g4, "b4": g4.sum(0)}
        g3 = (g4 @ P["w4"].T) * (z3 > 0)
        G["w3"], G["b3"] = f.T @ g3, g3.sum(0)
        gp2 = (g3 @ P["w3"].T).reshape(n, 7, 1, 7, 1, 64)
        g2 = (m2 * gp2).reshape(n, 14, 14, 64) * (z2 > 0)
        g2f = g2.reshape(-1, 64)
        G["w2"], G["b2"] = (c2.T @ g2f).reshape(3, 3, 32, 64), g2f.sum(0)
        gp1 = col2im(g2f @ P["w2"].reshape(288, 64).T, (n, 14, 14, 32)).reshape(n, 14, 1, 14, 1, 32)
        g1 = ((m1 * gp1).reshape(n, 28, 28, 32) * (z1 > 0)).reshape(-1, 32)
        G["w1"], G["b1"] = (c1.T @ g1).reshape(3, 3, 1, 32), g1.sum(0)
        step += 1
        for k in P:
            M[k] = 0.9 * M[k] + 0.1 * G[k]
            V[k] = 0.999 * V[k] + 0.001 * G[k] * G[k]
            P[k] -= (LR * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)) * M[k] / (np.sqrt(V[k]) + 1e-8)
    return time.perf_counter() - t0


def products_epoch(x, batch, seed=0) -> float:
    """Only the matrix products of an npframe epoch, with its shapes (a bias column in the im2col matrices, the
    input gradient's columns as nine products): the floor of any im2col network that uses NumPy's products."""
    rng, f32 = np.random.default_rng(seed), np.float32
    mats = {}

    def m(*shape):
        key = shape
        if key not in mats:
            mats[key] = rng.standard_normal(shape).astype(f32)
        return mats[key]

    t0 = time.perf_counter()
    for i in range(0, len(x), batch):
        n = min(batch, len(x) - i)
        c1, g1 = m(n * 784, 10), m(n * 784, 32)
        c1 @ m(10, 32), c1.T @ g1  # conv 1: forward, weights' gradient
        c2, g2 = m(n * 196, 289), m(n * 196, 64)
        c2 @ m(289, 64), c2.T @ g2, np.matmul(g2, m(9, 64, 32))  # conv 2: forward, weights, input's columns
        f, g3 = m(n, 3136), m(n, 128)
        f @ m(3136, 128), f.T @ g3, g3 @ m(128, 3136)  # dense 128
        a, g4 = m(n, 128), m(n, 10)
        a @ m(128, 10), a.T @ g4, g4 @ m(10, 128)  # dense 10
    return time.perf_counter() - t0


def torch_epoch(x, y, batch, channels_last, seed=0) -> float:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=True)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x.reshape(-1, 1, 28, 28)), torch.from_numpy(y.astype(np.int64))
    t0 = time.perf_counter()
    order = torch.randperm(len(xt))
    for i in range(0, len(xt), batch):
        idx = order[i:i + batch]
        xb = xt[idx].contiguous(memory_format=fmt)
        opt.zero_grad(set_to_none=True)
        loss_fn(model(xb), yt[idx]).backward()
        opt.step()
    return time.perf_counter() - t0


def matmul_peak() -> float:
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(5))
    return 2 * 2048 ** 3 / best / 1e9


def _timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def peak_memory(f) -> float:
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--batches", default="32,128,512")
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args()
    tune_malloc()
    data = load_dataset(validate({"dataset": {"name": "mnist", "limit": args.images}}))
    data = replace(data, **{f"{a}_{s}": getattr(data, f"{a}_{s}")[:0] for a in "xy" for s in ("val", "test")})
    x, y = data.x_train.astype(np.float32), data.y_train
    methods = {"npframe": lambda b: npframe_epoch(data, b), "numpy loop": lambda b: handwritten_epoch(x, y, b),
               "products only": lambda b: products_epoch(x, b)}
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(2)
            methods["torch NCHW"] = lambda b: torch_epoch(x, y, b, False)
            methods["torch channels_last"] = lambda b: torch_epoch(x, y, b, True)
        except ImportError:
            print("torch not installed: pip install torch==2.13.0 (for the comparison only)")
    peak = matmul_peak()
    print(machine.describe())
    print(f"float32 matmul peak {peak:.0f} GFLOP/s; {len(x)} images per epoch, {args.rounds} rounds, order rotated")
    names = list(methods)
    for b in map(int, args.batches.split(",")):
        times: dict[str, list[float]] = {k: [] for k in names}
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(methods[name](b))
        med = {k: statistics.median(v) for k, v in times.items()}
        gflops = flops_per_image() * len(x) / med["npframe"] / 1e9
        print(f"\nbatch {b}: seconds per epoch, median (min) of {args.rounds}")
        for k in names:
            ratio = "" if k == "npframe" else f"   npframe / this {med['npframe'] / med[k]:.2f}"
            print(f"  {k:<20} {med[k]:7.2f} ({min(times[k]):.2f}){ratio}")
        torch_best = [med[k] for k in names if k.startswith("torch")]
        if torch_best:
            print(f"  npframe / PyTorch's faster layout: {med['npframe'] / min(torch_best):.2f}; the matrix products "
                  f"alone / PyTorch's faster layout: {med['products only'] / min(torch_best):.2f}")
        print(f"  npframe {gflops:.1f} GFLOP/s, {100 * gflops / peak:.0f} % of the matmul peak")
        shares = npframe_shares(data, b)
        print("  npframe's time: " + ", ".join(f"{k} {100 * v:.0f} %" for k, v in
                                                sorted(shares.items(), key=lambda kv: -kv[1])))
        mine = peak_memory(lambda b=b: npframe_epoch(data, b))
        loop = peak_memory(lambda b=b: handwritten_epoch(x, y, b))
        print(f"  peak NumPy memory in an epoch: npframe {mine:.0f} MiB, numpy loop {loop:.0f} MiB")


if __name__ == "__main__":
    main()
