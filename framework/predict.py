"""`python -m framework.predict RUN_DIR INPUT [INPUT ...] [--checkpoint best|last] [--proba] [--out FILE]`:
predictions of a trained run, as CSV.

INPUT is a .npy file (rows of raw features, or (N, H, W) images), a .csv file (rows of raw features; a header
line is skipped), or image files (.png, .jpg, .jpeg: converted to greyscale and the dataset's image size and
scale; needs Pillow: pip install "npframe[images]"). Raw means as the dataset stores its inputs (MNIST pixels
0..255, the scikit-learn tables' own units): the run's preprocessing is applied inside. Output: one row per
input, the predicted class (and its name) or value, or with --proba one column per class.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from . import cli
from .inference import InputError, Predictor, load

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_table(path: Path) -> np.ndarray:
    """Rows of numbers from a .npy or .csv file; UsageError naming the file for anything else."""
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with path.open(newline="") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise cli.UsageError(f"{path}: no such file") from None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise cli.UsageError(f"{path}: cannot read ({e})") from None
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # a header
    bad = next((i for i, r in enumerate(rows) if not _numeric(r)), None)
    if bad is not None:
        raise cli.UsageError(f"{path}: row {bad + 1} is not all numbers: {','.join(rows[bad])[:80]!r}")
    if len({len(r) for r in rows}) > 1:
        raise cli.UsageError(f"{path}: rows of different lengths {sorted({len(r) for r in rows})}")
    return np.array(rows, dtype=np.float64)


def _numeric(row) -> bool:
    try:
        [float(c) for c in row]
        return True
    except ValueError:
        return False


def read_images(paths: list[Path], predictor: Predictor, invert: bool) -> np.ndarray:
    """Image files as raw inputs of the model's dataset: greyscale, resized to its image shape, pixel values
    mapped from 0..255 onto the dataset's raw range."""
    if predictor.image_shape is None:
        raise cli.UsageError(f"{paths[0]}: this model's dataset ({predictor.info['dataset']}) is not images; "
                             f"give a .csv or .npy of {predictor.n_features} features per row")
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise cli.UsageError("reading images needs Pillow: pip install \"npframe[images]\"") from None
    h, w = predictor.image_shape
    scale = predictor.info.get("input_scale")
    top = float(np.max(scale)) if scale is not None else 255.0  # the dataset's raw range: 255 MNIST, 16 digits
    out = []
    for p in paths:
        try:
            with Image.open(p) as img:
                grey = np.asarray(img.convert("L").resize((w, h), Image.BILINEAR), dtype=np.float64)
        except FileNotFoundError:
            raise cli.UsageError(f"{p}: no such file") from None
        except (OSError, UnidentifiedImageError) as e:
            raise cli.UsageError(f"{p}: not a readable image ({e})") from None
        out.append((255 - grey if invert else grey) * (top / 255.0))
    return np.stack(out)


def to_csv(predictor: Predictor, x: np.ndarray, proba: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if proba:
        w.writerow([f"p_{c}" for c in predictor.classes])
        w.writerows([[f"{v:.6g}" for v in row] for row in predictor.predict_proba(x)])
    elif predictor.task == "regression":
        y = predictor.predict(x)
        w.writerow(["prediction"] if y.ndim == 1 else [f"prediction_{i}" for i in range(y.shape[1])])
        w.writerows([[f"{v:.6g}"] for v in y] if y.ndim == 1 else [[f"{v:.6g}" for v in r] for r in y])
    else:
        w.writerow(["class", "name"])
        w.writerows([[int(k), predictor.classes[int(k)]] for k in predictor.predict(x)])
    return buf.getvalue()


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.predict",
                                description="Predictions of a trained run, as CSV, from raw inputs: a .npy or .csv "
                                            "file of feature rows (a CSV header is skipped), or image files.",
                                epilog="Exit codes: 0 done, 2 a bad run, input or option (one line on stderr).")
    p.add_argument("run_dir", help="a run directory, e.g. logs/mnist_adam/2026-11-29_10-00-00")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="a .npy or .csv file, or image files (.png, .jpg)")
    p.add_argument("--checkpoint", choices=("best", "last"), default=None,
                   help="which weights (default: best; a run that diverged needs it named)")
    p.add_argument("--proba", action="store_true", help="class probabilities instead of classes")
    p.add_argument("--invert", action="store_true", help="images: invert (dark digits on light paper, as MNIST's "
                   "are light on dark)")
    p.add_argument("--out", metavar="FILE", help="write the CSV here (default: standard output)")
    args = p.parse_args(argv)
    if args.out:
        cli.check_output(args.out, "--out")
    predictor = load(args.run_dir, cli.diverged_guard(args.run_dir, args.checkpoint, "best"))
    paths = [Path(i) for i in args.inputs]
    if all(q.suffix.lower() in IMAGE_SUFFIXES for q in paths):
        x, where = read_images(paths, predictor, args.invert), str(paths[0]) if len(paths) == 1 else "the images"
    elif len(paths) == 1:
        x, where = read_table(paths[0]), str(paths[0])
    else:
        raise cli.UsageError("give one .npy or .csv file, or any number of image files")
    try:
        text = to_csv(predictor, x, args.proba)
    except InputError as e:
        raise cli.UsageError(f"{where}: {e}") from None
    if args.out:
        cli.write_output(args.out, text.encode(), "--out")
    else:
        sys.stdout.write(text)
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
