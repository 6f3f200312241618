"""Epoch time of npframe against a hand-written NumPy loop and PyTorch on CPU (default Adam and fused Adam,
if torch is installed: pip install torch==2.13.0), over a sweep of network and batch sizes.

Each row: an MLP (ReLU), Adam lr 1e-3, float32, `--images` MNIST training images per epoch. Within a row the
methods run interleaved, `--rounds` times, the order rotated every round, in one process, so a noisy shared
machine affects all alike; min and median epoch seconds, the ratios, npframe's optimizer share of its step, and
GFLOP/s as a % of NumPy's own large-matmul peak measured in the same run.

    python benchmarks/epoch_time.py [--rounds 3] [--images 20000] [--rows 784-256-128-10@32,...]
    python benchmarks/epoch_time.py --blocks 4096,16384,65536,0 [--threads 1,2]   # Adam's step alone (0: one block)
    python benchmarks/epoch_time.py --threads 1,2 [--rows ...]   # npframe's epoch with each update thread count
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import timeit
from itertools import pairwise

import machine  # benchmarks/machine.py
import numpy as np

from framework import SoftmaxCrossEntropy, Trainer, build_mlp, registry
from framework.malloc import tune_malloc

LR = 1e-3
ROWS = "784-256-128-10@32,784-256-128-10@128,784-256-128-10@1024,784-512-256-10@128,784-1024-1024-10@128," \
       "784-1024-1024-10@1024"


def flops_per_sample(sizes) -> float:
    """Forward 2*sum(in*out); backward weight grads the same again, input grads for all but the first layer."""
    fwd = sum(2 * a * b for a, b in pairwise(sizes))
    return 3 * fwd - 2 * sizes[0] * sizes[1]


def framework_epoch(data, sizes, batch, seed, share, threads=None, optimizer=None):
    """Seconds of one npframe epoch (Adam unless `optimizer`, a class, is given); appends the update's share."""
    model = build_mlp(sizes[0], sizes[-1], sizes[1:-1], "relu", rng=np.random.default_rng(seed))
    opt = (optimizer or registry.get("optimizers", "adam"))(model.params, lr=LR)
    opt.threads = threads
    t = Trainer(model, SoftmaxCrossEntropy(), opt, data, epochs=1, batch_size=batch, seed=seed)
    spent, step = [0.0], opt.step

    def timed():
        t0 = time.perf_counter()
        step()
        spent[0] += time.perf_counter() - t0

    opt.step = timed
    t.fit()
    share.append(spent[0] / t.state.epoch_seconds[0])
    return t.state.epoch_seconds[0]


