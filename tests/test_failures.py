"""Failures never pass as success: each class of bad input or fault gives one clear line, the documented exit
code (0 completed, 1 failed or diverged, 2 usage or recipe error, 130 interrupted), no traceback, and no
half-written run."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from framework import checkpoint as ckpt
from framework import registry
from framework.run import main as run_main

DIGITS = ["--set", "dataset='digits'", "--set", "loggers=[]", "--set", "model.hidden=[16]"]


def run(args, capsys, tmp_path):
    code = run_main([*args, "--logdir", str(tmp_path / "logs")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def runs(tmp_path):
    return sorted(p for p in (tmp_path / "logs").rglob("*") if p.is_dir()) if (tmp_path / "logs").exists() else []


@pytest.fixture
def digits(repo_root):
    return str(repo_root / "recipes" / "digits_adam.py")


def test_divergence_stops_training_and_is_reported(digits, capsys, tmp_path):
    code, _, err = run([digits, *DIGITS, "--set", 'optimizer={"name": "sgd", "lr": 1e20}', "--set",
                        "callbacks=['checkpoint']", "--name", "nan"], capsys, tmp_path)
    assert code == 1
    assert err.startswith("error: training diverged: the training loss is nan at epoch 1, step ") and "lr" in err
    assert len(err.strip().splitlines()) == 1
    run_dir = tmp_path / "logs" / "digits_adam" / "nan"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged"]["epoch"] == 1 and summary["diverged"]["step"] >= 1
    for f in (run_dir / "checkpoints").glob("*.npz"):  # nothing non-finite was saved
        _meta, arrays = ckpt.read(f)
        assert all(np.isfinite(v).all() for k, v in arrays.items() if k.startswith("model/"))


def test_divergence_in_parameters_is_caught_at_the_end_of_the_epoch(tmp_path):
    from test_trainer import make_trainer

    from framework import Callback, Diverged

    class Poison(Callback):
        def on_step_end(self, trainer, state):
            if state.step == 1:
                trainer.model.params[0].value[0, 0] = np.inf  # no batch follows in this epoch

    t = make_trainer([Poison()], epochs=2, batch_size=100)  # one batch per epoch
    with pytest.raises(Diverged, match=r"parameter dense0.W is not finite at epoch 1, step 1"):
        t.fit()


@pytest.mark.parametrize("setting, message", [
    ("optimizer.lr=1e400", "key 'optimizer.lr': expected a finite number, got inf"),
    ("optimizer.lr='abc'", "key 'optimizer.lr': expected float, got 'abc' (str)"),
    ("optimizer.beta1=True", "key 'optimizer.beta1': expected float, got True (a bool)"),
    ("callbacks=[{'name': 'checkpoint', 'every': 1.5}]", "key 'callbacks.checkpoint.every': expected int, got 1.5"),
    ("dataset.test_size=2.0", "key 'dataset.test_size': expected a fraction in (0, 1) or a whole count in 1..1796, "
                              "got 2.0"),
    ("dataset.test_size=0", "key 'dataset.test_size': expected a fraction in (0, 1) or a whole count"),
    ("dataset.val_size=1.0", "key 'dataset.val_size': expected a fraction in (0, 1)"),
    ("dataset.val_size=100000", "key 'dataset.val_size': expected a fraction in (0, 1) or a whole count in "
                                "1..1437, got 100000"),
    ("loss='mse'", "key 'loss': 'mse' is a loss for regression tasks, but dataset 'digits' is multiclass; use 'auto'"),
    ("loss='binary_cross_entropy'", "key 'loss': 'binary_cross_entropy' is a loss for binary tasks"),
    ("callbacks=[{'name': 'checkpoint', 'monitor': 'val_acc'}]",
     "checkpoint: monitor 'val_acc' is not a metric of this run (did you mean 'val_accuracy'?); available: train_loss"),
    ("regularizers=[{'name': 'early_stopping', 'monitor': 'val_r2'}]", "early_stopping: monitor 'val_r2' is not"),
    ("model.activation_params={'alpha': 0.1}",
         "key 'model.activation_params.alpha': layer 'relu': unknown parameter 'alpha'; accepted: none"),
])
def test_recipe_mistakes_exit_2_before_any_run_directory(digits, capsys, tmp_path, setting, message):
    code, _out, err = run([digits, *DIGITS, "--set", setting], capsys, tmp_path)
    assert code == 2 and message in err, err
    assert err.count("\n") == 1 and runs(tmp_path) == []


def test_bad_numbers_in_a_mnist_split_are_refused(repo_root, capsys, tmp_path):
    code, _, err = run([str(repo_root / "recipes" / "mnist_adam.py"), "--set", "dataset.val_size=5000.0"],
                       capsys, tmp_path)
    assert code == 2 and "key 'dataset.val_size': expected a fraction in (0, 1)" in err
    assert "a float is read as a fraction" in err


@pytest.mark.parametrize("make, message", [
    (lambda t: ["--logdir", str(t / "file")], "exists and is not a folder"),
    (lambda t: ["--logdir", str(t / "file" / "sub")], "exists and is not a folder"),
    (lambda t: ["--logdir", "/proc/npframe-test"], "cannot create /proc/npframe-test"),
    (lambda t: ["--name", "a/b"], "--name 'a/b': expected one folder name"),
    (lambda t: ["--name", ".."], "--name '..': expected one folder name"),
])
def test_unusable_run_folder_is_a_clean_error(digits, capsys, tmp_path, make, message):
    (tmp_path / "file").write_text("x")
    args = make(tmp_path)
    code = run_main([digits, *DIGITS, *args] + ([] if "--logdir" in args else ["--logdir", str(tmp_path / "logs")]))
    _out, err = capsys.readouterr()
    assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1, err
    assert runs(tmp_path) == []


def test_full_disk_keeps_the_last_good_checkpoint(digits, capsys, tmp_path, monkeypatch):
    import errno

    real, calls = ckpt.atomic_write_bytes, []

    def filling(path, data):
        calls.append(path)
        if len(calls) > 2:  # epoch 1's best.npz and last.npz fit; then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(ckpt, "atomic_write_bytes", filling)
    code, _, err = run([digits, *DIGITS, "--set", "callbacks=['checkpoint']", "--set", "epochs=3", "--name", "full"],
                       capsys, tmp_path)
    assert code == 1 and err.count("\n") == 1
    assert "training failed: OSError: No space left on device" in err
    ckpt_dir = tmp_path / "logs" / "digits_adam" / "full" / "checkpoints"
    assert ckpt.read(ckpt_dir / "last.npz")[0]["epoch"] == 1 and not list(ckpt_dir.glob(".*.tmp"))
    assert json.loads((ckpt_dir.parent / "summary.json").read_text())["status"] == "failed"


def test_a_manifest_that_cannot_be_written_is_a_failure_not_a_traceback(digits, capsys, tmp_path, monkeypatch):
    import errno

    import framework.commands.run as run_command

    def full(run_dir):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(run_command, "write_manifest", full)
    code, _, err = run([digits, *DIGITS, "--name", "nomanifest"], capsys, tmp_path)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "manifest.json not written (No space left on device)" in err
    assert not (tmp_path / "logs" / "digits_adam" / "nomanifest" / "manifest.json").exists()  # never reused


def _trained_run(digits, capsys, tmp_path):
    code, _, _ = run([digits, *DIGITS, "--set", "callbacks=['checkpoint']", "--set", "epochs=2", "--name", "r"],
                     capsys, tmp_path)
    assert code == 0
    return tmp_path / "logs" / "digits_adam" / "r"


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_damaged_checkpoint_names_the_file_and_the_other_one(digits, capsys, tmp_path, damage):
    from framework.evaluate import main as evaluate_main

    run_dir = _trained_run(digits, capsys, tmp_path)
    last = run_dir / "checkpoints" / "last.npz"
    data = bytearray(last.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 3] ^= 0x10
    else:
        data = b""
    last.write_bytes(bytes(data))
    for command in (lambda: run_main(["--resume", str(run_dir)]), lambda: evaluate_main([str(run_dir)])):
        assert command() == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"{last}: not a readable checkpoint, the file is damaged" in err
        assert f"{run_dir / 'checkpoints' / 'best.npz'} is intact: use --checkpoint best" in err
    assert evaluate_main([str(run_dir), "--checkpoint", "best"]) == 0
    assert run_main(["--resume", str(run_dir), "--checkpoint", "best", "--epochs", "3"]) == 0  # best: epoch 2


def test_a_runs_recipe_json_repeats_the_run(digits, capsys, tmp_path):
    run_dir = _trained_run(digits, capsys, tmp_path)
    code, out, _ = run([str(run_dir / "recipe.json"), "--name", "again"], capsys, tmp_path)
    assert code == 0 and "digits_adam/again" in out
    first = json.loads((run_dir / "summary.json").read_text())["final"]
    again = json.loads((run_dir.parent / "again" / "summary.json").read_text())["final"]
    assert first == again
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run([str(tmp_path / "bad.json")], capsys, tmp_path)
    assert code == 2 and "bad.json: cannot read the recipe as JSON" in err


def test_comparison_rejects_zero_seeds_and_workers(repo_root):
    comp = str(repo_root / "recipes" / "compare" / "digits_quick.py")
    for flag in ("--seeds", "--workers"):
        out = subprocess.run([sys.executable, "-m", "framework.compare", comp, flag, "0"], capture_output=True,
                             text=True)
        assert out.returncode == 2 and f"{flag}: expected a positive integer, got '0'" in out.stderr


def test_comparison_shows_diverged_runs(tmp_path, repo_root):
    (tmp_path / "c.py").write_text(textwrap.dedent(f"""
        comparison = {{"base": {str(repo_root / "recipes" / "digits_adam.py")!r},
                      "set": {{"loggers": [], "epochs": 2, "model.hidden": [16]}},
                      "variants": {{"ok": {{}}, "wild": {{"optimizer": {{"name": "sgd", "lr": 1e20}}}}}}}}
    """))
    out = subprocess.run([sys.executable, "-m", "framework.compare", str(tmp_path / "c.py"), "--logdir",
                          str(tmp_path), "--workers", "1"], capture_output=True, text=True)
    assert out.returncode == 1 and "wild seed 0: diverged" in out.stdout
    md = (tmp_path / "c" / "results.md").read_text()
    assert "| wild | diverged: Diverged: the training loss is nan at epoch 1" in md


def test_disabled_plugin_is_named_as_disabled(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_DISABLE_PLUGINS", "adam,l2")
    with pytest.raises(registry.PluginError, match=r"'adam' is disabled by the environment variable "
                                                   r"FRAMEWORK_DISABLE_PLUGINS='adam,l2'"):
        registry.get("optimizers", "adam")
    with pytest.raises(registry.PluginError, match=r"unknown optimizers plugin 'adamm'"):
        registry.get("optimizers", "adamm")


def test_malformed_entry_point_lines_are_skipped_with_a_warning(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    info = site / "tmp_malformed-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tmp-malformed\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[framework.optimizers]\nno equals sign here\nfancy = tmpplug_ok:Fancy\n"
                                           "[console_scripts]\nbroken line of another tool\n")
    (site / "tmpplug_ok.py").write_text("from plugins.optimizers import SGD as Fancy\n")
    monkeypatch.syspath_prepend(str(site))
    import importlib

    importlib.invalidate_caches()
    with pytest.warns(RuntimeWarning, match=r"distribution 'tmp-malformed': entry_points.txt line 2 in "
                                            r"\[framework.optimizers\] is malformed"):
        found = registry.available("optimizers")
    assert {"fancy", "adam"} <= set(found)
    from framework.plugins import main as plugins_main

    assert plugins_main([]) == 0
    assert "Traceback" not in capsys.readouterr().err


def _child(tmp_path, code: str, *args, env=None):
    """A python -m framework.run child with a plugin package (a callback that signals its own process)."""
    site = tmp_path / "site"
    info = site / "tmp_signal-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tmp-signal\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[framework.callbacks]\nsignal_at = tmpplug_signal:SignalAt\n"
                                           "[framework.datasets]\nslow_start = tmpplug_signal:slow_start\n")
    (site / "tmpplug_signal.py").write_text(textwrap.dedent(code))
    env = dict(os.environ, PYTHONPATH=str(site), **(env or {}))
    return subprocess.run([sys.executable, "-m", "framework.run", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


SIGNALS = """
    import os, signal
    from framework import Callback

    class SignalAt(Callback):
        def __init__(self, step: int = 1, sig: str = "SIGINT"):
            self.step, self.sig = step, getattr(signal, sig)
        def on_batch_end(self, trainer, state):
            if state.step == self.step:
                os.kill(os.getpid(), self.sig)

    def slow_start():
        os.kill(os.getpid(), signal.SIGINT)
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_interrupt_before_the_first_checkpoint(digits, tmp_path, sig):
    out = _child(tmp_path, SIGNALS, digits, *DIGITS, "--set", f"callbacks=['checkpoint', {{'name': 'signal_at', "
                 f"'step': 3, 'sig': '{sig}'}}]", "--name", "early")
    run_dir = tmp_path / "logs" / "digits_adam" / "early"
    assert out.returncode == 130 and "Traceback" not in out.stderr, out.stderr
    assert "interrupted after 0 of 30 epochs; no checkpoint was written yet (it stopped before its first epoch " \
           "ended); start it again with: python -m framework.run logs/digits_adam/early/recipe.json" in out.stderr
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    again = _child(tmp_path, SIGNALS, "--resume", str(run_dir))
    assert again.returncode == 2 and "no checkpoint was written yet" in again.stderr


