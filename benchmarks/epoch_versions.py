"""The default recipe's epoch time (recipes/mnist_adam.py: 784-512-256-10 ReLU, Adam, cosine, batch 128, float32,
no loggers or callbacks) with this checkout against another commit's, in alternating processes (order rotated every
round), and each one's final test loss to all digits: equal losses mean the two versions computed the same numbers.

    python benchmarks/epoch_versions.py [--commit 03d26ff] [--rounds 4] [--epochs 3]

The other commit is checked out into a temporary git worktree and imported from there (PYTHONPATH); both use the
plugins registered by the installed npframe, so the commit must name the same built-in plugins.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys
from framework.build import build
from framework.malloc import tune_malloc
from framework.recipe import resolve
tune_malloc()
recipe = resolve(sys.argv[1], ["loggers=[]", "callbacks=[]", f"epochs={sys.argv[2]}"])
state = build(recipe).fit()
print(json.dumps({"epoch_seconds": state.epoch_seconds, "test_loss": repr(state.metrics["test_loss"])}))
"""


def run(checkout: Path, epochs: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout / "recipes" / "mnist_adam.py"), str(epochs)],
                         env=env, cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--commit", default="03d26ff", help="the other version (default: 03d26ff, before model plugins)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.commit],
                       check=True, capture_output=True)
        try:
            versions = {"this checkout": ROOT, args.commit: other}
            seconds: dict[str, list[float]] = {k: [] for k in versions}
            losses: dict[str, set[str]] = {k: set() for k in versions}
            names = list(versions)
            for r in range(args.rounds):
                for name in names[r % 2:] + names[:r % 2]:
                    result = run(versions[name], args.epochs)
                    seconds[name] += result["epoch_seconds"][1:]  # the first epoch warms caches and allocators
                    losses[name].add(result["test_loss"])
                    print(f"round {r + 1} {name:>14}: {' '.join(f'{s:.2f}' for s in result['epoch_seconds'])} s, "
                          f"test loss {result['test_loss']}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], capture_output=True)
    med = {k: statistics.median(v) for k, v in seconds.items()}
    for k in names:
        print(f"{k:>14}: median {med[k]:.3f} s per epoch (min {min(seconds[k]):.3f}, {len(seconds[k])} epochs), "
              f"test loss {', '.join(sorted(losses[k]))}")
    print(f"ratio this / {args.commit}: {med[names[0]] / med[names[1]]:.3f}; same test loss: "
          f"{losses[names[0]] == losses[names[1]]}")


if __name__ == "__main__":
    main()
