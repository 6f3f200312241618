"""A run folder: its layout, and everything that writes its records or reads it back.

    <run>/recipe.json          the recipe as first run (resume never rewrites it)
    <run>/preprocessing.json   how the dataset scaled inputs and target: what a loaded model needs
    <run>/summary.json         status, per-epoch history, final figures (`weights_epoch`: the epoch of their weights)
    <run>/checkpoints/         last.npz (the weights the run finished with), best.npz (lowest validation loss)
    <run>/manifest.json        each file's size and SHA-256, written last: the run is complete when it checks
    <run>/.lock                held by the process writing the run
    <run>/train, validation   TensorBoard: two runs, as Keras writes (the test figures and HParams in validation)
"""
from __future__ import annotations

import copy
import json
import os
import shlex
import time
from pathlib import Path

from . import checkpoint as ckpt
from . import recipe as rcp
from .build import build, load_dataset
from .data import Dataset, describe
from .files import atomic_write_json
from .trainer import Diverged

RECIPE, SUMMARY, PREPROCESSING, MANIFEST = "recipe.json", "summary.json", "preprocessing.json", "manifest.json"


def read_summary(run_dir: str | os.PathLike) -> dict:
    """summary.json as a dict ({} if missing or unreadable)."""
    try:
        s = json.loads((Path(run_dir) / SUMMARY).read_text())
    except (OSError, ValueError):
        return {}
    return s if isinstance(s, dict) else {}


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
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),  # the date a comparison's table states
        "final": final,
        "history": s.history,
        "error": None if e is None or isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}",
        "extensions": trainer.run_info.get("extensions", []),  # --resume --epochs N since recipe.json's first run
    }
    if isinstance(e, Diverged):
        out["diverged"] = {"epoch": e.epoch, "step": e.step, "reason": e.what, "lr": e.lr}
    return out


def write_summary(run_dir: Path, summary: dict) -> str:
    """Write summary.json; on failure (a full disk, say) return a note for the one-line message instead."""
    try:
        atomic_write_json(Path(run_dir) / SUMMARY, summary)
        return ""
    except OSError as e:
        return f"; summary.json not written ({e.strerror or e})"


def save_description(run_dir: str | os.PathLike, data: Dataset) -> None:
    atomic_write_json(Path(run_dir) / PREPROCESSING, describe(data))


def read_description(run_dir: str | os.PathLike, recipe: dict) -> dict:
    """preprocessing.json; for a run written before it existed, asked of its dataset once."""
    info_file = Path(run_dir) / PREPROCESSING
    if info_file.is_file():
        return json.loads(info_file.read_text())
    return describe(load_dataset(recipe, str(Path(run_dir) / RECIPE)))


