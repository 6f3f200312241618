"""Assemble a Trainer from a validated recipe, looking every plugin up in the registry; and `build_model`, the one
function that turns a recipe's model into a network, for training and for every command that uses a run."""
from __future__ import annotations

import numpy as np

from . import registry
from .data import Dataset, describe
from .layers import ChannelsLast, Layer, ModelError, Sequential
from .losses import LOSS_FOR_TASK, LOSSES, SEQUENCE_LOSS
from .recipe import PLUGIN_LIST_KEYS, RecipeError
from .trainer import Trainer


def make(group: str, spec: dict, where: str, key: str, *args, factory=None):
    """Instantiate plugin `spec["name"]` of `group` (or `factory`, when given) with the spec's parameters (after
    `args`); every mistake is a RecipeError naming `key` or the parameter under it."""
    params = {k: v for k, v in spec.items() if k != "name"}
    try:
        factory = factory or registry.get(group, spec["name"])
        registry.check_params(factory, params, f"{key} {spec['name']!r}", skip=len(args))
        return factory(*args, **params)
    except RecipeError:
        raise
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
    except Exception as e:  # a plugin's own bug: named with its entry point, not a traceback
        raise RecipeError(f"{where}: key {key!r}: {plugin_failed(group, spec['name'], e)}") from None


def plugin_failed(group: str, name: str, e: BaseException) -> str:
    """"<group> plugin 'x' (entry point module:attr, distribution d) raised KeyError: ...": for errors a plugin
    raises that say nothing of the recipe's values."""
    try:
        info = registry.info(group, name)
        origin = f" (entry point {info.target}, distribution {info.dist!r})"
    except registry.PluginError:
        origin = ""
    return f"{group} plugin {name!r}{origin} raised {type(e).__name__}: {e}"


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


NETWORK_KEYS = ("regularizers", "callbacks")  # the recipe keys whose plugins may change the network


def model_plugins(recipe: dict, where: str = "<recipe>", made: dict | None = None) -> list:
    """The plugins that change the network (those with `transform_model`), in recipe order: the one rule training
    and every later command follow. Only regularizers and callbacks may (they are made again when a run is
    used); a scheduler, augmentation or logger with `transform_model` is refused, since `load`, `predict` and
    `export` never make those. `made` maps a recipe key to the plugins training already made for it, in order."""
    out = []
    for key in ("scheduler", *PLUGIN_LIST_KEYS):
        specs = recipe.get(key) or []
        specs = [specs] if isinstance(specs, dict) else specs
        group = "schedulers" if key == "scheduler" else PLUGIN_LIST_KEYS[key]
        for i, s in enumerate(specs):
            try:
                cls = registry.get(group, s["name"])
            except registry.PluginError as e:
                raise RecipeError(f"{where}: key '{key}.{s['name']}': {e}") from None
            if not hasattr(cls, "transform_model"):
                continue
            if key not in NETWORK_KEYS:
                raise RecipeError(f"{where}: key '{key}.{s['name']}': {group} plugin {s['name']!r} defines "
                                  f"transform_model, but only {' and '.join(NETWORK_KEYS)} may change the network "
                                  f"(docs/plugins.md)")
            out.append(made[key][i] if made else make(group, s, where, f"{key}.{s['name']}"))
    return out


def _output_problem(model: Sequential, info: dict) -> str | None:
    """What is wrong with a built network's output for the dataset `info` describes, or None."""
    n = info["n_outputs"]
    need = {"multiclass": f"{n} outputs, one per class (the loss adds the softmax)",
            "binary": "1 output, the logit of the positive class (the loss adds the sigmoid)",
            "regression": f"{n} output{'s' if n != 1 else ''}, one per target"}.get(info.get("task"), f"{n} outputs")
    want = (*info.get("target_shape", ()), n)  # a label per position: (T, n)
    if model.output_shape == want:
        return None
    return (f"the network's output is {model.output_shape} per example, but dataset {info.get('dataset')!r} "
            f"({info.get('task')}{', a label per position' if len(want) > 1 else ''}) needs {want}: {need}; end the "
            f"model with {{'name': 'dense', 'units': 'outputs'}}")


def _dry_run(layer, x: np.ndarray) -> np.ndarray:
    """Run `x` through a built layer, checking that each layer (and each layer inside a container) returns the
    per-example shape its `build` declared; ValueError naming the layer and both shapes otherwise."""
    what = f"layer {layer.name} ({type(layer).__name__})" if layer.name else "the model"
    if isinstance(layer, Sequential):
        y = x.reshape(len(x), *layer.input_shape) if x.shape[1:] != layer.input_shape else x
        for child in layer.layers:
            y = _dry_run(child, y)
        if type(layer) is Sequential:
            return y
    try:
        y = layer.forward(x)
    except Exception as e:
        raise ValueError(f"{what} failed on a batch of its declared input shape {tuple(x.shape[1:])}: "
                         f"{type(e).__name__}: {e}") from None
    if not isinstance(y, np.ndarray) or y.shape != (len(x), *layer.output_shape):
        got = tuple(y.shape[1:]) if isinstance(y, np.ndarray) else type(y).__name__
        raise ValueError(f"{what} declared output {tuple(layer.output_shape)} per example (its build's return), "
                         f"but its forward returned {got}")
    return y


