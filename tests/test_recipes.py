"""Every shipped recipe loads, validates, and names only plugins and parameters that exist."""
from pathlib import Path

import pytest

from framework import recipe as rcp
from framework import registry
from framework.recipe import PLUGIN_KEYS, PLUGIN_LIST_KEYS

RECIPES = sorted((Path(__file__).resolve().parents[1] / "recipes").glob("*.py"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_is_valid(path):
    r = rcp.load(path)
    specs = [(PLUGIN_KEYS[k], r[k]) for k in PLUGIN_KEYS if r[k] is not None]
    specs += [(group, s) for k, group in PLUGIN_LIST_KEYS.items() for s in r[k]]
    for group, spec in specs:
        params = {k: v for k, v in spec.items() if k not in ("name", "limit")}
        skip = 1 if group == "optimizers" else 0
        registry.check_params(registry.get(group, spec["name"]), params, f"{path.name}: {spec['name']}", skip=skip)


def test_there_is_a_recipe_per_component():
    names = {p.stem for p in RECIPES}
    for opt in ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adamw"):
        assert f"mnist_{opt}" in names
    for comp in ("l2", "l1", "dropout", "max_norm", "early_stopping", "batchnorm",
                 "shift", "affine", "elastic", "noise", "cutout"):
        assert f"mnist_{comp}" in names
    assert "fashion_mnist_flip" in names  # a mirrored digit is not the same digit; a mirrored shirt is
    assert {"mnist_adam", "digits_adam", "fashion_mnist_adam", "breast_cancer_sigmoid", "diabetes_mse"} <= names
