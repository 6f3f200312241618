"""Comparison runs on a Dask cluster: `python -m framework.compare FILE --cluster ADDRESS | FILE.json | local[:N]`.

Each (variant, seed) run is one Dask task with a key unique to this submission. A worker trains in a temporary
folder of its own and returns the run's files (events, recipe.json, summary.json, ...) and the recipe it ran;
the client checks that recipe against the one it sent and writes the files into the comparison folder: no
shared filesystem is needed, and the folder looks exactly as after a local run. Each run is written, and its
result released from the cluster's memory, as soon as it finishes, so an interrupted comparison keeps its
finished runs and a re-run resumes. The client itself bounds what depends on the cluster: connecting, waiting
for workers, and the number of times a run may be restarted after its worker is lost (`retries`), whatever
the scheduler's own configuration says.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import urlparse

from ..files import default_mode
from .backends import run_info

INSTALL_HINT = "--cluster needs Dask: pip install \"npframe[cluster]\" (or pip install \"dask[distributed]\")"
RUN_PREFIX = "npframe-run-"
STARTED, STOP = "npframe-started", "npframe-stop"  # the scheduler's metadata between a client and its runs


class ClusterError(RuntimeError):
    pass


def _import_distributed():
    try:
        import distributed
    except ImportError as e:
        raise ClusterError(f"{INSTALL_HINT} ({e})") from None
    return distributed


def parse_spec(spec: str) -> tuple[str, str | int]:
    """("local", n_workers) for "local" or "local:N"; ("file", path) for a scheduler file (*.json, as written by
    `dask scheduler --scheduler-file`, dask-jobqueue and dask-mpi); ("address", spec) for "tcp://host:port"."""
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2]
        if n and not (n.isdigit() and int(n) > 0):
            raise ClusterError(f"--cluster {spec!r}: expected local or local:N with N a positive integer")
        return "local", int(n) if n else (os.cpu_count() or 1)
    if spec.endswith(".json"):
        if not Path(spec).is_file():
            raise ClusterError(f"--cluster {spec}: scheduler file not found")
        return "file", spec
    if "://" not in spec:
        raise ClusterError(f"--cluster {spec!r}: expected a scheduler address such as tcp://127.0.0.1:8786, "
                           f"a scheduler file (scheduler.json), or local[:N]")
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


def clean_stale_folders(parent: str | None = None) -> list[str]:
    """Remove the run folders of workers that died (named npframe-run-<pid>-*, the pid no longer running)."""
    removed = []
    for d in Path(parent or tempfile.gettempdir()).glob(f"{RUN_PREFIX}*-*"):
        pid = d.name[len(RUN_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
        except PermissionError:  # alive, another user's
            pass
    return removed


def train_remote(recipe: dict, info: dict | None = None, token: str | None = None, stop_at: int | None = None,
                 files_in: dict[str, bytes] | None = None) -> dict:
    """Runs on a worker: pin BLAS threads to this worker's share of its machine's cores, train in a
    temporary folder, and return {"recipe", "summary", "files": {relative path: bytes}}. With the submission's
    `token`, the run records on the scheduler that it started on this worker (a restart is charged only to runs
    that had started) and stops at its next batch once its client asks (Ctrl-C, or a run given up). With `stop_at`
    (a search's rung), the run's folder as far as it got (`files_in`: its checkpoint, records and TensorBoard files)
    is laid out first and the run continues to that epoch (`run_to`)."""
    from threadpoolctl import threadpool_limits

    from ..malloc import tune_malloc
    from .backends import run_one, run_to

    threads = blas_share()
    tune_malloc()
    clean_stale_folders()
    stop, done = threading.Event(), threading.Event()
    if token is not None:
        _follow_client(token, stop, done)
    tmp = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-")
    try:
        for rel, data in (files_in or {}).items():
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise ClusterError(f"refusing to write {rel!r} outside the run directory")
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_bytes(data)
        with threadpool_limits(threads):
            summary = run_one(recipe, tmp, info, stop=stop.is_set) if stop_at is None else \
                run_to(recipe, tmp, info, stop_at)
        files = {str(p.relative_to(tmp)): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
    finally:
        done.set()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"recipe": recipe, "summary": summary, "files": files}


def _follow_client(token: str, stop: threading.Event, done: threading.Event, every: float = 0.5) -> None:
    """Runs on a worker: record this task's start (STARTED/token/key/worker), then set `stop` when the client
    writes STOP/token/"all" or STOP/token/key; a thread polls the scheduler until `done`."""
    import time

    from distributed import get_client, get_worker

    worker = get_worker()
    key, client = worker.get_current_task(), get_client()
    client.set_metadata([STARTED, token, key, worker.address], time.time())

    def poll():
        while not done.wait(every):
            try:
                asked = client.get_metadata([STOP, token], default={})
            except Exception:  # the scheduler is gone: the task's result has nowhere to go either
                continue
            if asked.get("all") or asked.get(key):
                stop.set()
                return

    threading.Thread(target=poll, daemon=True, name="npframe-stop").start()


def worker_version() -> str:
    """Runs on a worker: the npframe version it would train with."""
    import framework

    return framework.__version__


def check_returned(sent: dict, result) -> None:
    """Raise ClusterError unless a returned run is the run of the recipe that was sent."""
    same = lambda a: json.loads(json.dumps(a)) == json.loads(json.dumps(sent))  # JSON-equal
    if not isinstance(result, dict) or not same(result.get("recipe")):
        raise ClusterError("the cluster returned a run of another recipe (a task key shared with another client?)")
    recorded = result["files"].get("recipe.json")
    if recorded is not None and not same(json.loads(recorded)):
        raise ClusterError("the returned run's recipe.json is not the recipe sent")


def write_run(run_dir: Path, files: dict[str, bytes]) -> None:
    """Write a returned run into run_dir: into a temporary sibling first, then renamed into place."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=run_dir.parent, prefix=f".{run_dir.name}."))
    try:
        os.chmod(tmp, default_mode(0o777))  # mkdtemp makes 0700; results are not secrets
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


def connect(distributed, kind: str, where: str, timeout: float):
    """A Client, or ClusterError within `timeout` seconds. Connecting is bounded here because a Client pointed
    at a port that is not a scheduler (the dashboard's 8787, say) waits forever, whatever its own timeout."""
    box: dict = {}

    def attempt():
        try:
            kw = {"scheduler_file": where} if kind == "file" else {"address": where}
            box["client"] = distributed.Client(timeout=timeout, **kw)
        except BaseException as e:  # reported by the caller's thread
            box["error"] = e

    t = threading.Thread(target=attempt, daemon=True, name="npframe-connect")
    t.start()
    t.join(timeout + 5)
    if "client" in box:
        return box["client"]
    hint = (" (8787 is usually the dashboard; the scheduler listens on 8786 by default)"
            if where.rstrip("/").endswith(":8787") else "")
    reason = f": {type(box['error']).__name__}: {box['error']}" if "error" in box else f" within {timeout:g} s"
    raise ClusterError(f"--cluster {where}: no Dask scheduler answered{reason}{hint}")


def check_workers(client, where: str, timeout: float, log) -> None:
    """Wait (bounded) for at least one worker, then refuse workers whose npframe version differs from ours."""
    import framework

    if not client.scheduler_info()["workers"]:
        log(f"  waiting for Dask workers to join {where} (up to {timeout:g} s; --cluster-timeout)")
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise ClusterError(f"--cluster {where}: no worker joined within {timeout:g} s; start some with: "
                               f"dask worker {client.scheduler.address} --nthreads 1") from None
    try:
        versions = client.run(worker_version)
    except Exception as e:
        raise ClusterError(f"--cluster {where}: npframe cannot be imported on the workers ({type(e).__name__}: "
                           f"{e}); install it there (and any plugin package the recipes use)") from None
    wrong = {w: v for w, v in versions.items() if v != framework.__version__}
    if wrong:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(wrong.items()))
        raise ClusterError(f"--cluster {where}: workers run another npframe version than this client's "
                           f"{framework.__version__}: {listed}")


