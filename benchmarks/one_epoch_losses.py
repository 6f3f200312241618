"""Refactoring check: one epoch of every shipped recipe (MNIST-sized ones on 3,000 images), each test loss
printed to all digits, as JSON. Run before and after a change that should not alter the arithmetic, then compare:

    python benchmarks/one_epoch_losses.py before.json   # ... change ...
    python benchmarks/one_epoch_losses.py after.json && cmp before.json after.json

Equal files mean every recipe computed the same numbers (on this machine and build: float32 last bits may
differ across machines, docs/results/README.md).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from framework.build import build
from framework.malloc import tune_malloc
from framework.recipe import resolve

ROOT = Path(__file__).resolve().parents[1]


def main(out: str) -> None:
    tune_malloc()
    losses = {}
    paths = [*sorted((ROOT / "recipes").glob("*.py")), ROOT / "examples/npframe-extras/recipes/spirals_lion.py"]
    for path in paths:
        sets = ["epochs=1", "callbacks=[]", "loggers=[]"] + (["dataset.limit=3000"] if "mnist" in path.name else [])
        trainer = build(resolve(str(path), sets), where=str(path))
        losses[str(path.relative_to(ROOT))] = repr(trainer.fit().metrics["test_loss"])
        print(path.name, losses[str(path.relative_to(ROOT))], flush=True)
    Path(out).write_text(json.dumps(losses, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "one_epoch_losses.json")
