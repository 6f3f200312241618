"""`python -m framework.compare` end to end on digits: runs, table, reuse, failures, HParams."""
import csv
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from tb_events import event_files
from test_cli import check_tensorboard_layout

from framework import registry
from framework.experiments.compare import load_comparison, variant_recipes
from framework.recipe import PLUGIN_KEYS, PLUGIN_LIST_KEYS, RecipeError


def compare(*args, cwd):
    return subprocess.run([sys.executable, "-m", "framework.compare", *args], cwd=cwd, capture_output=True, text=True)


def test_shipped_digits_comparison_end_to_end(tmp_path, repo_root):
    comp = repo_root / "recipes" / "compare" / "digits_quick.py"
    out = compare(str(comp), "--logdir", str(tmp_path), "--workers", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    root = tmp_path / "digits_quick"
    rows = list(csv.DictReader((root / "results.csv").open()))
    assert [r["variant"] for r in rows] == ["adam", "sgd", "adam_dropout"]
    for r in rows:
        assert r["runs"] == "2" and r["failed"] == "0" and r["metric"] == "accuracy"
        assert 0.5 < float(r["test_mean"]) <= 1 and float(r["test_sd"]) >= 0
        assert float(r["epoch_seconds"]) > 0 and float(r["train_seconds"]) > 0
    for r in rows:  # the table's figures are those of the runs' own summaries
        finals = [json.loads((root / r["variant"] / f"seed{s}" / "summary.json").read_text()) for s in (0, 1)]
        for split in ("val", "test"):
            accs = [f["final"][f"{split}_accuracy"] for f in finals]
            assert float(r[f"{split}_mean"]) == pytest.approx(statistics.fmean(accs), rel=1e-5)
            assert float(r[f"{split}_sd"]) == pytest.approx(statistics.stdev(accs), rel=1e-4, abs=1e-9)
        seconds = statistics.fmean(f["train_seconds"] for f in finals)
        assert float(r["train_seconds"]) == pytest.approx(seconds, rel=1e-5)
    base, sgd = rows[0], rows[1]
    assert float(sgd["delta_vs_baseline"]) == pytest.approx(float(sgd["test_mean"]) - float(base["test_mean"]),
                                                            abs=1e-5)
    assert float(sgd["time_vs_baseline"]) == pytest.approx(float(sgd["train_seconds"]) / float(base["train_seconds"]),
                                                           rel=1e-4)
    best = max(rows, key=lambda r: float(r["val_mean"]))["variant"]  # chosen on validation, and marked so
    assert [r["variant"] for r in rows if r["best_by_validation"] == "True"] == [best]
    assert f"| **{best}** |" in (root / "results.md").read_text() and (root / "results.png").exists()
    for variant in ("adam", "sgd", "adam_dropout"):
        for seed in (0, 1):
            run = root / variant / f"seed{seed}"
            summary = json.loads((run / "summary.json").read_text())
            values = check_tensorboard_layout(run, summary, steps_per_epoch=41, every=50)
            assert values["Variant"] == variant and values["Comparison"] == "digits_quick"

    again = compare(str(comp), "--logdir", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 0 and "6 finished earlier, 0 to run" in again.stdout
    assert list(csv.DictReader((root / "results.csv").open())) == rows  # same table from the reused runs
    more = compare(str(comp), "--logdir", str(tmp_path), "--seeds", "3", cwd=tmp_path)
    assert "6 finished earlier, 3 to run" in more.stdout
    forced = compare(str(comp), "--logdir", str(tmp_path), "--seeds", "1", "--force", cwd=tmp_path)
    assert "0 finished earlier, 3 to run" in forced.stdout
    one_seed = (root / "results.md").read_text()
    assert "±" not in one_seed.split("One seed:")[0] and "over 1 seeds" not in one_seed  # no sd of a single run
    assert len(event_files(root / "adam" / "seed0" / "validation")) == 1  # the old run was replaced, not added to


def test_a_run_that_diverges_is_reported_and_the_others_finish(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"epochs": 2, "loggers": []}},
    "variants": {{"ok": {{}}, "wild": {{"optimizer": {{"name": "sgd", "lr": 1e30}}}}}},
}}
""")
    out = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 1
    rows = {r["variant"]: r for r in csv.DictReader((tmp_path / "logs" / "c" / "results.csv").open())}
    assert rows["ok"]["runs"] == "1" and rows["wild"]["diverged"] == "1"


@pytest.mark.parametrize("variants, tune, message", [
    ('{"ok": {}, "broken": {"regularizers": [{"name": "early_stopping", "monitor": "val_nothing"}]}}', None,
     "variant 'broken': early_stopping: monitor 'val_nothing' is not a metric of this run"),
    ('{"ok": {}, "typo": {"optimizer": "adamm"}}', None, "variant 'typo': key 'optimizer': unknown optimizers plugin"),
    ('{"sgd": {"optimizer": "sgd"}, "adam": {}}', '{"optimizer.lr": {"sgdd": [0.1, 0.2]}}',
     "'sgdd' is not a variant (did you mean 'sgd'?)"),
    ('{"adam": {}}', '{"optimizer.lr": {"small": 1e-4, "bad": "fast"}}',
     "variant 'adam' (tune optimizer.lr=bad): key 'optimizer.lr': expected float, got 'fast'"),
    ('{"adam": {}}', '{"optimizer.lr": [1e-3, 1e-3]}', "the grid for variant 'adam' holds 0.001 twice"),
])
def test_a_comparison_checks_every_run_before_any_trains(tmp_path, repo_root, variants, tune, message):
    """A mistake in one variant or one grid value: one line, exit 2, no folder, nothing trained."""
    (tmp_path / "c.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"epochs": 1, "loggers": []}},
    "variants": {variants},
    {'"tune": ' + tune + ',' if tune else ''}
}}
""")
    out = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "to run on" not in out.stdout and not (tmp_path / "logs").exists()