def test_interrupt_after_a_checkpoint_prints_the_resume_command(digits, tmp_path):
    out = _child(tmp_path, SIGNALS, digits, *DIGITS, "--set", "callbacks=['checkpoint', {'name': 'signal_at', "
                 "'step': 50, 'sig': 'SIGTERM'}]", "--set", "batch_size=64", "--name", "later")
    run_dir = tmp_path / "logs" / "digits_adam" / "later"
    assert out.returncode == 130 and "Traceback" not in out.stderr
    assert "resume it with: python -m framework.run --resume logs/digits_adam/later\n" in out.stderr
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"


def test_interrupt_during_start_up_is_one_line(tmp_path):
    (tmp_path / "r.py").write_text("recipe = {'dataset': 'slow_start', 'loggers': []}")
    out = _child(tmp_path, SIGNALS, str(tmp_path / "r.py"))
    assert out.returncode == 130 and out.stderr.strip() == "interrupted", out.stderr
    assert not any((tmp_path / "logs").rglob("recipe.json"))


def test_warm_up_never_exceeds_the_base_rate():
    from test_schedulers import fake_trainer

    from framework import State

    sched = registry.get("schedulers", "constant")(warmup_epochs=0.25)
    t = fake_trainer(lr=0.1, n=100, batch_size=10)  # W = 0.25 x 10 = 2.5 steps: not whole
    sched.on_fit_begin(t, State())
    lrs = []
    for step in range(6):
        sched.on_batch_begin(t, State(step=step))
        lrs.append(t.optimizer.lr)
    assert lrs == pytest.approx([0.1 / 2.5, 0.1 * 2 / 2.5, 0.1, 0.1, 0.1, 0.1])  # step 2 was 0.12 before
    assert max(lrs) <= 0.1


