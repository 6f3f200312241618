"""Atomic file writes (a temporary name in the same folder, then a rename over the target), with the modes
the umask gives ordinary files; run folders that never overwrite each other."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def default_mode(base: int = 0o666) -> int:
    """The mode a new file (base 0o666) or folder (0o777) gets under the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, default_mode())  # mkstemp makes 0600; results are not secrets
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _plain(o: Any):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, default=_plain) + "\n").encode())


def unique_dir(parent: str | os.PathLike, name: str) -> Path:
    """Create and return parent/name, or parent/name-1, -2, ... if taken: never reuses an existing folder."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    for i in range(10_000):
        path = parent / (name if i == 0 else f"{name}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{parent}: no free run directory name for {name!r}")


MANIFEST = "manifest.json"


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


def manifest_problem(run_dir: str | os.PathLike) -> str | None:
    """None if the run's files are all there as its manifest lists them; else what is wrong, in a few words."""
    run_dir = Path(run_dir)
    try:
        files = json.loads((run_dir / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no manifest (not finished, or written before manifests)"
    for name, entry in files.items():
        p = run_dir / name
        if not p.is_file():
            return f"{name} is missing"
        if p.stat().st_size != entry.get("bytes") or _digest(p) != entry.get("sha256"):
            return f"{name} differs from the manifest (truncated or changed)"
    return None


def hold(lock_path: str | os.PathLike):
    """An exclusive flock on lock_path (created if needed) for as long as the returned file stays open; the
    system releases it when the process ends, crash or not. None if another process holds it."""
    import fcntl

    f = open(lock_path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f
