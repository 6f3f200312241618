"""Searches that stop bad trials early: successive halving (Jamieson & Talwalkar 2016) on ASHA's rungs (Li et al.
2018), decided on the validation figure averaged over each trial's seeds. A trial pauses at every rung with the
checkpoint of that epoch and, when promoted, continues from it: its schedule is laid out for max_epochs from the
start, so a trial that reaches the top has the weights of the same recipe trained straight through.

The rule: every trial still in the search trains to the rung; then the best 1/reduction of them (at least one; ties
to the earlier trial) go on to the next rung, the others stop. Decisions depend on the figures only, never on which
run finished first, so two runs of a search (and a search continued after an interruption) decide alike. The price
is the wait at each rung for its slowest run, which asynchronous ASHA avoids by promoting on arrival order: the
search prints the idle worker time it cost.
"""
from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import math
import re
import time
from pathlib import Path

import numpy as np

from .. import recipe as rcp
from ..files import atomic_write_bytes, atomic_write_json
from .report import cell, show_value, sign

SEARCH_KEYS = {"method", "trials", "max_epochs", "min_epochs", "reduction", "seeds", "space", "seed"}
DISTRIBUTION = re.compile(r"^\s*(loguniform|uniform|randint)\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)\s*$")


class SearchError(rcp.RecipeError):
    """A mistake in a search spec: one line naming the key."""


class SearchStopped(Exception):
    """The search cannot decide: a run of a rung crashed (a worker killed, say; the same command continues it,
    finished rungs reused, paused trials resumed), or every trial diverged. The command exits 1."""


def parse_search(spec, where: str) -> dict:
    """The search spec with its defaults, every key checked: method "asha" (seeded random trials) or "grid" (every
    combination of the space's lists), trials (asha), max_epochs, min_epochs=1, reduction=3, seeds=1, seed=0,
    space {key: "loguniform(a, b)" | "uniform(a, b)" | "randint(a, b)" | [values] | {label: value}}."""
    if not isinstance(spec, dict):
        raise SearchError(f"{where}: expected a dict such as {{'method': 'asha', 'trials': 27, 'max_epochs': 27, "
                          f"'space': {{'optimizer.lr': 'loguniform(1e-4, 1e-1)'}}}}, got {spec!r}")
    unknown = sorted(set(spec) - SEARCH_KEYS)
    if unknown:
        raise SearchError(f"{where}: unknown key {unknown[0]!r}; expected: {', '.join(sorted(SEARCH_KEYS))}")
    s = {"method": "asha", "min_epochs": 1, "reduction": 3, "seeds": 1, "seed": 0, **spec}
    if s["method"] not in ("asha", "grid"):
        raise SearchError(f"{where}.method: expected 'asha' or 'grid', got {s['method']!r}")
    need = ["max_epochs", "min_epochs", "reduction", "seeds"] + (["trials"] if s["method"] == "asha" else [])
    for key in need:
        v = s.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < (2 if key == "reduction" else 1):
            raise SearchError(f"{where}.{key}: expected an integer >= {2 if key == 'reduction' else 1}, got {v!r}")
    if s["min_epochs"] > s["max_epochs"]:
        raise SearchError(f"{where}.min_epochs: {s['min_epochs']} is more than max_epochs {s['max_epochs']}")
    if not isinstance(s.get("space"), dict) or not s["space"]:
        raise SearchError(f"{where}.space: expected a non-empty dict of recipe key -> distribution or values")
    s["dims"] = [_dimension(k, v, s["method"], f"{where}.space.{k}") for k, v in s["space"].items()]
    return s