def test_wine_with_a_fractional_warm_up_stays_at_or_below_the_base_rate(repo_root):
    from framework.build import build
    from framework.recipe import resolve

    seen = []
    trainer = build(resolve(str(repo_root / "recipes" / "wine_adam.py"),
                            ["scheduler={'name': 'constant', 'warmup_epochs': 0.25}", "loggers=[]", "callbacks=[]",
                             "epochs=2"]))
    step = trainer.optimizer.step
    trainer.optimizer.step = lambda: (seen.append(trainer.optimizer.lr), step())
    trainer.fit()
    base = trainer.callbacks.callbacks[0].base_lr
    assert max(seen) == base and seen[0] < base and len(seen) == 2 * trainer.steps_per_epoch


def test_no_training_batch_of_one():
    from test_trainer import make_trainer

    from framework import Callback
    from plugins.layers import BatchNorm

    sizes = []

    class Sizes(Callback):
        def on_batch_begin(self, trainer, state):
            sizes.append(len(state.batch.y))

    t = make_trainer([Sizes()], epochs=1, batch_size=33, norm="batch")  # 100 = 3 x 33 + 1
    t.fit()
    assert sizes == [33, 33, 34] and t.steps_per_epoch == 3 == t.state.step
    assert make_trainer(batch_size=100).steps_per_epoch == 1 and make_trainer(batch_size=101).steps_per_epoch == 1
    bn = BatchNorm()
    bn.build((3,), None, np.float32)
    with pytest.raises(ValueError, match="a training batch of one example has no batch statistics"):
        bn.forward(np.ones((1, 3), np.float32))
    bn.training = False
    assert bn.forward(np.ones((1, 3), np.float32)).shape == (1, 3)  # evaluation of one example is fine


