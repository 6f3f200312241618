"""Cost of the augmentations: MNIST epoch time (default model, batch 128) without and with all five together,
interleaved in one process, plus the time per batch of each one alone and of all five as the Trainer applies
them (shift, affine and elastic composed into one sampling), alone and inside the training epoch.

    python benchmarks/augment_cost.py [--rounds 3] [--hidden 512,256] [--floor]

With kornia installed (pip install torch==2.13.0 kornia==0.9.0; never a dependency), also its peers on the same
batch of 128 images on CPU, per-image parameters: RandomAffine and RandomElasticTransform, alone and in a row,
against npframe's affine and elastic alone and fused (one sampling), order alternated.

--floor also prints what the budget is spent on: one NumPy pass and one gather over a batch's pixels, exact
bilinear sampling, the normal draws of `noise` and the bit generator's draws under them, and the epoch with
one BLAS thread instead of two.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from framework import Batch, Callback, State, registry
from framework.build import build
from framework.malloc import tune_malloc
from framework.recipe import validate
from plugins.augmentations.sampling import bilinear, gaussian

ALL = ["shift", "affine", "elastic", "noise", "cutout"]


class Stopwatch(Callback):
    """Adds up the time between its start hook (order 0) and its stop hook (order 11): the augmentations."""

    def __init__(self, clock: dict, start: bool):
        self.clock, self.start, self.order = clock, start, 0 if start else 11

    def on_batch_begin(self, trainer, state):
        now = time.perf_counter()
        if self.start:
            self.clock["t0"] = now
        else:
            self.clock["sum"] = self.clock.get("sum", 0.0) + now - self.clock["t0"]


def epoch_seconds(data, augmentations, seed, hidden):
    """(epoch seconds, seconds spent in the augmentations during it)."""
    recipe = validate({"dataset": "mnist", "model": {"hidden": hidden}, "augmentations": augmentations,
                       "loggers": [], "epochs": 1, "seed": seed})
    trainer = build(recipe, data=data)
    clock = {}
    trainer.add_callbacks(Stopwatch(clock, True), Stopwatch(clock, False))
    trainer.fit()
    return trainer.state.epoch_seconds[0], clock["sum"]


def per_batch(f, repeats=50):
    """Milliseconds per call, after one warm-up call."""
    f()
    t0 = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - t0) / repeats * 1e3


def against_kornia(batch, rng, rounds):
    """npframe's affine and elastic (alone and fused) against kornia's on the same 128 images, CPU."""
    try:
        import kornia
        import kornia.augmentation as K
        import torch
    except ImportError:
        print("kornia not installed: pip install torch==2.13.0 kornia==0.9.0 to compare")
        return
    torch.set_num_threads(os.cpu_count() or 1)
    from plugins.augmentations import Affine, Elastic, GridWarp

    x = torch.from_numpy(np.ascontiguousarray(batch[:, None]))  # (128, 1, 28, 28)
    # the same ranges as npframe's defaults: rotation 10 degrees, scale 0.1, shear 10 degrees, translate 2 px;
    # elastic sigma 4 px, alpha 34 px (kornia's alpha is in units of the half image, its kernel 4 sigma wide)
    k_affine = K.RandomAffine(degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1), shear=10, p=1.0)
    k_elastic = K.RandomElasticTransform(kernel_size=(33, 33), sigma=(4.0, 4.0), alpha=(34 / 14, 34 / 14), p=1.0)
    both = K.AugmentationSequential(k_affine, k_elastic)
    affine, elastic = Affine(), Elastic()
    cases = {
        "npframe affine": lambda: affine.transform(batch, rng),
        "kornia RandomAffine": lambda: k_affine(x),
        "npframe elastic": lambda: elastic.transform(batch, rng),
        "kornia RandomElasticTransform": lambda: k_elastic(x),
        "npframe affine+elastic, fused": lambda: GridWarp.apply([affine, elastic], batch, rng, select=False),
        "kornia affine then elastic": lambda: both(x),
    }
    times = {k: [] for k in cases}
    with torch.no_grad():
        for r in range(rounds):
            for k in list(cases)[:: 1 if r % 2 == 0 else -1]:
                times[k].append(per_batch(cases[k], repeats=20))
    print(f"against kornia {kornia.__version__} (torch {torch.__version__}, {torch.get_num_threads()} threads), "
          f"128 images 28 x 28, ms per batch, median of {rounds}:")
    for k, v in times.items():
        print(f"  {k:<32} {statistics.median(v):7.2f}")
    ours, theirs = statistics.median(times["npframe affine+elastic, fused"]), \
        statistics.median(times["kornia affine then elastic"])
    print(f"  npframe / kornia, affine + elastic: {ours / theirs:.2f}")


def floor(data, rng, hidden, rounds):
    """The building blocks of the per-batch cost, for 128 images of 28 x 28."""
    x = data.x_train[:128].reshape(128, 28, 28)
    n = x.size
    ys = np.arange(28, dtype=np.float32)[:, None] + rng.uniform(-3, 3, x.shape).astype(np.float32)
    xs = np.arange(28, dtype=np.float32) + rng.uniform(-3, 3, x.shape).astype(np.float32)
    out, flat, index = np.empty_like(x), np.zeros(n + 4096, np.float32), rng.integers(0, n, n)
    print(f"one elementwise pass over {n} pixels: {per_batch(lambda: np.add(x, x, out=out)) * 1e3:.0f} us; "
          f"one gather: {per_batch(lambda: flat.take(index, mode='clip')) * 1e3:.0f} us")
    print(f"bilinear sampling: {per_batch(lambda: bilinear(x, ys, xs)):.2f} ms; {n} normal draws: "
          f"{per_batch(lambda: gaussian(rng, n)):.2f} ms, of which the {n // 2} 64-bit draws under them: "
          f"{per_batch(lambda: rng.bit_generator.random_raw(n // 2)):.2f} ms")
    from threadpoolctl import threadpool_limits
    two, one = [], []
    for r in range(rounds):
        two.append(epoch_seconds(data, [], r, hidden)[0])
        with threadpool_limits(1):
            one.append(epoch_seconds(data, [], r, hidden)[0])
    print(f"epoch with one BLAS thread / two: {statistics.median(one) / statistics.median(two):.2f} "
          f"({statistics.median(one):.2f} s / {statistics.median(two):.2f} s)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--hidden", default="512,256", help="hidden widths (default: the default recipe's 512,256)")
    p.add_argument("--floor", action="store_true", help="also time the building blocks of the cost")
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
        print(f"{name:<12} {per_batch(lambda aug=aug: aug.transform(batch, rng)):>9.2f}")
    trainer = build(validate({"dataset": "mnist", "augmentations": ALL, "loggers": []}), data=data)
    state = State()

    def all_five():
        state.batch = Batch(data.x_train[:128], data.y_train[:128])
        trainer.callbacks("on_batch_begin", trainer, state)

    print(f"{'all five':<12} {per_batch(all_five):>9.2f}   (as the Trainer applies them)")
    against_kornia(batch, rng, args.rounds)
    if args.floor:
        floor(data, rng, hidden, args.rounds)
    base, full, inside = [], [], []
    for r in range(args.rounds):
        base.append(epoch_seconds(data, [], r, hidden)[0])
        seconds, augmenting = epoch_seconds(data, ALL, r, hidden)
        full.append(seconds)
        inside.append(augmenting)
    b, f, a = statistics.median(base), statistics.median(full), statistics.median(inside)
    batches = -(-len(data.x_train) // 128)
    print(f"epoch without augmentation: {b:.2f} s; with all five: {f:.2f} s (medians of {args.rounds}), of which "
          f"{a:.2f} s augmenting ({a / batches * 1e3:.2f} ms/batch) and {f - a:.2f} s the rest")
    print(f"augmentation cost: {100 * (f - b) / b:.1f} % of an epoch (target <= 30 %); "
          f"each round: {', '.join(f'{100 * (y - x) / x:.0f} %' for x, y in zip(base, full))}")


if __name__ == "__main__":
    main()
