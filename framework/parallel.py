"""Elementwise NumPy work split over the batch and run in threads (NumPy releases the GIL inside its loops), for
the layers' passes that BLAS does not already spread over the cores: copies, pooling, activations, scatters.
Each part computes its own rows, so results are the same bits whatever the thread count.

`FRAMEWORK_THREADS=N` sets the count (1: no threads); the default is the CPUs this process may use, at most 4.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor


def _default() -> int:
    env = os.environ.get("FRAMEWORK_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, 4))


THREADS = _default()
MIN_BYTES = 1 << 20  # below this a thread's start costs more than it saves (measured: ~30 us a dispatch)
_executor: ThreadPoolExecutor | None = None
_workers = 0  # the executor's thread count (ThreadPoolExecutor has no public attribute for it)


def over_batch(fn, n: int, nbytes: int) -> None:
    """Call fn(start, stop) on consecutive parts of range(n) at once in THREADS threads when the work touches at
    least MIN_BYTES, else fn(0, n) here."""
    global _executor, _workers
    k = min(THREADS, n) if nbytes >= MIN_BYTES else 1
    if k <= 1:
        fn(0, n)
        return
    if _executor is None or _workers < k:
        _executor, _workers = ThreadPoolExecutor(k, thread_name_prefix="npframe"), k
    for f in [_executor.submit(fn, n * i // k, n * (i + 1) // k) for i in range(k)]:
        f.result()