def handwritten_epoch(x, y, sizes, batch, seed):
    """The shortest fast NumPy loop we can write: the same math, no framework."""
    rng = np.random.default_rng(seed)
    Ws, bs = [], []
    for a, b in pairwise(sizes):
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
    last = len(Ws) - 1
    for i in range(0, len(x), batch):
        idx = order[i:i + batch]
        xb, yb = np.take(x, idx, axis=0), np.take(y, idx)
        acts = [xb]
        h = xb
        for k in range(last + 1):
            h = h @ Ws[k]
            h += bs[k]
            if k < last:
                h = np.maximum(h, 0)
            acts.append(h)
        z = acts[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        e[np.arange(len(yb)), yb] -= 1
        g = e / len(yb)
        for k in range(last, -1, -1):
            np.matmul(acts[k].T, g, out=gW[k])
            np.sum(g, axis=0, out=gb[k])
            if k > 0:
                g = g @ Ws[k].T
                g *= acts[k] > 0
        step += 1
        kb = float(np.sqrt((1 - b2) / (1 - b2 ** step)))  # Adam as the built-in computes it (docs/math.md)
        a, ek = LR * (1 - b1) / (1 - b1 ** step) / kb, eps / kb
        for p, gr, mm, vv, tt in zip(params, gW + gb, m, v, tmp):
            mm *= b1
            mm += gr
            vv *= b2
            np.multiply(gr, gr, out=tt)
            vv += tt
            np.sqrt(vv, out=tt)
            tt += ek
            np.divide(mm, tt, out=tt)
            tt *= a
            p -= tt
    return time.perf_counter() - t0


def torch_epoch(x, y, sizes, batch, seed, fused=False):
    import torch

    torch.manual_seed(seed)
    layers = []
    for k, (a, b) in enumerate(pairwise(sizes)):
        layers.append(torch.nn.Linear(a, b))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=fused)
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch):
        idx = order[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def load_torch():
    """(torch with all cores' threads, or None, and a line saying which)."""
    try:
        import torch
    except ImportError:
        return None, "torch not installed (pip install torch==2.13.0 to compare)"
    torch.set_num_threads(os.cpu_count() or 1)
    return torch, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


def matmul_peak(n=2048, reps=10) -> float:
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ a
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def bandwidth(n: int, reps: int = 10) -> float:
    """GB/s of c = a + b on float32 arrays of n elements (3 arrays moved): main memory when they exceed the
    caches, the last-level cache when they fit."""
    a, b, c = (np.ones(n, np.float32) for _ in range(3))
    np.add(a, b, out=c)
    t0 = time.perf_counter()
    for _ in range(reps):
        np.add(a, b, out=c)
    return 3 * 4 * n * reps / (time.perf_counter() - t0) / 1e9


def adam_floor_seconds(sizes) -> tuple[float, float]:
    """Adam must read w, g, m, v and write w, m, v once per step: 28 bytes per parameter, at the bandwidth
    measured for arrays of the model's size: (seconds per step, GB/s)."""
    n_params = sum(a * b + b for a, b in pairwise(sizes))
    bw = statistics.median(bandwidth(n_params) for _ in range(3))
    return 28 * n_params / (bw * 1e9), bw


def adam_floor(sizes, batch, peak) -> str:
    """The floor against forward + backward at the measured matmul peak: the least share of a step it can take."""
    update, bw = adam_floor_seconds(sizes)
    gemm = flops_per_sample(sizes) * batch / (peak * 1e9)
    return (f"Adam floor {1e3 * update:.2f} ms/step at {bw:.0f} GB/s = {100 * update / (update + gemm):.0f} % of a "
            f"step at peak")


def block_sweep(rows: str, blocks: list[int], threads: list[int], rounds: int) -> None:
    """Milliseconds per Adam step (the update alone, gradients fixed) for each block size and thread count,
    interleaved, order rotated each round."""
    for row in rows.split(","):
        sizes = [int(v) for v in row.split("@")[0].split("-")]
        model = build_mlp(sizes[0], sizes[-1], sizes[1:-1], "relu", rng=np.random.default_rng(0))
        for prm in model.params:
            prm.grad[...] = np.random.default_rng(1).standard_normal(prm.grad.shape)
        configs = [(b, k) for b in blocks for k in threads]
        opts = {c: registry.get("optimizers", "adam")(model.params, lr=LR) for c in configs}
        for (b, k), opt in opts.items():
            opt.block, opt.threads = b or len(opt.flat[0]), k
            opt.step()
        times = {c: [] for c in configs}
        for r in range(rounds):
            for c in configs[r % len(configs):] + configs[:r % len(configs)]:
                t0 = time.perf_counter()
                for _ in range(50):
                    opts[c].step()
                times[c].append((time.perf_counter() - t0) / 50 * 1e3)
        n = len(opts[configs[0]].flat[0])
        print(f"{row.split('@')[0]} ({n} parameters), ms per Adam step, median of {rounds}: " + ", ".join(
            f"block {b or 'all'} x{k} thread{'s' if k > 1 else ''} {statistics.median(t):.3f}"
            for (b, k), t in times.items()))
    for b in (b for b in blocks if b):  # what one NumPy pass costs: Adam makes 10 of them over every block
        a, c, out = (np.ones(b, np.float32) for _ in range(3))
        t = min(timeit.repeat(lambda a=a, c=c, out=out: np.multiply(a, c, out=out), number=200, repeat=5)) / 200
        print(f"one float32 multiply pass (c = a * b) over {b} elements: {1e6 * t:.1f} us, "
              f"{1e9 * t / b:.2f} ns per element")


def thread_sweep(data, rows: str, threads: list[int], rounds: int) -> None:
    """npframe's epoch with each update thread count, interleaved, order rotated each round."""
    for row in rows.split(","):
        net, batch = row.split("@")
        sizes, batch = [int(v) for v in net.split("-")], int(batch)
        framework_epoch(data, sizes, batch, 100, [])  # warm-up
        times: dict[int, list[float]] = {k: [] for k in threads}
        for r in range(rounds):
            for k in threads[r % len(threads):] + threads[:r % len(threads)]:
                times[k].append(framework_epoch(data, sizes, batch, r, [], threads=k))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{row}: median epoch s, median of {rounds}: " + ", ".join(
            f"{k} update thread{'s' if k > 1 else ''} {m:.3f} ({m / med[threads[0]]:.2f}x)" for k, m in med.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=int, default=20000, help="training images per epoch (default 20000)")
    p.add_argument("--rows", default=ROWS, help=f"SIZES@BATCH,... (default {ROWS})")
    p.add_argument("--blocks", help="instead: time Adam's step alone for these block sizes, e.g. 4096,16384,0")
    p.add_argument("--threads", help="with --blocks: thread counts to try (default 1,2); without: npframe's epoch "
                                     "with each of these update thread counts instead of the automatic choice")
    args = p.parse_args()
    if args.blocks:
        return block_sweep(args.rows, [int(b) for b in args.blocks.split(",")],
                           [int(k) for k in (args.threads or "1,2").split(",")], max(args.rounds, 5))
    print(f"malloc tuning (framework.malloc) for every method: {tune_malloc()}")
    data = registry.get("datasets", "mnist")().limit(args.images)
    x, y = data.x_train, data.y_train
    if args.threads:
        return thread_sweep(data, args.rows, [int(k) for k in args.threads.split(",")], max(args.rounds, 6))
    torch, torch_note = load_torch()
    print(machine.describe())
    print(torch_note)
    print(f"date: {time.strftime('%Y-%m-%d')}; Adam, float32, {len(x)} images per epoch, {args.rounds} rounds, "
          f"order rotated; peak: NumPy float32 2048^3 matmul in the same run")
    bw = statistics.median(bandwidth(2 ** 26, 3) for _ in range(3))
    print(f"main-memory bandwidth (c = a + b, 256 MiB float32 arrays): {bw:.1f} GB/s")
    print(f"{'network':<18} {'batch':>5} {'method':<14} {'median s':>9} {'min s':>7} {'% peak':>6}  notes")
    for row in args.rows.split(","):
        net, batch = row.split("@")
        sizes, batch = [int(v) for v in net.split("-")], int(batch)
        share: list[float] = []
        methods = {"npframe": lambda s, sz=sizes, b=batch, sh=share: framework_epoch(data, sz, b, s, sh),
                   "handwritten": lambda s, sz=sizes, b=batch: handwritten_epoch(x, y, sz, b, s)}
        if torch is not None:
            methods["torch"] = lambda s, sz=sizes, b=batch: torch_epoch(x, y, sz, b, s)
            methods["torch fused"] = lambda s, sz=sizes, b=batch: torch_epoch(x, y, sz, b, s, fused=True)
        for f in methods.values():  # warm-up
            f(100)
        share.clear()
        times, peaks, names = {k: [] for k in methods}, [], list(methods)
        for r in range(args.rounds):
            peaks.append(matmul_peak())
            for k in names[r % len(names):] + names[:r % len(names)]:
                times[k].append(methods[k](r))
        peak, work = statistics.median(peaks), flops_per_sample(sizes) * len(x) / 1e9
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in times.items():
            note = ""
            if k == "npframe":
                note = (f"optimizer {100 * statistics.median(share):.0f} % of the epoch "
                        f"({adam_floor(sizes, batch, peak)})")
                for other in ("handwritten", "torch", "torch fused"):
                    if other in med:
                        note += f"; / {other} {med['npframe'] / med[other]:.2f}"
                if "torch fused" in med:  # the same epoch with the update at its floor (one fused pass)
                    floor = adam_floor_seconds(sizes)[0] * -(-len(x) // batch)
                    best = med["npframe"] * (1 - statistics.median(share)) + floor
                    note += f"; with a one-pass update at the floor: / torch fused {best / med['torch fused']:.2f}"
            print(f"{net:<18} {batch:>5} {k:<14} {med[k]:>9.3f} {min(v):>7.3f} {100 * work / med[k] / peak:>5.0f}%  "
                  f"{note}")
    print("targets (issue 12): npframe / torch fused <= 0.90 on every row; optimizer share <= 15 % on "
          "784-1024-1024-10 at batch 128; >= 75 % of peak on 784-1024-1024-10 at batch 1024")


if __name__ == "__main__":
    main()