def _dimension(key: str, value, method: str, where: str) -> tuple:
    if isinstance(value, str):
        m = DISTRIBUTION.match(value)
        if not m:
            raise SearchError(f"{where}: expected 'loguniform(a, b)', 'uniform(a, b)', 'randint(a, b)', a list of "
                              f"values or {{label: value}}, got {value!r}")
        if method == "grid":
            raise SearchError(f"{where}: a grid search takes lists of values, not a distribution ({value})")
        kind = m.group(1)
        try:
            lo, hi = (int(g) if kind == "randint" else float(g) for g in m.group(2, 3))
        except ValueError:
            raise SearchError(f"{where}: bounds of {value!r} are not {'integers' if kind == 'randint' else 'numbers'}"
                              ) from None
        if not lo < hi or (kind == "loguniform" and lo <= 0):
            raise SearchError(f"{where}: expected low < high{' and low > 0' if kind == 'loguniform' else ''}, got "
                              f"{value!r}")
        return key, kind, (lo, hi)
    if isinstance(value, dict) and value and all(isinstance(k, str) and k for k in value):
        return key, "choice", list(value.items())
    if isinstance(value, list) and value:
        return key, "choice", [(show_value(v), v) for v in value]
    raise SearchError(f"{where}: expected a distribution string, a non-empty list or a {{label: value}} dict, got "
                      f"{value!r}")


def make_trials(s: dict) -> list[dict]:
    """[{"name": "trial07", "values": {key: value}, "labels": {key: label}}]: seeded random draws (asha) or every
    combination (grid), the same for the same spec."""
    if s["method"] == "grid":
        combos = list(itertools.product(*[[(lab, v) for lab, v in d[2]] for d in s["dims"]]))
    else:
        rng = np.random.default_rng(np.random.SeedSequence([s["seed"], 36]))
        combos = []
        for _ in range(s["trials"]):
            row = []
            for _key, kind, arg in s["dims"]:
                if kind == "choice":
                    row.append(arg[int(rng.integers(len(arg)))])
                    continue
                lo, hi = arg
                if kind == "randint":
                    v = int(rng.integers(lo, hi + 1))
                else:
                    v = math.exp(rng.uniform(math.log(lo), math.log(hi))) if kind == "loguniform" else \
                        rng.uniform(lo, hi)
                    v = float(f"{v:.4g}")  # four significant digits: readable, and the draw is as good
                row.append((f"{v:g}", v))
            combos.append(tuple(row))
    width = len(str(len(combos) - 1))
    keys = [d[0] for d in s["dims"]]
    return [{"name": f"trial{i:0{width}d}", "values": {k: v for k, (_, v) in zip(keys, c)},
             "labels": {k: lab for k, (lab, _) in zip(keys, c)}} for i, c in enumerate(combos)]


def rungs(s: dict) -> list[int]:
    """The epochs a trial pauses at: min_epochs x reduction^k below max_epochs, then max_epochs."""
    out, r = [], s["min_epochs"]
    while r < s["max_epochs"]:
        out.append(r)
        r *= s["reduction"]
    return [*out, s["max_epochs"]]


