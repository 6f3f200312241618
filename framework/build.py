"""Assemble a Trainer from a validated recipe, looking every plugin up in the registry; and `build_model`, the one
function that turns a recipe's model into a network, for training and for every command that uses a run."""
from __future__ import annotations

import numpy as np

from . import registry
from .data import Dataset
from .layers import ChannelsLast, ModelError, Sequential
from .losses import LOSS_FOR_TASK, LOSSES
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
    except ModelError as e:  # a layer or model argument, named from the model down (layers[2].units)
        raise RecipeError(f"{where}: key '{key}.{e.key}': {e.message}") from None
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


def input_shape_of(info: dict) -> tuple[int, ...]:
    """The per-example input shape a dataset description states ((C, H, W) or (features,)); descriptions written
    before it was recorded give it through image_shape and n_features."""
    if info.get("input_shape"):
        return tuple(info["input_shape"])
    return (1, *info["image_shape"]) if info.get("image_shape") else (info["n_features"],)


def model_plugins(recipe: dict, where: str = "<recipe>") -> list:
    """The recipe's regularizers and callbacks that change the network (those with `transform_model`), made."""
    out = []
    for key in ("regularizers", "callbacks"):
        for s in recipe[key]:
            try:
                cls = registry.get(PLUGIN_LIST_KEYS[key], s["name"])
            except registry.PluginError as e:
                raise RecipeError(f"{where}: key '{key}.{s['name']}': {e}") from None
            if hasattr(cls, "transform_model"):
                out.append(make(PLUGIN_LIST_KEYS[key], s, where, f"{key}.{s['name']}"))
    return out


def build_model(recipe: dict, info: dict, where: str = "<recipe>", rng=None, plugins=None) -> Sequential:
    """The network of a validated recipe for a dataset described by `info` (framework.inference.describe): the
    model plugin (`model["name"]`, "mlp" when absent) gives the layers, each plugin with `transform_model`
    (`plugins`, else those of the recipe) changes them, and the layers are built for the dataset's input shape
    with weights drawn from `rng` (image models start with `ChannelsLast`: layers see (H, W, C) images).
    Training, resume, evaluate, load, predict and export all build through here, so every command rebuilds the
    network the run trained."""
    spec = dict(recipe["model"])
    spec.setdefault("name", "mlp")
    shape = input_shape_of(info)
    model = make("models", spec, where, "model", shape, info["n_outputs"])
    if isinstance(model, (list, tuple)):
        model = Sequential(list(model))
    if not isinstance(model, Sequential):
        raise RecipeError(f"{where}: key 'model': plugin {spec['name']!r} returned {type(model).__name__}, "
                          f"expected a framework.Sequential (or a list of layers)")
    for plugin in model_plugins(recipe, where) if plugins is None else plugins:
        if hasattr(plugin, "transform_model"):
            try:
                plugin.transform_model(model)
            except (TypeError, ValueError) as e:
                raise RecipeError(f"{where}: {type(plugin).__name__}.transform_model: {e}") from None
    if len(shape) == 3:  # images: channels-last inside the model (docs/math.md)
        model.layers.insert(0, ChannelsLast())
    try:
        dtype = np.dtype(recipe.get("dtype", "float32"))
        model.build(shape, np.random.default_rng() if rng is None else rng, dtype)
    except (TypeError, ValueError) as e:
        raise RecipeError(f"{where}: key 'model': {e}") from None
    return model


def build_mlp(n_in: int, n_out: int, hidden: list[int], activation: str = "relu", *, rng=None, dtype=np.float32,
              activation_params: dict | None = None, norm: str | None = None) -> Sequential:
    """The `mlp` plugin's network for `n_in` features, built: a shortcut for tests and benchmarks."""
    model = {"hidden": list(hidden), "activation": activation, "activation_params": activation_params, "norm": norm}
    recipe = {"model": model, "dtype": np.dtype(dtype).name, "regularizers": [], "callbacks": []}
    return build_model(recipe, {"input_shape": [n_in], "n_outputs": n_out}, "build_mlp", rng)


def build(recipe: dict, where: str = "<recipe>", run_dir: str | None = None, data: Dataset | None = None) -> Trainer:
    """A ready-to-fit Trainer for a validated recipe (see framework.recipe.validate)."""
    from .inference import describe

    data = load_dataset(recipe, where) if data is None else data
    dtype = np.dtype(recipe["dtype"])
    loss_name = LOSS_FOR_TASK[data.task] if recipe["loss"] == "auto" else recipe["loss"]
    loss_fn = LOSSES[loss_name]()
    if loss_fn.task != data.task:
        raise RecipeError(f"{where}: key 'loss': {loss_name!r} is a loss for {loss_fn.task} tasks, but dataset "
                          f"{data.name!r} is {data.task}; use 'auto' (here {LOSS_FOR_TASK[data.task]!r})")
    callbacks = []
    if recipe["scheduler"] is not None:
        callbacks.append(make("schedulers", recipe["scheduler"], where, "scheduler"))
    for key, group in PLUGIN_LIST_KEYS.items():
        callbacks += [make(group, s, where, f"{key}.{s['name']}") for s in recipe[key]]
    init_rng = np.random.default_rng(np.random.SeedSequence(recipe["seed"]).spawn(2)[0])
    model = build_model(recipe, describe(data), where, init_rng, plugins=callbacks)
    optimizer = make("optimizers", recipe["optimizer"], where, "optimizer", model.params)
    try:
        return Trainer(model, loss_fn, optimizer, data, callbacks=callbacks, epochs=recipe["epochs"],
                       batch_size=recipe["batch_size"], seed=recipe["seed"], dtype=dtype, run_dir=run_dir,
                       recipe=recipe)
    except ValueError as e:  # a callback's setup() rejected the recipe (e.g. image augmentation, tabular data)
        raise RecipeError(f"{where}: {e}") from None
