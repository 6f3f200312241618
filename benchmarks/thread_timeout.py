"""Which OPENBLAS_THREAD_TIMEOUT `import framework` sets: OpenBLAS's idle threads spin 2**N cycles after each product
before sleeping. Spinning long (the default, 28) takes the core the CNN's threaded NumPy passes need; sleeping at
once (4) makes every small product of a dense network wait for its threads to wake. Each value trains a dense
network (784-256-128-10, Adam, batch 128, 20,000 MNIST images) and the reference CNN (recipes/mnist_cnn.py, 6,000
images), each in a fresh process (OpenBLAS reads the variable when it loads), values alternated and the order
rotated every round; median and min epoch seconds, first epoch left out.

    python benchmarks/thread_timeout.py [--values 4,18,28] [--rounds 6]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys
import framework
from framework import recipe as rcp
from framework.build import build
from framework.malloc import tune_malloc
tune_malloc()
dense = sys.argv[1] == "dense"
r = rcp.load_raw(sys.argv[2] + ("/recipes/mnist_adam.py" if dense else "/recipes/mnist_cnn.py"))
r.update({"loggers": [], "callbacks": [], "augmentations": [], "epochs": 4 if dense else 3, "batch_size": 128,
          "scheduler": None, "dataset": {"name": "mnist", "limit": 20000 if dense else 6000}})
if dense:
    r["model"] = {"hidden": [256, 128], "activation": "relu"}
print(json.dumps(build(rcp.validate(r)).fit().epoch_seconds[1:]))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--values", default="4,18,28")
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args()
    values = args.values.split(",")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    print(describe())
    for net in ("dense", "cnn"):
        times: dict[str, list[float]] = {v: [] for v in values}
        for r in range(args.rounds):
            for v in values[r % len(values):] + values[:r % len(values)]:
                out = subprocess.run([sys.executable, "-c", CHILD, net, str(ROOT)], cwd=ROOT, capture_output=True,
                                     text=True, check=True, env=dict(env, OPENBLAS_THREAD_TIMEOUT=v))
                times[v] += json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{net}: epoch seconds, median (min) of {len(times[values[0]])} epochs: " + ", ".join(
            f"timeout {v}: {statistics.median(t):.3f} ({min(t):.3f})" for v, t in times.items()))


if __name__ == "__main__":
    main()
