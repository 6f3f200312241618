"""The ladder's picture (docs/from_notebook.md): test accuracy (mean ± sd over seeds, from
docs/results/ladder/results.csv) against training time per run, rung by rung. The time is measured here, each
rung's recipe alone for two epochs (the second epoch's seconds times the recipe's epochs), because the comparison's
own runs shared the machine with other work. Needs matplotlib.

    python benchmarks/ladder_plot.py [--results docs/results/ladder] [--out docs/results/ladder/ladder.png]
"""
from __future__ import annotations

import argparse
import csv
import io
import tempfile
from pathlib import Path

from framework import recipe as rcp
from framework.build import build
from framework.experiments.compare import load_comparison, variant_recipes
from framework.files import atomic_write_bytes
from framework.malloc import tune_malloc


def seconds_per_epoch(recipe: dict) -> float:
    r = dict(recipe, epochs=2, callbacks=[], loggers=[])
    with tempfile.TemporaryDirectory() as d:
        t = build(rcp.validate(r), run_dir=d)
        t.fit()
    return t.state.epoch_seconds[-1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--comparison", default="recipes/compare/ladder.py")
    p.add_argument("--results", default="docs/results/ladder")
    p.add_argument("--out", default="docs/results/ladder/ladder.png")
    args = p.parse_args()
    tune_malloc()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recipes = variant_recipes(load_comparison(args.comparison), [], args.comparison)
    rows = list(csv.DictReader(open(Path(args.results) / "results.csv")))
    xs, ys, es = [], [], []
    for r in rows:
        recipe = recipes[r["variant"]]
        per_epoch = seconds_per_epoch(recipe)
        xs.append(per_epoch * recipe["epochs"])
        ys.append(100 * float(r["test_mean"]))
        es.append(100 * float(r["test_sd"]))
        print(f"{r['variant']}: {per_epoch:.2f} s/epoch x {recipe['epochs']} epochs = {xs[-1]:.0f} s; test "
              f"{ys[-1]:.2f} ± {es[-1]:.2f} %", flush=True)
    fig, ax = plt.subplots(figsize=(7.5, 4.6), constrained_layout=True)
    ax.plot(xs, ys, color="0.7", lw=1, zorder=1)
    ax.errorbar(xs, ys, yerr=es, fmt="o", color="C0", capsize=3, zorder=2)
    for x, y, r in zip(xs, ys, rows):  # the label to the right, unless another point sits there
        crowded = any(x < x2 < 1.6 * x and abs(y - y2) < 0.2 for x2, y2 in zip(xs, ys))
        ax.annotate(r["variant"], (x, y), textcoords="offset points", xytext=(-6 if crowded else 6, -10),
                    ha="right" if crowded else "left", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(right=2 * max(xs))  # room for the last rung's label
    ax.set(xlabel="training seconds per run (measured alone, 2 cores)", ylabel="test accuracy (%, mean ± sd, 3 seeds)",
           title="From the notebook's network to the record, one change per rung")
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write_bytes(Path(args.out), buf.getvalue())
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
