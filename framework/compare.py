"""`python -m framework.compare COMPARISON [--seeds N] [--workers N] [--set KEY=VALUE ...] [--logdir DIR]`

A comparison file defines `comparison = {"base": RECIPE, "variants": {NAME: CHANGES, ...}, ...}`: each
variant is the base recipe with a small explicit diff (the same dotted keys as `derive` and `--set`), or
another recipe file named by its path (relative to the comparison file). Every
(variant, seed) pair trains in its own directory under <logdir>/<comparison stem>/, so TensorBoard overlays
them, in worker processes that share the cores. Finished runs are reused when re-run. The table of results
goes to results.csv and results.md beside the runs.
"""
from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from . import cli
from . import recipe as rcp
from .backends import run_local
from .files import atomic_write_bytes

COMPARISON_KEYS = {"base", "variants", "baseline", "seeds", "set", "description"}


class ComparisonError(rcp.RecipeError):
    """A problem in a comparison file; the message names the file and the key."""


def load_comparison(path: str | os.PathLike) -> dict[str, Any]:
    """Execute a comparison file and check its `comparison` dict."""
    path = Path(path)
    c = rcp.run_file(path, "comparison", ComparisonError)
    unknown = set(c) - COMPARISON_KEYS
    if unknown:
        raise ComparisonError(f"{path}: unknown key {sorted(unknown)[0]!r}; "
                              f"expected: {', '.join(sorted(COMPARISON_KEYS))}")
    if not isinstance(c.get("variants"), dict) or not c["variants"]:
        raise ComparisonError(f"{path}: key 'variants': expected a non-empty dict of name -> changes")
    for name, changes in c["variants"].items():
        if not isinstance(name, str) or not name or "/" in name or not isinstance(changes, (dict, str)):
            raise ComparisonError(f"{path}: key 'variants.{name}': expected a name without '/' mapped to a dict "
                                  f"of changes or a recipe path")
        if isinstance(changes, str):
            c["variants"][name] = str(path.parent / changes) if not Path(changes).is_absolute() else changes
    c.setdefault("baseline", next(iter(c["variants"])))
    if c["baseline"] not in c["variants"]:
        raise ComparisonError(f"{path}: key 'baseline': {c['baseline']!r} is not a variant")
    if not isinstance(c.get("seeds", 1), int) or c.get("seeds", 1) < 1:
        raise ComparisonError(f"{path}: key 'seeds': expected a positive integer")
    base = c.get("base")
    if not isinstance(base, str):
        raise ComparisonError(f"{path}: key 'base': expected the path of a recipe file")
    c["base_path"] = str((path.parent / base) if not Path(base).is_absolute() else Path(base))
    return c


def variant_recipes(c: dict, overrides: list[str], where: str) -> dict[str, dict]:
    """The validated recipe of every variant: base (or the variant's own recipe file), the comparison's
    `set`, the variant's changes, then --set."""
    def with_set(raw):
        for key, value in (c.get("set") or {}).items():
            rcp.set_path(raw, key, value, where=f"{where}: set")
        return raw

    base = with_set(rcp.load_raw(c["base_path"]))
    out = {}
    for name, changes in c["variants"].items():
        if isinstance(changes, str):
            r, changes = with_set(rcp.load_raw(changes)), {}
        else:
            r = copy.deepcopy(base)
        for key, value in changes.items():
            rcp.set_path(r, key, value, where=f"{where}: variant {name!r}")
        for text in overrides:
            key, value = rcp.parse_override(text)
            rcp.set_path(r, key, value, where=f"--set {text}")
        out[name] = rcp.validate(r, f"{where}: variant {name!r}")
    return out


