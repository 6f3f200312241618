"""`python -m framework.compare COMPARISON [--seeds N] [--workers N] [--set KEY=VALUE ...] [--tune KEY=[...]]`

A comparison file defines `comparison = {"base": RECIPE, "variants": {NAME: CHANGES, ...}, ...}`: each
variant is the base recipe with a small explicit diff (the same dotted keys as `derive` and `--set`), or
another recipe file named by its path (relative to the comparison file). Every
(variant, seed) pair trains in its own directory under <logdir>/<comparison stem>/, so TensorBoard overlays
them, in worker processes that share the cores. Finished runs are reused when re-run, and so is a completed run
of exactly the same recipe (seed included) anywhere else under the logdir: copied, not trained again (a
comparison that shares a variant with another, as the ladder's last rung is the record). With `tune` (or --tune),
each variant first trains once (first seed) at each value of a grid, the value with the best validation
figure is kept, and the seeds run at it. The table (framework.report) goes to results.csv, results.md and
results.png beside the runs.
"""
from __future__ import annotations

import argparse
import copy
import difflib
import json
import math
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .. import recipe as rcp
from ..commands import cli
from ..files import atomic_write_bytes, atomic_write_json
from ..losses import LOSSES
from ..runs import drop_checkpoints, finished_run, finished_summary, manifest_problem, read_summary
from . import search as srch
from .backends import reached, run_local, run_to
from .report import cell, metric_of, show_value, sign, table, write_plot, write_results

COMPARISON_KEYS = {"base", "variants", "baseline", "seeds", "set", "description", "tune", "metric", "search"}


class ComparisonError(rcp.RecipeError):
    """A problem in a comparison file; the message names the file and the key."""


def load_comparison(path: str | os.PathLike) -> dict[str, Any]:
    """Execute a comparison file and check its `comparison` dict. A recipe file (a top-level `recipe`, no
    `comparison`) is a comparison of that recipe alone, one variant named after the file, for --tune, --search and
    --seeds without writing a comparison file."""
    path = Path(path)
    text = path.read_text(errors="replace") if path.is_file() else ""
    if re.search(r"^recipe\s*=", text, re.M) and not re.search(r"^comparison\s*=", text, re.M):
        rcp.load_raw(path)  # a recipe file: a comparison of it alone (its mistakes named as a recipe's)
        return load_comparison_dict({"base": path.name, "variants": {path.stem: {}}}, path)
    return load_comparison_dict(rcp.run_file(path, "comparison", ComparisonError), path)


def load_comparison_dict(c: dict, path: Path) -> dict[str, Any]:
    """Check a comparison dict from file `path` (relative paths in it are relative to the file)."""
    unknown = set(c) - COMPARISON_KEYS
    if unknown:
        raise ComparisonError(f"{path}: unknown key {sorted(unknown)[0]!r}; "
                              f"expected: {', '.join(sorted(COMPARISON_KEYS))}")
    known = sorted({"loss", *(m for loss in LOSSES.values() for m in loss.metric_names)})
    if "metric" in c and c["metric"] not in known:
        raise ComparisonError(f"{path}: key 'metric': expected one of {', '.join(known)} (what the table and the "
                              f"choice go by), got {c['metric']!r}")
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


_finished = finished_run  # the name the tests and older code use


def _completed_runs(logdir: Path) -> dict[str, Path]:
    """{recipe as canonical JSON: run directory} for every completed, never extended run in the comparisons under
    logdir (its files are checked against its manifest only when it is about to be copied)."""
    found = {}
    for recipe_file in sorted(logdir.glob("*/*/*/recipe.json")) + sorted(logdir.glob("*/*/tune/*/recipe.json")) + \
            sorted(logdir.glob("*/*/search/*/*/recipe.json")):
        try:
            recipe = json.loads(recipe_file.read_text())
        except (OSError, ValueError):
            continue
        if finished_summary(recipe_file.parent, check_files=False) is not None:
            found.setdefault(json.dumps(recipe, sort_keys=True), recipe_file.parent)
    return found