def test_tune_on_the_command_line_names_tune(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(f"""
comparison = {{"base": {str(repo_root / "recipes" / "digits_adam.py")!r}, "variants": {{"a": {{}}}}}}
""")
    out = compare(str(tmp_path / "c.py"), "--tune", "optimizer.lr=[0.1, 'x']", "--logdir", str(tmp_path / "l"),
                  cwd=tmp_path)
    assert out.returncode == 2 and not (tmp_path / "l").exists()
    assert out.stderr.startswith("error: --tune optimizer.lr=[0.1, 'x']: variant 'a'"), out.stderr


@pytest.mark.parametrize("text,match", [
    ("comparison = {'base': 'x.py'}", "key 'variants'"),
    ("comparison = {'base': 'x.py', 'variants': {'a': {}}, 'colour': 1}", "unknown key 'colour'"),
    ("comparison = {'base': 'x.py', 'variants': {'a': {}}, 'baseline': 'b'}", "'b' is not a variant"),
    ("comparison = {'variants': {'a/b': {}}}", "variants.a/b"),
    ("comparison = {'base': 'x.py', 'variants': {'a': {}}, 'metric': 'acuracy'}",
     "key 'metric': expected one of accuracy, bits_per_char, f1, loss, perplexity"),
])
def test_bad_comparison_files(tmp_path, text, match):
    (tmp_path / "c.py").write_text(text)
    with pytest.raises(RecipeError, match=match):
        load_comparison(tmp_path / "c.py")


def test_variant_with_unknown_key_names_it(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(f"comparison = {{'base': {str(repo_root / 'recipes' / 'digits_adam.py')!r}, "
                                   f"'variants': {{'v': {{'epoch': 3}}}}}}")
    c = load_comparison(tmp_path / "c.py")
    with pytest.raises(RecipeError, match=r"variant 'v'.*unknown key 'epoch'"):
        variant_recipes(c, [], "c.py")


def test_every_shipped_comparison_resolves(repo_root):
    for path in sorted((repo_root / "recipes" / "compare").glob("*.py")):
        c = load_comparison(path)
        recipes = variant_recipes(c, [], str(path))
        for name, r in recipes.items():  # every plugin named exists; no variant repeats the baseline by mistake
            assert name == c["baseline"] or r != recipes[c["baseline"]], f"{path.name}: {name} equals the baseline"
            for key, group in {**PLUGIN_KEYS, **PLUGIN_LIST_KEYS}.items():
                for s in (r[key] if isinstance(r[key], list) else [r[key]] if r[key] else []):
                    registry.info(group, s["name"])


def test_error_text_stays_in_its_table_row(tmp_path):
    from framework.experiments.report import table, write_results

    c = {"variants": {"a": {}, "b": {}}, "baseline": "a"}
    ok = {"status": "completed", "final": {"test_accuracy": 0.9, "test_loss": 0.3}, "epoch_seconds": [1.0],
          "train_seconds": 1.0}
    bad = {"status": "failed", "error": "ValueError: line one\nline two | with a pipe"}
    write_results(tmp_path, c, table(c, {("a", 0): ok, ("b", 0): bad}, [0]), [0], "cmd")
    rows = [line for line in (tmp_path / "results.md").read_text().splitlines() if line.startswith("| b")]
    assert rows == ["| b | failed: ValueError: line one line two \\| with a pipe | | | | | | |"]


def test_a_table_of_losses_has_one_test_loss_column_and_every_row_fits_its_header(tmp_path):
    from framework.experiments.report import table, write_results

    def done(loss):
        return {"status": "completed", "final": {"val_loss": loss, "test_loss": loss + 0.01}, "epoch_seconds": [1.0],
                "train_seconds": 1.0}

    failed = {"status": "failed", "error": "E"}
    for metric, finals in (("loss", {("a", 0): done(1.8), ("b", 0): failed}),
                           ("accuracy", {("a", 0): summary_of(0.9, 0.9), ("b", 0): failed})):
        c = {"variants": {"a": {}, "b": {}}, "baseline": "a", "metric": metric}
        write_results(tmp_path, c, table(c, finals, [0]), [0], "cmd")
        lines = [x for x in (tmp_path / "results.md").read_text().splitlines() if x.startswith("|")]
        assert lines[0].count("test loss") == 1
        assert len({x.replace("\\|", "").count("|") for x in lines}) == 1  # header, rule and rows alike
        assert ("1.8000 | 1.8100 | baseline |" in lines[2]) == (metric == "loss")


def test_welch_interval_matches_scipy():
    from scipy import stats

    from framework.experiments.report import welch_interval

    a, b = [0.981, 0.984, 0.979, 0.986], [0.975, 0.977, 0.980]
    d, lo, hi = welch_interval(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert welch_interval([1.0, 1.0], [1.0, 1.0]) == (0.0, 0.0, 0.0)  # no spread, no change
    assert all(map(math.isnan, welch_interval([0.9], [0.8, 0.85])[1:]))  # one seed: no interval


def summary_of(val, test, seconds=1.0, history=None):
    return {"status": "completed", "final": {"val_accuracy": val, "test_accuracy": test, "test_loss": 0.1},
            "epoch_seconds": [seconds], "train_seconds": seconds,
            "history": history or [{"val_accuracy": val}]}


def test_the_best_variant_is_chosen_on_validation_and_marked(tmp_path):
    from framework.experiments.report import table, write_plot, write_results

    c = {"variants": {"base": {}, "val_best": {}, "test_best": {}}, "baseline": "base"}
    results = {}
    for k in range(3):
        results["base", k] = summary_of(0.950, 0.950 + 0.001 * k)
        results["val_best", k] = summary_of(0.970 + 0.001 * k, 0.955 + 0.001 * k)  # best on validation
        results["test_best", k] = summary_of(0.960, 0.980 + 0.0005 * k)            # best on test: not chosen
    rows = table(c, results, [0, 1, 2])
    assert [r["variant"] for r in rows if r["best_by_validation"]] == ["val_best"]
    assert rows[1]["delta_excludes_zero"] and not rows[0]["delta_excludes_zero"]
    write_results(tmp_path, c, rows, [0, 1, 2], "cmd")
    md = (tmp_path / "results.md").read_text()
    assert "| **val_best** | 97.10 ± 0.10 | 95.60 ± 0.10 | +0.50 [" in md and "| test_best | 96.00" in md
    assert "| base | 95.00 ± 0.00 | 95.10 ± 0.10 | baseline |" in md and "✱" in md
    assert write_plot(tmp_path, c, rows, results, [0, 1, 2]) is None
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_plot_is_skipped_with_one_line(tmp_path, monkeypatch):
    from framework.experiments.report import write_plot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    note = write_plot(tmp_path, {}, [{"metric": "accuracy"}], {}, [0])
    assert note == 'results.png not written: matplotlib is missing (pip install "npframe[plots]")'
    assert not (tmp_path / "results.png").exists()


def test_tuning_chooses_each_variants_value_on_validation(tmp_path, repo_root):
    (tmp_path / "t.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 3, "model.hidden": [16]}},
    "seeds": 2,
    "variants": {{"adam": {{}}, "sgd": {{"optimizer": {{"name": "sgd", "lr": 0.1}}}}}},
    "tune": {{"optimizer.lr": {{"adam": [1e-4, 1e-3, 1e-2], "*": [0.01, 0.1, 1.0]}}}},
}}
""")
    out = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), "--workers", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "tuning optimizer.lr over 6 runs (first seed)" in out.stdout
    assert "adam optimizer.lr=0.001: completed" in out.stdout  # a trial is named by its value, not as a seed
    root = tmp_path / "t"
    for name, grid in (("adam", [1e-4, 1e-3, 1e-2]), ("sgd", [0.01, 0.1, 1.0])):
        val = {v: json.loads((root / name / "tune" / f"optimizer.lr={v:g}" / "summary.json").read_text())
               ["final"]["val_accuracy"] for v in grid}
        chosen = max(grid, key=lambda v: (val[v], -grid.index(v)))
        for seed in (0, 1):
            recipe = json.loads((root / name / f"seed{seed}" / "recipe.json").read_text())
            assert recipe["optimizer"]["lr"] == chosen and recipe["seed"] == seed
        row = next(r for r in csv.DictReader((root / "results.csv").open()) if r["variant"] == name)
        assert float(row["tuned"]) == chosen
        assert f"| {name} | **{chosen:g}** |" in (root / "tuning.md").read_text()
        at_edge = f"variant {name!r}: the chosen optimizer.lr={chosen:g} is at the"
        assert (at_edge in out.stdout) == (chosen in (grid[0], grid[-1])), out.stdout  # said only at an edge
    again = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), "--workers", "2", cwd=tmp_path)
    assert "6 finished earlier, 0 to run" in again.stdout and "4 finished earlier, 0 to run" in again.stdout


def test_a_variant_whose_tuning_never_completes_fails_the_comparison(tmp_path, repo_root):
    (tmp_path / "t.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 1, "model.hidden": [8]}},
    "variants": {{"sgd": {{"optimizer": {{"name": "sgd", "lr": 0.1}}}}}},
    "tune": {{"optimizer.lr": [1e30]}},
}}
""")
    out = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), "--workers", "1", cwd=tmp_path)
    assert out.returncode == 1 and "tuning failed for sgd: no value of the grid completed" in out.stderr