def _finished(run_dir: Path, recipe: dict) -> dict | None:
    """The summary of a completed earlier run of exactly this recipe, else None."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        same = json.loads((run_dir / "recipe.json").read_text()) == json.loads(json.dumps(recipe))
    except (OSError, ValueError):
        return None
    return summary if same and summary.get("status") == "completed" else None


class Progress:
    """Prints one line per finished run: [finished/total] variant seed k: status and headline or error."""

    def __init__(self, total: int):
        self.total, self.done = total, 0

    def __call__(self, name: str, seed: int, summary: dict) -> None:
        self.done += 1
        status = summary.get("status")
        detail = _headline(summary) if status == "completed" else cell(summary.get("error"))
        print(f"  [{self.done}/{self.total}] {name} seed {seed}: {status}  {detail}", flush=True)


def _headline(summary: dict) -> str:
    final = summary.get("final", {})
    key = "test_accuracy" if "test_accuracy" in final else "test_r2"
    return f"{key} {final.get(key, float('nan')):.4f}, {summary.get('train_seconds', 0):.1f} s"


def _mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def table(c: dict, results: dict[tuple[str, int], dict], seeds: list[int]) -> list[dict[str, Any]]:
    """One row per variant: mean and spread over seeds, and the change against the baseline."""
    rows = []
    for name in c["variants"]:
        runs = [results.get((name, s), {}) for s in seeds]
        done = [r for r in runs if r.get("status") == "completed"]
        final = [r["final"] for r in done]
        metric = "test_accuracy" if final and "test_accuracy" in final[0] else "test_r2"
        acc_m, acc_s = _mean_sd([f.get(metric, math.nan) for f in final])
        loss_m, _ = _mean_sd([f.get("test_loss", math.nan) for f in final])
        epoch_m, _ = _mean_sd([statistics.fmean(r["epoch_seconds"]) for r in done if r.get("epoch_seconds")])
        train_m, _ = _mean_sd([r["train_seconds"] for r in done])
        errors = [r.get("error") for r in runs if r.get("status") != "completed"]
        diverged = sum(r.get("status") == "diverged" for r in runs)
        rows.append({"variant": name, "runs": len(done), "failed": len(runs) - len(done) - diverged,
                     "diverged": diverged, "metric": metric,
                     "metric_mean": acc_m, "metric_sd": acc_s, "test_loss": loss_m, "epoch_seconds": epoch_m,
                     "train_seconds": train_m, "error": errors[0] if errors else ""})
    base = next(r for r in rows if r["variant"] == c["baseline"])
    for r in rows:
        r["delta_vs_baseline"] = r["metric_mean"] - base["metric_mean"]
        r["time_vs_baseline"] = r["train_seconds"] / base["train_seconds"] if base["train_seconds"] else math.nan
    return rows


CSV_FIELDS = ["variant", "runs", "failed", "diverged", "metric", "metric_mean", "metric_sd", "test_loss",
              "epoch_seconds", "train_seconds", "delta_vs_baseline", "time_vs_baseline", "error"]


def write_results(out_dir: Path, c: dict, rows: list[dict], seeds: list[int], command: str) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in CSV_FIELDS})
    atomic_write_bytes(out_dir / "results.csv", buf.getvalue().encode())
    metric = rows[0]["metric"].replace("test_", "test ")
    pct = rows[0]["metric"] == "test_accuracy"
    fmt = (lambda v: f"{100 * v:.2f}") if pct else (lambda v: f"{v:.4f}")
    unit = " (%)" if pct else ""
    lines = [f"# {out_dir.name}", "", c.get("description", "").strip(), "",
             f"Command: `{command}`; seeds {seeds}; baseline `{c['baseline']}`; machine: {os.cpu_count()} cores; "
             f"date: {time.strftime('%Y-%m-%d')}.", "",
             f"| variant | {metric}{unit}, mean ± sd | change{' (points)' if pct else ''} | test loss | s/epoch | "
             f"train s | time × |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if not r["runs"]:
            what = "diverged" if r["diverged"] and not r["failed"] else "failed"
            lines.append(f"| {cell(r['variant'])} | {what}: {cell(r['error'])} | | | | | |")
            continue
        d = r["delta_vs_baseline"]
        delta = "n/a" if math.isnan(d) else ("+" if d >= 0 else "−") + fmt(abs(d))
        ratio = "n/a" if math.isnan(r["time_vs_baseline"]) else f"{r['time_vs_baseline']:.2f}"
        total = r["runs"] + r["failed"] + r["diverged"]
        failed = "".join(f" ({r[k]} of {total} runs {k})" for k in ("failed", "diverged") if r[k])
        lines.append(f"| {cell(r['variant'])}{failed} | {fmt(r['metric_mean'])} ± {fmt(r['metric_sd'])} | {delta} | "
                     f"{r['test_loss']:.4f} | {r['epoch_seconds']:.3g} | {r['train_seconds']:.3g} | {ratio} |")
    atomic_write_bytes(out_dir / "results.md", ("\n".join(lines).replace("\n\n\n", "\n\n") + "\n").encode())


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def cell(text) -> str:
    """Text safe in one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