class Progress:
    """Prints one line per finished run: [finished/total] variant seed k: status and headline or error."""

    def __init__(self, total: int, tag: str = "seed", metric: str | None = None):
        self.total, self.done, self.tag, self.metric = total, 0, tag, metric  # tag: a task's second element

    def __call__(self, name: str, seed, summary: dict) -> None:
        self.done += 1
        status = summary.get("status")
        detail = _headline(summary, self.metric) if status in ("completed", "paused") else cell(summary.get("error"))
        what = f"seed {seed}" if self.tag == "seed" else f"{self.tag}={seed}"
        print(f"  [{self.done}/{self.total}] {name} {what}: {status}  {detail}", flush=True)


def _headline(summary: dict, chosen: str | None = None) -> str:
    final = summary.get("final", {})
    metric = metric_of([final], chosen)
    if summary.get("status") == "paused":  # a search's rung: no test figure yet
        return (f"epoch {summary.get('epochs_completed')}, val_{metric} {final.get(f'val_{metric}', math.nan):.4f}, "
                f"{summary.get('train_seconds', 0):.1f} s")
    return (f"val_{metric} {final.get(f'val_{metric}', math.nan):.4f}, test_{metric} "
            f"{final.get(f'test_{metric}', math.nan):.4f}, {summary.get('train_seconds', 0):.1f} s")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def search_spec(c: dict, args) -> dict | None:
    """The parsed search of --search (a Python literal dict) or the file's `search` key, or None."""
    if args.search is not None:
        try:
            import ast
            spec = ast.literal_eval(args.search)
        except (ValueError, SyntaxError) as e:
            raise cli.UsageError(f"--search: not a Python literal dict ({e})") from None
        return srch.parse_search(spec, "--search")
    if c.get("search") is not None:
        return srch.parse_search(c["search"], f"{args.comparison}: key 'search'")
    return None


def tune_grids(c: dict, cli_tune: str | None, where: str) -> tuple[str, dict[str, list]] | None:
    """(key, {variant: [(label, value), ...]}) from --tune KEY=[v, ...] or the file's `tune`: {KEY: grid} (one grid
    for every variant) or {KEY: {variant: grid, "*": grid}} (a grid per variant, "*" for the others; a variant
    with neither keeps its own value). A grid is a list of values, or {label: value} when the values are
    structures (lists of augmentations, layer sizes)."""
    if cli_tune is not None:
        key, grid = rcp.parse_override(cli_tune, "--tune", "'optimizer.lr=[1e-4,1e-3,1e-2]'")
        spec, where = {key: grid}, f"--tune {cli_tune}"
    elif c.get("tune") is not None:
        spec, where = c["tune"], f"{where}: key 'tune'"
    else:
        return None
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ComparisonError(f"{where}: expected one key and its grid, e.g. {{'optimizer.lr': [1e-3, 3e-3]}}")
    (key, grid), = spec.items()
    names = set(c["variants"]) | {"*"}
    per_variant = isinstance(grid, dict) and set(grid) <= names
    close = {k: difflib.get_close_matches(str(k), list(c["variants"]), n=1, cutoff=0.75)
             for k in grid} if isinstance(grid, dict) and not per_variant else {}
    if (close and set(grid) & names) or any(close.values()):  # meant per variant, a name mistyped
        odd = next(k for k in grid if k not in names and (close[k] or set(grid) & names))
        hint = f" (did you mean {close[odd][0]!r}?)" if close[odd] else ""
        raise ComparisonError(f"{where}: {odd!r} is not a variant{hint}; a grid per variant is keyed by variant "
                              f"names ({', '.join(c['variants'])}) or '*'")
    grids = {}
    for name in c["variants"]:
        g = grid.get(name, grid.get("*")) if per_variant else grid
        if per_variant and g is None:
            continue  # a variant without a grid (and no "*") keeps its own value
        if isinstance(g, dict) and g:
            bad = next((k for k in g if not isinstance(k, str) or not k or "/" in k or "\0" in k), None)
            if bad is not None:  # a label names the trial's folder, <variant>/tune/<key>=<label>
                raise ComparisonError(f"{where}: label {bad!r} in the grid for variant {name!r}: a label names a "
                                      f"folder, so it is a non-empty string without '/'")
            grids[name] = list(g.items())
        elif isinstance(g, (list, tuple)) and g:
            grids[name] = [(show_value(v).replace("/", "_").replace("\0", "_"), v) for v in g]
        else:
            raise ComparisonError(f"{where}: expected a non-empty list of values (or {{label: value}}) for variant "
                                  f"{name!r}, got {g!r}")
        labels = [label for label, _ in grids[name]]
        twice = next((label for label in labels if labels.count(label) > 1), None)
        if twice is not None:
            raise ComparisonError(f"{where}: the grid for variant {name!r} holds {twice} twice")
    return key, grids


