"""Keep glibc from returning freed memory to the OS after every batch.

Arrays of a few hundred KB (a batch's activations, an augmentation's index arrays) sit above glibc's default
mmap threshold, so each is mapped and unmapped per step and its pages faulted in again: that costs a third
of an MNIST epoch here. Raising the mmap and trim thresholds lets the heap reuse that memory; the trim threshold
and top pad stay small (32 and 16 MB), since a CNN's freed activations kept on top of the heap had raised CIFAR-10's
peak RSS from 0.95 to 1.06 GB (2 epochs, 6,000 images) while the default MLP's epoch took the same time (1.17
against 1.15 s, median of three alternations, 2026-12-07). Linux/glibc
only; set FRAMEWORK_MALLOC_TUNING=0 to leave malloc alone. The commands (framework.run, the workers of
framework.compare) call `tune_malloc()` at start; the Trainer does not, so a program embedding npframe keeps
its own malloc settings unless it calls it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
_done = False


def tune_malloc(mmap_threshold: int = 64 << 20, trim_threshold: int = 32 << 20, top_pad: int = 16 << 20) -> bool:
    """Apply the thresholds once per process; True if they are in effect."""
    global _done
    if _done or os.environ.get("FRAMEWORK_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = all(libc.mallopt(opt, val) == 1 for opt, val in ((M_MMAP_THRESHOLD, mmap_threshold),
                                                              (M_TRIM_THRESHOLD, trim_threshold),
                                                              (M_TOP_PAD, top_pad)))
    except (OSError, AttributeError):  # not glibc
        ok = False
    _done = ok
    return ok
