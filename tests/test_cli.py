"""End to end: `python -m framework.run` on a small MNIST subset; summary.json and TensorBoard scalars."""
import json
import subprocess
import sys
import textwrap

import pytest
import tb_events


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
    assert names == [".lock", "checkpoints", "manifest.json", "preprocessing.json", "recipe.json", "summary.json",
                     "train", "validation"]  # .lock: held while a process trains it
    assert "Layer (type)" in out.stdout and "Total params: 50,890" in out.stdout  # the model summary, as Keras
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

    assert final["weights_epoch"] == 2 and "weights_epoch 2\n" in out.stdout + "\n"  # an epoch, not 2.0000
    check_tensorboard_layout(run_dir, summary, steps_per_epoch=15, every=5)

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


def check_tensorboard_layout(run_dir, summary, steps_per_epoch, every, prefix=""):
    """What TensorBoard shows of one run: Keras' two runs, train and validation, with the same tags on an epoch
    axis, step-level loss and learning rate on a step axis, the test figures one point each in the validation run,
    an HParams session without an experiment definition there, the recipe and model summary as text in the train
    run; and no third run (TensorBoard ticks none above 40 runs: the README tour's 12 trainings must make 24)."""
    mux = tb_events.load(run_dir)
    run = lambda name: f"{prefix}{name}"
    assert set(mux.Runs()) == {run("train"), run("validation")}
    history, final, epochs = summary["history"], summary["final"], len(summary["history"])
    tags = {name: set(mux.Runs()[run(name)]["scalars"]) for name in ("train", "validation")}
    assert {"epoch/loss", "epoch/accuracy"} <= tags["train"] & tags["validation"]  # one chart each
    assert {"epoch/learning_rate", "epoch/seconds", "step/loss", "step/learning_rate"} <= tags["train"]
    val = tb_events.scalars(mux, run("validation"), "epoch/accuracy")
    assert [s for s, _ in val] == list(range(1, epochs + 1))  # the epoch axis
    assert [v for _, v in val] == pytest.approx([h["val_accuracy"] for h in history], abs=1e-6)
    train = tb_events.scalars(mux, run("train"), "epoch/loss")
    assert [v for _, v in train] == pytest.approx([h["train_loss"] for h in history], rel=1e-6)
    assert tb_events.scalars(mux, run("validation"), "test/accuracy") == [(final["weights_epoch"], pytest.approx(
        final["test_accuracy"], abs=1e-6))]
    lr_steps = [s for s, _ in tb_events.scalars(mux, run("train"), "step/learning_rate")]
    assert lr_steps == list(range(every, epochs * steps_per_epoch + 1, every))  # the step axis
    values, status, experiment = tb_events.hparams(mux, run("validation"))
    assert status == "STATUS_SUCCESS" and not experiment  # TensorBoard infers the columns from all runs
    recipe = json.loads((run_dir / "recipe.json").read_text())
    assert values["Seed"] == str(recipe["seed"]) and values["optimizer"] == recipe["optimizer"]["name"]
    assert "seed" not in values  # once, among the run's identity, which TensorBoard lists before the rest
    assert values["optimizer.lr"] == pytest.approx(recipe["optimizer"]["lr"])
    text = tb_events.texts(mux, run("train"))
    assert json.loads(text["recipe/text_summary"].strip("`\n")) == recipe
    assert "Layer (type)" in text["model/text_summary"]
    return values


@pytest.mark.parametrize("given,expected", [(None, "18"), ("8", "8")])
def test_importing_framework_first_lets_openblas_threads_sleep_unless_told_otherwise(given, expected, repo_root):
    """framework sets OPENBLAS_THREAD_TIMEOUT before NumPy loads (docs/benchmarks.md measures why), keeping a value
    the user set."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if given:
        env["OPENBLAS_THREAD_TIMEOUT"] = given
    code = textwrap.dedent("""
        import os, sys
        class Spy:  # prints the variable at the moment NumPy starts loading, which is when OpenBLAS reads it
            def find_spec(self, name, path=None, target=None):
                if name == "numpy":
                    print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"))
        sys.meta_path.insert(0, Spy())
        import framework
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, env=env, capture_output=True, text=True)
    assert out.stdout.split() == [expected], out.stderr


def test_one_epoch_is_said_in_the_singular(tmp_path, repo_root, capsys):
    from framework.run import main
    assert main([str(repo_root / "recipes" / "iris_adam.py"), "--set", "epochs=1", "--set", "loggers=[]",
                 "--logdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert " s over 1 epoch\n" in out and "1 epochs" not in out


def test_a_resumed_run_shows_one_test_point(tmp_path, repo_root, capsys):
    """README promises the test figure as one point at the epoch of its weights; after --resume --epochs the earlier
    end's point would have made a line from it to the new one."""
    from framework.run import main
    args = [str(repo_root / "recipes" / "digits_adam.py"), "--set", "epochs=2", "--set", "callbacks=['checkpoint']"]
    assert main([*args, "--logdir", str(tmp_path), "--name", "r"]) == 0
    run_dir = tmp_path / "digits_adam" / "r"
    assert main(["--resume", str(run_dir), "--epochs", "4"]) == 0
    capsys.readouterr()
    mux = tb_events.load(run_dir)
    final = json.loads((run_dir / "summary.json").read_text())["final"]
    assert tb_events.scalars(mux, "validation", "test/accuracy") == [(4, pytest.approx(final["test_accuracy"]))]
    assert [s for s, _ in tb_events.scalars(mux, "validation", "epoch/accuracy")] == [1, 2, 3, 4]  # all kept
    values, status, _ = tb_events.hparams(mux, "validation")
    assert values is not None and status == "STATUS_SUCCESS"