def tuning_runs(recipes: dict, tuning, out_dir: Path, where: str) -> list[tuple[str, str, dict, Path]]:
    """(variant, label, recipe, run dir) of every tuning trial: each variant's recipe at each value of its grid."""
    if not tuning:
        return []
    key, grids, jobs = tuning[0], tuning[1], []
    for name, grid in grids.items():
        for label, value in grid:
            r = copy.deepcopy(recipes[name])
            rcp.set_path(r, key, value, where=f"{where} {key}")
            run_dir = out_dir / name / "tune" / f"{key}={label}"
            jobs.append((name, label, rcp.validate(r, f"{where} {key}={label}"), run_dir))
    return jobs


def check_buildable(jobs) -> None:
    """Every run's recipe builds here, before any trains (its dataset, model, every plugin and parameter): a
    mistake in one variant or grid value is one line naming it (`at`), exit 2, and nothing has trained."""
    from ..build import build, load_dataset

    datasets, seen = {}, set()
    for at, recipe in jobs:
        key = json.dumps({k: v for k, v in recipe.items() if k != "seed"}, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        dkey = json.dumps(recipe["dataset"], sort_keys=True)
        if dkey not in datasets:
            datasets[dkey] = load_dataset(recipe, at)
        build(recipe, at, data=datasets[dkey])


def trained_on(run_dirs: list[Path], table: Path | None = None) -> str:
    """The day the newest of these runs was trained: from its summary, else its TensorBoard file's name (which a
    copy or a git checkout keeps), else the date the table being rewritten states (runs from before summaries
    kept it), else today."""
    days = []
    for d in map(Path, run_dirs):
        finished = read_summary(d).get("finished")
        if isinstance(finished, str) and re.fullmatch(r"\d{4}-\d\d-\d\d .*", finished):
            days.append(finished[:10])
        days += [time.strftime("%Y-%m-%d", time.localtime(int(p.name.split(".")[3])))
                 for p in d.glob("events.out.tfevents.*") if p.name.split(".")[3].isdigit()]
    if days:
        return max(days)
    stated = re.search(r"; date: (\d{4}-\d\d-\d\d)\.", table.read_text()) if table and table.exists() else None
    return stated.group(1) if stated else time.strftime("%Y-%m-%d")


def write_tuning(out_dir: Path, key: str, grids: dict, tuned: dict, results: dict, chosen: str | None = None) -> None:
    """tuning.md: every grid value's validation figure (first seed) and the value chosen."""
    lines = [f"# {out_dir.name}: tuning {key}", "", "Each value trained once (the first seed); the value with the "
             "best validation figure (**bold**) is the one the seeds ran at (a tie goes to the value listed first; a "
             "value that diverged takes no part). Test figures play no part.", "",
             f"| variant | {key} | validation | status |", "| --- | --- | --- | --- |"]
    for name, grid in grids.items():
        for label, value in grid:
            s = results.get((name, label), {})
            metric = metric_of([s.get("final", {})], chosen)
            v = s.get("final", {}).get(f"val_{metric}")
            shown = f"**{cell(label)}**" if tuned.get(name) == label else cell(label)
            if label != show_value(value):
                shown += f": `{cell(show_value(value))}`"
            lines.append(f"| {cell(name)} | {shown} | {'' if v is None else f'{v:.4f}'} | "
                         f"{cell(s.get('status', 'not run'))} |")
    atomic_write_bytes(out_dir / "tuning.md", ("\n".join(lines) + "\n").encode())


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m framework.compare", description=(
        "Train every variant of a comparison file over its seeds, choose on validation, and write the table "
        "(results.csv, results.md) and picture (results.png) beside the runs. A comparison file defines "
        "comparison = {\"base\": RECIPE, \"variants\": {NAME: CHANGES, ...}, ...}, each variant a small diff of "
        "the base recipe (docs/recipes.md#comparisons)."),
        epilog="Exit codes: 0 every run completed; 1 a run failed or diverged; 2 a usage or recipe error (nothing "
               "trained); 130 interrupted.")
    p.add_argument("comparison", help="comparison file, e.g. recipes/compare/optimizers.py")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds per variant (default: the file's, else 1)")
    p.add_argument("--workers", type=positive_int, default=None, help="worker processes (default: number of cores)")
    p.add_argument("--threads", type=positive_int, default=None, help="BLAS threads per worker (default: cores / "
                   "workers; 1 when other work shares the machine, where threads that wait for each other stall)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key in every variant (repeatable)")
    p.add_argument("--tune", metavar="KEY=[V,...]", help="choose KEY for each variant on validation from this grid "
                   "(first seed), then run the seeds at it, e.g. --tune 'optimizer.lr=[1e-4,1e-3,1e-2]'")
    p.add_argument("--search", metavar="SPEC", help="search each variant with successive halving before its seeds, "
                   "e.g. \"{'method': 'asha', 'trials': 9, 'max_epochs': 9, 'space': {'optimizer.lr': "
                   "'loguniform(1e-4, 1e-1)'}}\" (docs/recipes.md)")
    p.add_argument("--logdir", default="logs", help="parent folder (default: logs)")
    p.add_argument("--force", action="store_true", help="re-run finished runs too")
    p.add_argument("--drop-checkpoints", action="store_true",
                   help="once the table is written, delete the runs' checkpoints (recorded in their manifests: the "
                        "runs stay complete and reusable, but cannot be loaded or continued); for publishing")
    p.add_argument("--cluster", metavar="ADDRESS", help="run on Dask: a scheduler address (tcp://HOST:PORT), a "
                   "scheduler file (scheduler.json), or local[:N] for a LocalCluster of N single-threaded workers "
                   "(needs npframe[cluster])")
    p.add_argument("--cluster-timeout", type=positive_int, default=60, metavar="SECONDS",
                   help="with --cluster: give up connecting, or waiting for a first worker, after this long "
                        "(default: 60)")
    return p.parse_args(argv)


def claim(out_dir: Path, comparison: str, logdir: str) -> Path:
    """Write <out_dir>/comparison.json naming the comparison file that owns out_dir (as a path relative to it, the
    same in every clone of a repository); refuse an out_dir that holds another comparison's runs. Returns it."""
    owner, mine = out_dir / "comparison.json", os.path.relpath(Path(comparison).resolve(), out_dir.resolve())
    try:
        other = json.loads(owner.read_text()).get("file")
    except (OSError, ValueError, AttributeError):
        other = None
    if other not in (None, mine):  # never replace the runs of another comparison that has the same name
        raise cli.UsageError(f"--logdir {logdir}: {out_dir} holds the runs of {other}; give another --logdir")
    atomic_write_json(owner, {"file": mine})
    return owner


class Runner:
    """Runs a comparison's jobs, (name, tag, recipe, run_dir): reuses its finished runs, copies a run of the same
    recipe finished in another comparison under the logdir, and trains the rest on local workers or on Dask."""

    def __init__(self, args: argparse.Namespace, out_dir: Path, created: list[Path], owner: Path,
                 metric: str | None = None):
        self.args, self.out_dir, self.created, self.owner, self.metric = args, out_dir, created, owner, metric

    def pending(self, jobs) -> tuple[dict, list]:
        """(results of finished runs, tasks still to run)."""
        done, todo, elsewhere = {}, [], None
        for name, tag, recipe, run_dir in jobs:
            summary = None if self.args.force else _finished(run_dir, recipe)
            if summary is None and not self.args.force:
                elsewhere = _completed_runs(Path(self.args.logdir)) if elsewhere is None else elsewhere
                same = elsewhere.get(json.dumps(recipe, sort_keys=True))
                if same is not None and same != run_dir and manifest_problem(same) is None:
                    shutil.rmtree(run_dir, ignore_errors=True)
                    shutil.copytree(same, run_dir)
                    summary = _finished(run_dir, recipe)
                    print(f"  {name} {tag}: the same recipe completed in {same}; copied", flush=True)
            if summary is not None:
                done[name, tag] = summary
            else:
                todo.append((name, tag, recipe, run_dir))
        return done, todo

    def execute(self, what: str, jobs, tag: str = "seed", target=None) -> dict:
        """Every job's summary, {(name, tag): summary}, training those not finished yet (with `target`, a search's
        rung: every job goes to it, and it returns at once for a run already at its rung)."""
        args = self.args
        if target is None:
            done, todo = self.pending(jobs)
        else:  # a search's rung: runs already there (a search continued) need nothing
            done, todo = {}, []
            for job in jobs:
                found = reached(job[2], job[3], job[4].get("stop_at"))
                if found is not None:
                    done[job[0], job[1]] = found
                else:
                    todo.append(job)
        workers = min(args.workers or os.cpu_count() or 1, max(len(todo), 1))
        where = f"Dask cluster {args.cluster}" if args.cluster else f"{workers} worker{'s' if workers > 1 else ''}"
        print(f"{args.comparison}: {what}; {len(done)} finished earlier, {len(todo)} to run on {where}", flush=True)
        progress = Progress(len(todo), tag, self.metric)
        try:
            if args.cluster:
                from .cluster import ClusterError, run_dask
                try:
                    done.update(run_dask(todo, progress, args.cluster, timeout=args.cluster_timeout))
                except ClusterError as e:  # nothing ran: leave no folder behind that this command made
                    if not [q for q in self.out_dir.iterdir() if q.name != self.owner.name]:
                        self.owner.unlink(missing_ok=True)
                        cli.remove_dirs(self.created)
                    raise cli.UsageError(str(e)) from None
            else:
                done.update(run_local(todo, progress, workers, args.threads, target=target))
        except KeyboardInterrupt:
            print(f"\ninterrupted after {progress.done} of {cli.count(progress.total, 'run')}; the runs in progress "
                  f"were stopped; finished runs are kept in {self.out_dir}, and the same command resumes from them",
                  file=sys.stderr)
            raise SystemExit(cli.INTERRUPTED) from None
        return done


def check_same_examples(jobs) -> None:
    """Runs of one dataset spec must have been trained, validated and tested on the same examples (the fingerprint
    in their preprocessing.json); a table of runs that were not would compare different things: refused, one line
    naming two of them. Runs recorded before fingerprints are not checked."""
    seen: dict[str, tuple[str, Path]] = {}
    for *_, recipe, run_dir in jobs:
        try:
            fp = json.loads((Path(run_dir) / "preprocessing.json").read_text()).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            continue
        if not fp:
            continue
        key = json.dumps(recipe["dataset"], sort_keys=True)
        first = seen.setdefault(key, (fp, Path(run_dir)))
        if first[0] != fp:
            raise cli.UsageError(f"{run_dir} and {first[1]} used the same dataset spec but different examples "
                                 f"(fingerprints {fp} and {first[0]}: the data changed between their runs); re-run "
                                 f"them with --force to compare them in one table")


def choose_tuned(recipes: dict, tuning, trials: dict, chosen: str | None = None) -> dict[str, str]:
    """{variant: label of the grid value with the best validation figure} (ties: the earlier value in the grid),
    each variant's recipe set to its value; variants none of whose values completed are left out."""
    key, grids = tuning
    tuned = {}

    def score(final):
        metric = metric_of([final], chosen)
        return sign(metric) * final.get(f"val_{metric}", -sign(metric) * math.inf)

    for name, grid in grids.items():
        scored = [(score(trials[name, lab]["final"]), -i, lab, v) for i, (lab, v) in enumerate(grid)
                  if trials.get((name, lab), {}).get("status") == "completed"]
        if scored:
            *_, tuned[name], value = max(scored)
            rcp.set_path(recipes[name], key, value, where=f"--tune {key}")  # its first seed: the trial, copied
            recipes[name] = rcp.validate(recipes[name], f"--tune {key}={tuned[name]}")  # a spec as the trial had it
    return tuned


def tuning_problems(tuning, tuned: dict, trials: dict) -> list[str]:
    """Error lines for a tuning that did not do what was asked: a variant none of whose values completed, trials
    that failed (crashed). A trial that diverged is an outcome of a sweep, not a problem (`tuning_notes`)."""
    if not tuning:
        return []
    out = []
    untuned = [n for n in tuning[1] if n not in tuned]
    if untuned:  # no grid value trained: the seeds ran at the file's own value, which is not what was asked
        out.append(f"tuning failed for {', '.join(untuned)}: no value of the grid completed (tuning.md)")
    broken = [f"{n} {tuning[0]}={lab}" for (n, lab), s in trials.items() if s.get("status") == "failed"]
    if broken:  # a candidate that crashed was never compared: the choice is not the one asked for
        out.append(f"tuning trials failed: {', '.join(broken)} (tuning.md); the choice was made without them")
    return out


def tuning_notes(tuning, tuned: dict, trials: dict) -> list[str]:
    """What a person should know of a tuning that did what was asked: values that diverged (reported in
    tuning.md, left out of the choice), and a choice at either end of a grid of three or more values (the best
    value may lie beyond the grid: widen it)."""
    if not tuning:
        return []
    key, grids = tuning
    out = []
    diverged = [f"{n} {key}={lab}" for (n, lab), s in trials.items() if s.get("status") == "diverged"]
    if diverged:
        out.append(f"diverged while tuning (an outcome of the sweep, left out of the choice): {', '.join(diverged)}")
    for name, label in tuned.items():
        labels = [lab for lab, _ in grids[name]]
        if len(labels) >= 3 and label in (labels[0], labels[-1]):
            end = "start" if label == labels[0] else "end"
            out.append(f"variant {name!r}: the chosen {key}={label} is at the {end} of its grid "
                       f"({', '.join(labels)}); the best value may lie beyond it")
    return out


@cli.command
def main(argv=None) -> int:
    args = parse_args(argv)
    c = load_comparison(args.comparison)
    recipes = variant_recipes(c, args.overrides, args.comparison)
    tuning = tune_grids(c, args.tune, args.comparison)
    searching = search_spec(c, args)
    if searching and tuning:
        raise cli.UsageError(f"{args.comparison}: give a search or a tune, not both (a search's space can hold the "
                             f"tuned key)")
    n_seeds = args.seeds or c.get("seeds", 1)
    out_dir = Path(args.logdir) / Path(args.comparison).stem
    tune_jobs = tuning_runs(recipes, tuning, out_dir, "--tune" if args.tune else f"{args.comparison}: tune")
    tune_at = f"--tune {args.tune}" if args.tune else args.comparison
    search_at = "--search" if args.search else f"{args.comparison}: search"
    trial_jobs = [(f"{search_at}: variant {n!r}, {t['name']} ({t['labels']})",
                   srch.trial_recipe(r, t, searching["max_epochs"], r["seed"], search_at))
                  for n, r in recipes.items() for t in srch.make_trials(searching)] if searching else []
    check_buildable([(f"{args.comparison}: variant {n!r}", r) for n, r in recipes.items()] +
                    [(f"{tune_at}: variant {n!r} (tune {tuning[0]}={lab})", r) for n, lab, r, _ in tune_jobs] +
                    trial_jobs)
    if args.cluster:  # a malformed address is refused before anything is written
        from .cluster import ClusterError, parse_spec
        try:
            parse_spec(args.cluster)
        except ClusterError as e:
            raise cli.UsageError(str(e)) from None
    created = cli.make_dir(out_dir, f"--logdir {args.logdir}")
    runner = Runner(args, out_dir, created, claim(out_dir, args.comparison, args.logdir), c.get("metric"))

    tuned, trials = {}, {}
    if tuning:
        key, grids = tuning
        n_trials = cli.count(sum(map(len, grids.values())), "run")
        trials = runner.execute(f"tuning {key} over {n_trials} (first seed)", tune_jobs, key)
        tuned = choose_tuned(recipes, tuning, trials, c.get("metric"))
        write_tuning(out_dir, key, grids, tuned, trials, c.get("metric"))
    for name in list(recipes) if searching else []:
        try:
            best, _ = srch.run_search(name, recipes[name], searching, out_dir, lambda what, jobs: runner.execute(
                what, jobs, "seed", target=run_to), c.get("metric"), search_at,
                workers=args.workers or os.cpu_count() or 1)
        except srch.SearchStopped as e:
            print(f"error: {e}", file=sys.stderr)
            return cli.FAILED
        r = copy.deepcopy(recipes[name])
        for key, value in best["values"].items():
            rcp.set_path(r, key, value, where=f"{search_at} {key}")
        r["epochs"] = searching["max_epochs"]
        recipes[name] = rcp.validate(r, f"{search_at}: variant {name!r} ({best['name']})")
        tuned[name] = f"{best['name']}: " + ", ".join(f"{k}={v}" for k, v in best["labels"].items())
    jobs = [(name, k, dict(r, seed=r["seed"] + k), out_dir / name / f"seed{r['seed'] + k}")
            for name, r in recipes.items() for k in range(n_seeds)]
    results = runner.execute(f"{cli.count(len(recipes), 'variant')} x {cli.count(n_seeds, 'seed')}", jobs)
    check_same_examples(jobs)

    seeds = list(range(n_seeds))
    rows = table(c, results, seeds, tuned)
    command = " ".join(["python -m framework.compare", *(argv if argv is not None else sys.argv[1:])])
    write_results(out_dir, c, rows, [recipes[c["baseline"]]["seed"] + k for k in seeds], command,
                  trained_on([run_dir for *_, run_dir in jobs], out_dir / "results.md"))
    note = write_plot(out_dir, c, rows, results, seeds)
    print((out_dir / "results.md").read_text())
    if note:
        print(note)
    if args.drop_checkpoints:
        freed = sum(drop_checkpoints(p.parent) for p in out_dir.rglob("summary.json"))
        print(f"checkpoints dropped: {freed / 2 ** 20:,.0f} MB freed")
    written = ", ".join(str(out_dir / f) for f in ("results.csv", "results.md", "results.png", "tuning.md")
                        if (out_dir / f).exists())
    print(f"results: {written}; view: tensorboard --logdir {out_dir}")
    for line in tuning_notes(tuning, tuned, trials):
        print(f"note: {line}")
    problems = tuning_problems(tuning, tuned, trials)
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    return cli.FAILED if problems or any(r["failed"] or r["diverged"] for r in rows) else cli.OK


if __name__ == "__main__":
    sys.exit(main())
