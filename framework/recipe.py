"""Recipes: Python files that define `recipe`, a dict of plain values and plugin specs (or a run's recorded
recipe.json, to repeat that run exactly).

A plugin spec is a name ("adam") or a dict with "name" and parameters ({"name": "adam", "lr": 1e-3}).
`derive(base, changes)` and `--set KEY=VALUE` share one explicit rule: each dotted key names one place in
the recipe and its value replaces what was there. Nothing is merged. A key ending in "+" appends to a list.
"""
from __future__ import annotations

import ast
import copy
import difflib
import json
import os
import runpy
from pathlib import Path
from typing import Any

from .losses import LOSSES as _LOSS_CLASSES

DEFAULTS: dict[str, Any] = {
    "dataset": "mnist",
    "model": {"hidden": [256, 128], "activation": "relu"},
    "loss": "auto",
    "optimizer": {"name": "adam", "lr": 1e-3},
    "scheduler": None,
    "regularizers": [],
    "augmentations": [],
    "callbacks": [],
    "loggers": ["progress", "tensorboard"],
    "epochs": 10,
    "batch_size": 128,
    "seed": 0,
    "dtype": "float32",
}
# Recipe keys holding one plugin spec, or a list of them, and the registry group each draws from.
PLUGIN_KEYS = {"dataset": "datasets", "optimizer": "optimizers", "scheduler": "schedulers"}
PLUGIN_LIST_KEYS = {"regularizers": "regularizers", "augmentations": "augmentations",
                    "callbacks": "callbacks", "loggers": "loggers"}
# The model without a "name" is the mlp plugin; its keys, checked here as they always were.
MODEL_KEYS = {"hidden": list, "activation": str, "activation_params": dict, "norm": (str, type(None))}
LOSSES = ("auto", *_LOSS_CLASSES)  # "auto": the loss of the dataset's task


class RecipeError(Exception):
    """A recipe problem; the message names the file, the key and what was expected."""


_loading: list[Path] = []  # recipe files being executed (derive() resolves relative paths against the top)


def load(path: str | os.PathLike) -> dict:
    """Execute a recipe file and return its `recipe` dict, filled with defaults and validated."""
    return validate(load_raw(path), str(path))


def load_raw(path: str | os.PathLike) -> dict:
    """Execute a recipe file (or read a recipe.json) and return a copy of its `recipe` dict, without defaults."""
    path = Path(path)
    if not path.is_absolute() and _loading and not path.exists():
        path = _loading[-1].parent / path
    elif not path.is_absolute() and not path.exists() and (Path("recipes") / path).is_file():
        path = Path("recipes") / path  # from a prompt in the project folder, as the recipes name each other
    if path.suffix == ".json":  # a run's recipe.json: data, not code
        try:
            recipe = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise RecipeError(f"{path}: cannot read the recipe as JSON ({e})") from None
        if not isinstance(recipe, dict):
            raise RecipeError(f"{path}: expected a JSON object (a recipe), got {type(recipe).__name__}")
        return recipe
    _loading.append(path.resolve())
    try:
        return copy.deepcopy(run_file(path, "recipe"))
    finally:
        _loading.pop()


def run_file(path: Path, variable: str, error: type[Exception] = RecipeError) -> dict:
    """Execute a Python file (a recipe or a comparison: code, run as it is) and return its top-level
    `variable`, which must be a dict. Every problem is an `error` naming the file."""
    if not path.is_file():
        raise error(f"{path}: {variable} file not found")
    try:
        ns = runpy.run_path(str(path), run_name=f"__{variable}__")
    except RecipeError:
        raise
    except SyntaxError as e:
        raise error(f"{path}:{e.lineno}: syntax error: {e.msg}") from None
    except Exception as e:
        raise error(f"{path}: error while executing the {variable}: {type(e).__name__}: {e}") from None
    if not isinstance(ns.get(variable), dict):
        raise error(f"{path}: expected a top-level variable `{variable}` holding a dict, "
                    f"got {type(ns.get(variable)).__name__}")
    return ns[variable]


