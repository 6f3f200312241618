"""What the benchmarks share: methods timed side by side, the order rotated every round (machines are shared and
noisy: compare as ratios measured in one run), and one run of a model with every layer's forward and backward
timed (where the time goes)."""
from __future__ import annotations

import statistics
import time
from collections import defaultdict


def rotated(methods: dict, rounds: int, scale: float = 1.0) -> tuple[dict, dict]:
    """Each method (a function returning seconds) once as a warm-up, then `rounds` rounds, each starting one
    method later than the last; returns ({name: median x scale}, {name: every time x scale})."""
    names, times = list(methods), {k: [] for k in methods}
    for f in methods.values():
        f()
    for rnd in range(rounds):
        for name in names[rnd % len(names):] + names[:rnd % len(names)]:
            times[name].append(methods[name]() * scale)
    return {k: statistics.median(v) for k, v in times.items()}, times


def report(med: dict, times: dict, ours: str = "npframe", width: int = 20) -> None:
    """One line per method: median (min), and ours over it."""
    for k in med:
        ratio = f"  {ours} / this {med[ours] / med[k]:.2f}" if k != ours else ""
        print(f"  {k:<{width}} {med[k]:7.2f} ({min(times[k]):.2f}){ratio}")


def layer_times(model, run, rest: str = "rest (loss, Python)") -> tuple[dict, float]:
    """({"Kind forward": seconds, ...} sorted by time, the total) of `run(timers)`, which runs the model once and
    may add its own entries to `timers`; each leaf layer's forward and backward are timed on the way."""
    timers, wrapped = defaultdict(float), []
    for layer in model.walk():
        if layer.children():
            continue
        kind = type(layer).__name__
        for name in ("forward", "backward"):
            f = getattr(layer, name)

            def timed(*a, f=f, key=f"{kind} {name}", **kw):
                t = time.perf_counter()
                out = f(*a, **kw)
                timers[key] += time.perf_counter() - t
                return out

            setattr(layer, name, timed)
            wrapped.append((layer, name))
    try:
        total = run(timers)
    finally:
        for layer, name in wrapped:
            delattr(layer, name)
    timers[rest] = total - sum(timers.values())
    return dict(sorted(timers.items(), key=lambda kv: -kv[1])), total


def shares(timers: dict, total: float) -> str:
    return ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in timers.items() if v / total >= 0.01)
