"""End to end: `python -m framework.run` on a small MNIST subset; summary.json and TensorBoard scalars."""
import json
import subprocess
import sys

import pytest
from tb_events import event_files, read_scalars


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "framework.run", *args], cwd=cwd, capture_output=True, text=True)


def test_end_to_end_mnist_subset(tmp_path, repo_root):
    recipe = repo_root / "recipes" / "mnist_adam.py"
    args = [str(recipe), "--set", "dataset.limit=2000", "--set", "epochs=2", "--set", "model.hidden=[64]",
            "--set", "loggers.tensorboard.every_n_steps=5",
            "--logdir", str(tmp_path / "logs"), "--name", "e2e"]
    out = run_cli(*args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    run_dir = tmp_path / "logs" / "mnist_adam" / "e2e"
    assert f"run directory: {run_dir.relative_to(tmp_path)}" in out.stdout or str(run_dir) in out.stdout
    assert "epoch   2/2" in out.stdout and "tensorboard --logdir" in out.stdout
    names = sorted(p.name for p in run_dir.iterdir() if not p.name.startswith("events."))
    assert names == ["checkpoints", "recipe.json", "summary.json"]
    # one writer: a single event file, and none in subdirectories (TensorBoard would show them as runs)
    assert [p.parent for p in run_dir.rglob("events.out.tfevents.*")] == [run_dir]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.npz", "last.npz"]

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and len(summary["epoch_seconds"]) == 2
    assert summary["train_seconds"] == pytest.approx(sum(summary["epoch_seconds"]))
    final = summary["final"]
    for key in ("train_loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy"):
        assert key in final
    assert final["test_accuracy"] > 0.5  # chance is 0.1
    recipe_json = json.loads((run_dir / "recipe.json").read_text())
    assert recipe_json["model"]["hidden"] == [64] and recipe_json["dataset"]["limit"] == 2000

    files = event_files(run_dir)
    assert len(files) == 1
    scalars = read_scalars(files[0])
    assert [s for s, _ in scalars["loss/val"]] == [1, 2]
    assert scalars["accuracy/val"][-1][1] == pytest.approx(summary["history"][-1]["val_accuracy"], abs=1e-6)
    assert scalars["loss/train"][-1][1] == pytest.approx(final["train_loss"], rel=1e-6)
    assert scalars["accuracy/test"][0][1] == pytest.approx(final["test_accuracy"], abs=1e-6)
    for tag in ("lr", "time/epoch_seconds", "accuracy/train", "loss/train_step"):
        assert tag in scalars

    # a second run with the same name never overwrites the first
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "logs" / "mnist_adam" / "e2e-1" / "summary.json").exists()


def test_bad_recipe_exits_nonzero_without_run_dir(tmp_path, repo_root):
    out = run_cli(str(repo_root / "recipes" / "digits_adam.py"), "--set", "optimizer.lr=abc!",
                  "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 2
    assert "--set 'optimizer.lr=abc!'" in out.stderr and "cannot read" in out.stderr
    out = run_cli(str(repo_root / "recipes" / "digits_adam.py"), "--set", "optimizer.name=adamw2",
                  "--logdir", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 2 and "digits_adam.py: key 'optimizer': unknown optimizers plugin" in out.stderr
    assert not (tmp_path / "logs").exists()


def test_digits_recipe_runs_in_process(tmp_path, repo_root, capsys):
    from framework.run import main
    assert main([str(repo_root / "recipes" / "digits_adam.py"), "--logdir", str(tmp_path), "--name", "d"]) == 0
    summary = json.loads((tmp_path / "digits_adam" / "d" / "summary.json").read_text())
    assert summary["final"]["test_accuracy"] > 0.9
