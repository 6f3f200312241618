"""IDX files (MNIST's format): a checked reader, and a checksummed, atomic downloader.

Helpers for the dataset plugins, outside the training core; a third-party dataset may import them too.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from framework import DataError

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes: magic (0, 0, dtype code, ndim), ndim big-endian uint32 sizes, then the data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(f"{source}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{source}: truncated IDX header ({len(raw)} bytes, expected at least {head})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = head + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataError(f"{source}: IDX file {what}: {len(raw)} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(raw, dtype, offset=head).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike, md5: str | None = None) -> np.ndarray:
    """Read a (optionally gzip-compressed) IDX file; verify the MD5 of its decompressed bytes if given."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path}: corrupt gzip data ({type(e).__name__}: {e})") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if md5 is not None:
        got = hashlib.md5(raw).hexdigest()
        if got != md5:
            raise DataError(f"{path}: checksum mismatch: MD5 of the decompressed data is {got}, expected {md5}")
    return parse_idx(raw, path)


def fetch_idx_files(files: dict[str, tuple[str, str]], dest: str | os.PathLike, base_url: str,
                    timeout: float = 60.0) -> None:
    """Download each IDX file `base_url/<name>` into `dest`, checking the MD5 of its decompressed bytes.

    A file is written under a temporary name and renamed only once verified, so `dest` never holds a
    partial or corrupt file. Raises DataError naming the URL on any failure.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for fname, md5 in files.values():
        target = dest / fname
        if target.exists():
            continue
        url = base_url.rstrip("/") + "/" + fname
        fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{fname}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                shutil.copyfileobj(resp, out)
            try:
                read_idx(tmp, md5)
            except DataError as e:
                raise DataError(f"{url}: downloaded file rejected: {str(e).split(': ', 1)[1]}") from None
            os.replace(tmp, target)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise DataError(f"{url}: download failed: {getattr(e, 'reason', e)}") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