def run_dask(tasks, report, spec: str, log=print, retries: int = 2, timeout: float = 60.0,
             poll: float = 1.0) -> dict[tuple[str, int], dict]:
    """Run (variant, seed, recipe, run_dir) tasks on a Dask cluster; each run is written, and
    `report(name, seed, summary)` called, as soon as it finishes. A run whose worker is lost restarts on another
    at most `retries` times. On KeyboardInterrupt the submitted runs are cancelled on the cluster."""
    distributed = _import_distributed()
    kind, where = parse_spec(spec)
    results: dict[tuple[str, int], dict] = {}
    if not tasks:
        return results
    cluster = None
    if kind == "local":
        threads_env = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        cluster = distributed.LocalCluster(n_workers=where, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None, worker_dashboard_address=None, env=threads_env)
        kind, where = "address", cluster.scheduler_address
    try:
        with connect(distributed, kind, where, timeout) as client:
            info = client.scheduler_info()
            link = client.dashboard_link if info.get("services", {}).get("dashboard") else None
            n = len(info["workers"])
            log(f"  dask scheduler {client.scheduler.address}, {n} worker{'s' if n != 1 else ''}"
                + (f"; dashboard {link}" if link else ""))
            check_workers(client, where, timeout, log)
            _Submission(client, distributed, tasks, report, log, retries).run(results, poll)
    finally:
        if cluster is not None:
            cluster.close()
    return results


