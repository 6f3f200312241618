"""Epoch time of the framework against a hand-written NumPy loop and PyTorch (CPU, if installed).

Same MLP 784-256-128-10 (ReLU), batch 128, Adam lr 1e-3, float32, MNIST's 55,000 training images. The
three run interleaved, `--rounds` times each, in one process; the median epoch of each is compared as a ratio,
so a noisy shared machine affects all alike. Also prints GFLOP/s against NumPy's own large-matmul peak.

    python benchmarks/epoch_time.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from itertools import pairwise

import numpy as np

from framework import SoftmaxCrossEntropy, Trainer, build_mlp, registry
from framework.malloc import tune_malloc

SIZES = [784, 256, 128, 10]
BATCH, LR = 128, 1e-3


def flops_per_sample() -> float:
    """Forward 2*sum(in*out); backward weight grads the same again, input grads for all but the first layer."""
    fwd = sum(2 * a * b for a, b in pairwise(SIZES))
    return 3 * fwd - 2 * SIZES[0] * SIZES[1]


def framework_epoch(data, seed):
    model = build_mlp(784, 10, SIZES[1:-1], "relu", rng=np.random.default_rng(seed))
    opt = registry.get("optimizers", "adam")(model.params, lr=LR)
    t = Trainer(model, SoftmaxCrossEntropy(), opt, data, epochs=1, batch_size=BATCH, seed=seed)
    t.fit()
    return t.state.epoch_seconds[0]


def handwritten_epoch(x, y, seed):
    """The shortest fast NumPy loop we can write: the same math, no framework."""
    rng = np.random.default_rng(seed)
    Ws, bs = [], []
    for a, b in pairwise(SIZES):
        Ws.append((rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32))
        bs.append(np.zeros(b, np.float32))
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    tmp = [np.empty_like(p) for p in params]
    gW = [np.empty_like(w) for w in Ws]
    gb = [np.empty_like(b) for b in bs]
    b1, b2, eps = 0.9, 0.999, 1e-8
    t0 = time.perf_counter()
    order = rng.permutation(len(x))
    step = 0
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        xb, yb = np.take(x, idx, axis=0), np.take(y, idx)
        acts = [xb]
        h = xb
        for k in range(3):
            h = h @ Ws[k]
            h += bs[k]
            if k < 2:
                h = np.maximum(h, 0)
            acts.append(h)
        z = acts[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        e[np.arange(len(yb)), yb] -= 1
        g = e / len(yb)
        for k in (2, 1, 0):
            np.matmul(acts[k].T, g, out=gW[k])
            np.sum(g, axis=0, out=gb[k])
            if k > 0:
                g = g @ Ws[k].T
                g *= acts[k] > 0
        step += 1
        a = LR / (1 - b1 ** step)
        c = 1 / np.sqrt(1 - b2 ** step)
        for p, gr, mm, vv, tt in zip(params, gW + gb, m, v, tmp):
            mm *= b1
            np.multiply(gr, 1 - b1, out=tt)
            mm += tt
            vv *= b2
            np.multiply(gr, gr, out=tt)
            tt *= 1 - b2
            vv += tt
            np.sqrt(vv, out=tt)
            tt *= c
            tt += eps
            np.divide(mm, tt, out=tt)
            tt *= a
            p -= tt
    return time.perf_counter() - t0


def torch_epoch(x, y, seed):
    import torch

    torch.manual_seed(seed)
    layers = []
    for k, (a, b) in enumerate(pairwise(SIZES)):
        layers.append(torch.nn.Linear(a, b))
        if k < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def matmul_peak(n=2048, reps=10) -> float:
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ a
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    print(f"malloc tuning (framework.malloc) for every method: {tune_malloc()}")
    data = registry.get("datasets", "mnist")()
    x, y = data.x_train, data.y_train
    methods = {"framework": lambda s: framework_epoch(data, s), "handwritten": lambda s: handwritten_epoch(x, y, s)}
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        methods["pytorch"] = lambda s: torch_epoch(x, y, s)
        torch_note = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_note = "torch not installed (pip install torch==2.13.0 to compare)"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}; {torch_note}")
    print(f"date: {time.strftime('%Y-%m-%d')}; MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, Adam, float32, "
          f"{len(x)} images per epoch, {args.rounds} rounds interleaved")
    for f in methods.values():  # warm-up
        f(100)
    times = {k: [] for k in methods}
    peaks = []
    for r in range(args.rounds):
        peaks.append(matmul_peak())
        for k, f in methods.items():
            times[k].append(f(r))
    peak = statistics.median(peaks)
    work = flops_per_sample() * len(x) / 1e9
    print(f"numpy float32 matmul peak (2048^3): {peak:.1f} GFLOP/s")
    print(f"{'method':<12} {'median s/epoch':>15} {'min':>7} {'GFLOP/s':>8} {'% of peak':>9}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:<12} {med[k]:>15.3f} {min(v):>7.3f} {work / med[k]:>8.1f} {100 * work / med[k] / peak:>8.1f}%")
    print(f"framework / handwritten = {med['framework'] / med['handwritten']:.3f}  (target <= 1.10)")
    if "pytorch" in med:
        print(f"framework / pytorch     = {med['framework'] / med['pytorch']:.3f}  (target <= 1.00)")


if __name__ == "__main__":
    main()
