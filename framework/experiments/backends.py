"""Where comparison runs execute. A backend takes (variant, seed, recipe, run_dir) tasks and a
`report(variant, seed, summary)` callback, and returns {(variant, seed): summary}: `run_local` here (worker
processes on this machine), `framework.cluster.run_dask` on a Dask cluster. Both train with `run_one`."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import active_children, get_context
from pathlib import Path

from ..files import atomic_write_json, hold
from ..malloc import tune_malloc
from ..runs import finished_run, save_description, summary_of, write_manifest
from ..trainer import Diverged

BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Stopped(Exception):
    """Raised inside a run whose client asked it to stop (Ctrl-C on a cluster's client)."""


class _StopWhen:
    """Callback: stop the run at the next batch once `stop()` is true."""

    transient = True  # not part of the run: checkpoints leave it out

    def __init__(self, stop):
        self.stop = stop

    def on_batch_end(self, trainer, state) -> None:
        if self.stop():
            raise Stopped("stopped by its client")


def run_one(recipe: dict, run_dir: str, info: dict | None = None, stop=None) -> dict:
    """Train one run into run_dir (worker process). Returns its summary; a failure is recorded, not raised.
    `info` ({"variant": ..., "comparison": ...}) reaches the loggers as trainer.run_info; `stop()`, if given, is
    asked after every batch and ends the run as failed ("stopped") when true."""
    from ..build import build

    run_dir_p = Path(run_dir)
    run_dir_p.parent.mkdir(parents=True, exist_ok=True)
    lock_path = run_dir_p.parent / f".{run_dir_p.name}.lock"
    lock = hold(lock_path)  # one process writes a run folder at a time
    if lock is None:  # another process (the same comparison started twice) is training it: wait, then reuse it
        while lock is None:
            if stop is not None and stop():
                return {"status": "failed", "error": "stopped by its client"}
            time.sleep(0.2)
            lock = hold(lock_path)
        done = finished_run(run_dir_p, recipe)
        if done is not None:
            return dict(done, reused="trained by another process at the same time")
    if run_dir_p.exists():  # an earlier failed or --force'd run: start clean, one event file per run
        shutil.rmtree(run_dir_p)
    run_dir_p.mkdir(parents=True)

    def start():
        trainer = build(recipe, where=str(run_dir_p / "recipe.json"), run_dir=run_dir)
        atomic_write_json(run_dir_p / "recipe.json", recipe)
        save_description(run_dir_p, trainer.data)
        return trainer

    return _train(start, run_dir_p, info, [_StopWhen(stop)] if stop is not None else [])


def _train(start, run_dir: Path, info: dict | None, callbacks: list) -> dict:
    """Make the trainer (`start()`), fit it with the caller's `callbacks`, and record the outcome: summary.json,
    then the manifest once complete (last: a run is complete when its manifest checks). A failure is recorded,
    not raised (the other runs go on); a search's pause is status "paused"."""
    started, trainer = time.time(), None
    try:
        trainer = start()
        trainer.run_info = dict(info or {})
        if callbacks:
            trainer.add_callbacks(*callbacks)
        trainer.fit()
        summary = summary_of(trainer, "completed", started)
    except Paused:
        summary = dict(summary_of(trainer, "paused", started), error=None)
    except Exception as e:
        status = "diverged" if isinstance(e, Diverged) else "failed"
        summary = summary_of(trainer, status, started) if trainer is not None else {"status": status}
        summary["error"] = f"{type(e).__name__}: {e}"
        summary["traceback"] = traceback.format_exc()
    atomic_write_json(run_dir / "summary.json", summary)
    if summary["status"] == "completed":
        write_manifest(run_dir)
    return summary


class Paused(Exception):
    """Raised at a search's rung: the run stops with its checkpoint of that epoch, to continue from it later
    (`paused`: loggers record no failure)."""

    paused = True


class _PauseAt:
    """Callback: once epoch `epoch` has ended and the checkpoint callback has saved it, stop the run (`Paused`)
    unless it is the run's last epoch. The schedule stays laid out for the recipe's epochs, so continuing gives
    the weights of a run trained straight through."""

    order, transient = 400, True  # after Order.CHECKPOINT: last.npz holds this epoch; not part of the run

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, trainer, state) -> None:
        if self.epoch <= state.epoch + 1 < trainer.epochs:
            raise Paused(f"paused after epoch {state.epoch + 1}")