def keep(n: int, reduction: int) -> int:
    """How many of n trials at a rung go on: the best 1/reduction, at least one."""
    return max(1, n // reduction)


def budget(s: dict, n_trials: int) -> tuple[int, int, list[int]]:
    """(epochs the search trains at most, epochs of every trial trained to max_epochs, trials at each rung), all
    seeds counted."""
    at, n, total, prev = [], n_trials, 0, 0
    for r in rungs(s):
        at.append(n)
        total += n * (r - prev)
        prev, n = r, keep(n, s["reduction"])
    return total * s["seeds"], n_trials * s["max_epochs"] * s["seeds"], at


def trial_recipe(base: dict, trial: dict, max_epochs: int, seed: int, where: str) -> dict:
    """A trial's recipe: the variant's, its values set, epochs = max_epochs (the schedule's length), the seed, and
    a checkpoint every epoch (what a pause continues from; it changes no weight)."""
    r = copy.deepcopy(base)
    for key, value in trial["values"].items():
        rcp.set_path(r, key, value, where=f"{where} {key}")
    r["epochs"], r["seed"] = max_epochs, seed
    cbs = list(r.get("callbacks") or [])
    at = [i for i, c in enumerate(cbs) if (c if isinstance(c, str) else c.get("name")) == "checkpoint"]
    if not at:
        cbs.append("checkpoint")
    elif not isinstance(cbs[at[0]], str) and cbs[at[0]].get("every", 1) != 1:
        cbs[at[0]] = {**cbs[at[0]], "every": 1}
    r["callbacks"] = cbs  # with the variant's own checkpoint callback, a finished trial is the seed's run too
    return rcp.validate(r, f"{where} {trial['name']}")


def check_unchanged(state_file: Path, spec: dict, trials: list[dict]) -> None:
    """A search continues only the search it recorded: a spec edited since (space, reduction, seeds, ...) is refused
    naming the key, as --resume refuses an edited recipe."""
    try:
        old = json.loads(state_file.read_text())
    except (OSError, ValueError):
        atomic_write_json(state_file, {"search": spec, "trials": trials})
        return
    for key in sorted(set(old.get("search", {})) | set(spec)):
        if old.get("search", {}).get(key) != spec.get(key):
            raise SearchError(f"search key {key!r} says {spec.get(key)!r}, but {state_file} recorded "
                              f"{old['search'].get(key)!r}: a search continues the work it recorded; give another "
                              f"--logdir (or delete {state_file.parent}) to start a new one")


def score(summary: dict, epoch: int, metric: str | None) -> float | None:
    """A run's validation figure at `epoch` (None if it did not get there)."""
    hist = summary.get("history") or []
    if summary.get("status") not in ("paused", "completed") or len(hist) < epoch:
        return None
    m = metric or ("accuracy" if "val_accuracy" in hist[epoch - 1] else "r2")
    v = hist[epoch - 1].get(f"val_{m}")
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def run_search(name: str, base: dict, s: dict, out_dir: Path, execute, metric: str | None, where: str,
               log=print, workers: int = 1) -> tuple[dict, list[dict]]:
    """Run the search for one variant: returns (the best trial, every trial's record). `execute(what, jobs)` trains
    (name, tag, recipe, run_dir, {"stop_at": epoch}) jobs and returns {(name, tag): summary}."""
    trials = make_trials(s)
    folder = out_dir / name / "search"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {k: v for k, v in s.items() if k != "dims"}
    check_unchanged(folder / "search.json", spec, trials)
    steps = rungs(s)
    most, full, at = budget(s, len(trials))
    log(f"{where}: search for variant {name!r}: {len(trials)} trials x {s['seeds']} seed(s), rungs at epochs "
        f"{', '.join(map(str, steps))} ({' -> '.join(map(str, at))} trials); at most {most} epochs against {full} "
        f"for every trial trained to {s['max_epochs']} ({most / full:.0%})")
    sgn = sign(metric or "accuracy")
    records = {t["name"]: {**t, "rung": 0, "scores": {}, "stopped": ""} for t in trials}
    active = [t["name"] for t in trials]
    idle = None  # measured only over rungs whose runs this command trained
    for k, epoch in enumerate(steps):
        jobs = []
        for tname in active:
            for i in range(s["seeds"]):
                seed = base["seed"] + i
                r = trial_recipe(base, records[tname], s["max_epochs"], seed, where)
                jobs.append((tname, seed, r, folder / tname / f"seed{seed}", {"stop_at": epoch}))
        t0 = time.time()
        results = execute(f"search rung {k + 1} of {len(steps)}: {len(active)} trial(s) to epoch {epoch}", jobs)
        wall = time.time() - t0
        crashed = [(n, sd) for (n, sd), res in sorted(results.items()) if res.get("status") == "failed"]
        if crashed:
            raise SearchStopped(f"{where}: search for variant {name!r}, rung {k + 1} (epoch {epoch}): "
                                f"{', '.join(f'{n} seed {sd}' for n, sd in crashed)} failed "
                                f"({results[crashed[0]].get('error')}); no decision is made without them: run the "
                                f"same command again to continue")
        ran = [r["wall_seconds"] for r in results.values() if r.get("wall_seconds") and r.get("finished", "") >=
               time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t0))]  # trained in this rung, not found done
        if ran:  # worker time the rung left idle: its wall time on the workers it could use, less their runs'
            idle = (idle or 0.0) + max(0.0, wall * min(workers, len(ran)) - sum(ran))
        for tname in active:
            rec = records[tname]
            rec["rung"] = epoch
            vals = [score(results.get((tname, base["seed"] + i), {}), epoch, metric) for i in range(s["seeds"])]
            if any(v is None for v in vals):
                statuses = {results.get((tname, base["seed"] + i), {}).get("status") for i in range(s["seeds"])}
                rec["stopped"] = f"{'diverged' if 'diverged' in statuses else 'failed'} before epoch {epoch}"
                rec["scores"][epoch] = None
                continue
            rec["scores"][epoch] = float(np.mean(vals))
        alive = [t for t in active if records[t]["scores"].get(epoch) is not None]
        ranked = sorted(alive, key=lambda t: (-sgn * records[t]["scores"][epoch], active.index(t)))
        if k + 1 < len(steps):
            go = ranked[:keep(len(active), s["reduction"])]
            for t in ranked[len(go):]:
                records[t]["stopped"] = f"not in the best {len(go)} of {len(active)} at epoch {epoch}"
            log(f"  rung {k + 1} (epoch {epoch}): promoted {', '.join(go) or 'none'}; stopped "
                f"{len(active) - len(go)}")
            active = go
        else:
            active = ranked
        if not active:
            break
    if not active:
        raise SearchStopped(f"{where}: search for variant {name!r}: every trial diverged (search.md)")
    best = records[active[0]]
    best["stopped"] = "the best at the last rung"
    for t in active[1:]:
        records[t]["stopped"] = "reached the last rung"
    log(f"  chosen: {best['name']} ({', '.join(f'{k}={v}' for k, v in best['labels'].items())}); {idle_text(idle)}")
    write_report(folder, s, list(records.values()), steps, metric, idle)
    return best, list(records.values())


