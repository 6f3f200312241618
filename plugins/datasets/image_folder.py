"""`image_folder`: a folder (or a .zip / .tar / .tar.gz archive, read without unpacking) of class folders,
`<path>/<class>/<images>`, or one holding `train/` and `test/`, each of class folders (found by itself). Classes are
the folder names, sorted. Images are decoded once, by Pillow on every core, and cached as uint8 arrays keyed by the
source's identity and the options; in memory they stay uint8 (a quarter of float32) and become float32 a batch at
a time (`Dataset.inputs`)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath

import numpy as np

from framework import DataError, Dataset
from framework.data import check_fractions, resize_image, split_rule
from framework.files import atomic_write_bytes

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
RESIZE = ("error", "stretch", "crop", "pad")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
VERSION = 1  # of the cache's layout and decoding: a change decodes every source again


def cache_root(cache: str | None) -> Path:
    """The cache folder: `cache` if given, else $XDG_CACHE_HOME/npframe/image_folder (~/.cache by default)."""
    if cache:
        return Path(cache).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "npframe" / "image_folder"


class Source:
    """The files of a folder or archive: `names` (POSIX paths inside it, sorted), `read(name)` -> bytes, and
    `identity` (what changes when the source does)."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            self.kind = "folder"
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            self.names = [p.relative_to(path).as_posix() for p in files]
            self.dirs = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_dir())
            listing = [(n, p.stat().st_size, p.stat().st_mtime_ns) for n, p in zip(self.names, files)]
            self.identity = hashlib.sha256(json.dumps(listing).encode()).hexdigest()
        elif path.is_file():
            stat = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):
                    digest.update(block)
            self.identity = hashlib.sha256(f"{stat.st_size} {stat.st_mtime_ns} {digest.hexdigest()}".encode()
                                           ).hexdigest()
            if zipfile.is_zipfile(path):
                self.kind = "zip"
                with zipfile.ZipFile(path) as z:
                    self.names = sorted(i.filename for i in z.infolist() if not i.is_dir())
                    self.dirs = sorted(i.filename.rstrip("/") for i in z.infolist() if i.is_dir())
            elif tarfile.is_tarfile(path):
                self.kind = "tar"
                with tarfile.open(path) as t:
                    self.names = sorted(m.name for m in t.getmembers() if m.isfile())
                    self.dirs = sorted(m.name for m in t.getmembers() if m.isdir())
            else:
                raise DataError(f"{path}: not a folder, a .zip or a .tar archive")
        else:
            raise DataError(f"{path}: no such folder or archive")
        self._handle = None

    def read(self, name: str) -> bytes:
        if self.kind == "folder":
            return (self.path / name).read_bytes()
        if self._handle is None:
            self._handle = zipfile.ZipFile(self.path) if self.kind == "zip" else tarfile.open(self.path)
        if self.kind == "zip":
            return self._handle.read(name)
        return self._handle.extractfile(name).read()

    def where(self, name: str) -> str:
        return f"{self.path}/{name}" if self.kind == "folder" else f"{self.path}:{name}"


def layout(names: list[str], where: str) -> dict[str, dict[str, list[str]]]:
    """{part: {class: [file names]}} with part "all", or "train" and "test": the class folders, found below any
    single wrapping folder. Hidden files and folders and non-image files are left out."""
    parts = [PurePosixPath(n).parts for n in names]
    parts = [p for p in parts if not any(x.startswith((".", "__MACOSX")) for x in p)]
    while parts and len({p[0] for p in parts}) == 1 and all(len(p) > 2 for p in parts):  # one wrapping folder
        parts = [p[1:] for p in parts]
    tops = {p[0] for p in parts if len(p) > 1}
    split = "train" in tops and tops <= {"train", "test"}
    out: dict[str, dict[str, list[str]]] = {}
    for p, name in zip(parts, [str(PurePosixPath(*q)) for q in parts]):
        depth = 3 if split else 2
        if len(p) != depth:
            continue
        part = p[0] if split else "all"
        out.setdefault(part, {}).setdefault(p[-2], []).append(name)
    if not out:
        raise DataError(f"{where}: no class folders: expected <path>/<class>/<image> or <path>/train/<class>/<image>")
    return out