def test_a_run_of_the_same_recipe_in_another_comparison_is_copied_not_trained(tmp_path, repo_root):
    def write(name, variants):
        (tmp_path / f"{name}.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 1, "model.hidden": [8]}},
    "variants": {variants!r},
}}
""")
    write("first", {"a": {}, "b": {"optimizer.lr": 0.01}})
    write("second", {"same_as_b": {"optimizer.lr": 0.01}, "new": {"optimizer.lr": 0.003}})
    assert compare(str(tmp_path / "first.py"), "--logdir", str(tmp_path), cwd=tmp_path).returncode == 0
    out = compare(str(tmp_path / "second.py"), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"same_as_b 0: the same recipe completed in {tmp_path / 'first' / 'b' / 'seed0'}; copied" in out.stdout
    assert "1 finished earlier, 1 to run" in out.stdout
    copied, original = (json.loads((tmp_path / d / "seed0" / "summary.json").read_text())
                        for d in ("second/same_as_b", "first/b"))
    assert copied == original
    forced = compare(str(tmp_path / "second.py"), "--logdir", str(tmp_path), "--force", cwd=tmp_path)
    assert "0 finished earlier, 2 to run" in forced.stdout and "copied" not in forced.stdout


def test_a_labelled_grid_tunes_structured_values(tmp_path, repo_root):
    (tmp_path / "t.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 2}},
    "variants": {{"net": {{}}}},
    "tune": {{"model.hidden": {{"tiny": [2], "wide": [64, 32]}}}},
}}
""")
    out = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    tuning = (tmp_path / "t" / "tuning.md").read_text()
    assert "| net | **wide**: `[64,32]` |" in tuning and "| net | tiny: `[2]` |" in tuning  # 2 units lose
    recipe = json.loads((tmp_path / "t" / "net" / "seed0" / "recipe.json").read_text())
    assert recipe["model"]["hidden"] == [64, 32] and (tmp_path / "t" / "net" / "tune" / "model.hidden=wide").is_dir()
    assert next(csv.DictReader((tmp_path / "t" / "results.csv").open()))["tuned"] == "wide"
    bad = tmp_path / "bad.py"
    bad.write_text(tmp_path.joinpath("t.py").read_text().replace('{"tiny": [2], "wide": [64, 32]}', '{"a/b": [2]}'))
    out = compare(str(bad), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2 and ("key 'tune': label 'a/b' in the grid for variant 'net': a label names a folder, "
                                    "so it is a non-empty string without '/'") in out.stderr, out.stderr
    out = compare(str(tmp_path / "t.py"), "--tune", "optimizer.lr", "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.startswith("error: --tune 'optimizer.lr': expected KEY=VALUE, e.g. "
                                                         "'optimizer.lr=[1e-4,1e-3,1e-2]'"), out.stderr
    out = compare(str(tmp_path / "t.py"), "--tune", "dataset.name=['a/b', 'digits']", "--logdir", str(tmp_path / "x"),
                  cwd=tmp_path)  # values that hold '/' get labels that do not: the trial folders stay one level
    assert out.returncode == 2 and '(tune dataset.name="a_b")' in out.stderr, out.stderr


def test_the_plot_shows_each_variants_test_figures_not_time(tmp_path, monkeypatch):
    import matplotlib.axes

    from framework.experiments.report import table, write_plot
    labels, ticks, points = [], [], []
    axes = matplotlib.axes.Axes
    real_set, real_ticks, real_plot = axes.set, axes.set_xticks, axes.plot
    monkeypatch.setattr(axes, "set", lambda ax, **kw: (labels.extend(
        str(v) for k, v in kw.items() if k.endswith("label")), real_set(ax, **kw))[1])
    monkeypatch.setattr(axes, "set_xticks", lambda ax, t, lab=None, **kw: (ticks.append(list(lab)),
                                                                          real_ticks(ax, t, lab, **kw))[1])
    monkeypatch.setattr(axes, "plot", lambda ax, *a, **kw: (points.append(a), real_plot(ax, *a, **kw))[1])
    c = {"variants": {"short": {}, "long": {}}, "baseline": "short"}
    results = {(v, s): dict(summary_of(0.9, 0.9 + 0.01 * s), epochs_completed=n, train_seconds=10.0 * n)
               for v, n in {"short": 1, "long": 3}.items() for s in (0, 1)}
    assert write_plot(tmp_path, c, table(c, results, [0, 1]), results, [0, 1]) is None
    assert ticks == [["short", "long"]] and not any("second" in label for label in labels)
    dots = [list(a[1]) for a in points if len(a) >= 2 and list(a[0]) in ([0, 0], [1, 1])]
    assert dots == [[90.0, 91.0], [90.0, 91.0]]  # each seed's test figure, in %


def test_the_validation_panel_shows_the_top_of_every_band(tmp_path, monkeypatch):
    import matplotlib.axes

    from framework.experiments.report import table, write_plot
    limits = []
    real = matplotlib.axes.Axes.set_ylim
    monkeypatch.setattr(matplotlib.axes.Axes, "set_ylim",
                        lambda ax, *a, **kw: (limits.append(a), real(ax, *a, **kw))[1])
    c = {"variants": {"a": {}, "b": {}}, "baseline": "a"}
    def run(*curve):  # validation accuracy per epoch; the last is the final figure
        return summary_of(curve[-1], 0.99, history=[{"val_accuracy": v} for v in curve])

    results = {("a", 0): run(0.990, 0.999, 0.993), ("a", 1): run(0.990, 0.991, 0.992),  # a peak above every
               ("b", 0): run(0.980, 0.990, 0.991), ("b", 1): run(0.980, 0.990, 0.991)}  # final mean
    assert write_plot(tmp_path, c, table(c, results, [0, 1]), results, [0, 1]) is None
    (low, high), = [a for a in limits if len(a) == 2]  # the panel's own call (matplotlib makes others)
    assert low < 99.1 and high > 99.9


def test_the_validation_panel_of_one_variant_shows_its_whole_curve(tmp_path, monkeypatch):
    import matplotlib.axes

    from framework.experiments.report import table, write_plot
    limits = []  # the validation panel's y range when its legend is drawn, its last step
    real = matplotlib.axes.Axes.legend
    monkeypatch.setattr(matplotlib.axes.Axes, "legend", lambda ax, *a, **kw: (limits.append(ax.get_ylim()),
                                                                             real(ax, *a, **kw))[1])
    c = {"variants": {"only": {}}, "baseline": "only"}
    results = {("only", s): summary_of(0.87, 0.87, history=[{"val_accuracy": v} for v in (0.60, 0.80, 0.87)])
               for s in (0, 1)}
    assert write_plot(tmp_path, c, table(c, results, [0, 1]), results, [0, 1]) is None
    (low, high), = limits
    assert low <= 60.0 and high >= 87.0  # the whole curve, not a zoom on the one final figure


def test_a_variant_without_a_grid_keeps_its_own_value(tmp_path, repo_root):
    (tmp_path / "t.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 1, "model.hidden": [8]}},
    "variants": {{"sgd": {{"optimizer": {{"name": "sgd", "lr": 0.1}}}}, "adam": {{}}}},
    "tune": {{"optimizer.lr": {{"sgd": [0.01, 0.1]}}}},
}}
""")
    out = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "tuning optimizer.lr over 2 runs" in out.stdout and not (tmp_path / "t" / "adam" / "tune").exists()
    assert "| adam |" not in (tmp_path / "t" / "tuning.md").read_text()
    rows = {r["variant"]: r for r in csv.DictReader((tmp_path / "t" / "results.csv").open())}
    assert rows["adam"]["tuned"] == "" and rows["sgd"]["tuned"] in ("0.01", "0.1")
    recipe = json.loads((tmp_path / "t" / "adam" / "seed0" / "recipe.json").read_text())
    from framework import recipe as rcp
    assert recipe["optimizer"] == rcp.load(repo_root / "recipes" / "digits_adam.py")["optimizer"]


def test_a_tuning_trial_that_diverges_is_reported_not_a_failure(tmp_path, repo_root):
    (tmp_path / "t.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"loggers": [], "callbacks": [], "epochs": 1, "model.hidden": [8]}},
    "variants": {{"net": {{}}}},
    "tune": {{"optimizer": {{"plain": "adam", "wild": {{"name": "sgd", "lr": 1e30}}}}}},
}}
""")
    out = compare(str(tmp_path / "t.py"), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr  # a value that diverges is an outcome of a sweep
    assert "note: diverged while tuning (an outcome of the sweep, left out of the choice): net optimizer=wild" \
        in out.stdout
    tuning = (tmp_path / "t" / "tuning.md").read_text()
    assert "| net | **plain**: `\"adam\"` |" in tuning and "| diverged |" in tuning  # chosen among the rest


def test_a_run_is_reused_only_while_its_files_match_its_manifest(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(f"""
comparison = {{"base": {str(repo_root / "recipes" / "digits_adam.py")!r}, "set": {{"epochs": 1, "loggers": []}},
              "variants": {{"a": {{}}}}}}
""")
    first = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert first.returncode == 0
    run_dir = tmp_path / "logs" / "c" / "a" / "seed0"
    assert "summary.json" in json.loads((run_dir / "manifest.json").read_text())["files"]
    again = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert "1 finished earlier, 0 to run" in again.stdout
    description = run_dir / "preprocessing.json"
    description.write_text(description.read_text()[:20])  # truncated after the run finished
    damaged = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert damaged.returncode == 0 and "0 finished earlier, 1 to run" in damaged.stdout


def test_a_comparison_never_takes_over_another_ones_folder(tmp_path, repo_root):
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "c.py").write_text(f"""
comparison = {{"base": {str(repo_root / "recipes" / "digits_adam.py")!r}, "set": {{"epochs": 1, "loggers": []}},
              "variants": {{"{folder}": {{}}}}}}
""")
    assert compare(str(tmp_path / "one" / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path).returncode == 0
    out = compare(str(tmp_path / "two" / "c.py"), "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 2 and "holds the runs of" in out.stderr and "one/c.py" in out.stderr
    assert (tmp_path / "logs" / "c" / "one" / "seed0" / "manifest.json").is_file()


def test_a_run_folder_another_process_is_writing_is_waited_for(tmp_path, repo_root):
    import threading

    from framework.experiments.backends import run_one
    from framework.files import hold
    from framework.recipe import resolve

    run_dir = tmp_path / "v" / "seed0"
    run_dir.mkdir(parents=True)
    (run_dir / "theirs.txt").write_text("in progress")
    held = hold(tmp_path / "v" / ".seed0.lock")
    recipe = resolve(str(repo_root / "recipes" / "digits_adam.py"), ["epochs=1", "loggers=[]"])
    got = {}
    waiting = threading.Thread(target=lambda: got.update(run_one(recipe, str(run_dir))))
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive() and (run_dir / "theirs.txt").read_text() == "in progress"  # waits, touches nothing
    held.close()  # the other process ended without finishing the run: this one trains it
    waiting.join(60)
    assert got["status"] == "completed" and "reused" not in got and not (run_dir / "theirs.txt").exists()
    held = hold(tmp_path / "v" / ".seed0.lock")  # a client that asks its runs to stop stops this one while it waits
    stopped = run_one(recipe, str(run_dir), stop=lambda: True)
    assert stopped == {"status": "failed", "error": "stopped by its client"}
    held.close()


def test_the_same_comparison_started_twice_at_once_trains_each_run_once(tmp_path, repo_root):
    """Both commands complete with every run completed: a run the other is training is waited for and reused."""
    (tmp_path / "c.py").write_text(f"""
comparison = {{
    "base": {str(repo_root / "recipes" / "digits_adam.py")!r},
    "set": {{"epochs": 3, "callbacks": ["checkpoint"]}},
    "variants": {{"a": {{}}, "b": {{"optimizer.lr": 0.01}}}},
    "seeds": 2,
}}
""")
    cmd = [sys.executable, "-m", "framework.compare", str(tmp_path / "c.py"), "--logdir", str(tmp_path / "logs"),
           "--workers", "2"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and "failed" not in out.split("| variant")[0], out + err
    rows = list(csv.DictReader((tmp_path / "logs" / "c" / "results.csv").open()))
    assert [(r["runs"], r["failed"]) for r in rows] == [("2", "0"), ("2", "0")]
    for run in (tmp_path / "logs" / "c").glob("*/seed*"):
        assert len(event_files(run / "validation")) == 1  # trained once, by one of the two


def test_every_committed_comparison_reruns_without_training(repo_root, monkeypatch):
    """Each comparison in docs/results still makes exactly the recipes of its runs (so its command re-run trains
    nothing): editing a recipe that an earlier stage takes as its base must not silently change that stage."""
    from framework import recipe as rcp
    from framework.experiments.compare import tune_grids, tuning_runs

    monkeypatch.chdir(repo_root)
    owners = sorted(Path("docs/results").glob("*/comparison.json"))
    assert len(owners) >= 10
    for owner in owners:
        out_dir = owner.parent
        if not (out_dir / "results.md").exists():
            continue  # a comparison still training
        file = os.path.relpath(out_dir / json.loads(owner.read_text())["file"])
        c = load_comparison(file)
        command = shlex.split(re.search(r"Command: `([^`]*)`", (out_dir / "results.md").read_text()).group(1))
        sets = [command[i + 1] for i, a in enumerate(command) if a == "--set"]  # e.g. a dataset's path
        recipes, tuning = variant_recipes(c, sets, file), tune_grids(c, None, file)
        trials = tuning_runs(recipes, tuning, out_dir, file)
        for name, label, recipe, run_dir in trials:
            assert json.loads((run_dir / "recipe.json").read_text()) == json.loads(json.dumps(recipe)), \
                f"{file}: {name} tune {label}"
        for name, r in recipes.items():
            made = [json.loads(json.dumps(t)) for n, _, t, _ in trials if n == name] or [json.loads(json.dumps(r))]
            if c.get("search"):  # the seeds run the search's chosen trial (search.csv), at its max_epochs
                from framework.experiments import search as srch
                spec = srch.parse_search(c["search"], file)
                rows = list(csv.DictReader((out_dir / name / "search" / "search.csv").open()))
                best = next(row["trial"] for row in rows if row["stopped"] == "the best at the last rung")
                trial = next(t for t in srch.make_trials(spec) if t["name"] == best)
                chosen = json.loads(json.dumps(r))
                for key, value in trial["values"].items():
                    rcp.set_path(chosen, key, value)
                made = [json.loads(json.dumps(rcp.validate(dict(chosen, epochs=spec["max_epochs"]), file)))]
            for k in range(c.get("seeds", 1)):
                run = json.loads((out_dir / name / f"seed{r['seed'] + k}" / "recipe.json").read_text())
                assert dict(run, seed=r["seed"]) in made, f"{file}: {name} seed {r['seed'] + k}"


def test_a_table_states_the_day_its_runs_were_trained_not_the_day_it_was_rewritten(tmp_path):
    from framework.experiments.compare import trained_on
    old, new, bare = tmp_path / "old", tmp_path / "new", tmp_path / "bare"
    for d, summary in ((old, {"finished": "2026-11-02 10:00:00 UTC"}), (new, {"finished": "2026-11-05 23:59:00 UTC"}),
                       (bare, {})):
        d.mkdir()
        (d / "summary.json").write_text(json.dumps(summary))
    assert trained_on([old, new, bare]) == "2026-11-05"  # the newest run
    table = tmp_path / "results.md"
    table.write_text("Command: `x`; seeds [0]; baseline `a`; machine: 2 cores; date: 2026-10-30.\n")
    assert trained_on([bare], table) == "2026-10-30"  # runs without a date keep the table's
    assert trained_on([old], table) == "2026-11-02"


def test_a_finished_run_records_when_it_finished(tmp_path, repo_root):
    import re

    out = subprocess.run([sys.executable, "-m", "framework.run", str(repo_root / "recipes" / "digits_adam.py"),
                          "--logdir", str(tmp_path), "--set", "epochs=1", "--set", "loggers=[]"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary, = tmp_path.glob("**/summary.json")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", json.loads(summary.read_text())["finished"])


def test_runs_of_one_dataset_trained_on_different_examples_are_refused_in_one_table(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(f"""
comparison = {{"base": {str(repo_root / "recipes" / "iris_adam.py")!r}, "set": {{"epochs": 2, "loggers": []}},
              "variants": {{"a": {{}}, "b": {{"optimizer.lr": 0.01}}}}}}
""")
    assert compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path), cwd=tmp_path).returncode == 0
    prep = tmp_path / "c" / "b" / "seed0" / "preprocessing.json"
    info = json.loads(prep.read_text())
    assert len(info["fingerprint"]) == 16
    info["fingerprint"] = "0" * 16  # as if its dataset had held other examples when it trained
    prep.write_text(json.dumps(info))
    from framework.runs import write_manifest

    write_manifest(prep.parent)  # a complete run, as it was recorded
    out = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2 and "used the same dataset spec but different examples" in out.stderr, out.stderr


def test_a_comparison_chooses_by_its_metric_lowest_loss_first(tmp_path, repo_root):
    """`metric: "loss"`: the table and the choice go by validation loss, the lowest bold; tuning too."""
    base = str(repo_root / "recipes" / "digits_adam.py")
    (tmp_path / "c.py").write_text(
        f"comparison = {{'base': {base!r}, 'metric': 'loss', 'set': {{'epochs': 2, 'loggers': [], 'callbacks': []}},"
        f" 'variants': {{'fast': {{'optimizer.lr': 3e-3}}, 'slow': {{'optimizer.lr': 1e-5}}}},"
        f" 'tune': {{'batch_size': {{'fast': [64, 512]}}}}}}")
    out = compare(str(tmp_path / "c.py"), "--logdir", str(tmp_path), "--workers", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "c" / "results.csv").open()))
    assert {r["metric"] for r in rows} == {"loss"}
    best = min(rows, key=lambda r: float(r["val_mean"]))
    assert best["variant"] == "fast" and best["best_by_validation"] == "True"
    text = (tmp_path / "c" / "results.md").read_text()
    assert "validation loss" in text and "**Bold**: the lowest validation mean" in text
    tuning = (tmp_path / "c" / "tuning.md").read_text()
    losses = {b: json.loads((tmp_path / "c" / "fast" / "tune" / f"batch_size={b}" / "summary.json").read_text())
              ["final"]["val_loss"] for b in (64, 512)}
    assert f"**{min(losses, key=losses.get)}**" in tuning


def test_a_recipe_file_is_tuned_without_a_comparison_file_and_lines_do_not_interleave(tmp_path, repo_root):
    """`framework.compare RECIPE --tune ...`: the recipe alone, one variant named after it. The workers' own output
    (here the recipe's progress logger) is silenced: the command's lines are one per finished run, whole."""
    recipe = repo_root / "recipes" / "iris_adam.py"
    out = compare(str(recipe), "--tune", "optimizer.lr=[1e-3,1e-2]", "--seeds", "2", "--set", "epochs=3",
                  "--set", "loggers=['progress']", "--logdir", str(tmp_path), "--workers", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "iris_adam" / "results.csv").open()))
    assert [r["variant"] for r in rows] == ["iris_adam"] and rows[0]["tuned"] in ("0.001", "0.01")
    head = out.stdout.split("\n# iris_adam")[0].splitlines()  # the progress, before the table
    assert head and all(line.startswith((str(recipe), "  ")) for line in head), head
    assert "epoch" not in "\n".join(head)
