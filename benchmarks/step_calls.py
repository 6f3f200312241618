"""Python work per training step: function calls counted by cProfile over steps 100-600 of the default recipe
(its callbacks and loggers included, or none with --bare), and the functions called most. Counts, unlike
timings, do not depend on the machine's load.

    python benchmarks/step_calls.py [--batch 32] [--bare] [--top 12]
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import tempfile
from pathlib import Path

from framework import Callback
from framework import recipe as rcp
from framework.build import build

FIRST, LAST = 100, 600


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bare", action="store_true", help="no callbacks or loggers")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args()
    r = rcp.load(Path(__file__).resolve().parents[1] / "recipes" / "mnist_adam.py")
    r.update(epochs=1, batch_size=args.batch)
    if args.bare:
        r.update(callbacks=[], loggers=[])
    profiler = cProfile.Profile()

    class Window(Callback):
        def on_batch_begin(self, trainer, state):
            if state.step == FIRST:
                profiler.enable()
            elif state.step == LAST:
                profiler.disable()
                trainer.should_stop = True

    with tempfile.TemporaryDirectory() as d:
        trainer = build(rcp.validate(r), run_dir=d)
        trainer.add_callbacks(Window())
        trainer.fit()
    calls = collections.Counter()
    for (path, line, fn), stat in pstats.Stats(profiler).stats.items():
        calls[f"{os.path.basename(path)}:{line}({fn})"] += stat[1]
    steps = LAST - FIRST
    print(f"batch {args.batch}, {'bare' if args.bare else 'default callbacks and loggers'}: "
          f"{sum(calls.values()) / steps:.1f} Python-level calls per step (steps {FIRST}-{LAST})")
    for name, n in calls.most_common(args.top):
        print(f"  {n / steps:8.2f}  {name}")


if __name__ == "__main__":
    main()
