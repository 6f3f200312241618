"""A network that trains is one every command can use: its output is checked against the dataset and every layer's
real output against its declared shape when the model is built; a plugin that fails is one line naming it; one
rule decides which plugins may change the network."""
import importlib.metadata as md

import pytest

from framework import registry
from framework.build import build_model
from framework.recipe import resolve
from framework.run import main as run_main

QUICK = ["--set", "loggers=[]", "--set", "callbacks=['checkpoint']", "--set", "dataset.limit=200", "--set", "epochs=1"]


def run(args, tmp_path, capsys):
    code = run_main([*args, "--logdir", str(tmp_path / "logs")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def refused(repo_root, tmp_path, capsys, recipe, *sets):
    """Run a recipe that must be refused before training: exit 2, one line, no run folder; return the line."""
    code, out, err = run([str(repo_root / "recipes" / recipe), *QUICK, *sets], tmp_path, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, (code, out, err)
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").rglob("*.json"))
    assert "run directory" not in out
    return err


def seq(*layers):
    return f"model={{'name': 'sequential', 'layers': {list(layers)!r}}}"


@pytest.mark.parametrize("recipe, units, needs", [
    ("digits_adam.py", 16, "needs (10,): 10 outputs, one per class"),
    ("digits_adam.py", 5, "needs (10,): 10 outputs, one per class"),
    ("breast_cancer_sigmoid.py", 2, "needs (1,): 1 output, the logit of the positive class"),
    ("diabetes_mse.py", 3, "needs (1,): 1 output, one per target"),
])
def test_an_output_that_does_not_fit_the_dataset_is_refused_before_training(repo_root, tmp_path, capsys, recipe,
                                                                            units, needs):
    err = refused(repo_root, tmp_path, capsys, recipe, "--set", seq("flatten", {"name": "dense", "units": units}))
    assert f"key 'model': the network's output is ({units},) per example" in err and needs in err, err
    assert "{'name': 'dense', 'units': 'outputs'}" in err


LIARS = {"tmpplug_liar": """
    import numpy as np
    from framework import Layer, Param

    class Liar(Layer):
        '''Declares 10 features, returns 20.'''
        def build(self, input_shape, rng, dtype):
            return (10,)
        def forward(self, x):
            return np.zeros((len(x), 20), x.dtype)
        def backward(self, grad, need_input_grad=True):
            return grad

    class BadBuild(Layer):
        def build(self, input_shape, rng, dtype):
            return {}["missing"]

    class BadInit(Layer):
        def __init__(self, size: int = 3):
            raise RuntimeError("cannot start")

    def builder_raises(input_shape, n_outputs):
        raise KeyError("oops")

    def builder_returns_text(input_shape, n_outputs):
        return "dense"
    """}


@pytest.fixture
def liars(make_dist):
    make_dist("tmpplug-liar", {
        "framework.layers": {"liar": "tmpplug_liar:Liar", "bad_build": "tmpplug_liar:BadBuild",
                             "bad_init": "tmpplug_liar:BadInit"},
        "framework.models": {"raises": "tmpplug_liar:builder_raises", "text": "tmpplug_liar:builder_returns_text"}},
        LIARS)


@pytest.mark.parametrize("model, message", [
    # a layer whose forward disagrees with its build, at the end (it would train as a 20-class model) ...
    (seq("flatten", {"name": "dense", "units": 10}, "liar"),
     "layer liar0 (Liar) declared output (10,) per example (its build's return), but its forward returned (20,)"),
    # ... and in the middle (a bare matmul error at the first step)
    (seq("flatten", "liar", {"name": "dense", "units": "outputs"}),
     "layer liar0 (Liar) declared output (10,) per example (its build's return), but its forward returned (20,)"),
    (seq("flatten", {"name": "residual", "layers": ["liar", {"name": "dense", "units": 64}]}, {"name": "dense",
                                                                                              "units": "outputs"}),
     "layer residual0.liar0 (Liar) declared output (10,) per example (its build's return), but its forward returned "
     "(20,)"),
    (seq("flatten", "bad_build"), "layer badbuild0 (BadBuild) given (64,): its build raised KeyError: 'missing'"),
    (seq("flatten", "bad_init"), "key 'model.layers[1]': layers plugin 'bad_init' (entry point tmpplug_liar:BadInit, "
                                 "distribution 'tmpplug-liar') raised RuntimeError: cannot start"),
    ("model={'name': 'raises'}", "key 'model': models plugin 'raises' (entry point tmpplug_liar:builder_raises, "
                                 "distribution 'tmpplug-liar') raised KeyError: 'oops'"),
    ("model={'name': 'text'}", "key 'model': plugin 'text' returned str, expected a framework.Sequential"),
    (seq("flatten", {"name": "dense", "units": 10 ** 9}, {"name": "dense", "units": "outputs"}),
     "layer dense0 (Dense) given (64,): weights of shape (64, 1000000000) would need 953.7 GiB"),
    (seq("flatten", {"name": "dropout", "rate": "outputs"}, {"name": "dense", "units": "outputs"}),
     "key 'model.layers[1].rate': was given \"outputs\" (the dataset's output width, 10), but expected a value in "
     "[0, 1), got 10"),
])
def test_plugin_mistakes_are_one_line_naming_the_plugin(liars, repo_root, tmp_path, capsys, model, message):
    err = refused(repo_root, tmp_path, capsys, "digits_adam.py", "--set", model)
    assert message in err, err


def test_set_by_layer_name_refuses_a_name_several_layers_share(repo_root, tmp_path, capsys):
    two = seq({"name": "conv2d", "filters": 8}, "relu", {"name": "conv2d", "filters": 8}, "flatten",
              {"name": "dense", "units": "outputs"})
    err = refused(repo_root, tmp_path, capsys, "digits_adam.py", "--set", two, "--set",
                  "model.layers.conv2d.filters=4")
    assert ("key 'model.layers.conv2d': 2 list items are 'conv2d' (at 0, 2); name one by its index: "
            "model.layers.0 or model.layers.2") in err, err
    err = refused(repo_root, tmp_path, capsys, "digits_adam.py", "--set", "regularizers=['l2', 'l2']", "--set",
                  "regularizers.l2.lam=0.1")
    assert "2 list items are 'l2'" in err
    recipe = resolve(str(repo_root / "recipes" / "digits_adam.py"), [two, "model.layers.2.filters=4"])
    assert [layer.get("filters") for layer in recipe["model"]["layers"] if isinstance(layer, dict)][:2] == [8, 4]


NETWORK_CHANGERS = {"tmpplug_changer": """
    from framework import Callback
    from plugins.layers import Dropout

    class Changer(Callback):
        def transform_model(self, model):
            model.layers.insert(1, Dropout(0.0))
    """}


@pytest.mark.parametrize("key", ["loggers", "augmentations"])
def test_only_regularizers_and_callbacks_may_change_the_network(make_dist, repo_root, tmp_path, capsys, key):
    """A logger that inserted a layer would train one network and serve another (load, predict and export make
    no loggers); one function (build.model_plugins) decides for training and every later command."""
    group = "loggers" if key == "loggers" else "augmentations"
    make_dist("tmpplug-changer", {f"framework.{group}": {"changer": "tmpplug_changer:Changer"}}, NETWORK_CHANGERS)
    err = refused(repo_root, tmp_path, capsys, "digits_adam.py", "--set", f"{key}=['changer']")
    assert (f"key '{key}.changer': {group} plugin 'changer' defines transform_model, but only regularizers and "
            f"callbacks may change the network") in err, err


def test_the_registry_reads_installed_distributions_once(monkeypatch, repo_root):
    calls = []
    real = md.distributions
    monkeypatch.setattr(md, "distributions", lambda: calls.append(1) or real())
    registry.rescan()
    recipe = resolve(str(repo_root / "recipes" / "mnist_cnn_best.py"), [])
    build_model(recipe, {"input_shape": [1, 28, 28], "n_outputs": 10, "task": "multiclass"})
    build_model(recipe, {"input_shape": [1, 28, 28], "n_outputs": 10, "task": "multiclass"})
    assert len(calls) == 1
    registry.rescan()
    registry.available("layers")
    assert len(calls) == 2


def test_a_channels_first_reshape_before_a_convolution_is_refused(repo_root, tmp_path, capsys):
    """docs/plugins.md once said layers receive (C, H, W): a recipe that followed reshape's [1, 28, 28] example would
    have convolved 1 x 28 images with 28 channels without a word."""
    err = refused(repo_root, tmp_path, capsys, "digits_adam.py", "--set",
                  seq("flatten", {"name": "reshape", "shape": [1, 8, 8]}, {"name": "conv2d", "filters": 4}, "flatten",
                      {"name": "dense", "units": "outputs"}))
    assert ("key 'model.layers[1].shape': [1, 8, 8] reads as channels-first (C, H, W), but images inside a model are "
            "(H, W, C): for 8x8 images with 1 channel write [8, 8, 1]") in err, err
    code, _, err = run([str(repo_root / "recipes" / "digits_adam.py"), *QUICK, "--set",
                        seq("flatten", {"name": "reshape", "shape": [8, 8, 1]}, {"name": "conv2d", "filters": 4},
                            "flatten", {"name": "dense", "units": "outputs"})], tmp_path, capsys)
    assert code == 0, err
