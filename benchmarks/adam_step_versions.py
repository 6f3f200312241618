"""Adam's step alone (gradients fixed), this checkout's against another commit's `plugins/optimizers.py`, side
by side in one process, the order alternated, with one and two update threads.

    python benchmarks/adam_step_versions.py [--commit d1bbde4] [--rounds 6]
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from framework import build_mlp
from plugins import optimizers as current

ROOT = Path(__file__).resolve().parents[1]


def load_at(commit: str):
    """plugins/optimizers.py as it was at `commit`, imported under another name."""
    try:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:plugins/optimizers.py"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"--commit {commit!r}: cannot read plugins/optimizers.py there ({e})")
    path = Path(tempfile.mkdtemp()) / f"optimizers_{commit}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--commit", default="d1bbde4", help="the other version (default d1bbde4: 13 passes, one in "
                                                      "float64)")
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args()
    other = load_at(args.commit)
    print(f"date: {time.strftime('%Y-%m-%d')}; ms per Adam step, float32, min of {args.rounds} rounds of 30 steps")
    for sizes in ([256, 128], [512, 256], [1024, 1024]):
        res: dict[tuple[str, int], list[float]] = {}
        for threads in (1, 2):
            opts = {}
            for name, module in (("this", current), (args.commit, other)):
                model = build_mlp(784, 10, sizes, "relu", rng=np.random.default_rng(0), dtype=np.float32)
                for prm in model.params:
                    prm.grad[...] = np.random.default_rng(1).standard_normal(prm.grad.shape)
                opts[name] = module.Adam(model.params)
                opts[name].threads = threads
                opts[name].step()
            names = list(opts)
            for r in range(args.rounds):
                for name in names if r % 2 == 0 else names[::-1]:
                    t0 = time.perf_counter()
                    for _ in range(30):
                        opts[name].step()
                    res.setdefault((name, threads), []).append((time.perf_counter() - t0) / 30 * 1e3)
        n = sum(prm.value.size for prm in opts["this"].params)
        line = ", ".join(f"{k} threads={t}: {min(v):.3f}" for (k, t), v in res.items())
        ratios = ", ".join(f"{t} thread{'s' if t > 1 else ''} {min(res[('this', t)]) / min(res[(args.commit, t)]):.2f}"
                           for t in (1, 2))
        print(f"784-{'-'.join(map(str, sizes))}-10 ({n} parameters): {line}; this / {args.commit}: {ratios}")


if __name__ == "__main__":
    main()
