"""`python -m framework.evaluate RUN_DIR [--checkpoint last|best] [--split test|val]`: reload a run's checkpoint
and print its metrics on a split, and a confusion matrix for classification (rows: true class, columns: predicted).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from ..runs import load_run, weights_used
from . import cli


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """counts[i, j]: examples of true class i predicted as j."""
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def format_confusion(cm: np.ndarray, names=None) -> str:
    """The matrix as text, rows and columns labelled by class name where the run has them (else by index)."""
    labels = [str(n) for n in names] if names else [str(i) for i in range(len(cm))]
    w = max(5, len(str(cm.max())) + 1, min(max(map(len, labels)), 10) + 1)
    left = max(16, *(len(label) for label in labels))
    lines = ["true \\ predicted".ljust(left + 1) + "".join(f"{label[:w - 1]:>{w}}" for label in labels)]
    lines += [f"{label:>{left}} " + "".join(f"{v:>{w}}" for v in row) for label, row in zip(labels, cm)]
    return "\n".join(lines)


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.evaluate",
                                description="Reload a run's checkpoint and print its metrics on a split, and a "
                                            "confusion matrix for classification (rows: true class, columns: "
                                            "predicted).",
                                epilog="Exit codes: 0 done; 2 not a run, no such or a damaged checkpoint (one line "
                                       "naming the file). Example: python -m framework.evaluate "
                                       "logs/mnist_adam/RUN --checkpoint best")
    p.add_argument("run_dir", help="a run directory, e.g. logs/mnist_adam/2026-11-29_10-00-00")
    p.add_argument("--checkpoint", choices=("last", "best"), default=None,
                   help="which weights (default: last, the weights the run finished with, those of its summary's "
                        "test figure; best: the lowest validation loss; a run that diverged needs it named)")
    p.add_argument("--split", choices=("test", "val"), default="test", help="which split (default: test)")
    args = p.parse_args(argv)
    args.checkpoint = cli.diverged_guard(args.run_dir, args.checkpoint)
    trainer = load_run(args.run_dir, args.checkpoint, weights_only=True)
    if len(trainer.data.split(args.split)[0]) == 0:
        raise cli.UsageError(f"--split {args.split}: the run's dataset ({trainer.data.name}) has no {args.split} split"
                             + (" (nanoGPT's split holds out validation only): use --split val"
                                if args.split == "test" else ""))
    metrics = trainer.evaluate(args.split)
    print(f"{args.run_dir}, {args.split} split; weights {weights_used(args.run_dir, args.checkpoint)}:")
    for k, v in metrics.items():
        print(f"  {k:<16} {v}" if isinstance(v, int) else f"  {k:<16} {v:.4f}")
    if trainer.loss_fn.task != "regression" and trainer.data.y_train.ndim == 1:  # not a label per position
        x, y = trainer.data.split(args.split)
        z = trainer.predict(x)
        if trainer.loss_fn.task == "multiclass":
            pred, n = z.argmax(axis=1), z.shape[1]
        else:
            pred, n = (z[:, 0] > 0).astype(np.int64), 2
        print("confusion matrix:")
        print(format_confusion(confusion_matrix(y.astype(np.int64), pred, n), trainer.data.class_names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
