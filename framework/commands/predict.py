"""`python -m framework.predict RUN_DIR INPUT [INPUT ...] [--checkpoint best|last] [--proba] [--out FILE]`:
predictions of a trained run, as CSV.

INPUT is a .npy file (rows of raw features, or (N, H, W) images), a .csv file (rows of raw features; --header or
--no-header says whether the first line is a header, and without either an ambiguous first line is an error), or
image files (.png, .jpg, .jpeg: converted to greyscale, 16-bit values scaled, ink on a transparent background read
from the alpha channel, resized when the aspect ratio matches (another shape is an error), and mapped onto the
dataset's scale, each change said on stderr; needs Pillow: pip install "npframe[images]"). Raw means as the
dataset stores its inputs (MNIST pixels 0..255, the scikit-learn tables' own units): the run's preprocessing is
applied inside. Output: one row per input, the predicted class (and its name) or value, or with --proba one column
per class.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from ..data import resize_image
from ..inference import InputError, Predictor, load
from ..runs import weights_used
from ..tables import read_features
from . import cli

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_table(path: Path, header: bool | None = None) -> np.ndarray:
    """Rows of numbers from a .npy or .csv file, exactly the rows it holds; UsageError naming the file otherwise.
    CSV: a UTF-8 byte-order mark is dropped; `header` True/False says whether the first line is a header; None
    (the default) takes a first line without any number as a header, refuses one that could be either (pandas'
    numeric column names 0,1,2,...), and names a line that mixes numbers and words as a data line that is not
    all numbers, so rows are never dropped or added silently. An empty cell is an error."""
    try:
        if path.suffix.lower() == ".npy":
            x = np.load(path, allow_pickle=False)
            if x.dtype.kind not in "biuf":
                raise cli.UsageError(f"{path}: holds {x.dtype} values, expected numbers")
            return x
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise cli.UsageError(f"{path}: no such file") from None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise cli.UsageError(f"{path}: cannot read ({e})") from None
    if rows and header is None:
        first = rows[0]
        if _numeric(first) and [c.strip() for c in first] == [str(i) for i in range(len(first))] and len(rows) > 1:
            raise cli.UsageError(f"{path}: the first line ({','.join(first)[:40]}...) may be column names (as pandas "
                                 f"writes them) or data: give --header or --no-header")
        # a header has no number in it: a data line with a typo ("5.1,3.5,1.4,O.2") is not one
        header = not any(_numeric([c]) for c in first) and all(c.strip() for c in first)
    if header and rows:
        rows = rows[1:]
    if not rows:
        raise cli.UsageError(f"{path}: no rows of numbers" + (" (its only line was read as a header: give --no-header "
                                                               "if it is data)" if header else ""))
    for i, r in enumerate(rows):
        empty = next((j for j, c in enumerate(r) if not c.strip()), None)
        if empty is not None:
            raise cli.UsageError(f"{path}: line {i + 1 + bool(header)}, column {empty + 1} is empty")
        if not _numeric(r):
            raise cli.UsageError(f"{path}: line {i + 1 + bool(header)} is not all numbers: {','.join(r)[:80]!r}"
                                 + ("" if header or i else " (a header line? give --header)"))
    if len({len(r) for r in rows}) > 1:
        raise cli.UsageError(f"{path}: rows of different lengths {sorted({len(r) for r in rows})}")
    return np.array(rows, dtype=np.float64)


def _numeric(row) -> bool:
    try:
        [float(c) for c in row]
        return True
    except ValueError:
        return False


def _grey(img, path: Path) -> tuple[np.ndarray, str | None]:
    """An image as 0..255 grey values and a note on what was done to it: 16-bit images are scaled (not clipped);
    with transparency, ink drawn on a transparent background (an HTML canvas's export: one colour, the shape in
    the alpha channel) is read from the alpha channel; other transparent images are laid on black."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        return a * (255.0 / top), ("16-bit values scaled to 0..255" if top > 255 else None)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float64)
        alpha, grey = rgba[..., 3], np.asarray(img.convert("RGBA").convert("L"), dtype=np.float64)
        if alpha.min() < 255:
            if np.ptp(grey[alpha > 0]) < 8 if (alpha > 0).any() else True:
                return alpha, "transparent background: the ink read from the alpha channel"
            return grey * alpha / 255.0, "transparent pixels laid on black"
    return np.asarray(img.convert("L"), dtype=np.float64), None


def read_images(paths: list[Path], predictor: Predictor, invert: bool) -> np.ndarray:
    """Image files as raw inputs of the model's dataset: greyscale, pixel values mapped from 0..255 onto the
    dataset's raw range; an image of another size but the same shape (aspect ratio) is resized, another shape is
    an error. What was done to an image is said on stderr."""
    if predictor.image_shape is None:
        raise cli.UsageError(f"{paths[0]}: this model's dataset ({predictor.info['dataset']}) is not images; "
                             f"give a .csv or .npy of {predictor.n_features} features per row")
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise cli.UsageError("reading images needs Pillow: pip install \"npframe[images]\"") from None
    if len(predictor.image_shape) == 3:
        return read_colour(paths, predictor)
    h, w = predictor.image_shape
    scale = predictor.info.get("input_scale")
    top = float(np.max(scale)) if scale is not None else 255.0  # the dataset's raw range: 255 MNIST, 16 digits
    out = []
    for p in paths:
        try:
            with Image.open(p) as img:
                grey, note = _grey(img, p)
        except FileNotFoundError:
            raise cli.UsageError(f"{p}: no such file") from None
        except (OSError, UnidentifiedImageError) as e:
            raise cli.UsageError(f"{p}: not a readable image ({e})") from None
        notes = [note] if note else []
        if grey.shape != (h, w):
            if abs(grey.shape[0] * w - grey.shape[1] * h) > max(grey.shape):  # not the same shape
                raise cli.UsageError(f"{p}: {grey.shape[1]}x{grey.shape[0]} pixels, expected {w}x{h} or the same "
                                     f"aspect ratio (crop it to a square first)")
            small = Image.fromarray(grey.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR)
            notes.append(f"resized from {grey.shape[1]}x{grey.shape[0]} to {w}x{h}")
            grey = np.asarray(small, dtype=np.float64)
        if notes:
            print(f"note: {p}: {'; '.join(notes)}", file=sys.stderr)
        out.append((255 - grey if invert else grey) * (top / 255.0))
    return np.stack(out)


