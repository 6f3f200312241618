"""Checkpoints: everything a run needs to continue bit for bit, in one .npz (no pickle), written atomically.

Arrays (parameters, buffers, optimizer and callback arrays) are stored under `model/`, `optimizer/` and
`callback/<i>/` keys; everything else (epoch, step, RNG state, history, scalars) as JSON under `meta`.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .files import atomic_write_bytes

FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged (truncated, bit-flipped: every member is CRC-checked on
    reading) or does not fit the run."""


DEFAULT = "last"  # what every command uses unless told: the weights the run finished with, the ones its summary's
#                   val_ and test_ figures came from (after any restore by early stopping); "best" is lowest val_loss


def checkpoint_dir(run_dir: str | os.PathLike) -> Path:
    return Path(run_dir) / "checkpoints"


def _split(prefix: str, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Put the arrays of `state` into `arrays` under prefix; return the rest (JSON-able values)."""
    rest = {}
    for k, v in state.items():
        if isinstance(v, np.ndarray):
            arrays[f"{prefix}{k}"] = v
        else:
            rest[k] = v.item() if isinstance(v, np.generic) else v
    return rest


def _join(prefix: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    out = dict(meta)
    out.update({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
    return out


def save(trainer, path: str | os.PathLike) -> None:
    """Write the trainer's complete state to `path` (.npz), atomically."""
    s = trainer.state
    arrays: dict[str, np.ndarray] = {}
    for k, v in trainer.model.state_dict().items():
        arrays[f"model/{k}"] = v
    callbacks = []
    for i, cb in enumerate(_saved(trainer)):
        state = cb.state_dict() if hasattr(cb, "state_dict") else {}
        callbacks.append({"class": type(cb).__qualname__, "state": _split(f"callback/{i}/", state, arrays)})
    meta = {
        "format": FORMAT,
        "epoch": len(s.history),  # completed epochs: a resumed run starts the next one
        "step": s.step,
        "metrics": s.metrics,
        "history": s.history,
        "epoch_seconds": s.epoch_seconds,
        "rng": trainer.rng.bit_generator.state,
        "optimizer": {"class": type(trainer.optimizer).__qualname__,
                      "state": _split("optimizer/", trainer.optimizer.state_dict(), arrays)},
        "callbacks": callbacks,
        "recipe": trainer.recipe,  # the work these weights come from (resume checks recipe.json against it)
    }
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
    atomic_write_bytes(path, buf.getvalue())


def read(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a checkpoint, every member read (so checked) now, without pickle."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays.pop("meta")))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not a readable checkpoint, the file is damaged or not a checkpoint "
                              f"({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{path}: checkpoint format {got!r}, expected {FORMAT}")
    return meta, arrays


def load(trainer, path: str | os.PathLike, weights_only: bool = False) -> dict[str, Any]:
    """Restore a trainer (built from the same recipe) from a checkpoint; returns the meta dict."""
    meta, arrays = read(path)
    bad = [k for k, v in arrays.items() if k.startswith("model/") and v.dtype.kind == "f" and not np.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"{path}: {bad[0][len('model/'):]} holds NaN or infinity (from a run that diverged?)")
    try:
        trainer.model.load_state_dict({k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")})
        if weights_only:
            return meta
        _restore(trainer, meta, arrays, path)
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: does not fit this run ({type(e).__name__}: {e})") from None
    return meta


def _saved(trainer) -> list:
    """The callbacks that are part of the run: not those a caller adds for one session (`transient`: a search's
    pause, a cluster client's stop), which a checkpoint neither records nor expects."""
    return [cb for cb in trainer.callbacks if not getattr(cb, "transient", False)]


def _restore(trainer, meta: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Optimizer, callbacks, RNG and progress from a checkpoint's meta and arrays."""
    opt = meta["optimizer"]
    if opt["class"] != type(trainer.optimizer).__qualname__:
        raise CheckpointError(f"{path}: optimizer {opt['class']} in the checkpoint, "
                              f"{type(trainer.optimizer).__qualname__} in the recipe")
    trainer.optimizer.load_state_dict(_join("optimizer/", opt["state"], arrays))
    cbs = _saved(trainer)
    if [c["class"] for c in meta["callbacks"]] != [type(cb).__qualname__ for cb in cbs]:
        raise CheckpointError(f"{path}: callbacks {[c['class'] for c in meta['callbacks']]} in the checkpoint, "
                              f"{[type(cb).__qualname__ for cb in cbs]} in the recipe")
    for i, (cb, saved) in enumerate(zip(cbs, meta["callbacks"])):
        if hasattr(cb, "load_state_dict"):
            cb.load_state_dict(_join(f"callback/{i}/", saved["state"], arrays))
    trainer.rng.bit_generator.state = meta["rng"]
    s = trainer.state
    s.epoch, s.step = meta["epoch"], meta["step"]
    s.metrics, s.history, s.epoch_seconds = meta["metrics"], meta["history"], meta["epoch_seconds"]
