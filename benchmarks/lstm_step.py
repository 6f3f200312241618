"""Forward and backward of one LSTM layer (batch 32, 64 steps, 128 -> 256 units, every step's output, float32)
in npframe against torch.nn.LSTM on CPU, 2 threads, side by side in one process with the order rotated every
round; median of rounds. Needs PyTorch for the comparison (pip install torch==2.13.0).

    python benchmarks/lstm_step.py [--rounds 7] [--reps 10]
"""
from __future__ import annotations

import argparse
import time

import machine  # benchmarks/machine.py
import numpy as np
import timing  # benchmarks/timing.py

from framework import Sequential
from framework.malloc import tune_malloc
from plugins.layers import LSTM

N, T, F, H = 32, 64, 128, 256


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--reps", type=int, default=10)
    args = p.parse_args()
    tune_malloc()
    r = np.random.default_rng(0)
    x = r.standard_normal((N, T, F)).astype(np.float32)
    g = r.standard_normal((N, T, H)).astype(np.float32)
    model = Sequential([LSTM(H, return_sequences=True)])
    model.build((T, F), np.random.default_rng(0), np.float32)

    def ours():
        t0 = time.perf_counter()
        for _ in range(args.reps):
            model.forward(x)
            model.backward(g.copy(), need_input_grad=True)
        return (time.perf_counter() - t0) / args.reps

    methods = {"npframe": ours}
    try:
        import torch

        torch.set_num_threads(2)
        ref = torch.nn.LSTM(F, H, batch_first=True)
        xt, gt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)

        def theirs():
            t0 = time.perf_counter()
            for _ in range(args.reps):
                xt.grad = None
                ref.zero_grad(set_to_none=True)
                ref(xt)[0].backward(gt)
            return (time.perf_counter() - t0) / args.reps

        methods["PyTorch"] = theirs
    except ImportError:
        print("torch not installed: pip install torch==2.13.0 (for the comparison only)")
    print(machine.describe())
    print(f"LSTM forward + backward, batch {N}, {T} steps, {F} -> {H}, float32; {args.reps} a round, {args.rounds} "
          f"rounds, order rotated; ms, median (min)")
    med, times = timing.rotated(methods, args.rounds, 1e3)
    timing.report(med, times, width=10)
    h = model.layers[0]
    kept = h.a.nbytes + h.c.nbytes + h.h.nbytes + h.tc.nbytes + h.xt.nbytes
    print(f"memory kept for back-propagation through {T} steps: {kept / T / 1024:.0f} KiB per step (the input rows, "
          f"gates, cell and hidden states, tanh(c); batch {N})")
    print(f"its matrix products alone (the floor NumPy's BLAS sets): {products_ms(h, args.reps):.2f} ms")


def products_ms(layer, reps: int) -> float:
    """The LSTM's products alone, as forward and backward make them: 2T sequential (N, H) @ (H, 4H) and the four
    whole-sequence ones; best of `reps`."""
    r = np.random.default_rng(1)
    f = np.float32
    h, d = r.standard_normal((N, H)).astype(f), r.standard_normal((N, 4 * H)).astype(f)
    w, wt = layer.W_hh.value, np.ascontiguousarray(layer.W_hh.value.T)
    xt, dpre = layer.xt, r.standard_normal((T * N, 4 * H)).astype(f)
    hp, out, out2 = r.standard_normal((T * N, H)).astype(f), np.empty((N, 4 * H), f), np.empty((N, H), f)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(T):
            np.matmul(h, w, out=out)
            np.matmul(d, wt, out=out2)
        xt @ layer.W.value, hp.T @ dpre, xt.T @ dpre, dpre @ layer.W.value.T
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


if __name__ == "__main__":
    main()