def derive(base: str | os.PathLike | dict, changes: dict[str, Any]) -> dict:
    """A new recipe: `base` (a recipe file, relative to the deriving recipe, or a dict) with `changes` applied.

    Each key of `changes` is a dotted path ("optimizer.lr", "model.hidden", "regularizers.l2.lam") whose
    value replaces what is there; "KEY+" appends the value to the list at KEY.
    """
    where = _loading[-1] if _loading else "<derive>"
    recipe = copy.deepcopy(base) if isinstance(base, dict) else load_raw(base)
    for key, value in changes.items():
        set_path(recipe, key, value, where=str(where))
    return recipe


def parse_override(text: str, option: str = "--set", example: str = "optimizer.lr=0.01") -> tuple[str, Any]:
    """'KEY=VALUE' with VALUE a Python literal (bare words and paths are taken as strings); errors name `option`."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"{option} {text!r}: expected KEY=VALUE, e.g. {example}")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        word = raw.strip()  # a bare word or path (dataset.path=data/photos.zip) is a string; a broken literal is not
        if not word or not all(c.isalnum() or c in "_-./~:+@%" for c in word):
            raise RecipeError(f"{option} {text!r}: cannot read {raw!r} as a Python literal") from None
        value = word
    return key.strip(), value


def set_path(recipe: dict, key: str, value: Any, where: str = "<recipe>") -> None:
    """Replace the value at dotted `key` (or append to the list there when `key` ends in '+')."""
    append = key.endswith("+")
    parts = key.rstrip("+").split(".")
    if parts[0] not in DEFAULTS:
        raise RecipeError(f"{where}: unknown key {parts[0]!r}; expected one of {', '.join(DEFAULTS)}")
    node: Any = recipe
    if parts[0] not in recipe:
        recipe[parts[0]] = copy.deepcopy(DEFAULTS[parts[0]])
    for i, part in enumerate(parts[:-1]):
        here = ".".join(parts[: i + 1])
        child = _child(node, part, where, here)
        if isinstance(child, str) and (parts[0] in PLUGIN_KEYS or parts[0] in PLUGIN_LIST_KEYS
                                       or (parts[0] == "model" and isinstance(node, list))):  # a layer by name
            child = {"name": child}  # a bare plugin name becomes a spec that can take parameters
            _assign(node, part, child, where, here)
        if not isinstance(child, (dict, list)):
            raise RecipeError(f"{where}: key {here!r} holds {child!r}, which has no field {parts[i + 1]!r}")
        node = child
    last = parts[-1]
    if append:
        target = _child(node, last, where, key.rstrip("+"))
        if not isinstance(target, list):
            raise RecipeError(f"{where}: key {key!r}: can only append to a list, found {type(target).__name__}")
        target.append(value)
    else:
        _assign(node, last, value, where, key)


def _find(node: list, part: str, where: str = "<recipe>", here: str = "") -> int | None:
    """The index `part` names in a list: a number, or the plugin name of exactly one item (a name that several
    items share is refused, naming their indices: changing only the first would be a silent no-op on the rest)."""
    if part.lstrip("-").isdigit():
        return int(part)
    found = [i for i, item in enumerate(node) if item == part or (isinstance(item, dict) and item.get("name") == part)]
    if len(found) > 1:
        base = here.rpartition(".")[0]
        options = " or ".join(f"{base}.{i}" if base else str(i) for i in found)
        at = ", ".join(map(str, found))
        raise RecipeError(f"{where}: key {here!r}: {len(found)} list items are {part!r} (at {at}); name one by its "
                          f"index: {options}")
    return found[0] if found else None


def _child(node, part, where, here):
    if isinstance(node, dict):
        if part not in node:
            raise RecipeError(f"{where}: key {here!r} not found; present: {', '.join(map(str, node)) or 'none'}")
        return node[part]
    i = _find(node, part, where, here)
    if i is None or not -len(node) <= i < len(node):
        raise RecipeError(f"{where}: key {here!r}: no list item {part!r}")
    return node[i]


def _assign(node, part, value, where, here):
    if isinstance(node, dict):
        node[part] = value
        return
    i = _find(node, part, where, here)
    if i is None or not -len(node) <= i < len(node):
        raise RecipeError(f"{where}: key {here!r}: no list item {part!r}")
    node[i] = value


def spec(value: Any, where: str, key: str) -> dict:
    """Normalise a plugin spec to {"name": ..., **params}."""
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return dict(value)
    raise RecipeError(f"{where}: key {key!r}: expected a plugin name or a dict with a 'name', got {value!r}")


def validate(recipe: dict, where: str = "<recipe>") -> dict:
    """Fill defaults and check every key's type; plugin specs become dicts. Plugin names are checked
    against the registry by `framework.build`."""
    unknown = [k for k in recipe if k not in DEFAULTS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), DEFAULTS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise RecipeError(f"{where}: unknown key {unknown[0]!r}{hint}; expected keys: {', '.join(DEFAULTS)}")
    r = {k: copy.deepcopy(recipe.get(k, v)) for k, v in DEFAULTS.items()}
    for key in ("epochs", "batch_size"):
        if not isinstance(r[key], int) or isinstance(r[key], bool) or r[key] < 1:
            raise RecipeError(f"{where}: key {key!r}: expected a positive integer, got {r[key]!r}")
    if not isinstance(r["seed"], int) or isinstance(r["seed"], bool) or r["seed"] < 0:
        raise RecipeError(f"{where}: key 'seed': expected a non-negative integer, got {r['seed']!r}")
    if r["dtype"] not in ("float32", "float64"):
        raise RecipeError(f"{where}: key 'dtype': expected 'float32' or 'float64', got {r['dtype']!r}")
    loss = r["loss"]["name"] if isinstance(r["loss"], dict) and "name" in r["loss"] else r["loss"]
    if not isinstance(loss, str) or loss not in LOSSES:
        raise RecipeError(f"{where}: key 'loss': expected one of {', '.join(LOSSES)} (or {{'name': ..., **its "
                          f"parameters}}, e.g. {{'name': 'auto', 'label_smoothing': 0.1}}), got {r['loss']!r}")
    model = r["model"] = {"name": r["model"]} if isinstance(r["model"], str) else r["model"]
    if not isinstance(model, dict):
        raise RecipeError(f"{where}: key 'model': expected a dict (the mlp's parameters, or a model plugin spec with "
                          f"a 'name'), got {model!r}")
    if "name" in model:  # a model plugin: its parameters are checked against its signature when it is built
        if not isinstance(model["name"], str):
            raise RecipeError(f"{where}: key 'model.name': expected a model plugin's name, got {model['name']!r}")
        return _plugin_specs(r, where)
    for k, v in model.items():  # no name: the mlp, written as every recipe before model plugins wrote it
        if k not in MODEL_KEYS:
            raise RecipeError(f"{where}: key 'model.{k}' is unknown; expected: {', '.join(MODEL_KEYS)} (or a 'name' "
                              f"to use another model plugin)")
        if not isinstance(v, MODEL_KEYS[k]):
            expected = "str or None" if k == "norm" else MODEL_KEYS[k].__name__
            raise RecipeError(f"{where}: key 'model.{k}': expected {expected}, got {v!r}")
    hidden = model.setdefault("hidden", list(DEFAULTS["model"]["hidden"]))
    model.setdefault("activation", DEFAULTS["model"]["activation"])
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
        raise RecipeError(f"{where}: key 'model.hidden': expected a list of positive integers, got {hidden!r}")
    return _plugin_specs(r, where)


def _plugin_specs(r: dict, where: str) -> dict:
    for key in PLUGIN_KEYS:
        if r[key] is not None:
            r[key] = spec(r[key], where, key)
        elif key != "scheduler":
            raise RecipeError(f"{where}: key {key!r}: expected a plugin name or spec, got None")
    for key in PLUGIN_LIST_KEYS:
        if not isinstance(r[key], (list, tuple)):
            raise RecipeError(f"{where}: key {key!r}: expected a list of plugin specs, got {r[key]!r}")
        r[key] = [spec(v, where, f"{key}.{i}") for i, v in enumerate(r[key])]
    return r


def resolve(recipe_path: str, overrides: list[str]) -> dict:
    """Load a recipe file, apply --set overrides, validate."""
    raw = load_raw(recipe_path)
    for text in overrides:
        key, value = parse_override(text)
        set_path(raw, key, value, where=f"--set {text}")
    return validate(raw, recipe_path)
