"""Checkpoints: contents without pickle, exact resume after SIGKILL mid-epoch, evaluate CLI, bad files."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from framework import checkpoint as ckpt
from framework.evaluate import confusion_matrix

KILLER = """
import os, signal
from pathlib import Path
from framework import Callback

class Killer(Callback):
    '''SIGKILLs its own process at step `at_step`, once: the marker file records that it happened.'''
    def __init__(self, at_step, marker):
        self.at_step, self.marker = at_step, Path(marker)
    def on_batch_end(self, trainer, state):
        if state.step == self.at_step and not self.marker.exists():
            self.marker.write_text("killed")
            os.kill(os.getpid(), signal.SIGKILL)
"""


def recipe_text(marker):
    return f"""
recipe = {{
    "dataset": "digits",
    "model": {{"hidden": [32, 16], "activation": "relu", "norm": "batch"}},
    "optimizer": {{"name": "adamw", "lr": 3e-3}},
    "scheduler": {{"name": "cosine", "warmup_epochs": 1}},
    "regularizers": [{{"name": "dropout", "rate": 0.2}}, {{"name": "l2", "lam": 1e-4}},
                     {{"name": "early_stopping", "patience": 100}}],
    "augmentations": [{{"name": "noise", "std": 0.05}}, {{"name": "shift", "max_shift": 1}}],
    "callbacks": ["checkpoint", {{"name": "killer", "at_step": 50, "marker": {str(marker)!r}}}],
    "loggers": ["tensorboard"],
    "epochs": 5, "batch_size": 64, "seed": 7,
}}
"""


def run(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "framework.run", *args], env=env, cwd=cwd,
                          capture_output=True, text=True)


def test_resume_after_sigkill_is_bit_exact(tmp_path, make_dist):
    site = make_dist("tmp-killer", {"framework.callbacks": {"killer": "tmpplug_killer:Killer"}},
                     {"tmpplug_killer": KILLER})
    env = dict(os.environ, PYTHONPATH=str(site))
    for name in ("straight", "killed"):
        marker = tmp_path / f"{name}.marker"
        if name == "straight":
            marker.write_text("never kill")
        (tmp_path / f"{name}.py").write_text(recipe_text(marker))

    a = run([str(tmp_path / "straight.py"), "--logdir", str(tmp_path / "logs"), "--name", "a"], env, tmp_path)
    assert a.returncode == 0, a.stderr
    b = run([str(tmp_path / "killed.py"), "--logdir", str(tmp_path / "logs"), "--name", "b"], env, tmp_path)
    assert b.returncode == -9, b.stderr  # died of SIGKILL in epoch 3 (21 steps per epoch)
    run_b = tmp_path / "logs" / "killed" / "b"
    meta, _ = ckpt.read(run_b / "checkpoints" / "last.npz")
    assert meta["epoch"] == 2 and meta["step"] == 42
    assert not (run_b / "summary.json").exists()
    assert not [p for p in (run_b / "checkpoints").iterdir() if p.suffix != ".npz"]  # no half-written file

    c = run(["--resume", str(run_b)], env, tmp_path)
    assert c.returncode == 0, c.stderr
    assert "resuming" in c.stdout and "after epoch 2 of 5" in c.stdout

    ma, xa = ckpt.read(tmp_path / "logs" / "straight" / "a" / "checkpoints" / "last.npz")
    mb, xb = ckpt.read(run_b / "checkpoints" / "last.npz")
    assert sorted(xa) == sorted(xb)
    for k in xa:
        if k != "meta":
            assert np.array_equal(xa[k], xb[k]), k  # parameters, BN statistics, optimizer moments, ...
    assert any(k.startswith("model/bn0.running_mean") for k in xa)
    assert ma["rng"] == mb["rng"] and ma["step"] == mb["step"] == 5 * 21
    sa = json.loads((tmp_path / "logs" / "straight" / "a" / "summary.json").read_text())
    sb = json.loads((run_b / "summary.json").read_text())
    assert sa["final"] == sb["final"]
    assert [h["train_loss"] for h in sa["history"]] == [h["train_loss"] for h in sb["history"]]

    ev = subprocess.run([sys.executable, "-m", "framework.evaluate", str(run_b), "--checkpoint", "best"],
                        env=env, capture_output=True, text=True)
    assert ev.returncode == 0, ev.stderr
    assert "test_accuracy" in ev.stdout and "confusion matrix" in ev.stdout


def test_checkpoint_needs_no_pickle_and_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad.npz: not a readable checkpoint"):
        ckpt.read(bad)
    # an object array (needs pickle) must not load
    np.savez(tmp_path / "obj.npz", meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"obj.npz: not a readable checkpoint"):
        ckpt.read(tmp_path / "obj.npz")


def test_resume_errors(tmp_path, repo_root):
    out = run(["--resume", str(tmp_path)], dict(os.environ), tmp_path)
    assert out.returncode == 2 and "not a run directory (no recipe.json)" in out.stderr
    (tmp_path / "recipe.json").write_text(json.dumps({"dataset": "digits", "loggers": []}))
    out = run(["--resume", str(tmp_path)], dict(os.environ), tmp_path)
    assert out.returncode == 2
    assert "checkpoints/last.npz: no such checkpoint; its recipe has no 'checkpoint'" in out.stderr
    assert f"start it again with: python -m framework.run {tmp_path / 'recipe.json'}" in out.stderr
    out = run([str(repo_root / "recipes" / "digits_adam.py"), "--resume", str(tmp_path)], dict(os.environ), tmp_path)
    assert out.returncode == 2 and "give a RECIPE" in out.stderr


def test_confusion_matrix():
    cm = confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