def reached(recipe: dict, run_dir, stop_at: int | None) -> dict | None:
    """The summary of a run of `recipe` in run_dir that is paused at or past epoch `stop_at` (or completed), else
    None: a search's rung that needs no training."""
    try:
        earlier = json.loads((Path(run_dir) / "summary.json").read_text())
        same = json.loads((Path(run_dir) / "recipe.json").read_text()) == recipe
    except (OSError, ValueError):
        return None
    done = earlier.get("epochs_completed", 0)
    ok = same and earlier.get("status") in ("paused", "completed") and done >= (stop_at or recipe["epochs"])
    return earlier if ok else None


def run_to(recipe: dict, run_dir: str, info: dict | None = None, stop_at: int | None = None) -> dict:
    """Train a run of `recipe` (its schedule laid out for recipe["epochs"]) up to epoch `stop_at` and pause it there
    (summary status "paused", checkpoints/last.npz of that epoch), continuing from its checkpoint when run_dir holds
    the same recipe paused earlier; at the recipe's last epoch the run completes as run_one's do. For a search's
    rungs (framework.experiments.search)."""
    from ..runs import load_run

    run_dir_p = Path(run_dir)
    run_dir_p.parent.mkdir(parents=True, exist_ok=True)
    lock_path = run_dir_p.parent / f".{run_dir_p.name}.lock"
    lock = hold(lock_path)
    while lock is None:
        time.sleep(0.2)
        lock = hold(lock_path)
    found = reached(recipe, run_dir_p, stop_at)
    if found is not None:
        return found  # reached already (a search resumed after an interruption)
    try:
        earlier = json.loads((run_dir_p / "summary.json").read_text())
        same = json.loads((run_dir_p / "recipe.json").read_text()) == recipe
    except (OSError, ValueError):
        earlier, same = {}, False

    def start():
        if same and earlier.get("status") == "paused":
            return load_run(run_dir_p, "last")
        if run_dir_p.exists():
            shutil.rmtree(run_dir_p)
        run_dir_p.mkdir(parents=True)
        from ..build import build
        trainer = build(recipe, where=str(run_dir_p / "recipe.json"), run_dir=run_dir)
        atomic_write_json(run_dir_p / "recipe.json", recipe)
        save_description(run_dir_p, trainer.data)
        return trainer

    return _train(start, run_dir_p, info, [_PauseAt(stop_at)] if stop_at is not None else [])


def run_info(variant: str, run_dir: Path) -> dict:
    """What a comparison tells a run about itself (<logdir>/<comparison>/<variant>/seed<k>, or a search's trial,
    <logdir>/<comparison>/<variant>/search/<trial>/seed<k>)."""
    run_dir = Path(run_dir)
    search = run_dir.parent.parent.name == "search"
    return {"variant": variant, "comparison": (run_dir.parents[3] if search else run_dir.parent.parent).name}


def _worker_init(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    # a recipe's progress logger would write each worker's epochs into one terminal, lines interleaved: the
    # comparison prints one line per finished run instead (errors still reach stderr)
    sys.stdout = open(os.devnull, "w")  # for the worker's whole life
    tune_malloc()
    try:  # also caps pools that exist already (BLAS reads the environment variables only at load time)
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads)
    except ImportError:
        pass


def run_local(tasks: list[tuple], report, workers: int, threads: int | None = None,
              target=None) -> dict[tuple[str, int], dict]:
    """Run (variant, seed, recipe, run_dir[, keyword arguments]) tasks on `workers` processes with `threads` BLAS
    threads each (default: the cores split between them), each by `target` (default `run_one`)."""
    target = target or run_one
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    results: dict[tuple[str, int], dict] = {}
    if not tasks:
        return results
    saved = {v: os.environ.get(v) for v in BLAS_VARS}
    os.environ.update({v: str(threads) for v in BLAS_VARS})
    before = set(active_children())
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_init,
                               initargs=(threads,))
    try:
        futures = {pool.submit(target, recipe, str(run_dir), run_info(name, run_dir), **(rest[0] if rest else {})):
                   (name, seed) for name, seed, recipe, run_dir, *rest in tasks}
        for fut in as_completed(futures):
            name, seed = futures[fut]
            try:
                summary = fut.result()
            except Exception as e:  # the worker process itself died
                summary = {"status": "failed", "error": f"worker died: {type(e).__name__}: {e}"}
            results[name, seed] = summary
            report(name, seed, summary)
    except KeyboardInterrupt:  # stop the runs in progress now (the workers ignore SIGINT), not when they finish
        for process in set(active_children()) - before:  # the pool's workers (Python 3.14 adds terminate_workers)
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old
    return results
