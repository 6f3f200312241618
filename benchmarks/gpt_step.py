"""One training step of nanoGPT's small Shakespeare model (recipes/shakespeare_gpt.py: 4 blocks, 4 heads, width 128,
context 64, batch 12, no biases, tied embeddings, AdamW, gradient clipping at 1.0) in npframe against the same model
written in PyTorch (nanoGPT's layout and initialisation: fused QKV, scaled_dot_product_attention, fused AdamW), same
shapes, 2 threads, side by side in one process with the order rotated every round; median of rounds. Then where
npframe's step goes (every layer's forward and backward timed), and generation's speed in characters per second with
the key/value cache against recomputing the whole context for every character. Needs PyTorch for the comparison (pip
install torch==2.13.0); the data are random token ids (the speed does not depend on them).

    python benchmarks/gpt_step.py [--rounds 5] [--steps 50] [--chars 300]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import machine  # benchmarks/machine.py
import numpy as np
import timing  # benchmarks/timing.py

from framework import build_model, registry
from framework.losses import SequenceCrossEntropy
from framework.malloc import tune_malloc
from framework.recipe import resolve

ROOT = Path(__file__).resolve().parents[1]
V, T, B, D, LAYERS, HEADS = 65, 64, 12, 128, 4, 4


def npframe_parts(seed=0):
    recipe = resolve(str(ROOT / "recipes" / "shakespeare_gpt.py"), [])
    info = {"input_shape": [T], "n_outputs": V, "task": "multiclass", "tokens": V, "target_shape": [T]}
    model = build_model(recipe, info, rng=np.random.default_rng(seed))
    opt = registry.get("optimizers", "adamw")(model.params, lr=1e-3, beta2=0.99, weight_decay=0.1)
    clip = registry.get("callbacks", "clip_grad_norm")(max_norm=1.0)
    return model, opt, clip


def npframe_steps(parts, x, y, steps, timers=None, rate=None) -> float:
    """Seconds per step of `steps` training steps on batches x[i % len(x)]; `rate(i)`, if given, sets the rate."""
    from types import SimpleNamespace

    model, opt, clip = parts
    loss, trainer = SequenceCrossEntropy(), SimpleNamespace(model=model)
    t0 = time.perf_counter()
    for i in range(steps):
        out = model.forward(x[i % len(x)])
        loss.forward(out, y[i % len(y)])
        model.backward(loss.backward())
        t = time.perf_counter()
        clip.on_backward_end(trainer, None)
        if rate is not None:
            opt.lr = rate(i)
        opt.step()
        if timers is not None:
            timers["clip + optimizer"] += time.perf_counter() - t
    return (time.perf_counter() - t0) / steps


def torch_parts(seed=0):
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(seed)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(D, bias=False), nn.LayerNorm(D, bias=False)
            self.qkv, self.proj = nn.Linear(D, 3 * D, bias=False), nn.Linear(D, D, bias=False)
            self.fc, self.out = nn.Linear(D, 4 * D, bias=False), nn.Linear(4 * D, D, bias=False)

        def forward(self, x):
            n, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
            q, k, v = (a.view(n, t, HEADS, D // HEADS).transpose(1, 2) for a in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(n, t, D)
            x = x + self.proj(y)
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
            self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
            self.ln = nn.LayerNorm(D, bias=False)
            self.head = nn.Linear(D, V, bias=False)
            self.head.weight = self.wte.weight  # tied

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for b in self.blocks:
                x = b(x)
            return self.head(self.ln(x))

    net = GPT()
    for m in net.modules():  # nanoGPT's initialisation: N(0, 0.02), the residual projections scaled by depth
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    for b in net.blocks:
        for m in (b.proj, b.out):
            nn.init.normal_(m.weight, 0.0, 0.02 / (2 * LAYERS) ** 0.5)
    decay = [p for p in net.parameters() if p.dim() >= 2]
    rest = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99), fused=True)
    return net, opt


def torch_steps(parts, x, y, steps, rate=None) -> float:
    """As npframe_steps, for the PyTorch model."""
    import torch
    from torch.nn import functional as F

    net, opt = parts
    xt, yt = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))
    t0 = time.perf_counter()
    for i in range(steps):
        logits = net(xt[i % len(x)])
        loss = F.cross_entropy(logits.view(-1, V), yt[i % len(y)].view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        if rate is not None:
            for group in opt.param_groups:
                group["lr"] = rate(i)
        opt.step()
    return (time.perf_counter() - t0) / steps


def generation_speed(parts, chars: int) -> dict[str, float]:
    """Characters per second writing `chars` characters after a one-character prompt (the model's weights do not
    change the speed), with the cache and without."""
    from framework import Predictor

    info = {"task": "multiclass", "n_features": T, "n_outputs": V, "input_shape": [T], "tokens": V,
            "class_names": [chr(33 + i) for i in range(V)], "dataset": "text"}
    predictor = Predictor(parts[0], info)
    out = {}
    for cache in (True, False):
        t0 = time.perf_counter()
        predictor.generate("!", chars, temperature=1.0, seed=0, cache=cache)
        out["cache" if cache else "recompute"] = chars / (time.perf_counter() - t0)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--chars", type=int, default=300)
    args = p.parse_args()
    tune_malloc()
    r = np.random.default_rng(0)
    x = r.integers(0, V, (8, B, T)).astype(np.uint8)
    y = r.integers(0, V, (8, B, T)).astype(np.uint8)
    ours = npframe_parts()
    methods = {"npframe": lambda: npframe_steps(ours, x, y, args.steps)}
    try:
        import torch

        torch.set_num_threads(2)
        theirs = torch_parts()
        methods["PyTorch"] = lambda: torch_steps(theirs, x, y, args.steps)
    except ImportError:
        print("torch not installed: pip install torch==2.13.0 (for the comparison only)")
    print(machine.describe())
    print(f"nanoGPT Shakespeare model, batch {B}, context {T}; {args.steps} steps a round, {args.rounds} rounds, "
          f"order rotated; ms per step, median (min)")
    med, times = timing.rotated(methods, args.rounds, 1e3)
    timing.report(med, times, width=10)
    parts, total = timing.layer_times(ours[0], lambda timers: args.steps * npframe_steps(ours, x, y, args.steps,
                                                                                         timers))
    print(f"npframe's step, every layer timed: {timing.shares(parts, total)}")
    speed = generation_speed(ours, args.chars)
    print(f"generation, {args.chars} characters (the context restarts from its last {T // 2} past {T}): "
          f"{speed['cache']:,.0f} characters/s with the key/value cache, {speed['recompute']:,.0f} recomputing the "
          f"context ({speed['cache'] / speed['recompute']:.1f}x)")


if __name__ == "__main__":
    main()