def read_colour(paths: list[Path], predictor: Predictor) -> np.ndarray:
    """Image files as (N, C, H, W) raw pixels 0..255 of a colour model: converted to RGB, and brought to the model's
    size by the rule its dataset used (`resize` of image_folder: stretch, crop or pad; "error" stretches an image of
    the same aspect ratio only); what was done is said on stderr."""
    from PIL import Image, UnidentifiedImageError

    h, w = predictor.image_shape[1:]
    rule = (predictor.recipe.get("dataset") or {}).get("resize", "error") if isinstance(
        predictor.recipe.get("dataset"), dict) else "error"
    out = []
    for p in paths:
        try:
            with Image.open(p) as img:
                notes = [] if img.mode == "RGB" else [f"converted from {img.mode} to RGB"]
                a = np.asarray(img.convert("RGB"))
        except FileNotFoundError:
            raise cli.UsageError(f"{p}: no such file") from None
        except (OSError, UnidentifiedImageError) as e:
            raise cli.UsageError(f"{p}: not a readable image ({e})") from None
        if a.shape[:2] != (h, w):
            if rule == "error" and abs(a.shape[0] * w - a.shape[1] * h) > max(a.shape[:2]):
                raise cli.UsageError(f"{p}: {a.shape[1]}x{a.shape[0]} pixels, expected {w}x{h} or the same aspect "
                                     f"ratio (the run's dataset used resize 'error')")
            how = "stretch" if rule == "error" else rule
            notes.append(f"resized from {a.shape[1]}x{a.shape[0]} to {w}x{h} ({how})")
            a = resize_image(a, (h, w), how)
        if notes:
            print(f"note: {p}: {'; '.join(notes)}", file=sys.stderr)
        out.append(a.transpose(2, 0, 1).astype(np.float64))
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
        w.writerow(["class", "name", "probability"])
        p = predictor.predict_proba(x)
        w.writerows([[int(k), predictor.classes[int(k)], f"{p[i, int(k)]:.4g}"]
                     for i, k in enumerate(predictor.predict(x))])
    return buf.getvalue()


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.predict",
                                description="Predictions of a trained run, as CSV, from raw inputs: a .npy or .csv "
                                            "file of feature rows, or image files (see --header for CSV headers).",
                                epilog="Exit codes: 0 done, 2 a bad run, input or option (one line on stderr).")
    p.add_argument("run_dir", help="a run directory, e.g. logs/mnist_adam/2026-11-29_10-00-00")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="a .npy or .csv file, or image files (.png, .jpg)")
    p.add_argument("--checkpoint", choices=("last", "best"), default=None,
                   help="which weights (default: last, the weights the run finished with, those of its summary's "
                        "test figure; best: the lowest validation loss; a run that diverged needs it named)")
    p.add_argument("--proba", action="store_true", help="class probabilities instead of classes")
    p.add_argument("--invert", action="store_true", help="images: invert (dark digits on light paper, as MNIST's "
                   "are light on dark)")
    p.add_argument("--out", metavar="FILE", help="write the CSV here (default: standard output)")
    head = p.add_mutually_exclusive_group()
    head.add_argument("--header", dest="header", action="store_true", default=None,
                      help="CSV: the first line is a header (default: a first line with a non-number is one; one "
                           "that could be either, such as pandas' 0,1,2,..., is an error)")
    head.add_argument("--no-header", dest="header", action="store_false", help="CSV: the first line is data")
    args = p.parse_args(argv)
    if args.out:
        cli.check_output(args.out, "--out")
    which = cli.diverged_guard(args.run_dir, args.checkpoint)
    predictor = load(args.run_dir, which)
    if predictor.info.get("tokens"):
        raise cli.UsageError(f"{args.run_dir} is a model of text: python -m framework.generate {args.run_dir} "
                             f"--prompt TEXT writes with it")
    if args.proba and predictor.task == "regression":
        raise cli.UsageError(f"--proba: {args.run_dir} is a regression run; its predictions are values in the "
                             f"target's units, not class probabilities (leave out --proba)")
    paths = [Path(i) for i in args.inputs]
    if all(q.suffix.lower() in IMAGE_SUFFIXES for q in paths):
        x, where = read_images(paths, predictor, args.invert), str(paths[0]) if len(paths) == 1 else "the images"
    elif len(paths) == 1 and predictor.info.get("columns") and paths[0].suffix.lower() == ".csv":
        x, where = read_features(paths[0], predictor.info["columns"]), str(paths[0])  # by column name
    elif len(paths) == 1:
        x, where = read_table(paths[0], args.header), str(paths[0])
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
    print(f"note: {weights_used(args.run_dir, which)}", file=sys.stderr)
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
