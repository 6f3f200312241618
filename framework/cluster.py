"""Comparison runs on a Dask cluster: `python -m framework.compare FILE --cluster tcp://HOST:PORT | local[:N]`.

Each (variant, seed) run is one Dask task. A worker trains in a temporary folder of its own and returns the
run's files (events, recipe.json, summary.json, ...) to the client, which writes them into the comparison
folder: no shared filesystem is needed, and the folder looks exactly as after a local run. The client writes
each run as soon as it finishes, so an interrupted comparison keeps its finished runs and a re-run resumes.
A worker that dies mid-run has its task retried on another worker (at most `allowed_failures` times).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

INSTALL_HINT = "--cluster needs Dask: pip install \"npframe[cluster]\" (or pip install \"dask[distributed]\")"


class ClusterError(RuntimeError):
    pass


def _import_distributed():
    try:
        import dask
        import distributed
    except ImportError as e:
        raise ClusterError(f"{INSTALL_HINT} ({e})") from None
    return dask, distributed


def parse_spec(spec: str) -> tuple[str, str | int]:
    """("local", n_workers) for "local" or "local:N"; ("address", spec) for "tcp://host:port" and the like."""
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2]
        if n and not (n.isdigit() and int(n) > 0):
            raise ClusterError(f"--cluster {spec!r}: expected local or local:N with N a positive integer")
        return "local", int(n) if n else (os.cpu_count() or 1)
    if "://" not in spec:
        raise ClusterError(f"--cluster {spec!r}: expected a scheduler address such as tcp://127.0.0.1:8786, "
                           f"or local[:N]")
    return "address", spec


def blas_share() -> int:
    """This task's share of its machine's cores: cores / task threads of all workers on the same host."""
    try:
        from distributed import get_client, get_worker
        host = urlparse(get_worker().address).hostname
        workers = get_client().scheduler_info()["workers"]
        busy = sum(w["nthreads"] for addr, w in workers.items() if urlparse(addr).hostname == host)
    except (ImportError, ValueError, KeyError, AttributeError):
        busy = 1
    return max(1, (os.cpu_count() or 1) // max(1, busy))


def train_remote(recipe: dict) -> tuple[dict, dict[str, bytes]]:
    """Runs on a worker: pin BLAS threads to this worker's share of its machine's cores, train in a
    temporary folder, and return (summary, {relative path: file bytes})."""
    threads = blas_share()
    from threadpoolctl import threadpool_limits

    from .backends import run_one
    from .malloc import tune_malloc

    tune_malloc()
    tmp = tempfile.mkdtemp(prefix="npframe-run-")
    try:
        with threadpool_limits(threads):
            summary = run_one(recipe, tmp)
        files = {str(p.relative_to(tmp)): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary, files


def write_run(run_dir: Path, files: dict[str, bytes]) -> None:
    """Write a returned run into run_dir: into a temporary sibling first, then renamed into place."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=run_dir.parent, prefix=f".{run_dir.name}."))
    try:
        for rel, data in files.items():
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise ClusterError(f"refusing to write {rel!r} outside the run directory")
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if run_dir.exists():
            shutil.rmtree(run_dir)
        os.replace(tmp, run_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def run_dask(tasks, report, spec: str, log=print, allowed_failures: int = 2) -> dict[tuple[str, int], dict]:
    """Run (variant, seed, recipe, run_dir) tasks on a Dask cluster; each run is written, and
    `report(name, seed, summary)` called, as soon as it finishes."""
    dask, distributed = _import_distributed()
    kind, where = parse_spec(spec)
    results: dict[tuple[str, int], dict] = {}
    if not tasks:
        return results
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        cluster = None
        if kind == "local":
            threads_env = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
            cluster = distributed.LocalCluster(n_workers=where, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None,
                                               worker_dashboard_address=None, env=threads_env)
            address = cluster.scheduler_address
        else:
            address = where
        try:
            try:
                client = distributed.Client(address, timeout=30)
            except (OSError, TimeoutError) as e:
                raise ClusterError(f"--cluster {spec}: cannot reach the Dask scheduler ({e})") from None
            with client:
                log(f"  dask scheduler {client.scheduler.address}, "
                    f"{len(client.scheduler_info()['workers'])} workers")
                futures = {client.submit(train_remote, recipe, key=f"npframe-{name}-seed{recipe['seed']}-"
                                         f"{os.getpid()}", pure=False): (name, seed, run_dir)
                           for name, seed, recipe, run_dir in tasks}
                for fut in distributed.as_completed(futures):
                    name, seed, run_dir = futures[fut]
                    try:
                        summary, files = fut.result()
                        write_run(run_dir, files)
                    except Exception as e:  # KilledWorker after too many worker deaths, or a lost connection
                        summary = {"status": "failed", "error": f"{type(e).__name__}: {e}"}
                    results[name, seed] = summary
                    report(name, seed, summary)
        finally:
            if cluster is not None:
                cluster.close()
    return results
