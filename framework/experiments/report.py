"""The results of a comparison: one row per variant with validation and test figures over seeds, the change of
the test figure against the baseline with a 95 % confidence interval (Welch's t), and the variant chosen by
validation; written as results.csv, results.md and, with matplotlib, results.png.

The rule it follows: choose on validation, report test once. The best variant is the one with the highest
validation mean; test figures are shown, never used to choose.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
import time
from pathlib import Path

from ..files import atomic_write_bytes

CSV_FIELDS = ["variant", "runs", "failed", "diverged", "metric", "val_mean", "val_sd", "test_mean", "test_sd",
              "delta_vs_baseline", "delta_ci_low", "delta_ci_high", "delta_excludes_zero", "best_by_validation",
              "tuned", "test_loss", "epoch_seconds", "train_seconds", "time_vs_baseline", "error"]


def _mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def welch_interval(a: list[float], b: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean(a) - mean(b), low, high): the confidence interval of the difference of means by Welch's t (unequal
    variances, Welch-Satterthwaite degrees of freedom). NaN bounds with fewer than two values on a side; an
    interval of zero width when neither side varies."""
    from scipy import stats

    d = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        return d, math.nan, math.nan
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return d, d - half, d + half


LOWER_IS_BETTER = ("loss", "bits_per_char", "perplexity", "rmse")


def metric_of(finals: list[dict], chosen: str | None = None) -> str:
    """The metric a comparison chooses and reports by: its file's `metric` if it names one, else "accuracy" for
    classification and "r2" for regression."""
    return chosen or ("accuracy" if any("test_accuracy" in f or "val_accuracy" in f for f in finals) else "r2")


def sign(metric: str) -> int:
    """+1 when a higher value of the metric is better, -1 when lower is (losses, bits per character, ...)."""
    return -1 if any(metric.endswith(m) for m in LOWER_IS_BETTER) else 1


def percent(metric: str) -> bool:
    return metric.endswith("accuracy")


def table(c: dict, results: dict[tuple[str, int], dict], seeds: list[int], tuned: dict | None = None) -> list[dict]:
    """One row per variant: validation and test mean and sd over seeds, the change of the test mean against the
    baseline with its Welch interval, the best variant by validation, and times."""
    rows, values = [], {}
    for name in c["variants"]:
        runs = [results.get((name, s), {}) for s in seeds]
        done = [r for r in runs if r.get("status") == "completed"]
        finals = [r["final"] for r in done]
        metric = metric_of(finals, c.get("metric")) if finals else c.get("metric", "accuracy")
        test = [f[f"test_{metric}"] for f in finals if f"test_{metric}" in f]
        val = [f[f"val_{metric}"] for f in finals if f"val_{metric}" in f]
        values[name] = test
        errors = [r.get("error") for r in runs if r.get("status") != "completed"]
        diverged = sum(r.get("status") == "diverged" for r in runs)
        row = {"variant": name, "runs": len(done), "failed": len(runs) - len(done) - diverged, "diverged": diverged,
               "metric": metric, "tuned": (tuned or {}).get(name, ""), "error": errors[0] if errors else ""}
        row["val_mean"], row["val_sd"] = _mean_sd(val)
        row["test_mean"], row["test_sd"] = _mean_sd(test)
        row["test_loss"] = _mean_sd([f.get("test_loss", math.nan) for f in finals])[0]
        row["epoch_seconds"] = _mean_sd([statistics.fmean(r["epoch_seconds"]) for r in done
                                         if r.get("epoch_seconds")])[0]
        row["train_seconds"] = _mean_sd([r["train_seconds"] for r in done])[0]
        rows.append(row)
    base = next(r for r in rows if r["variant"] == c["baseline"])
    for r in rows:
        a, b = values[r["variant"]], values[c["baseline"]]
        d, lo, hi = welch_interval(a, b) if a and b else (math.nan, math.nan, math.nan)
        r["delta_vs_baseline"], r["delta_ci_low"], r["delta_ci_high"] = d, lo, hi
        r["delta_excludes_zero"] = r is not base and not math.isnan(lo) and (lo > 0 or hi < 0)
        r["time_vs_baseline"] = r["train_seconds"] / base["train_seconds"] if base["train_seconds"] else math.nan
    ranked = [r for r in rows if not math.isnan(r["val_mean"])]
    best = max(ranked, key=lambda r: sign(r["metric"]) * r["val_mean"], default=None)
    for r in rows:
        r["best_by_validation"] = r is best
    return rows


