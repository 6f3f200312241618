"""Epoch time of the CIFAR-10 reference CNN (recipes/cifar10_cnn.py: conv 32-32, pool, 64-64, pool, 128, pool, each
convolution with batch norm and ReLU, dense 10; Adam, float32, batch 128) against the same network in PyTorch on
CPU (channels_last, its faster layout here, and NCHW; fused Adam; 2 threads), side by side in one process, the
order rotated every round. Inputs are uint8 colour images made up here (the speed does not depend on the
pixels), turned into float32 a batch at a time as npframe's training does. Then where npframe's time goes: one
further epoch with every layer's forward and backward timed. `--recipe` times another recipe's network on the
same images (npframe alone: the PyTorch networks here mirror the reference CNN only), e.g. the record recipe's.

    python benchmarks/cifar_epoch.py [--rounds 3] [--images 2560] [--batch 128] [--recipe recipes/cifar10_best.py]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import machine  # benchmarks/machine.py
import numpy as np
import timing  # benchmarks/timing.py

from framework import SoftmaxCrossEntropy, build_model, registry
from framework.malloc import tune_malloc
from framework.recipe import resolve

ROOT = Path(__file__).resolve().parents[1]


REFERENCE = ROOT / "recipes" / "cifar10_cnn.py"


def npframe_model(seed=0, path=REFERENCE):
    recipe = resolve(str(path), [])
    model = build_model(recipe, {"input_shape": [3, 32, 32], "n_outputs": 10, "task": "multiclass"},
                        rng=np.random.default_rng(seed))
    return model, registry.get("optimizers", "adam")(model.params, lr=1e-3)


def npframe_epoch(model, opt, x, y, batch, timers=None) -> float:
    loss = SoftmaxCrossEntropy()
    t0 = time.perf_counter()
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].astype(np.float32) * np.float32(1 / 255)
        out = model.forward(xb)
        loss.forward(out, y[i:i + batch])
        model.backward(loss.backward())
        t = time.perf_counter()
        opt.step()
        if timers is not None:
            timers["optimizer"] += time.perf_counter() - t
    return time.perf_counter() - t0


def torch_parts(channels_last):
    import torch
    from torch import nn

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    net = nn.Sequential(*block(3, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64),
                        nn.MaxPool2d(2), *block(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 16, 10))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net, torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)


def torch_epoch(parts, x, y, batch, channels_last) -> float:
    import torch

    net, opt = parts
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    for i in range(0, len(x), batch):
        xb = xt[i:i + batch].float().mul_(1 / 255)
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        lossf(net(xb), yt[i:i + batch]).backward()
        opt.step()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=int, default=2560)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--recipe", type=Path, default=REFERENCE, help="the network to time (default: the reference CNN)")
    args = p.parse_args()
    reference = args.recipe.resolve() == REFERENCE
    tune_malloc()
    r = np.random.default_rng(0)
    x = r.integers(0, 256, (args.images, 3, 32, 32), dtype=np.uint8)
    y = r.integers(0, 10, args.images).astype(np.int64)
    ours = npframe_model(path=args.recipe)
    methods = {"npframe": lambda: npframe_epoch(*ours, x.reshape(len(x), -1), y, args.batch)}
    try:
        if not reference:
            raise ImportError  # no PyTorch twin of another recipe's network
        import torch

        torch.set_num_threads(2)
        cl, nchw = torch_parts(True), torch_parts(False)
        methods["torch channels_last"] = lambda: torch_epoch(cl, x, y, args.batch, True)
        methods["torch NCHW"] = lambda: torch_epoch(nchw, x, y, args.batch, False)
    except ImportError:
        if reference:
            print("torch not installed: pip install torch==2.13.0 (for the comparison only)")
    print(machine.describe())
    what = "reference CNN" if reference else f"{args.recipe.name} network"
    print(f"CIFAR-10 {what}, batch {args.batch}, {args.images} images per epoch, {args.rounds} rounds, "
          f"order rotated; seconds per 10,000 images, median (min)")
    med, times = timing.rotated(methods, args.rounds, 10_000 / args.images)
    timing.report(med, times)
    model, opt = npframe_model(path=args.recipe)
    flat = x.reshape(len(x), -1)
    parts, total = timing.layer_times(model, lambda timers: npframe_epoch(model, opt, flat, y, args.batch, timers),
                                      "rest (loss, casts, Python)")
    print(f"npframe's time, one epoch with every layer timed: {timing.shares(parts, total)}")


if __name__ == "__main__":
    main()
