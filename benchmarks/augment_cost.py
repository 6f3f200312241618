"""Cost of the augmentations: MNIST epoch time (default model, batch 128) without and with all five together,
interleaved in one process, plus the time per batch of each one alone and of all five as the Trainer applies
them (shift, affine and elastic composed into one sampling).

    python benchmarks/augment_cost.py [--rounds 3] [--hidden 512,256]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from framework import Batch, State, registry
from framework.malloc import tune_malloc
from framework.build import build
from framework.recipe import validate

ALL = ["shift", "affine", "elastic", "noise", "cutout"]


def epoch_seconds(data, augmentations, seed, hidden):
    recipe = validate({"dataset": "mnist", "model": {"hidden": hidden}, "augmentations": augmentations,
                       "loggers": [], "epochs": 1, "seed": seed})
    trainer = build(recipe, data=data)
    trainer.fit()
    return trainer.state.epoch_seconds[0]


def per_batch(f, repeats=50):
    """Milliseconds per call, after one warm-up call."""
    f()
    t0 = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - t0) / repeats * 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--hidden", default="512,256", help="hidden widths (default: the default recipe's 512,256)")
    args = p.parse_args()
    hidden = [int(h) for h in args.hidden.split(",")]
    print(f"malloc tuning (framework.malloc) for every method: {tune_malloc()}")
    data = registry.get("datasets", "mnist")()
    print(f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, MNIST 784-{'-'.join(map(str, hidden))}-10, "
          f"batch 128, float32")
    rng = np.random.default_rng(0)
    batch = data.x_train[:128].reshape(128, 28, 28)
    print(f"{'augmentation':<12} {'ms/batch':>9}")
    for name in ALL:
        aug = registry.get("augmentations", name)()
        print(f"{name:<12} {per_batch(lambda: aug.transform(batch, rng)):>9.2f}")
    trainer = build(validate({"dataset": "mnist", "augmentations": ALL, "loggers": []}), data=data)
    state = State()

    def all_five():
        state.batch = Batch(data.x_train[:128], data.y_train[:128])
        trainer.callbacks("on_batch_begin", trainer, state)

    print(f"{'all five':<12} {per_batch(all_five):>9.2f}   (as the Trainer applies them)")
    base, full = [], []
    for r in range(args.rounds):
        base.append(epoch_seconds(data, [], r, hidden))
        full.append(epoch_seconds(data, ALL, r, hidden))
    b, f = statistics.median(base), statistics.median(full)
    print(f"epoch without augmentation: {b:.2f} s; with all five: {f:.2f} s (medians of {args.rounds})")
    print(f"augmentation cost: {100 * (f - b) / b:.1f} % of an epoch (target <= 30 %)")


if __name__ == "__main__":
    main()