@cli.command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m framework.compare", description=__doc__.splitlines()[2])
    p.add_argument("comparison", help="comparison file, e.g. recipes/compare/optimizers.py")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds per variant (default: the file's, else 1)")
    p.add_argument("--workers", type=positive_int, default=None, help="worker processes (default: number of cores)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key in every variant (repeatable)")
    p.add_argument("--logdir", default="logs", help="parent folder (default: logs)")
    p.add_argument("--force", action="store_true", help="re-run finished runs too")
    p.add_argument("--cluster", metavar="ADDRESS", help="run on Dask: a scheduler address (tcp://HOST:PORT), a "
                   "scheduler file (scheduler.json), or local[:N] for a LocalCluster of N single-threaded workers "
                   "(needs npframe[cluster])")
    p.add_argument("--cluster-timeout", type=positive_int, default=60, metavar="SECONDS",
                   help="with --cluster: give up connecting, or waiting for a first worker, after this long "
                        "(default: 60)")
    args = p.parse_args(argv)
    c = load_comparison(args.comparison)
    recipes = variant_recipes(c, args.overrides, args.comparison)
    n_seeds = args.seeds or c.get("seeds", 1)
    workers = args.workers or os.cpu_count() or 1
    out_dir = Path(args.logdir) / Path(args.comparison).stem
    cli.make_dir(out_dir, f"--logdir {args.logdir}")
    results, tasks = {}, []
    for name, recipe in recipes.items():
        for k in range(n_seeds):
            seeded = dict(recipe, seed=recipe["seed"] + k)
            run_dir = out_dir / name / f"seed{seeded['seed']}"
            done = None if args.force else _finished(run_dir, seeded)
            if done is not None:
                results[name, k] = done
            else:
                tasks.append((name, k, seeded, run_dir))
    n_workers = min(workers, max(len(tasks), 1))
    where = f"Dask cluster {args.cluster}" if args.cluster else f"{n_workers} worker{'s' if n_workers > 1 else ''}"
    print(f"{args.comparison}: {len(recipes)} variants x {n_seeds} seeds; {len(results)} finished earlier, "
          f"{len(tasks)} to run on {where}", flush=True)
    progress = Progress(len(tasks))
    try:
        if args.cluster:
            from .cluster import ClusterError, run_dask
            try:
                results.update(run_dask(tasks, progress, args.cluster, timeout=args.cluster_timeout))
            except ClusterError as e:
                raise cli.UsageError(str(e)) from None
        else:
            results.update(run_local(tasks, progress, n_workers))
    except KeyboardInterrupt:
        print(f"\ninterrupted after {progress.done} of {progress.total} runs; the runs in progress were stopped; "
              f"finished runs are kept in {out_dir}, and the same command resumes from them", file=sys.stderr)
        return cli.INTERRUPTED
    rows = table(c, results, list(range(n_seeds)))
    command = " ".join(["python -m framework.compare", *(argv if argv is not None else sys.argv[1:])])
    write_results(out_dir, c, rows, [recipes[c["baseline"]]["seed"] + k for k in range(n_seeds)], command)
    print((out_dir / "results.md").read_text())
    print(f"results: {out_dir / 'results.csv'}, {out_dir / 'results.md'}; view: tensorboard --logdir {out_dir}")
    return cli.FAILED if any(r["failed"] or r["diverged"] for r in rows) else cli.OK


if __name__ == "__main__":
    sys.exit(main())