def show_value(value) -> str:
    """A grid or search value as a label: 0.001 -> '0.001', [512, 256] -> '[512,256]'."""
    return f"{value:g}" if isinstance(value, float) else json.dumps(value, separators=(",", ":"))


def cell(text) -> str:
    """Text safe in one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def write_results(out_dir: Path, c: dict, rows: list[dict], seeds: list[int], command: str,
                  date: str | None = None) -> None:
    """results.csv (every figure) and results.md (the table people read)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in CSV_FIELDS})
    atomic_write_bytes(out_dir / "results.csv", buf.getvalue().encode())
    pct = percent(rows[0]["metric"])
    fmt = (lambda v: f"{100 * v:.2f}") if pct else (lambda v: f"{v:.4f}")
    signed = lambda v: "n/a" if math.isnan(v) else ("+" if v >= 0 else "−") + fmt(abs(v))
    what = {"accuracy": "accuracy (%)", "r2": "R²"}.get(rows[0]["metric"], rows[0]["metric"].replace("_", " ")
                                                         + (" (%)" if pct else ""))
    tuned = any(r["tuned"] != "" for r in rows)
    loss_col = rows[0]["metric"] != "loss"  # a table of losses has its test loss already
    lines = [f"# {out_dir.name}", "", c.get("description", "").strip(), "",
             f"Command: `{command}`; seeds {seeds}; baseline `{c['baseline']}`; machine: {os.cpu_count()} cores; "
             f"date: {date or time.strftime('%Y-%m-%d')}.", "",
             f"| variant |{' tuned |' if tuned else ''} validation {what} | test {what} | test change vs baseline, "
             f"95 % CI |{' test loss |' if loss_col else ''} s/epoch | train s | time × |",
             "| --- |" + (" --- |" if tuned else "") + " --- | --- | --- |" + (" --- |" if loss_col else "")
             + " --- | --- | --- |"]
    for r in rows:
        name = f"**{cell(r['variant'])}**" if r["best_by_validation"] else cell(r["variant"])
        tune = f" {cell(r['tuned'])} |" if tuned else ""
        if not r["runs"]:
            what_happened = "diverged" if r["diverged"] and not r["failed"] else "failed"
            lines.append(f"| {name} |{tune} {what_happened}: {cell(r['error'])} |" + " |" * (5 + loss_col))
            continue
        total = r["runs"] + r["failed"] + r["diverged"]
        name += "".join(f" ({r[k]} of {total} runs {k})" for k in ("failed", "diverged") if r[k])
        if r["variant"] == c["baseline"]:
            change = "baseline"
        else:
            lo, hi = r["delta_ci_low"], r["delta_ci_high"]
            ci = "" if math.isnan(lo) else f" [{signed(lo)}, {signed(hi)}]"
            change = signed(r["delta_vs_baseline"]) + ci + (" ✱" if r["delta_excludes_zero"] else "")
        ratio = "n/a" if math.isnan(r["time_vs_baseline"]) else f"{r['time_vs_baseline']:.2f}"
        pm = (lambda m, s: f"{fmt(m)} ± {fmt(s)}") if r["runs"] > 1 else (lambda m, s: fmt(m))  # no sd of one
        if math.isnan(r["test_mean"]):  # a dataset without a test split (nanoGPT's): nothing to report there
            pm_test, change = (lambda m, s: "no test split"), "n/a"
        else:
            pm_test = pm
        test_loss = ("n/a" if math.isnan(r["test_loss"]) else f"{r['test_loss']:.4f}") + " | " if loss_col else ""
        lines.append(f"| {name} |{tune} {pm(r['val_mean'], r['val_sd'])} | {pm_test(r['test_mean'], r['test_sd'])} | "
                     f"{change} | {test_loss}{r['epoch_seconds']:.3g} | {r['train_seconds']:.3g} | {ratio} |")
    spread = (f"Mean ± standard deviation over {len(seeds)} seeds." if len(seeds) > 1 else
              "One seed: no standard deviation, and no interval for a change (run more seeds to tell a difference "
              "from the seed-to-seed noise).")
    best = "highest" if sign(rows[0]["metric"]) > 0 else "lowest"
    lines += ["", f"{spread} **Bold**: the {best} validation mean, the "
              "variant this comparison chooses; test figures are reported, never used to choose. ✱: the 95 % "
              "confidence interval of the change (Welch's t over seeds) excludes 0. Times are as measured, on a "
              "machine that may have been running other work."
              + (" Tuned: the value chosen on validation from the grid (tuning.md)." if tuned else "")]
    atomic_write_bytes(out_dir / "results.md", ("\n".join(lines).replace("\n\n\n", "\n\n") + "\n").encode())