def test_batch_norm_with_batch_size_one_is_a_recipe_error(digits, capsys, tmp_path):
    code, _, err = run([digits, *DIGITS, "--set", "model.norm='batch'", "--set", "batch_size=1"], capsys, tmp_path)
    assert code == 2 and "batch_size 1 with BatchNorm (bn0): it needs batches of at least 2 examples" in err
    assert runs(tmp_path) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_accurate_in_both_tails(dtype):
    from scipy.special import expit

    from framework.layers import sigmoid

    x = np.linspace(-80, 40, 100_001).astype(dtype)
    ref = expit(x.astype(np.float64))
    got = sigmoid(x)
    assert got.dtype == dtype
    normal = ref > np.finfo(dtype).tiny
    assert np.max(np.abs(got[normal] - ref[normal]) / ref[normal]) < 4 * np.finfo(dtype).eps
    assert sigmoid(np.array([-17.5], dtype))[0] > 0  # was exactly 0 in float32


def test_softmax_backward_can_be_called_twice():
    from framework import SoftmaxCrossEntropy

    loss = SoftmaxCrossEntropy()
    z = np.random.default_rng(0).standard_normal((5, 4))
    loss.forward(z, np.array([0, 1, 2, 3, 0]))
    first = loss.backward().copy()
    np.testing.assert_array_equal(loss.backward(), first)


@pytest.fixture
def small_mount(tmp_path):
    """A real 300 KB filesystem (tmpfs), where this machine lets the tests mount one (as root in CI)."""
    where = tmp_path / "mnt"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and mount (CI has both)")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_really_full_disk_and_a_read_only_mount(digits, small_mount, tmp_path):
    args = [sys.executable, "-m", "framework.run", digits, *DIGITS, "--set", "callbacks=['checkpoint']",
            "--set", "model.hidden=[256, 256]", "--set", "epochs=4", "--logdir", str(small_mount / "logs")]
    out = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    assert "training failed: OSError: No space left on device" in out.stderr
    assert not list(small_mount.rglob("*.tmp"))  # no half-written file left behind
    for f in small_mount.rglob("*.npz"):
        ckpt.read(f)  # whatever checkpoint exists is whole
    subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], check=True)
    out = subprocess.run([*args[:-2], "--logdir", str(small_mount / "other")], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr == (f"error: --logdir {small_mount / 'other'}: cannot create "
                                                  f"{small_mount / 'other'} (Read-only file system)\n")