class _Submission:
    """One comparison's tasks on a cluster: keys unique to this submission, restarts counted by the client (only
    for runs that had started on the worker that was lost, not for runs queued there)."""

    def __init__(self, client, distributed, tasks, report, log, retries: int):
        self.client, self.distributed, self.report, self.log, self.retries = client, distributed, report, log, retries
        self.token = uuid.uuid4().hex[:12]
        self.pending: dict = {}   # future -> task
        self.losses: dict = {}    # (name, seed) -> workers lost while it ran (over all its submissions)
        self.charged: set = set()  # (task key, worker) losses already counted
        self.submitted: dict = {}  # (name, seed) -> submissions so far (a fresh key each)
        self.given_up: set = set()  # (name, seed) stopped after too many lost workers
        for task in tasks:
            self.submit(task)

    def submit(self, task) -> None:
        name, seed, recipe, run_dir, *rest = task
        attempt = self.submitted[name, seed] = self.submitted.get((name, seed), -1) + 1
        key = f"npframe-{name}-seed{recipe['seed']}-{self.token}-{attempt}"
        info = run_info(name, run_dir)
        extra = {}
        if rest and rest[0].get("stop_at") is not None:  # a search's rung: the run's folder goes along
            extra = {"stop_at": rest[0]["stop_at"], "files_in": {
                str(p.relative_to(run_dir)): p.read_bytes() for p in Path(run_dir).rglob("*") if p.is_file()}
                if Path(run_dir).is_dir() else {}}
        fut = self.client.submit(train_remote, recipe, info, self.token, key=key, pure=False, retries=self.retries,
                                 **extra)
        self.pending[fut] = task

    def run(self, results: dict, poll: float) -> None:
        try:
            while self.pending:
                try:
                    done = self.distributed.wait(list(self.pending), timeout=poll, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                for fut in done:
                    self.finish(fut, results)
                self.watch()
        except KeyboardInterrupt:  # cancelling forgets the tasks; the runs themselves stop when asked
            self.client.set_metadata([STOP, self.token, "all"], True)
            self.client.cancel(list(self.pending), force=True)
            raise
        finally:
            try:  # the start records are this submission's; the stop requests stay for runs still to see them
                self.client.set_metadata([STARTED, self.token], {})
            except Exception:
                pass

    def finish(self, fut, results: dict) -> None:
        task = self.pending.pop(fut)
        name, seed, recipe, run_dir, *_ = task
        try:
            result = fut.result()
            check_returned(recipe, result)
            write_run(run_dir, result["files"])
            summary = result["summary"]
        except self.distributed.client.FutureCancelledError:
            lost = f"its worker was lost {self.losses.get((name, seed), 0)} times" if (name, seed) in self.given_up \
                else "cancelled on the cluster"
            summary = {"status": "failed", "error": lost}
        except Exception as e:
            if type(e).__name__ == "KilledWorker" and self.losses.get((name, seed), 0) <= self.retries:
                self.log(f"  {name} seed {seed}: the scheduler gave up after its workers died; submitted again")
                fut.release()
                self.submit(task)
                return
            summary = {"status": "failed", "error": f"{type(e).__name__}: {e}"}
        fut.release()  # its result is on disk now: nothing for the cluster to keep or recompute
        results[name, seed] = summary
        self.report(name, seed, summary)

    def watch(self) -> None:
        """Charge each pending run one restart per lost worker it had started on (its start records against the
        scheduler's workers); say which runs restart, and stop any that has lost more than `retries` workers."""
        def started_and_alive(dask_scheduler, path):  # runs on the scheduler; nested, so it is sent by value
            return dask_scheduler.get_metadata(path, default={}), list(dask_scheduler.workers)

        try:
            starts, alive = self.client.run_on_scheduler(started_and_alive, path=[STARTED, self.token])
        except Exception:  # a scheduler that refuses to run code: the scheduler's own limit still applies
            return
        for fut, (name, seed, *_) in list(self.pending.items()):
            new = {(fut.key, w) for w in starts.get(fut.key, {}) if w not in alive} - self.charged
            if not new:
                continue
            self.charged |= new
            lost = self.losses[name, seed] = self.losses.get((name, seed), 0) + len(new)
            if lost > self.retries:
                self.log(f"  a worker was lost while running {name} seed {seed} ({lost} lost; at most "
                         f"{self.retries} restarts): given up")
                self.given_up.add((name, seed))
                self.client.set_metadata([STOP, self.token, fut.key], True)
                self.client.cancel([fut], force=True)
            else:
                self.log(f"  a worker was lost while running {name} seed {seed}; it starts again on another "
                         f"worker (restart {lost} of at most {self.retries})")
