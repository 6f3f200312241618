"""Fetch files over HTTP into a folder, verified by checksum and moved into place atomically."""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from .data import DataError, read_idx


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
