"""Assemble a Trainer from a validated recipe, looking every plugin up in the registry."""
from __future__ import annotations

import numpy as np

from . import registry
from .data import Dataset
from .losses import LOSS_FOR_TASK, LOSSES
from .model import ModelError, build_mlp
from .recipe import PLUGIN_LIST_KEYS, RecipeError
from .trainer import Trainer


def make(group: str, spec: dict, where: str, key: str, *args):
    """Instantiate plugin `spec["name"]` of `group` with the spec's parameters (after `args`)."""
    params = {k: v for k, v in spec.items() if k != "name"}
    try:
        factory = registry.get(group, spec["name"])
        registry.check_params(factory, params, f"{key} {spec['name']!r}", skip=len(args))
        return factory(*args, **params)
    except registry.PluginError as e:
        raise RecipeError(f"{where}: key {key!r}: {e}") from None
    except registry.ParamError as e:
        raise RecipeError(f"{where}: key '{key}.{e.param}': {e.message}") from None
    except (TypeError, ValueError) as e:  # a message "name: ..." about one of the spec's parameters names its key
        param, sep, rest = str(e).partition(": ")
        if sep and param in params:
            raise RecipeError(f"{where}: key '{key}.{param}': {rest}") from None
        raise RecipeError(f"{where}: key {key!r}: {e}") from None


def load_dataset(recipe: dict, where: str = "<recipe>") -> Dataset:
    spec = dict(recipe["dataset"])
    limit = spec.pop("limit", None)
    data = make("datasets", spec, where, "dataset")
    if not isinstance(data, Dataset):
        raise RecipeError(f"{where}: key 'dataset': plugin {spec['name']!r} returned {type(data).__name__}, "
                          f"expected framework.Dataset")
    if limit is not None:
        if not isinstance(limit, int) or limit < 1:
            raise RecipeError(f"{where}: key 'dataset.limit': expected a positive integer, got {limit!r}")
        data = data.limit(limit)
    return data


def build(recipe: dict, where: str = "<recipe>", run_dir: str | None = None, data: Dataset | None = None) -> Trainer:
    """A ready-to-fit Trainer for a validated recipe (see framework.recipe.validate)."""
    data = load_dataset(recipe, where) if data is None else data
    dtype = np.dtype(recipe["dtype"])
    loss_name = LOSS_FOR_TASK[data.task] if recipe["loss"] == "auto" else recipe["loss"]
    loss_fn = LOSSES[loss_name]()
    if loss_fn.task != data.task:
        raise RecipeError(f"{where}: key 'loss': {loss_name!r} is a loss for {loss_fn.task} tasks, but dataset "
                          f"{data.name!r} is {data.task}; use 'auto' (here {LOSS_FOR_TASK[data.task]!r})")
    m = recipe["model"]
    init_rng = np.random.default_rng(np.random.SeedSequence(recipe["seed"]).spawn(2)[0])
    try:
        model = build_mlp(data.n_features, data.n_outputs, m["hidden"], m["activation"], rng=init_rng, dtype=dtype,
                          activation_params=m.get("activation_params"), norm=m.get("norm"))
    except ModelError as e:  # build_mlp checks the model's arguments and names the one at fault
        raise RecipeError(f"{where}: key 'model.{e.key}': {e.message}") from None
    optimizer = make("optimizers", recipe["optimizer"], where, "optimizer", model.params)
    callbacks = []
    if recipe["scheduler"] is not None:
        callbacks.append(make("schedulers", recipe["scheduler"], where, "scheduler"))
    for key, group in PLUGIN_LIST_KEYS.items():
        callbacks += [make(group, s, where, f"{key}.{s['name']}") for s in recipe[key]]
    try:
        return Trainer(model, loss_fn, optimizer, data, callbacks=callbacks, epochs=recipe["epochs"],
                       batch_size=recipe["batch_size"], seed=recipe["seed"], dtype=dtype, run_dir=run_dir,
                       recipe=recipe)
    except ValueError as e:  # a callback's setup() rejected the recipe (e.g. image augmentation, tabular data)
        raise RecipeError(f"{where}: {e}") from None
