"""`python -m framework.run RECIPE [--set KEY=VALUE ...] [--logdir DIR] [--name NAME]`: train one recipe.
`python -m framework.run --resume RUN_DIR`: continue a run from its last checkpoint.

Writes <logdir>/<recipe stem>/<run name>/ with TensorBoard events, recipe.json and summary.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import checkpoint as ckpt
from . import recipe as rcp
from .build import build
from .data import DataError
from .files import atomic_write_json, unique_dir
from .malloc import tune_malloc


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m framework.run", description="Train the network a recipe describes.")
    p.add_argument("recipe", nargs="?", help="recipe file, e.g. recipes/mnist_adam.py")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its checkpoints/last.npz")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe key, value read as a Python literal (repeatable), "
                        "e.g. --set optimizer.lr=0.01 --set model.hidden=[512,256]")
    p.add_argument("--logdir", default="logs", help="parent folder of run directories (default: logs)")
    p.add_argument("--name", default=None, help="run name (default: date and time); never overwrites a run")
    args = p.parse_args(argv)
    if (args.recipe is None) == (args.resume is None):
        p.error("give a RECIPE to start a run, or --resume RUN_DIR to continue one")
    if args.resume and (args.overrides or args.name):
        p.error("--resume continues a run as it was recorded: --set and --name do not apply")
    return args


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


def load_run(run_dir: str | Path, which: str = "last", weights_only: bool = False):
    """Rebuild the trainer of a recorded run and restore it from checkpoints/<which>.npz."""
    run_dir = Path(run_dir)
    recipe_file = run_dir / "recipe.json"
    try:
        recipe = json.loads(recipe_file.read_text())
    except (OSError, ValueError) as e:
        raise rcp.RecipeError(f"{recipe_file}: cannot read the run's recipe ({e})") from None
    trainer = build(rcp.validate(recipe, str(recipe_file)), where=str(recipe_file), run_dir=str(run_dir))
    path = ckpt.checkpoint_dir(run_dir) / f"{which}.npz"
    if not path.is_file():
        raise rcp.RecipeError(f"{path}: no checkpoint (add the 'checkpoint' callback to the recipe to save them)")
    try:
        ckpt.load(trainer, path, weights_only=weights_only)
    except ValueError as e:
        raise rcp.RecipeError(str(e)) from None
    return trainer


def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()  # a process-wide choice, made by the command, not by the Trainer
    started = time.time()
    try:
        if args.resume:
            trainer = load_run(args.resume)
            run_dir = Path(args.resume)
        else:
            recipe = resolve(args.recipe, args.overrides)
            trainer = build(recipe, where=args.recipe)
    except (rcp.RecipeError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.resume:
        name = args.name or time.strftime("%Y-%m-%d_%H-%M-%S")
        run_dir = unique_dir(Path(args.logdir) / Path(args.recipe).stem, name)
        trainer.run_dir = str(run_dir)
        atomic_write_json(run_dir / "recipe.json", recipe)
    else:
        print(f"resuming {run_dir} after epoch {trainer.state.epoch} of {trainer.epochs}")
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
    print(f"view it: tensorboard --logdir {run_dir.parent.parent if args.resume else args.logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
