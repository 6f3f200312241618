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