def idle_text(idle: float | None) -> str:
    if idle is None:
        return "idle worker time not measured (this command trained none of the search's runs)"
    return f"idle worker time at the rungs: {idle:.0f} s (each rung's wall time on its workers, less their runs')"


def write_report(folder: Path, s: dict, records: list[dict], steps: list[int], metric: str | None,
                 idle: float | None) -> None:
    """search.csv and search.md (every trial: its values, the rung it reached, validation per rung, why it
    stopped) and search.png (validation against epochs for every trial, rungs marked)."""
    keys = [d[0] for d in s["dims"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["trial", *keys, "rung", *[f"val_at_{e}" for e in steps], "stopped"])
    for r in records:
        w.writerow([r["name"], *[r["labels"][k] for k in keys], r["rung"],
                    *[("" if r["scores"].get(e) is None else f"{r['scores'][e]:.6g}") for e in steps], r["stopped"]])
    atomic_write_bytes(folder / "search.csv", buf.getvalue().encode())
    m = metric or "accuracy"
    lines = [f"# search ({s['method']})", "", f"{len(records)} trials, {s['seeds']} seed(s) each, rungs at epochs "
             f"{', '.join(map(str, steps))}, reduction {s['reduction']}; validation {m} averaged over the seeds "
             f"decides; {idle_text(idle)}.", "",
             "| trial | " + " | ".join(map(cell, keys)) + " | rung | " + " | ".join(f"val @{e}" for e in steps)
             + " | why it stopped |", "|" + " --- |" * (len(keys) + len(steps) + 3)]
    for r in records:
        lines.append(f"| {r['name']} | " + " | ".join(cell(r["labels"][k]) for k in keys) + f" | {r['rung']} | "
                     + " | ".join("" if r["scores"].get(e) is None else f"{r['scores'][e]:.4f}" for e in steps)
                     + f" | {cell(r['stopped'])} |")
    atomic_write_bytes(folder / "search.md", ("\n".join(lines) + "\n").encode())
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8), constrained_layout=True)
    for r in records:
        curves = []
        for run in sorted((folder / r["name"]).glob("seed*/summary.json")):
            hist = json.loads(run.read_text()).get("history") or []
            curves.append([h.get(f"val_{m}", np.nan) for h in hist])
        if not curves:
            continue
        n = min(map(len, curves))
        y = np.nanmean([c[:n] for c in curves], axis=0)
        best = r["stopped"] == "the best at the last rung"
        ax.plot(np.arange(1, n + 1), y, lw=2.2 if best else 0.9, alpha=1 if best else 0.6, marker="o", ms=3,
                label=f"{r['name']} (chosen)" if best else None)
    for e in steps:
        ax.axvline(e, color="grey", lw=0.6, ls=":")
    ax.set(xlabel="epoch", ylabel=f"validation {m} (mean over seeds)",
           title=f"search: {len(records)} trials, rungs at {', '.join(map(str, steps))}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(folder / "search.png", out.getvalue())