def write_plot(out_dir: Path, c: dict, rows: list[dict], results: dict[tuple[str, int], dict],
               seeds: list[int]) -> str | None:
    """results.png: validation curves per variant (mean over seeds, band min to max) and each variant's test figure
    (mean, bar min to max over seeds). Time is left out: on a shared machine its differences are mostly noise
    (the table has it). Returns None, or why it was not written."""
    try:
        import matplotlib
    except ImportError:
        return "results.png not written: matplotlib is missing (pip install \"npframe[plots]\")"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    metric = rows[0]["metric"]
    scale, unit = (100, " (%)") if percent(metric) else (1, "")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    shown, highs = [], []
    for i, r in enumerate(rows):
        curves = [[h.get(f"val_{metric}", np.nan) for h in results[r["variant"], s]["history"]]
                  for s in seeds if results.get((r["variant"], s), {}).get("status") == "completed"]
        if not curves:
            continue
        n = min(map(len, curves))
        y = scale * np.array([cv[:n] for cv in curves])
        x = np.arange(1, n + 1)
        color = f"C{i % 10}"
        left.plot(x, y.mean(axis=0), color=color, label=r["variant"], lw=2 if r["best_by_validation"] else 1.2)
        left.fill_between(x, y.min(axis=0), y.max(axis=0), color=color, alpha=0.15, lw=0)
        highs += [np.nanmax(y)] if np.isfinite(y).any() else []
        tests = [scale * results[r["variant"], s]["final"][f"test_{metric}"] for s in seeds
                 if results.get((r["variant"], s), {}).get("status") == "completed"
                 and f"test_{metric}" in results[r["variant"], s]["final"]]  # (nanoGPT's split has no test)
        k = len(shown)
        shown.append(r["variant"])
        if not tests:
            continue
        right.plot([k] * len(tests), tests, ".", color=color, alpha=0.5)
        right.errorbar(k, np.mean(tests), yerr=[[np.mean(tests) - min(tests)], [max(tests) - np.mean(tests)]],
                       fmt="o", color=color, capsize=4, ms=7 if r["best_by_validation"] else 5)
    if all(math.isnan(r["test_mean"]) for r in rows):
        right.text(0.5, 0.5, "no test split: the dataset holds out validation only", ha="center",
                   transform=right.transAxes)
    tops = [scale * r["val_mean"] for r in rows if not math.isnan(r["val_mean"])]
    if len(tops) > 1 and percent(metric):  # the interesting part: from a little below the worst final figure up
        margin = max(tops) - min(tops) + 0.2  # to the highest point of any band (one variant: its whole curve)
        left.set_ylim(min(tops) - 2 * margin, max([max(tops) + 0.5 * margin] + [h + 0.1 * margin for h in highs]))
    left.set(xlabel="epoch", ylabel=f"validation {metric}{unit}", title="Validation curves (mean, band: min to max)")
    right.set(ylabel=f"test {metric}{unit}", title="Test, per variant (mean; each seed a dot; bar: min to max)")
    right.set_xticks(range(len(shown)), shown, rotation=30, ha="right", fontsize=8)
    right.set_xlim(-0.5, len(shown) - 0.5)
    left.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(f"{out_dir.name}: {len(seeds)} seed{'s' if len(seeds) != 1 else ''}; chosen on validation: "
                 f"{next((r['variant'] for r in rows if r['best_by_validation']), 'none')}", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(out_dir / "results.png", buf.getvalue())
    return None