def build_model(recipe: dict, info: dict, where: str = "<recipe>", rng=None, plugins=None) -> Sequential:
    """The network of a validated recipe for a dataset described by `info` (framework.data.describe): the
    model plugin (`model["name"]`, "mlp" when absent) gives the layers, the plugins `model_plugins` allows
    (`plugins`, else made from the recipe) change them, and the layers are built for the dataset's input shape
    with weights drawn from `rng` (image models start with `ChannelsLast`: layers see (H, W, C) images). A dry
    batch then checks every layer's real output shape against its declared one, and the output against the
    dataset. Training, resume, evaluate, load, predict and export all build through here, so every command
    rebuilds the network the run trained."""
    spec = dict(recipe["model"])
    spec.setdefault("name", "mlp")
    shape = input_shape_of(info)
    model = make("models", spec, where, "model", shape, info["n_outputs"])
    if isinstance(model, (list, tuple)) and all(isinstance(layer, Layer) for layer in model):
        model = Sequential(list(model))
    if not isinstance(model, Sequential):
        raise RecipeError(f"{where}: key 'model': plugin {spec['name']!r} returned {type(model).__name__}, "
                          f"expected a framework.Sequential (or a list of framework.Layer)")
    for plugin in model_plugins(recipe, where) if plugins is None else plugins:
        if not hasattr(plugin, "transform_model"):
            continue
        try:
            plugin.transform_model(model)
        except (TypeError, ValueError) as e:
            raise RecipeError(f"{where}: {type(plugin).__name__}.transform_model: {e}") from None
        except Exception as e:
            raise RecipeError(f"{where}: {type(plugin).__name__}.transform_model raised {type(e).__name__}: {e}"
                              ) from None
    if len(shape) == 3:  # images: channels-last inside the model (docs/math.md)
        model.layers.insert(0, ChannelsLast())
    dtype = np.dtype(recipe.get("dtype", "float32"))
    try:
        model.build(shape, np.random.default_rng() if rng is None else rng, dtype)
    except (TypeError, ValueError, MemoryError) as e:
        raise RecipeError(f"{where}: key 'model': {e}") from None
    problem = _output_problem(model, info)
    if problem:
        raise RecipeError(f"{where}: key 'model': {problem}")
    try:
        _dry_run(model.eval(), np.zeros((2, *shape), np.int64 if info.get("tokens") else dtype))
    except ValueError as e:
        raise RecipeError(f"{where}: key 'model': {e}") from None
    finally:
        model.train()
    return model


def build_mlp(n_in: int, n_out: int, hidden: list[int], activation: str = "relu", *, rng=None, dtype=np.float32,
              activation_params: dict | None = None, norm: str | None = None) -> Sequential:
    """The `mlp` plugin's network for `n_in` features, built: a shortcut for tests and benchmarks."""
    model = {"hidden": list(hidden), "activation": activation, "activation_params": activation_params, "norm": norm}
    recipe = {"model": model, "dtype": np.dtype(dtype).name, "regularizers": [], "callbacks": []}
    return build_model(recipe, {"input_shape": [n_in], "n_outputs": n_out}, "build_mlp", rng)


def build(recipe: dict, where: str = "<recipe>", run_dir: str | None = None, data: Dataset | None = None) -> Trainer:
    """A ready-to-fit Trainer for a validated recipe (see framework.recipe.validate)."""
    data = load_dataset(recipe, where) if data is None else data
    dtype = np.dtype(recipe["dtype"])
    spec = dict(recipe["loss"]) if isinstance(recipe["loss"], dict) else {"name": recipe["loss"]}
    per_position = data.task == "multiclass" and data.y_train.ndim == 2
    auto = SEQUENCE_LOSS if per_position else LOSS_FOR_TASK[data.task]
    loss_name = auto if spec["name"] == "auto" else spec["name"]
    loss_fn = make("losses", spec, where, "loss", factory=LOSSES[loss_name])  # a loss with its parameters
    if loss_fn.task != data.task:
        raise RecipeError(f"{where}: key 'loss': {loss_name!r} is a loss for {loss_fn.task} tasks, but dataset "
                          f"{data.name!r} is {data.task}; use 'auto' (here {LOSS_FOR_TASK[data.task]!r})")
    made = {"scheduler": [make("schedulers", recipe["scheduler"], where, "scheduler")] if recipe["scheduler"] else []}
    for key, group in PLUGIN_LIST_KEYS.items():
        made[key] = [make(group, s, where, f"{key}.{s['name']}") for s in recipe[key]]
    callbacks = [c for key in made for c in made[key]]
    init_rng = np.random.default_rng(np.random.SeedSequence(recipe["seed"]).spawn(2)[0])
    model = build_model(recipe, describe(data), where, init_rng, plugins=model_plugins(recipe, where, made))
    optimizer = make("optimizers", recipe["optimizer"], where, "optimizer", model.params)
    try:
        return Trainer(model, loss_fn, optimizer, data, callbacks=callbacks, epochs=recipe["epochs"],
                       batch_size=recipe["batch_size"], seed=recipe["seed"], dtype=dtype, run_dir=run_dir,
                       recipe=recipe)
    except ValueError as e:  # a callback's setup() rejected the recipe (e.g. image augmentation, tabular data)
        raise RecipeError(f"{where}: {e}") from None
