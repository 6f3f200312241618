"""Seconds of training until the validation accuracy first reaches a target, on MNIST with the default recipe
(784-512-256-10 ReLU, Adam 1e-3, cosine over 15 epochs, batch 128): npframe against the same recipe in PyTorch
(the same initial weights, the same batches in the same order, the same learning rate at every step), and
npframe with random affine transforms to a higher target. Validation is measured after every epoch and its
time is not counted. Needs torch for the comparison (pip install torch==2.13.0).

    python benchmarks/time_to_accuracy.py [--target 0.98] [--aug-target 0.99] [--epochs 15] [--aug-epochs 40]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from framework import Callback
from framework.build import build
from framework.malloc import tune_malloc
from framework.recipe import resolve

sys.path.insert(0, str(Path(__file__).parent))
from epoch_time import load_torch  # a sibling script

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


class Until(Callback):
    """Stops at the first epoch whose validation accuracy reaches `target`; records the training seconds."""

    order = 95

    def __init__(self, target):
        self.target, self.reached = target, None

    def on_epoch_end(self, trainer, state):
        if self.reached is None and state.metrics["val_accuracy"] >= self.target:
            self.reached = (state.epoch + 1, sum(state.epoch_seconds), state.metrics["val_accuracy"])
            trainer.should_stop = True


def npframe_run(recipe_file: str, target: float, epochs: int, limit: int | None):
    sets = ["loggers=[]", "callbacks=[]", f"epochs={epochs}"] + ([f"dataset.limit={limit}"] if limit else [])
    trainer = build(resolve(str(RECIPES / recipe_file), sets))
    until = Until(target)
    trainer.add_callbacks(until)
    trainer.fit()
    return until.reached, trainer


def torch_run(template, target: float):
    """The npframe trainer's recipe in PyTorch: its initial weights, batch order and per-step learning rate."""
    import torch

    layers, it = [], iter(template.model.params)  # W0, b0, W1, b1, ...
    for w, b in zip(it, it):
        lin = torch.nn.Linear(*w.value.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.value.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.value.copy()))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(model.parameters(), lr=template.optimizer.lr)
    sched = next(c for c in template.callbacks if hasattr(c, "lr_at"))
    lossf = torch.nn.CrossEntropyLoss()
    d = template.data
    xt, yt = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    xv, yv = torch.from_numpy(d.x_val), torch.from_numpy(d.y_val)
    rng = np.random.default_rng(np.random.SeedSequence(template.recipe["seed"]).spawn(2)[1])  # the Trainer's
    seconds, step = 0.0, 0
    for epoch in range(template.epochs):
        t0 = time.perf_counter()
        order = torch.from_numpy(rng.permutation(len(d.x_train)))
        for start, end in template.batches():
            for group in opt.param_groups:
                group["lr"] = sched.lr_at(step)
            idx = order[start:end]
            opt.zero_grad(set_to_none=True)
            lossf(model(xt[idx]), yt[idx]).backward()
            opt.step()
            step += 1
        seconds += time.perf_counter() - t0
        with torch.no_grad():
            acc = float((model(xv).argmax(1) == yv).float().mean())
        if acc >= target:
            return epoch + 1, seconds, acc
    return None


def adam_agreement(torch, n=100_000, steps=200) -> str:
    """npframe's Adam against torch.optim.Adam on the same weights and gradients (of sizes spread over six
    decades), float32 and float64: how far the two sets of weights end apart, absolutely and relative to the
    distance the weights moved. Shows that the runs differ in rounding, not in the update."""
    from framework import Param, registry

    out = []
    for dtype in (np.float32, np.float64):
        r = np.random.default_rng(0)
        w0 = r.standard_normal(n).astype(dtype)
        grads = [(r.standard_normal(n) * 10 ** r.uniform(-6, 0)).astype(dtype) for _ in range(steps)]
        tw = torch.tensor(w0.copy(), requires_grad=True)
        topt = torch.optim.Adam([tw], lr=1e-3)
        p = Param("w", w0.copy())
        opt = registry.get("optimizers", "adam")([p], lr=1e-3)
        for g in grads:
            tw.grad = torch.from_numpy(g.copy())
            topt.step()
            p.grad[...] = g
            opt.step()
        ref = tw.detach().numpy()
        gap = float(np.abs(p.value - ref).max())
        out.append(f"{dtype.__name__} {gap:.2g} ({gap / float(np.abs(ref - w0).max()):.2g} of the distance moved)")
    return f"Adam against torch.optim.Adam, {n} weights, {steps} steps, largest difference: " + ", ".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", type=float, default=0.98)
    p.add_argument("--aug-target", type=float, default=0.99)
    p.add_argument("--epochs", type=int, default=15, help="the schedule's length, and the most epochs tried")
    p.add_argument("--aug-epochs", type=int, default=40,
                   help="the augmented run's schedule length and most epochs (default 40: 15 do not reach 99 %%)")
    p.add_argument("--limit", type=int, default=None, help="dataset.limit, for a quick try")
    args = p.parse_args()
    tune_malloc()
    torch, note = load_torch()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {note}; date: {time.strftime('%Y-%m-%d')}")
    reached, _ = npframe_run("mnist_adam.py", args.target, args.epochs, args.limit)
    show = lambda r: "not reached" if r is None else \
        f"{r[1]:.1f} s (epoch {r[0]}, {r[1] / r[0]:.2f} s per epoch, val {r[2]:.4f})"
    print(f"npframe, default recipe, to val {args.target}: {show(reached)}")
    if torch is not None:
        template = build(resolve(str(RECIPES / "mnist_adam.py"), ["loggers=[]", "callbacks=[]", f"epochs={args.epochs}"]
                                 + ([f"dataset.limit={args.limit}"] if args.limit else [])))
        template.callbacks("on_fit_begin", template, template.state)  # the schedule learns its base lr and length
        r = torch_run(template, args.target)
        print(f"pytorch, same weights, batches, schedule, to val {args.target}: {show(r)}")
        if reached and r:
            print(f"npframe / pytorch = {reached[1] / r[1]:.2f}")
        print(adam_agreement(torch))
    aug, _ = npframe_run("mnist_affine.py", args.aug_target, args.aug_epochs, args.limit)
    print(f"npframe, affine augmentation, cosine over {args.aug_epochs} epochs, to val {args.aug_target}: {show(aug)}")


if __name__ == "__main__":
    main()
