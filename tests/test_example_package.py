"""The example plugin package (examples/npframe-extras), installed as README.md says, and broken packages."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from framework import registry

installed = importlib.util.find_spec("npframe_extras") is not None
needs_extras = pytest.mark.skipif(not installed and not os.environ.get("CI"),
                                  reason="pip install ./examples/npframe-extras (CI always does)")


@needs_extras
def test_plugins_cli_lists_the_example_package():
    out = subprocess.run([sys.executable, "-m", "framework.plugins", "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("lion", "jsonl", "rotate2d", "two_spirals"):
        line = next(line for line in out.stdout.splitlines() if line.split() and line.split()[0] == name)
        assert "npframe-extras" in line and line.endswith("ok")
    assert registry.info("optimizers", "lion").dist == "npframe-extras"


@needs_extras
def test_example_recipe_uses_all_four_plugins(tmp_path, repo_root):
    recipe = repo_root / "examples" / "npframe-extras" / "recipes" / "spirals_lion.py"
    out = subprocess.run([sys.executable, "-m", "framework.run", str(recipe), "--set", "epochs=15",
                          "--logdir", str(tmp_path), "--name", "x"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    run = tmp_path / "spirals_lion" / "x"
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [rec["epoch"] for rec in lines[:-1]] == list(range(1, 16)) and lines[-1]["split"] == "test"
    assert lines[-1]["test_accuracy"] > 0.85  # two spirals need the hidden layers: a linear model gets ~0.5
    summary = json.loads((run / "summary.json").read_text())
    assert summary["final"]["test_accuracy"] == lines[-1]["test_accuracy"]


def test_broken_package_is_reported_and_builtins_still_work(tmp_path, make_dist, repo_root):
    site = make_dist("tmp-broken-pkg", {"framework.optimizers": {"shiny": "tmpplug_shiny:Shiny"}},
                     {"tmpplug_shiny": "import a_module_that_does_not_exist"})
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-m", "framework.plugins", "--check"], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 1
    assert "shiny" in out.stderr and "tmp-broken-pkg" in out.stderr and "a_module_that_does_not_exist" in out.stderr
    assert "BROKEN" in out.stdout and "adam" in out.stdout
    run = subprocess.run([sys.executable, "-m", "framework.run", str(repo_root / "recipes" / "digits_adam.py"),
                          "--set", "epochs=1", "--logdir", str(tmp_path / "logs")], env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    off = subprocess.run([sys.executable, "-m", "framework.plugins", "--check"],
                         env=dict(env, FRAMEWORK_DISABLE_PLUGINS="shiny"), capture_output=True, text=True)
    assert off.returncode == 0 and "shiny" not in off.stdout
