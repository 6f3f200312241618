"""`python -m framework.run RECIPE [--set KEY=VALUE ...] [--logdir DIR] [--name NAME]`: train one recipe.
`python -m framework.run --resume RUN_DIR [--checkpoint last|best]`: continue a run from a checkpoint.

Writes <logdir>/<recipe stem>/<run name>/ with TensorBoard events, recipe.json and summary.json. RECIPE may
also be a run's recipe.json, to repeat that run. Exit codes: 0 completed, 1 failed or diverged, 2 usage or
recipe error (nothing written), 130 interrupted (SIGINT or SIGTERM; the summary says where it stopped).
"""
from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
import time
import traceback
from pathlib import Path

from . import checkpoint as ckpt
from . import cli
from . import recipe as rcp
from .build import build
from .files import atomic_write_json, unique_dir, write_manifest
from .inference import save_description
from .malloc import tune_malloc
from .trainer import Diverged


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m framework.run", description="Train the network a recipe describes.")
    p.add_argument("recipe", nargs="?", help="recipe file, e.g. recipes/mnist_adam.py (or a run's recipe.json)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its checkpoints/last.npz")
    p.add_argument("--checkpoint", choices=("last", "best"), default=None,
                   help="with --resume: the checkpoint to continue from (default: last)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="with --resume: train up to N epochs in all (a finished run continues; the schedule is "
                        "evaluated over the new total)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe key, value read as a Python literal (repeatable), "
                        "e.g. --set optimizer.lr=0.01 --set 'model.hidden=[512,256]'")
    p.add_argument("--logdir", default="logs", help="parent folder of run directories (default: logs)")
    p.add_argument("--name", default=None, help="run name (default: date and time); never overwrites a run")
    args = p.parse_args(argv)
    if (args.recipe is None) == (args.resume is None):
        p.error("give a RECIPE to start a run, or --resume RUN_DIR to continue one")
    if args.resume and (args.overrides or args.name):
        p.error("--resume continues a run as it was recorded: --set and --name do not apply")
    if (args.checkpoint or args.epochs is not None) and not args.resume:
        p.error("--checkpoint and --epochs go with --resume (to change a new run's epochs: --set epochs=N)")
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
    if s.weights_epoch is not None:
        final["weights_epoch"] = s.weights_epoch  # the epoch whose weights gave the val_ and test_ figures
    e = s.exception
    out = {
        "status": status,
        "epochs_completed": len(s.history),
        "steps": s.step,
        "epoch_seconds": s.epoch_seconds,
        "train_seconds": sum(s.epoch_seconds),
        "wall_seconds": time.time() - started,
        "final": final,
        "history": s.history,
        "error": None if e is None or isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}",
        "extensions": trainer.run_info.get("extensions", []),  # --resume --epochs N since recipe.json's first run
    }
    if isinstance(e, Diverged):
        out["diverged"] = {"epoch": e.epoch, "step": e.step, "reason": e.what, "lr": e.lr}
    return out


def resume_hint(run_dir: Path) -> str:
    """How to go on with an interrupted run: the exact --resume command, or how to start it again."""
    if (ckpt.checkpoint_dir(run_dir) / "last.npz").is_file():
        return f"resume it with: python -m framework.run --resume {shlex.quote(str(run_dir))}"
    again = f"python -m framework.run {shlex.quote(str(run_dir / 'recipe.json'))}"
    try:
        has_ckpt = any(c.get("name") == "checkpoint" for c in json.loads((run_dir / "recipe.json").read_text())
                       .get("callbacks", []) if isinstance(c, dict))
    except (OSError, ValueError, AttributeError):
        has_ckpt = False
    if has_ckpt:
        try:
            summary = json.loads((run_dir / "summary.json").read_text())
        except (OSError, ValueError):
            summary = {}
        why = "it stopped before its first epoch ended"
        if summary.get("status") in ("failed", "diverged"):
            why = f"the run {summary['status']}: {summary.get('error')}"
        return f"no checkpoint was written yet ({why}); start it again with: {again}"
    return f"its recipe has no 'checkpoint' callback, so it cannot be resumed; start it again with: {again}"


def load_run(run_dir: str | Path, which: str = "last", weights_only: bool = False):
    """Rebuild the trainer of a recorded run and restore it from checkpoints/<which>.npz."""
    run_dir = Path(run_dir)
    recipe_file = run_dir / "recipe.json"
    if not recipe_file.is_file():
        raise rcp.RecipeError(f"{run_dir}: not a run directory (no recipe.json)")
    path = ckpt.checkpoint_dir(run_dir) / f"{which}.npz"
    if not path.is_file():
        if which == "last":
            raise rcp.RecipeError(f"{path}: no such checkpoint; {resume_hint(run_dir)}")
        raise rcp.RecipeError(f"{path}: no such checkpoint (none of its epochs improved the monitored metric, "
                              f"or the recipe's checkpoint callback has save_best=False)")
    recipe = rcp.validate(rcp.load_raw(recipe_file), str(recipe_file))
    try:
        trained = ckpt.read(path)[0].get("recipe")
    except ckpt.CheckpointError:
        trained = None  # reported below, with the other checkpoint offered
    if trained is not None:  # recipe.json is the work as first run; only epochs may have grown since (--epochs)
        changed = _first_difference(rcp.validate(copy.deepcopy(trained), str(path)), recipe, skip=("epochs",))
        if changed is not None:
            key, was, now = changed
            raise rcp.RecipeError(f"{recipe_file}: key {key!r} says {now!r}, but {path.name} was trained with {was!r}: "
                                  f"a run continues the work it recorded; start a new run for a changed recipe")
        recipe["epochs"] = trained["epochs"]
    trainer = build(recipe, where=str(recipe_file), run_dir=str(run_dir))
    try:
        ckpt.load(trainer, path, weights_only=weights_only)
    except ckpt.CheckpointError as e:
        other = path.with_name("best.npz" if which == "last" else "last.npz")
        try:
            ckpt.read(other)
            hint = f"; {other} is intact: use --checkpoint {other.stem}"
        except ckpt.CheckpointError:
            hint = ""
        raise rcp.RecipeError(f"{e}{hint}") from None
    return trainer


