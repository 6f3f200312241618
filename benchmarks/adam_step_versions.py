"""An optimizer's step alone (gradients fixed; Adam by default, or AdamW, SGD, momentum, Nesterov), this checkout's
against another commit's `plugins/optimizers.py`, side by side in one process, the order alternated, with one and
two update threads.

    python benchmarks/adam_step_versions.py [--commit d1bbde4] [--optimizer adam|adamw|sgd|momentum|nesterov]
        [--rounds 6]
    python benchmarks/adam_step_versions.py --epochs [...]   # a training epoch instead (20,000 MNIST images)
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from framework import build_mlp
from plugins import optimizers as current

ROOT = Path(__file__).resolve().parents[1]
OPTIMIZERS = {"adam": ("Adam", {}), "adamw": ("AdamW", {}), "sgd": ("SGD", {}), "momentum": ("Momentum", {}),
              "nesterov": ("Momentum", {"nesterov": True})}  # name: (class, parameters)


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


def epochs(this, that, args) -> None:
    """Median seconds of one training epoch (batch 32 on the small network, 128 on the others), interleaved."""
    from framework import registry
    from framework.malloc import tune_malloc

    sys.path.insert(0, str(Path(__file__).parent))
    from epoch_time import framework_epoch  # a sibling script

    tune_malloc()
    data = registry.get("datasets", "mnist")().limit(20000)

    def epoch(cls, sizes, batch, seed):
        return framework_epoch(data, [784, *sizes, 10], batch, seed, [], optimizer=cls)

    print(f"date: {time.strftime('%Y-%m-%d')}; seconds per epoch with {args.optimizer}, float32, 20000 images, "
          f"median of {args.rounds} rounds")
    for sizes, batch in (([256, 128], 32), ([512, 256], 128), ([1024, 1024], 128)):
        epoch(this, sizes, batch, 100)  # warm-up
        times: dict[str, list[float]] = {"this": [], args.commit: []}
        for r in range(args.rounds):
            for name in list(times) if r % 2 == 0 else list(times)[::-1]:
                times[name].append(epoch(this if name == "this" else that, sizes, batch, r))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"784-{'-'.join(map(str, sizes))}-10 at batch {batch}: this {med['this']:.3f} s, {args.commit} "
              f"{med[args.commit]:.3f} s; this / {args.commit}: {med['this'] / med[args.commit]:.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--commit", default="d1bbde4", help="the other version (default d1bbde4: 13 passes, one in "
                                                      "float64)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--epochs", action="store_true", help="time a training epoch with each version instead")
    args = p.parse_args()
    other = load_at(args.commit)
    cls, kw = OPTIMIZERS[args.optimizer]
    if args.epochs:
        return epochs(partial(getattr(current, cls), **kw), partial(getattr(other, cls), **kw), args)
    print(f"date: {time.strftime('%Y-%m-%d')}; ms per {args.optimizer} step, float32, min of {args.rounds} rounds of "
          f"30 steps")
    for sizes in ([256, 128], [512, 256], [1024, 1024]):
        res: dict[tuple[str, int], list[float]] = {}
        for threads in (1, 2):
            opts = {}
            for name, module in (("this", current), (args.commit, other)):
                model = build_mlp(784, 10, sizes, "relu", rng=np.random.default_rng(0), dtype=np.float32)
                for prm in model.params:
                    prm.grad[...] = np.random.default_rng(1).standard_normal(prm.grad.shape)
                opts[name] = getattr(module, cls)(model.params, **kw)
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