def _decode(args) -> tuple[list, list]:
    """Worker: decode some images of a source; (arrays or None, notes) in order."""
    path, kind, prefix, names = args
    from PIL import Image

    src = Source.__new__(Source)  # the listing is the parent's: only reading is needed here
    src.path, src.kind, src._handle = Path(path), kind, None
    arrays, notes = [], []
    for name in names:
        try:
            with Image.open(io.BytesIO(src.read(prefix + name))) as img:
                img.seek(0)  # a GIF's first frame
                grey = img.mode in GREY_MODES
                if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                    a = np.asarray(img, np.float64)
                    a = np.round(a * (255.0 / (65535.0 if a.max() > 255 else 255.0))).astype(np.uint8)
                    arrays.append((a[..., None], True))
                else:
                    arrays.append((np.asarray(img.convert("L" if grey else "RGB"))[..., None] if grey else
                                   np.asarray(img.convert("RGB")), grey))
            notes.append(None)
        except Exception as e:
            arrays.append(None)
            notes.append(f"{type(e).__name__}: {e}")
    return arrays, notes


def decode_all(src: Source, prefix: str, names: list[str], workers: int) -> tuple[list, list]:
    """Decode every image on `workers` processes with a progress bar on stderr."""
    from tqdm import tqdm

    chunk = 256
    jobs = [(str(src.path), src.kind, prefix, names[i:i + chunk]) for i in range(0, len(names), chunk)]
    arrays, notes = [], []
    bar = tqdm(total=len(names), desc=f"decoding {src.path.name}", unit="img", file=sys.stderr, leave=False,
               disable=None)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            for a, n in pool.map(_decode, jobs):
                arrays += a
                notes += n
                bar.update(len(a))
    else:
        for job in jobs:
            a, n = _decode(job)
            arrays += a
            notes += n
            bar.update(len(a))
    bar.close()
    return arrays, notes


