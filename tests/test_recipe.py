"""Recipes: loading, derivation, --set overrides and their errors."""
import pytest

from framework import recipe as rcp
from framework.build import build
from framework.recipe import RecipeError, resolve


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_default_recipe_loads(repo_root):
    r = rcp.load(repo_root / "recipes" / "mnist_adam.py")
    assert r["optimizer"] == {"name": "adam", "lr": 1e-3}
    assert r["dataset"] == {"name": "mnist"}
    assert set(r) == set(rcp.DEFAULTS)


def test_derive_is_explicit_replacement(tmp_path):
    write(tmp_path, "base.py", "recipe = {'dataset': 'digits', 'optimizer': {'name': 'adam', 'lr': 0.01, 'beta1': 0.8},"
                               " 'regularizers': [{'name': 'l2', 'lam': 1e-4}], 'epochs': 3}")
    write(tmp_path, "child.py", "from framework import derive\n"
                                "recipe = derive('base.py', {'optimizer.lr': 0.5, 'model.hidden': [7],"
                                " 'regularizers.l2.lam': 0.1, 'callbacks+': 'x'})")
    base, child = rcp.load_raw(tmp_path / "base.py"), rcp.load_raw(tmp_path / "child.py")
    assert child["optimizer"] == {"name": "adam", "lr": 0.5, "beta1": 0.8}
    assert child["model"] == {"hidden": [7], "activation": "relu"}
    assert child["regularizers"] == [{"name": "l2", "lam": 0.1}]
    assert child["callbacks"] == ["x"]
    assert base["optimizer"]["lr"] == 0.01 and "model" not in base  # the base is untouched
    # replacing a whole key drops the base's parameters: no hidden merging
    write(tmp_path, "swap.py", "from framework import derive\nrecipe = derive('base.py', {'optimizer': 'sgd'})")
    assert rcp.load_raw(tmp_path / "swap.py")["optimizer"] == "sgd"


def test_overrides(tmp_path):
    p = write(tmp_path, "r.py", "recipe = {'dataset': 'digits', 'optimizer': 'adam'}")
    r = resolve(str(p), ["optimizer.lr=0.01", "epochs=3", "model.hidden=[512,256]", "optimizer.name=sgd",
                         "dataset.limit=100", "loggers=[]"])
    assert r["optimizer"] == {"name": "sgd", "lr": 0.01}
    assert r["epochs"] == 3 and r["model"]["hidden"] == [512, 256]
    assert r["dataset"] == {"name": "digits", "limit": 100} and r["loggers"] == []


@pytest.mark.parametrize("override,match", [
    ("epochs", "expected KEY=VALUE"),
    ("epoch=3", "unknown key 'epoch'"),
    ("epochs=-1", "'epochs': expected a positive integer, got -1"),
    ("epochs=2.5", "'epochs': expected a positive integer"),
    ("model.hidden=[1,", "cannot read"),
    ("model.hidden=[0]", "model.hidden"),
    ("model.depth=3", "model.depth"),
    ("dtype=float16", "'dtype': expected 'float32' or 'float64'"),
    ("regularizers.l1.lam=3", "no list item 'l1'"),
    ("epochs.x=3", "holds 10"),
])
def test_bad_overrides(tmp_path, override, match):
    p = write(tmp_path, "r.py", "recipe = {'dataset': 'digits'}")
    with pytest.raises(RecipeError, match=match):
        resolve(str(p), [override])


@pytest.mark.parametrize("text,match", [
    ("recipe = {'dataset': 'digits',", r"r\.py:1: syntax error"),
    ("recipe = {'dataset': 'digits', 'epochz': 3}", r"r\.py: unknown key 'epochz' \(did you mean 'epochs'\?\)"),
    ("recipe = {'batch_size': 'big'}", r"r\.py: key 'batch_size': expected a positive integer, got 'big'"),
    ("recipe = {'optimizer': {'lr': 1}}", r"r\.py: key 'optimizer': expected a plugin name or a dict with a 'name'"),
    ("x = 1", r"r\.py: expected a top-level variable `recipe`"),
    ("recipe = {'model': {'hidden': [8], 'activation': 'relu'}, 'loss': 'hinge'}", r"key 'loss'"),
])
def test_bad_recipe_files(tmp_path, text, match):
    p = write(tmp_path, "r.py", text)
    with pytest.raises(RecipeError, match=match):
        rcp.load(p)


def test_missing_file(tmp_path):
    with pytest.raises(RecipeError, match=r"nope.py: recipe file not found"):
        rcp.load(tmp_path / "nope.py")


@pytest.mark.parametrize("override,match", [
    ("optimizer.name=adamm", r"r\.py: key 'optimizer': unknown optimizers plugin 'adamm'; did you mean 'adam'"),
    ("optimizer.lrr=0.1", r"r\.py: key 'optimizer': optimizer 'adam': unknown parameter 'lrr' \(did you mean 'lr'"),
    ("optimizer.lr=-0.1", r"key 'optimizer.lr': expected a positive number"),
    ("loggers=['tensorbord']", r"key 'loggers.tensorbord': unknown loggers plugin 'tensorbord'; did you mean 'tensor"),
    ("model.activation='relux'", r"key 'model.activation': unknown layers plugin 'relux'; did you mean 'relu'"),
        ("model.activation='flatten'", r"key 'model.activation': layer 'flatten' is not an activation"),
    ("dataset.limit=0", r"key 'dataset.limit'"),
])
def test_bad_plugins_name_file_and_key(tmp_path, override, match):
    p = write(tmp_path, "r.py", "recipe = {'dataset': 'digits', 'loggers': []}")
    with pytest.raises(RecipeError, match=match):
        build(resolve(str(p), [override]), where=str(p))


def test_derive_from_a_prompt_in_the_project_folder(monkeypatch, repo_root):
    from framework import derive

    monkeypatch.chdir(repo_root)  # as `python` started there: the recipes name each other without recipes/
    assert derive("mnist_adam.py", {"epochs": 2})["epochs"] == 2
    assert derive("recipes/mnist_adam.py", {})["optimizer"]["name"] == "adam"
