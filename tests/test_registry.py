"""The entry-point registry, with temporary distributions placed on sys.path."""
import subprocess
import sys
import warnings

import pytest

from framework import plugins as plugins_cli
from framework import registry
from framework.registry import PluginError

GOOD = """
from framework import Optimizer
class Fancy(Optimizer):
    def __init__(self, params, lr=0.1):
        super().__init__(params, lr)
    def step(self):
        pass
"""


def test_builtins_are_listed_with_their_distribution():
    opts = registry.available("optimizers")
    assert {"sgd", "adam"} <= set(opts)
    assert opts["adam"].dist == "npframe"
    assert registry.available("framework.datasets")["mnist"].target == "plugins.datasets.mnist:mnist"


def test_listing_does_not_import(make_dist):
    make_dist("tmp-lazy", {"framework.optimizers": {"lazy": "tmpplug_lazy:Fancy"}},
              {"tmpplug_lazy": "raise RuntimeError('imported too early')"})
    assert "lazy" in registry.available("optimizers")
    assert "tmpplug_lazy" not in sys.modules


def test_third_party_plugin_loads(make_dist):
    make_dist("tmp-good", {"framework.optimizers": {"fancy": "tmpplug_good:Fancy"}}, {"tmpplug_good": GOOD})
    info = registry.info("optimizers", "fancy")
    assert info.dist == "tmp-good"
    assert registry.get("optimizers", "fancy").__name__ == "Fancy"


def test_unknown_name_lists_available_and_closest():
    with pytest.raises(PluginError) as e:
        registry.get("optimizers", "adm")
    msg = str(e.value)
    assert "'adm'" in msg and "did you mean 'adam'" in msg and "sgd" in msg


def test_unknown_group():
    with pytest.raises(PluginError, match="unknown plugin group 'optimisers'"):
        registry.available("optimisers")


def test_broken_plugin_warns_and_rest_work(make_dist, capsys):
    make_dist("tmp-broken", {"framework.optimizers": {"broken": "tmpplug_broken:Nope"}},
              {"tmpplug_broken": "import no_such_module_xyz"})
    with pytest.raises(PluginError, match=r"tmp-broken.*ModuleNotFoundError"):
        registry.get("optimizers", "broken")
    assert registry.get("optimizers", "adam").__name__ == "Adam"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert plugins_cli.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out.split("broken", 1)[1].splitlines()[0] and "adam" in out
    assert any("tmp-broken" in str(x.message) and "broken" in str(x.message) for x in w)


def test_duplicate_name_names_both_distributions(make_dist):
    make_dist("tmp-dup", {"framework.optimizers": {"adam": "tmpplug_dup:Fancy"}}, {"tmpplug_dup": GOOD})
    with pytest.raises(PluginError) as e:
        registry.available("optimizers")
    assert "'npframe'" in str(e.value) and "'tmp-dup'" in str(e.value)


def test_disable_switch(make_dist, monkeypatch):
    make_dist("tmp-dup2", {"framework.optimizers": {"adam": "tmpplug_dup2:Fancy"}}, {"tmpplug_dup2": GOOD})
    monkeypatch.setenv("FRAMEWORK_DISABLE_PLUGINS", "adam")
    assert "adam" not in registry.available("optimizers")


def test_check_params():
    def f(params, lr=0.1, beta=0.9):
        pass
    registry.check_params(f, {"lr": 1}, "optimizer", skip=1)
    with pytest.raises(TypeError, match=r"unknown parameter 'lrr'.*did you mean 'lr'.*accepted: lr, beta"):
        registry.check_params(f, {"lrr": 1}, "optimizer", skip=1)


def test_plugins_cli_lists_builtins():
    out = subprocess.run([sys.executable, "-m", "framework.plugins", "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for line in ("framework.optimizers", "adam", "framework.datasets", "mnist", "digits", "tensorboard", "progress"):
        assert line in out.stdout
    assert "npframe" in out.stdout