def _first_difference(a, b, skip=(), at: str = ""):
    """(dotted key, value in a, value in b) of the first place two JSON-like values differ, else None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if not at and k in skip:
                continue
            d = _first_difference(a.get(k), b.get(k), skip, f"{at}.{k}" if at else str(k))
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, skip, f"{at}.{i}")
            if d is not None:
                return d
        return None
    return None if a == b else (at, a, b)


def _write_summary(run_dir: Path, summary: dict) -> str:
    """Write summary.json; on failure (a full disk, say) return a note for the one-line message instead."""
    try:
        atomic_write_json(run_dir / "summary.json", summary)
        return ""
    except OSError as e:
        return f"; summary.json not written ({e.strerror or e})"


@cli.command
def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()  # a process-wide choice, made by the command, not by the Trainer
    started = time.time()
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "recipe.json").is_file():
            raise rcp.RecipeError(f"{run_dir}: not a run directory (no recipe.json)")
        lock = cli.lock_run(run_dir)
        trainer = load_run(run_dir, args.checkpoint or "last")
        done = trainer.state.epoch
        try:
            before = json.loads((run_dir / "summary.json").read_text())
        except (OSError, ValueError):
            before = {}
        extensions = list(before.get("extensions", []))
        if args.epochs is not None:
            if args.epochs <= done:
                raise cli.UsageError(f"--epochs {args.epochs}: {run_dir} has already trained {done} epochs; give "
                                     f"more than {done}")
            extensions.append({"after_epoch": done, "epochs": args.epochs})  # recipe.json stays as first run
            trainer.epochs = trainer.recipe["epochs"] = args.epochs
        elif done >= trainer.epochs:
            raise cli.UsageError(f"{run_dir} has finished its {trainer.epochs} epochs; to train further give "
                                 f"--epochs N with N > {trainer.epochs}")
        elif before.get("status") == "completed":
            raise cli.UsageError(f"{run_dir} completed after {done} of {trainer.epochs} epochs (a callback such as "
                                 f"early_stopping ended it); to train further give --epochs N with N > {done}")
        trainer.run_info = {"run": run_dir.name, "extensions": extensions}
        print(f"resuming {run_dir} after epoch {done} of {trainer.epochs}")
    else:
        recipe = resolve(args.recipe, args.overrides)
        path = Path(args.recipe)
        stem = path.parent.parent.name if path.name == "recipe.json" and path.parent.parent.name else path.stem
        name = cli.run_name(args.name or time.strftime("%Y-%m-%d_%H-%M-%S"))
        created = cli.make_dir(Path(args.logdir) / stem, f"--logdir {args.logdir}")  # before any data is loaded
        try:
            run_dir = unique_dir(Path(args.logdir) / stem, name)
        except OSError as e:
            cli.remove_dirs(created)
            raise cli.UsageError(f"--logdir {args.logdir}: cannot create a run folder ({e.strerror or e})") from None
        try:
            lock = cli.lock_run(run_dir)  # noqa: F841 (held until the process ends)
            trainer = build(recipe, where=args.recipe, run_dir=str(run_dir))
            trainer.run_info = {"run": run_dir.name}
            atomic_write_json(run_dir / "recipe.json", recipe)
            save_description(run_dir, trainer.data)
        except BaseException:
            for f in run_dir.iterdir():
                f.unlink()
            cli.remove_dirs([*created, run_dir])
            raise
        print(trainer.model.summary())
        print(f"run directory: {run_dir}")
    try:
        trainer.fit()
    except KeyboardInterrupt:
        note = _write_summary(run_dir, summary_of(trainer, "interrupted", started))
        print(f"\ninterrupted after {len(trainer.state.history)} of {trainer.epochs} epochs{note}; "
              f"{resume_hint(run_dir)}", file=sys.stderr)
        return cli.INTERRUPTED
    except Diverged as e:
        note = _write_summary(run_dir, summary_of(trainer, "diverged", started))
        print(f"error: training diverged: {e} (run directory {run_dir}{note})", file=sys.stderr)
        return cli.FAILED
    except Exception as e:
        summary = summary_of(trainer, "failed", started)
        summary["traceback"] = traceback.format_exc()
        note = _write_summary(run_dir, summary)
        where = "summary.json has the traceback" if not note else note.lstrip("; ")
        reason = getattr(e, "strerror", None) or e
        print(f"error: training failed: {type(e).__name__}: {reason} (run directory {run_dir}; {where})",
              file=sys.stderr)
        return cli.FAILED
    summary = summary_of(trainer, "completed", started)
    note = _write_summary(run_dir, summary)
    if not note:
        write_manifest(run_dir)
    if note:
        print(f"error: training completed but{note.lstrip(';')} (run directory {run_dir})", file=sys.stderr)
        return cli.FAILED
    print("final: " + "  ".join(f"{k} {v:.4f}" for k, v in summary["final"].items()))
    print(f"training time: {summary['train_seconds']:.1f} s over {summary['epochs_completed']} epochs")
    print(f"view it: tensorboard --logdir {run_dir.parent.parent if args.resume else args.logdir}")
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
