"""The race of issue 35's moonshot: nanoGPT's small Shakespeare model (recipes/shakespeare_gpt.py) trained for its
2000 steps in PyTorch and in npframe, one after the other in one process (2 threads each, the order swapped every
round), on the same batches (random windows of nanoGPT's 90 % training split, drawn with the round's seed) under
the same rate (nanoGPT's: 100 linear warm-up steps, cosine from 1e-3 to 1e-4 at step 2000), AdamW (0.9, 0.99),
weight decay 0.1 on matrices, gradient norms clipped at 1.0. Each side's training wall time (evaluation excluded)
and its loss on the held-out 10 % (every non-overlapping 64-character window, the npframe run's validation set),
computed the same way from both sides' logits. npframe wins the race if it is done in no more wall time with a
lower held-out loss. The PyTorch model is benchmarks/gpt_step.py's (needs pip install torch==2.13.0).

    python benchmarks/gpt_race.py --text ../shared/datasets/tinyshakespeare/input.txt [--rounds 2] [--steps 2000]
        [--npframe-steps N]
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import gpt_step  # benchmarks/gpt_step.py: both models
import machine  # benchmarks/machine.py
import numpy as np

from framework import registry
from framework.losses import SequenceCrossEntropy
from framework.malloc import tune_malloc

WARMUP, LR, MIN_LR = 100, 1e-3, 1e-4


def rate(step: int, steps: int) -> float:
    """nanoGPT's get_lr: linear warm-up over WARMUP steps, then cosine from LR to MIN_LR at `steps`."""
    if step < WARMUP:
        return LR * (step + 1) / (WARMUP + 1)
    return MIN_LR + 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / (steps - WARMUP))) * (LR - MIN_LR)


def held_out_loss(logits_of, x: np.ndarray, y: np.ndarray, batch: int = 64) -> float:
    """Mean cross-entropy over every position of the held-out windows, from the logits in float64."""
    loss = SequenceCrossEntropy()
    return sum(loss.forward(logits_of(x[i:i + batch]).astype(np.float64), y[i:i + batch]) * y[i:i + batch].size
               for i in range(0, len(x), batch)) / y.size


def train_npframe(x, y, steps: int, seed: int, held_out) -> tuple[float, float]:
    parts = gpt_step.npframe_parts(seed)
    seconds = steps * gpt_step.npframe_steps(parts, x, y, steps, rate=lambda i: rate(i, steps))
    parts[0].eval()
    return seconds, held_out_loss(parts[0].forward, *held_out)


def train_torch(x, y, steps: int, seed: int, held_out) -> tuple[float, float]:
    import torch

    parts = gpt_step.torch_parts(seed)
    seconds = steps * gpt_step.torch_steps(parts, x, y, steps, rate=lambda i: rate(i, steps))
    parts[0].eval()
    with torch.no_grad():
        return seconds, held_out_loss(lambda x: parts[0](torch.from_numpy(x.astype(np.int64))).numpy(), *held_out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--text", required=True, help="tiny-shakespeare's input.txt")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--npframe-steps", type=int, default=None, help="npframe's steps, its rate's schedule compressed to "
                   "them (default: --steps), for a race where its steps are slower than PyTorch's")
    args = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("gpt_race.py: PyTorch is not installed (pip install torch==2.13.0, for the race only)")
    if not Path(args.text).is_file():
        sys.exit(f"gpt_race.py: {args.text}: no such file (tiny-shakespeare's input.txt)")
    torch.set_num_threads(2)
    ours = args.npframe_steps or args.steps
    tune_malloc()
    data = registry.get("datasets", "text")(args.text, block_size=gpt_step.T, split="nanogpt")
    if data.tokens != gpt_step.V:
        sys.exit(f"gpt_race.py: {args.text}: {data.tokens} distinct characters, expected tiny-shakespeare's "
                 f"{gpt_step.V}")
    held_out = (np.ascontiguousarray(data.x_val), np.ascontiguousarray(data.y_val))
    print(machine.describe())
    print(f"nanoGPT's small model on tiny-shakespeare, {args.steps} steps (npframe {ours}) of batch {gpt_step.B}, "
          f"context {gpt_step.T}; held-out: {len(held_out[0]):,} windows ({held_out[1].size:,} characters); "
          f"training seconds, held-out loss")
    sides = {"PyTorch": train_torch, "npframe": train_npframe}
    results = {k: [] for k in sides}
    for rnd in range(args.rounds):
        idx = np.random.default_rng(rnd).integers(0, len(data.x_train), (max(args.steps, ours), gpt_step.B))
        x, y = data.x_train[idx], data.y_train[idx]  # (steps, batch, context): the round's batches
        order = list(sides) if rnd % 2 == 0 else list(sides)[::-1]
        for name in order:
            steps = ours if name == "npframe" else args.steps
            seconds, loss = sides[name](x, y, steps, rnd, held_out)
            results[name].append((seconds, loss))
            print(f"  round {rnd} (seed {rnd}) {name:<8} {steps} steps {seconds:7.1f} s  ({1e3 * seconds / steps:.1f} "
                  f"ms a step)  held-out loss {loss:.4f}", flush=True)
    if not np.isfinite([r[1] for k in results for r in results[k]]).all():
        sys.exit("gpt_race.py: a held-out loss is not finite: training diverged")
    won = 0
    for (ts, lt), (tn, ln) in zip(results["PyTorch"], results["npframe"]):
        won += tn <= ts and ln < lt
    mean = lambda k, j: np.mean([r[j] for r in results[k]])
    print(f"mean: PyTorch {mean('PyTorch', 0):.1f} s, loss {mean('PyTorch', 1):.4f}; npframe {mean('npframe', 0):.1f} "
          f"s, loss {mean('npframe', 1):.4f}; npframe in no more time with a lower loss in {won} of {args.rounds} "
          f"rounds")


if __name__ == "__main__":
    main()
