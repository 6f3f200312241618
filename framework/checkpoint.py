"""Checkpoints: everything a run needs to continue bit for bit, in one .npz (no pickle), written atomically.

Arrays (parameters, buffers, optimizer and callback arrays) are stored under `model/`, `optimizer/` and
`callback/<i>/` keys; everything else (epoch, step, RNG state, history, scalars) as JSON under `meta`.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .files import atomic_write_bytes

FORMAT = 1


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


def _join(prefix: str, meta: dict[str, Any], arrays) -> dict[str, Any]:
    out = dict(meta)
    out.update({k[len(prefix):]: arrays[k] for k in arrays.files if k.startswith(prefix)})
    return out


def save(trainer, path: str | os.PathLike) -> None:
    """Write the trainer's complete state to `path` (.npz), atomically."""
    s = trainer.state
    arrays: dict[str, np.ndarray] = {}
    for k, v in trainer.model.state_dict().items():
        arrays[f"model/{k}"] = v
    callbacks = []
    for i, cb in enumerate(trainer.callbacks):
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
    }
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
    atomic_write_bytes(path, buf.getvalue())


def read(path: str | os.PathLike) -> tuple[dict[str, Any], Any]:
    """(meta, arrays) of a checkpoint; arrays is an NpzFile loaded without pickle."""
    try:
        arrays = np.load(path, allow_pickle=False)
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: checkpoint format {meta.get('format')!r}, expected {FORMAT}")
    return meta, arrays


def load(trainer, path: str | os.PathLike, weights_only: bool = False) -> dict[str, Any]:
    """Restore a trainer (built from the same recipe) from a checkpoint; returns the meta dict."""
    meta, arrays = read(path)
    try:
        trainer.model.load_state_dict({k[len("model/"):]: arrays[k] for k in arrays.files if k.startswith("model/")})
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if weights_only:
        return meta
    opt = meta["optimizer"]
    if opt["class"] != type(trainer.optimizer).__qualname__:
        raise ValueError(f"{path}: optimizer {opt['class']} in the checkpoint, {type(trainer.optimizer).__qualname__}"
                         f" in the recipe")
    trainer.optimizer.load_state_dict(_join("optimizer/", opt["state"], arrays))
    cbs = list(trainer.callbacks)
    if [c["class"] for c in meta["callbacks"]] != [type(cb).__qualname__ for cb in cbs]:
        raise ValueError(f"{path}: callbacks {[c['class'] for c in meta['callbacks']]} in the checkpoint, "
                         f"{[type(cb).__qualname__ for cb in cbs]} in the recipe")
    for i, (cb, saved) in enumerate(zip(cbs, meta["callbacks"])):
        if hasattr(cb, "load_state_dict"):
            cb.load_state_dict(_join(f"callback/{i}/", saved["state"], arrays))
    trainer.rng.bit_generator.state = meta["rng"]
    s = trainer.state
    s.epoch, s.step = meta["epoch"], meta["step"]
    s.metrics, s.history, s.epoch_seconds = meta["metrics"], meta["history"], meta["epoch_seconds"]
    return meta
