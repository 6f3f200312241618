"""`python -m framework.run RECIPE [--set KEY=VALUE ...] [--logdir DIR] [--name NAME]`: train one recipe.

Writes <logdir>/<recipe stem>/<run name>/ with TensorBoard events, recipe.json and summary.json.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import recipe as rcp
from .build import build
from .data import DataError
from .io import atomic_write_json, unique_dir


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m framework.run", description="Train the network a recipe describes.")
    p.add_argument("recipe", help="recipe file, e.g. recipes/mnist_adam.py")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe key, value read as a Python literal (repeatable), "
                        "e.g. --set optimizer.lr=0.01 --set model.hidden=[512,256]")
    p.add_argument("--logdir", default="logs", help="parent folder of run directories (default: logs)")
    p.add_argument("--name", default=None, help="run name (default: date and time); never overwrites a run")
    return p.parse_args(argv)


def resolve(recipe_path: str, overrides: list[str]) -> dict:
    """Load a recipe file, apply --set overrides, validate."""
    raw = rcp.load_raw(recipe_path)
    for text in overrides:
        key, value = rcp.parse_override(text)
        rcp.set_path(raw, key, value, where=f"--set {text}")
    return rcp.validate(raw, recipe_path)


def summary_of(trainer, status: str, started: float) -> dict:
    s = trainer.state
    final = {k: v for k, v in s.metrics.items() if k != "lr"}
    return {
        "status": status,
        "epochs_completed": len(s.history),
        "steps": s.step,
        "epoch_seconds": s.epoch_seconds,
        "train_seconds": sum(s.epoch_seconds),
        "wall_seconds": time.time() - started,
        "final": final,
        "history": s.history,
        "error": None if s.exception is None else f"{type(s.exception).__name__}: {s.exception}",
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.time()
    try:
        recipe = resolve(args.recipe, args.overrides)
        trainer = build(recipe, where=args.recipe)
    except (rcp.RecipeError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    name = args.name or time.strftime("%Y-%m-%d_%H-%M-%S")
    run_dir = unique_dir(Path(args.logdir) / Path(args.recipe).stem, name)
    trainer.run_dir = str(run_dir)
    atomic_write_json(run_dir / "recipe.json", recipe)
    try:
        trainer.fit()
    except KeyboardInterrupt:
        atomic_write_json(run_dir / "summary.json", summary_of(trainer, "interrupted", started))
        print(f"\ninterrupted; partial run in {run_dir}", file=sys.stderr)
        return 130
    except Exception as e:
        atomic_write_json(run_dir / "summary.json", summary_of(trainer, "failed", started))
        print(f"error: training failed: {type(e).__name__}: {e} (run directory {run_dir})", file=sys.stderr)
        raise
    summary = summary_of(trainer, "completed", started)
    atomic_write_json(run_dir / "summary.json", summary)
    print(f"run directory: {run_dir}")
    print("final: " + "  ".join(f"{k} {v:.4f}" for k, v in summary["final"].items()))
    print(f"training time: {summary['train_seconds']:.1f} s over {summary['epochs_completed']} epochs")
    print(f"view it: tensorboard --logdir {args.logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