def image_folder(path: str, size: int | list | None = None, color: str | None = None, resize: str = "error",
                 val_fraction: float = 0.1, test_fraction: float = 0.2, skip_bad: bool = False,
                 cache: str | None = None, split_seed: int = 0) -> Dataset:
    """Images in class folders (see the module). `size`: [h, w] (or one int for squares), default the images' own
    when they all share it; `color`: "rgb" or "grayscale", default grayscale when every image is; `resize`: what
    an image of another size gets, "error" (default), "stretch", "crop" or "pad"; `val_fraction` of the training
    part is held out for validation and, without a test/ folder, `test_fraction` of all images for testing, both
    stratified and drawn with `split_seed` (never the run's seed); `skip_bad` skips files that do not decode
    (saying which on stderr); `cache`: the cache folder."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"path: expected a folder or archive path, got {path!r}")
    if size is not None:
        pair = [size, size] if isinstance(size, int) and not isinstance(size, bool) else size
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(v, int) and not isinstance(
                v, bool) and v > 0 for v in pair)):
            raise ValueError(f"size: expected a positive integer or [height, width], got {size!r}")
        size = tuple(pair)
    if color not in (None, "rgb", "grayscale"):
        raise ValueError(f"color: expected 'rgb' or 'grayscale', got {color!r}")
    if resize not in RESIZE:
        raise ValueError(f"resize: expected one of {', '.join(map(repr, RESIZE))}, got {resize!r}")
    check_fractions(val_fraction=val_fraction, test_fraction=test_fraction)
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise DataError('image_folder needs Pillow: pip install "npframe[images]"') from None
    src = Source(Path(path).expanduser())
    options = {"size": size, "color": color, "resize": resize, "skip_bad": skip_bad, "version": VERSION}
    key = hashlib.sha256(json.dumps([src.identity, options], sort_keys=True, default=list).encode()).hexdigest()
    cached = cache_root(cache) / f"{key[:32]}.npz"
    arrays = _load_cache(cached)
    if arrays is None:
        arrays = _decode_source(src, size, color, resize, skip_bad)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(cached, buf.getvalue())  # a temporary name, then rename: concurrent runs are safe
        except OSError as e:
            print(f"warning: image_folder: cache not written ({cached}: {e.strerror or e})", file=sys.stderr)
    classes = [str(c) for c in arrays["classes"]]
    x, y, part = arrays["x"], arrays["y"].astype(np.int64), arrays["part"]
    idx = split_rule(y, part, val_fraction, test_fraction, split_seed)
    c, h, w = (int(v) for v in arrays["shape"])
    flat = x.reshape(len(x), -1)
    name = Path(path).name
    return Dataset(name, flat[idx["train"]], y[idx["train"]], flat[idx["val"]], y[idx["val"]], flat[idx["test"]],
                   y[idx["test"]], task="multiclass", n_classes=len(classes),
                   image_shape=(h, w) if c == 1 else (c, h, w), class_names=tuple(classes), input_center=0.0,
                   input_scale=255.0)


def _load_cache(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in ("x", "y", "part", "classes", "shape")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def _decode_source(src: Source, size, color, resize, skip_bad) -> dict:
    where = str(src.path)
    parts = layout(src.names, where)
    prefix = _prefix(src.names, parts)
    if "all" not in parts and "train" not in parts:
        raise DataError(f"{where}: a test/ folder without a train/ folder")
    train = parts.get("train", parts.get("all"))
    for d in src.dirs:  # a class folder without any file is not in the listing of files: name it
        rel = PurePosixPath(d[len(prefix):]).parts if d.startswith(prefix) else ()
        if len(rel) == (2 if "train" in parts else 1) and not rel[-1].startswith("."):
            folders = parts.get(rel[0], {}) if len(rel) == 2 else train
            if rel[-1] not in folders:
                raise DataError(f"{where}: class folder {'/'.join(rel)} holds no images ({', '.join(SUFFIXES)})")
    classes = sorted(train)
    if len(classes) < 2:
        raise DataError(f"{where}: one class folder ({classes[0]!r}); a classifier needs at least two")
    test = parts.get("test", {})
    if test and sorted(test) != classes:
        odd = sorted(set(test) ^ set(classes))
        raise DataError(f"{where}: train/ and test/ hold different classes ({', '.join(odd)})")
    entries = []
    for part_name, folders in (("train", train), ("test", test)):
        for k, cls in enumerate(classes):
            files = [f for f in folders.get(cls, []) if f.lower().endswith(SUFFIXES)]
            if not files and folders:
                folder = ("train/" if test else "") if part_name == "train" else "test/"
                raise DataError(f"{where}: class folder {folder}{cls} holds no images ({', '.join(SUFFIXES)})")
            entries += [(f, k, part_name == "test") for f in sorted(files)]
    names = [e[0] for e in entries]
    decoded, notes = decode_all(src, prefix, names, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                else os.cpu_count() or 1)
    bad = [(n, note) for n, note in zip(names, notes) if note]
    if bad and not skip_bad:
        n, note = bad[0]
        raise DataError(f"{src.where(prefix + n)}: not a readable image ({note}); skip_bad: true skips such files")
    if bad:
        shown = ", ".join(src.where(prefix + n) for n, _ in bad[:3])
        print(f"warning: image_folder: skipped {len(bad)} unreadable file{'s' if len(bad) > 1 else ''}: {shown}"
              + (", ..." if len(bad) > 3 else ""), file=sys.stderr)
    keep = [i for i, note in enumerate(notes) if not note]
    images = [decoded[i] for i in keep]
    grey = color == "grayscale" or (color is None and all(g for _, g in images))
    target = size
    if target is None:
        shapes = {a.shape[:2] for a, _ in images}
        if len(shapes) > 1:
            first = next(i for i in keep if decoded[i][0].shape[:2] != decoded[keep[0]][0].shape[:2])
            a, b = decoded[keep[0]][0].shape[:2], decoded[first][0].shape[:2]
            raise DataError(f"{where}: images of different sizes ({src.where(prefix + names[keep[0]])} is "
                            f"{a[1]}x{a[0]}, {src.where(prefix + names[first])} is {b[1]}x{b[0]}): give size and a "
                            f"resize rule ('stretch', 'crop' or 'pad')")
        target = shapes.pop()
    channels = 1 if grey else 3
    x = np.empty((len(images), channels, *target), np.uint8)
    for j, (i, (a, _)) in enumerate(zip(keep, images)):
        if a.shape[:2] != tuple(target):
            if resize == "error":
                raise DataError(f"{src.where(prefix + names[i])}: {a.shape[1]}x{a.shape[0]} pixels, expected "
                                f"{target[1]}x{target[0]} (resize: 'stretch', 'crop' or 'pad' to convert)")
            a = resize_image(a, target, resize)
        if grey and a.shape[2] == 3:
            a = np.asarray(np.round(a @ np.array([0.299, 0.587, 0.114])), np.uint8)[..., None]  # as Pillow's "L"
        elif not grey and a.shape[2] == 1:
            a = np.repeat(a, 3, axis=2)
        x[j] = a.transpose(2, 0, 1)
    y = np.array([entries[i][1] for i in keep], np.int16)
    part = np.array([entries[i][2] for i in keep], bool)
    return {"x": x, "y": y, "part": part, "classes": np.array(classes), "shape": np.array([channels, *target])}


def _prefix(names: list[str], parts) -> str:
    """The wrapping folders `layout` looked through, as a prefix of the names it returned."""
    some = next(iter(next(iter(parts.values())).values()))[0]
    for n in names:
        if n.endswith("/" + some) or n == some:
            return n[: len(n) - len(some)]
    return ""
