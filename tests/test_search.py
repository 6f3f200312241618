"""Searches (framework.experiments.search): the spec, the trials, the rungs and the budget; a search end to end on
digits, whose chosen trial has the weights of its recipe trained straight through; a search interrupted and
continued decides as one that was not; an edited search is refused."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from framework.experiments import search as srch
from framework.experiments.backends import run_one


def compare(*args, cwd):
    return subprocess.run([sys.executable, "-m", "framework.compare", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("spec,error", [
    ({"method": "hyperband", "max_epochs": 3, "space": {"a": [1]}}, "method: expected 'asha' or 'grid'"),
    ({"trials": 3, "max_epochs": 3, "space": {"optimizer.lr": "loguniform(0, 1)"}}, "low > 0"),
    ({"trials": 3, "max_epochs": 3, "space": {"optimizer.lr": "logunifrom(1e-3, 1)"}}, "expected 'loguniform"),
    ({"method": "grid", "max_epochs": 3, "space": {"optimizer.lr": "uniform(0, 1)"}}, "a grid search takes lists"),
    ({"trials": 3, "max_epochs": 3, "reduction": 1, "space": {"a": [1]}}, "reduction: expected an integer >= 2"),
    ({"trials": 3, "max_epochs": 3, "min_epochs": 4, "space": {"a": [1]}}, "min_epochs: 4 is more than"),
    ({"trials": 3, "max_epochs": 3, "space": {}}, "space: expected a non-empty dict"),
    ({"trials": 3, "max_epochs": 3, "space": {"a": [1]}, "budget": 9}, "unknown key 'budget'"),
    ({"max_epochs": 3, "space": {"a": [1]}}, "trials: expected an integer"),
])
def test_bad_search_specs_name_the_key(spec, error):
    with pytest.raises(srch.SearchError, match=error):
        srch.parse_search(spec, "search")


def test_trials_are_seeded_and_a_grid_is_every_combination():
    s = srch.parse_search({"trials": 20, "max_epochs": 9, "space": {
        "optimizer.lr": "loguniform(1e-4, 1e-1)", "regularizers.0.rate": "uniform(0, 0.5)",
        "batch_size": "randint(16, 64)", "model.hidden": {"small": [32], "wide": [256, 256]}}}, "s")
    a, b = srch.make_trials(s), srch.make_trials(s)
    assert a == b and len(a) == 20 and a[0]["name"] == "trial00"
    lrs = [t["values"]["optimizer.lr"] for t in a]
    assert all(1e-4 <= v <= 1e-1 for v in lrs) and min(lrs) < 1e-3 < max(lrs)  # spread over the decades
    assert all(16 <= t["values"]["batch_size"] <= 64 and isinstance(t["values"]["batch_size"], int) for t in a)
    assert {t["labels"]["model.hidden"] for t in a} == {"small", "wide"}
    other = srch.make_trials(srch.parse_search({**{k: v for k, v in s.items() if k != "dims"}, "seed": 1}, "s"))
    assert [t["values"] for t in other] != [t["values"] for t in a]
    g = srch.make_trials(srch.parse_search({"method": "grid", "max_epochs": 3, "space": {
        "optimizer.lr": [1e-3, 1e-2], "model.hidden": {"s": [8], "w": [64]}}}, "g"))
    assert [t["labels"] for t in g] == [{"optimizer.lr": "0.001", "model.hidden": "s"},
                                        {"optimizer.lr": "0.001", "model.hidden": "w"},
                                        {"optimizer.lr": "0.01", "model.hidden": "s"},
                                        {"optimizer.lr": "0.01", "model.hidden": "w"}]


def test_rungs_and_budget():
    s = {"min_epochs": 1, "max_epochs": 27, "reduction": 3, "seeds": 2}
    assert srch.rungs(s) == [1, 3, 9, 27]
    most, full, at = srch.budget(s, 27)
    assert at == [27, 9, 3, 1] and full == 27 * 27 * 2
    assert most == 2 * (27 * 1 + 9 * 2 + 3 * 6 + 1 * 18)
    assert srch.rungs({"min_epochs": 2, "max_epochs": 10, "reduction": 2}) == [2, 4, 8, 10]
    assert srch.keep(5, 3) == 1 and srch.keep(2, 3) == 1 and srch.keep(9, 3) == 3


SEARCH = {"trials": 6, "max_epochs": 4, "min_epochs": 1, "reduction": 2, "seeds": 2,
          "space": {"optimizer.lr": "loguniform(1e-4, 3e-2)", "model.hidden": {"small": [16], "wide": [64]}}}


def write_comparison(tmp_path, repo_root, search=SEARCH, name="c"):
    base = str(repo_root / "recipes" / "digits_adam.py")
    path = tmp_path / f"{name}.py"
    path.write_text(f"comparison = {{'base': {base!r}, 'set': {{'loggers': [], 'callbacks': []}}, 'seeds': 1, "
                    f"'search': {search!r}, 'variants': {{'mlp': {{}}}}}}")
    return path


def weights(run_dir):
    with np.load(run_dir / "checkpoints" / "last.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k.startswith("model/")}


@pytest.fixture(scope="module")
def searched(tmp_path_factory, repo_root):
    """A search run once for the tests below: (its folder, the comparison file, the command's output)."""
    tmp = tmp_path_factory.mktemp("search")
    comp = write_comparison(tmp, repo_root)
    out = compare(str(comp), "--logdir", str(tmp / "a"), "--workers", "2", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp, comp, out


def test_a_search_end_to_end_continues_trials_exactly(searched, repo_root):
    tmp_path, comp, out = searched
    assert "6 trials x 2 seed(s), rungs at epochs 1, 2, 4 (6 -> 3 -> 1 trials); at most 22 epochs against 48" \
        in out.stdout
    folder = tmp_path / "a" / "c" / "mlp" / "search"
    rows = list(csv.DictReader((folder / "search.csv").open()))
    assert [r["rung"] for r in rows].count("4") == 1 and [r["rung"] for r in rows].count("2") == 2
    best = next(r for r in rows if r["stopped"] == "the best at the last rung")
    at2 = {r["trial"]: float(r["val_at_2"]) for r in rows if r["val_at_2"]}
    assert best["trial"] == max(at2, key=at2.get)  # promoted on the mean over its seeds
    for r in rows:  # the figures are the runs' own, averaged over the seeds
        runs = [json.loads((folder / r["trial"] / f"seed{s}" / "summary.json").read_text()) for s in (0, 1)]
        assert float(r["val_at_1"]) == pytest.approx(np.mean([h["history"][0]["val_accuracy"] for h in runs]))
    assert (folder / "search.md").exists() and (folder / "search.png").exists()
    # the chosen trial paused at epochs 1 and 2 and continued: the weights of its recipe trained straight through
    chosen = folder / best["trial"] / "seed1"
    recipe = json.loads((chosen / "recipe.json").read_text())
    assert run_one(recipe, str(tmp_path / "straight"))["status"] == "completed"
    mine, straight = weights(chosen), weights(tmp_path / "straight")
    assert mine.keys() == straight.keys() and all(np.array_equal(mine[k], straight[k]) for k in mine)
    table = (tmp_path / "a" / "c" / "results.md").read_text()
    assert f"{best['trial']}: optimizer.lr=" in table
    again = compare(str(comp), "--logdir", str(tmp_path / "a"), cwd=tmp_path)  # nothing retrained, same choice
    assert again.returncode == 0 and list(csv.DictReader((folder / "search.csv").open())) == rows
    original = comp.read_text()
    write_comparison(tmp_path, repo_root, {**SEARCH, "reduction": 3})  # the same file, edited
    refused = compare(str(comp), "--logdir", str(tmp_path / "a"), cwd=tmp_path)
    comp.write_text(original)
    assert refused.returncode == 2 and "search key 'reduction' says 3" in refused.stderr
    assert "Traceback" not in refused.stderr


def workers_of(pid: int) -> list[int]:
    """The worker processes a command spawned (multiprocessing's spawn_main), not its resource tracker."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and "spawn_main" in cmd and "resource_tracker" not in cmd:
            out.append(int(stat.parent.name))
    return out


def interrupt(comp, logdir, cwd, at: str, how):
    """Start the search, and once `at` is printed, interrupt it with `how(process)`; returns its exit code and
    stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "framework.compare", str(comp), "--logdir", str(logdir),
                             "--workers", "2"], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    for line in proc.stdout:
        if at in line:
            time.sleep(0.5)
            how(proc)
            break
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


def test_an_interrupted_search_decides_as_an_uninterrupted_one(searched, tmp_path):
    """Interrupted twice, as the issue asks: Ctrl-C in the second rung (the process group, as a terminal sends it),
    then, continued, a worker killed (kill -9) in the third; continued again, it ends with the same trials
    promoted and the same final weights as the search that ran straight through."""
    done, comp, _ = searched
    code, _ = interrupt(comp, tmp_path / "cut", tmp_path, "search rung 2 of 3", lambda p: os.killpg(p.pid,
                                                                                                   signal.SIGINT))
    assert code == 130

    def kill_a_worker(p):
        for _ in range(50):
            pids = workers_of(p.pid)
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                return
            time.sleep(0.1)

    code, err = interrupt(comp, tmp_path / "cut", tmp_path, "search rung 3 of 3", kill_a_worker)
    assert code == 1 and "no decision is made without them: run the same command again" in err, err
    resumed = compare(str(comp), "--logdir", str(tmp_path / "cut"), "--workers", "2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    a = (done / "a" / "c" / "mlp" / "search" / "search.csv").read_text()
    b = (tmp_path / "cut" / "c" / "mlp" / "search" / "search.csv").read_text()
    assert a == b
    best = next(r for r in csv.DictReader(io_lines(a)) if r["stopped"] == "the best at the last rung")["trial"]
    for seed in (0, 1):
        x = weights(done / "a" / "c" / "mlp" / "search" / best / f"seed{seed}")
        y = weights(tmp_path / "cut" / "c" / "mlp" / "search" / best / f"seed{seed}")
        assert all(np.array_equal(x[k], y[k]) for k in x)


def io_lines(text):
    return text.splitlines()


def test_a_search_on_dask_decides_as_on_local_workers(searched, tmp_path):
    """The same search on a Dask cluster (a LocalCluster of 2 single-threaded workers): each rung's runs go to the
    workers with their folders, continue there and come back; the same trials promoted, the same figures."""
    pytest.importorskip("distributed", reason="Dask is not installed (pip install \".[cluster]\")")
    done, comp, _ = searched
    out = compare(str(comp), "--logdir", str(tmp_path), "--cluster", "local:2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    a = (done / "a" / "c" / "mlp" / "search" / "search.csv").read_text()
    assert (tmp_path / "c" / "mlp" / "search" / "search.csv").read_text() == a


def test_dropped_checkpoints_keep_a_search_reusable_and_are_named(searched, tmp_path):
    """--drop-checkpoints (for publishing): every run loses its checkpoints, recorded as such; the same command
    then trains nothing and decides alike; loading a run says why its weights are not there."""
    import shutil

    from framework import load
    from framework.recipe import RecipeError

    done, original, _ = searched
    shutil.copytree(done / "a", tmp_path / "a", symlinks=True)
    comp = tmp_path / original.name  # where the copied runs' comparison.json says their file is
    shutil.copy(original, comp)
    out = compare(str(comp), "--logdir", str(tmp_path / "a"), "--drop-checkpoints", cwd=tmp_path)
    assert out.returncode == 0 and "checkpoints dropped:" in out.stdout, out.stderr
    assert not list((tmp_path / "a").rglob("*.npz"))
    again = compare(str(comp), "--logdir", str(tmp_path / "a"), cwd=tmp_path)
    assert again.returncode == 0 and " 0 to run" in again.stdout and "to run on" in again.stdout
    assert all(" 0 to run" in line for line in again.stdout.splitlines() if "to run on" in line)
    assert (tmp_path / "a" / "c" / "mlp" / "search" / "search.csv").read_text() == \
        (done / "a" / "c" / "mlp" / "search" / "search.csv").read_text()
    trial = next((tmp_path / "a" / "c" / "mlp" / "search").glob("trial*/seed0"))
    with pytest.raises(RecipeError, match="not published"):
        load(trial)