def _digest(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run_files(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.rglob("*") if p.is_file() and p.name != MANIFEST and not p.name.startswith("."))


def write_manifest(run_dir: str | os.PathLike) -> None:
    """manifest.json: every file of a finished run with its size and SHA-256, written last, so that a run is
    complete exactly when its manifest is there and every file still matches it."""
    run_dir = Path(run_dir)
    files = {str(p.relative_to(run_dir)): {"bytes": p.stat().st_size, "sha256": _digest(p)}
             for p in _run_files(run_dir)}
    atomic_write_json(run_dir / MANIFEST, {"files": files})


DROPPED = "not published: comparisons in docs/results keep no checkpoints (train the run again to use it)"


def drop_checkpoints(run_dir: str | os.PathLike) -> int:
    """Delete a run's checkpoints (a published comparison's runs are figures, not weights), recording each in the
    manifest as dropped, so the run stays complete and reusable but is never loaded or continued. Returns the bytes
    freed. A search's trial paused at a rung it stopped at loses them too (its summary says so; it cannot be
    continued). Any other unfinished run is left alone."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        summary = read_summary(run_dir)
        if summary.get("status") != "paused":
            return 0
        freed = sum(p.stat().st_size for p in (run_dir / "checkpoints").glob("*.npz"))
        for p in (run_dir / "checkpoints").glob("*.npz"):
            p.unlink()
        if freed:
            atomic_write_json(run_dir / SUMMARY, dict(summary, checkpoints=DROPPED))
        return freed
    freed = 0
    for p in sorted((run_dir / "checkpoints").glob("*.npz")):
        entry = manifest["files"].get(str(p.relative_to(run_dir)))
        if entry is None:
            continue
        freed += p.stat().st_size
        entry["dropped"] = DROPPED
        p.unlink()
    atomic_write_json(run_dir / MANIFEST, manifest)
    return freed


def dropped(run_dir: str | os.PathLike, name: str) -> str | None:
    """Why a run's file `name` (e.g. "checkpoints/last.npz") is not there, if drop_checkpoints removed it."""
    try:
        entry = json.loads((Path(run_dir) / MANIFEST).read_text())["files"].get(name) or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        entry = {}
    return entry.get("dropped") or read_summary(run_dir).get("checkpoints")


def manifest_problem(run_dir: str | os.PathLike) -> str | None:
    """None if the run's files are all there as its manifest lists them; else what is wrong, in a few words."""
    run_dir = Path(run_dir)
    try:
        files = json.loads((run_dir / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no manifest (not finished, or written before manifests)"
    for name, entry in files.items():
        p = run_dir / name
        if entry.get("dropped"):  # left out on purpose (drop_checkpoints), recorded as such
            continue
        if not p.is_file():
            return f"{name} is missing"
        if p.stat().st_size != entry.get("bytes") or _digest(p) != entry.get("sha256"):
            return f"{name} differs from the manifest (truncated or changed)"
    return None


def finished_summary(run_dir: str | os.PathLike, check_files: bool = True) -> dict | None:
    """The summary of a run that completed and was never extended (--epochs) and, with `check_files`, whose files
    all match its manifest: a run that may be reused as it is; else None."""
    s = read_summary(run_dir)
    if s.get("status") != "completed" or s.get("extensions"):
        return None
    return s if not check_files or manifest_problem(run_dir) is None else None


def finished_run(run_dir: str | os.PathLike, recipe: dict) -> dict | None:
    """The summary of a reusable earlier run (finished_summary) of exactly this recipe; else None."""
    try:
        same = json.loads((Path(run_dir) / RECIPE).read_text()) == json.loads(json.dumps(recipe))
    except (OSError, ValueError):
        return None
    return finished_summary(run_dir) if same else None


def weights_used(run_dir: str | os.PathLike, which: str) -> str:
    """What a command says of the weights it uses, e.g. "checkpoints/last.npz: the weights the run finished with,
    those of its summary's test figure (epoch 10)"."""
    final = read_summary(run_dir).get("final") or {}
    if which == "last":
        at = final.get("weights_epoch")
        return ("checkpoints/last.npz: the weights the run finished with, those of its summary's test figure"
                + (f" (epoch {at})" if isinstance(at, int) else ""))
    return "checkpoints/best.npz: the weights of the lowest validation loss (not those of the summary's test figure)"


def _has_checkpoint_callback(run_dir: Path) -> bool:
    try:
        callbacks = json.loads((Path(run_dir) / RECIPE).read_text()).get("callbacks", [])
    except (OSError, ValueError, AttributeError):
        return False
    return any((c.get("name") if isinstance(c, dict) else c) == "checkpoint" for c in callbacks)


def resume_hint(run_dir: Path) -> str:
    """How to go on with an interrupted run: the exact --resume command, or how to start it again."""
    if (ckpt.checkpoint_dir(run_dir) / "last.npz").is_file():
        return f"resume it with: python -m framework.run --resume {shlex.quote(str(run_dir))}"
    again = f"python -m framework.run {shlex.quote(str(run_dir / 'recipe.json'))}"
    if _has_checkpoint_callback(run_dir):
        summary = read_summary(run_dir)
        why = "it stopped before its first epoch ended"
        if summary.get("status") in ("failed", "diverged"):
            why = f"the run {summary['status']}: {summary.get('error')}"
        return f"no checkpoint was written yet ({why}); start it again with: {again}"
    return f"its recipe has no 'checkpoint' callback, so it cannot be resumed; start it again with: {again}"


def load_run(run_dir: str | Path, which: str = "last", weights_only: bool = False):
    """Rebuild the trainer of a recorded run and restore it from checkpoints/<which>.npz."""
    run_dir = Path(run_dir)
    recipe_file = run_dir / RECIPE
    if not recipe_file.is_file():
        raise rcp.RecipeError(f"{run_dir}: not a run directory (no recipe.json)")
    path = ckpt.checkpoint_dir(run_dir) / f"{which}.npz"
    if not path.is_file() and dropped(run_dir, f"checkpoints/{which}.npz"):
        raise rcp.RecipeError(f"{path}: {dropped(run_dir, f'checkpoints/{which}.npz')}")
    if not path.is_file():
        if which == "last" and not weights_only:  # resuming
            raise rcp.RecipeError(f"{path}: no such checkpoint; {resume_hint(run_dir)}")
        if which == "last":
            why = ("its recipe has no 'checkpoint' callback" if not _has_checkpoint_callback(run_dir) else
                   "the run stopped before its first epoch ended")
            raise rcp.RecipeError(f"{path}: no such checkpoint, so the run has no weights to use ({why})")
        raise rcp.RecipeError(f"{path}: no such checkpoint (none of its epochs improved the monitored metric, "
                              f"or the recipe's checkpoint callback has save_best=False)")
    recipe = rcp.validate(rcp.load_raw(recipe_file), str(recipe_file))
    try:
        trained = ckpt.read(path)[0].get("recipe")
    except ckpt.CheckpointError:
        trained = None  # reported below, with the other checkpoint offered
    if trained is not None:  # recipe.json is the work as first run; only epochs may have grown since (--epochs)
        changed = first_difference(rcp.validate(copy.deepcopy(trained), str(path)), recipe, skip=("epochs",))
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


def first_difference(a, b, skip=(), at: str = ""):
    """(dotted key, value in a, value in b) of the first place two JSON-like values differ, else None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if not at and k in skip:
                continue
            d = first_difference(a.get(k), b.get(k), skip, f"{at}.{k}" if at else str(k))
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, skip, f"{at}.{i}")
            if d is not None:
                return d
        return None
    return None if a == b else (at, a, b)


