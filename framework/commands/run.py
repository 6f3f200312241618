"""`python -m framework.run RECIPE [--set KEY=VALUE ...] [--logdir DIR] [--name NAME]`: train one recipe.
`python -m framework.run --resume RUN_DIR [--checkpoint last|best]`: continue a run from a checkpoint.

Writes <logdir>/<recipe stem>/<run name>/ with TensorBoard events, recipe.json and summary.json. RECIPE may
also be a run's recipe.json, to repeat that run. Exit codes: 0 completed, 1 failed or diverged, 2 usage or
recipe error (nothing written), 130 interrupted (SIGINT or SIGTERM; the summary says where it stopped).
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from .. import checkpoint as ckpt
from .. import recipe as rcp
from ..build import build
from ..files import atomic_write_json, unique_dir
from ..malloc import tune_malloc
from ..runs import load_run, read_summary, resume_hint, save_description, summary_of, write_manifest, write_summary
from ..trainer import Diverged
from . import cli


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m framework.run", description="Train the network a recipe describes, "
                                "or continue a recorded run (--resume). Writes <logdir>/<recipe>/<run name>/.",
                                epilog="Exit codes: 0 completed; 1 failed or diverged; 2 a usage or recipe error "
                                       "(nothing written); 130 interrupted (the message says how to resume).")
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


def resume(args) -> tuple:
    """(trainer, run_dir, lock) of a recorded run to continue (--resume), extended to --epochs when given."""
    run_dir = Path(args.resume)
    if not (run_dir / "recipe.json").is_file():
        raise rcp.RecipeError(f"{run_dir}: not a run directory (no recipe.json)")
    lock = cli.lock_run(run_dir)
    trainer = load_run(run_dir, args.checkpoint or ckpt.DEFAULT)
    done = trainer.state.epoch
    before = read_summary(run_dir)
    extensions = list(before.get("extensions", []))
    if args.epochs is not None:
        if args.epochs <= done:
            raise cli.UsageError(f"--epochs {args.epochs}: {run_dir} has already trained "
                                 f"{cli.count(done, 'epoch')}; give more than {done}")
        extensions.append({"after_epoch": done, "epochs": args.epochs})  # recipe.json stays as first run
        trainer.epochs = trainer.recipe["epochs"] = args.epochs
    elif done >= trainer.epochs:
        raise cli.UsageError(f"{run_dir} has finished its {cli.count(trainer.epochs, 'epoch')}; to train further "
                             f"give --epochs N with N > {trainer.epochs}")
    elif before.get("status") == "completed":
        raise cli.UsageError(f"{run_dir} completed after {done} of {cli.count(trainer.epochs, 'epoch')} (a callback "
                             f"such as early_stopping ended it); to train further give --epochs N with N > {done}")
    trainer.run_info = {"run": run_dir.name, "extensions": extensions}
    print(f"resuming {run_dir} after epoch {done} of {trainer.epochs}")
    return trainer, run_dir, lock


def start(args) -> tuple:
    """(trainer, run_dir, lock) of a new run of a recipe: its folder made, the recipe and the dataset's
    description written; on any error before training, nothing is left behind."""
    recipe = rcp.resolve(args.recipe, args.overrides)
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
        lock = cli.lock_run(run_dir)  # held until the process ends
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
    return trainer, run_dir, lock


def train(trainer, run_dir: Path, started: float) -> dict | int:
    """Fit, recording the outcome in summary.json: the summary of a completed run, else the exit code (the
    one-line message printed)."""
    try:
        trainer.fit()
    except KeyboardInterrupt:
        note = write_summary(run_dir, summary_of(trainer, "interrupted", started))
        print(f"\ninterrupted after {len(trainer.state.history)} of {cli.count(trainer.epochs, 'epoch')}{note}; "
              f"{resume_hint(run_dir)}", file=sys.stderr)
        return cli.INTERRUPTED
    except Diverged as e:
        note = write_summary(run_dir, summary_of(trainer, "diverged", started))
        print(f"error: training diverged: {e} (run directory {run_dir}{note})", file=sys.stderr)
        return cli.FAILED
    except Exception as e:
        summary = summary_of(trainer, "failed", started)
        summary["traceback"] = traceback.format_exc()
        note = write_summary(run_dir, summary)
        where = "summary.json has the traceback" if not note else note.lstrip("; ")
        reason = getattr(e, "strerror", None) or e
        print(f"error: training failed: {type(e).__name__}: {reason} (run directory {run_dir}; {where})",
              file=sys.stderr)
        return cli.FAILED
    summary = summary_of(trainer, "completed", started)
    note = write_summary(run_dir, summary)
    if not note:
        try:
            write_manifest(run_dir)  # last: the run is complete when its manifest checks
        except OSError as e:
            note = f"; manifest.json not written ({e.strerror or e})"
    if note:
        print(f"error: training completed but{note.lstrip(';')} (run directory {run_dir})", file=sys.stderr)
        return cli.FAILED
    return summary


@cli.command
def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()  # a process-wide choice, made by the command, not by the Trainer
    started = time.time()
    trainer, run_dir, _lock = resume(args) if args.resume else start(args)
    summary = train(trainer, run_dir, started)
    if isinstance(summary, int):
        return summary
    print("final: " + "  ".join(f"{k} {v}" if isinstance(v, int) else f"{k} {v:.4f}"
                                for k, v in summary["final"].items()))
    epochs = cli.count(summary["epochs_completed"], "epoch")
    print(f"training time: {summary['train_seconds']:.1f} s over {epochs}")
    print(f"view it: tensorboard --logdir {run_dir.parent.parent if args.resume else args.logdir}")
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
