"""Using a trained run: `framework.load(run_dir)` gives a `Predictor` that takes raw inputs, as the dataset
stored them (pixels 0..255, unscaled measurements), and returns labels, probabilities or values in the
target's own units. A run writes `preprocessing.json` when it starts (shapes, task, class names, and how its
dataset scaled inputs and targets), so loading a model never loads its dataset. Weights come from the run's
checkpoint (.npz, read without pickle).
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from . import checkpoint as ckpt
from .build import build_model, input_shape_of
from .data import describe  # noqa: F401  (re-exported: framework.inference.describe)
from .layers import Sequential, sigmoid
from .recipe import RecipeError, validate
from .runs import dropped, read_description


class InputError(ValueError):
    """Inputs that do not fit the model: wrong shape, not finite."""


class Predictor:
    """A trained network with its preprocessing: `predict(x)` (labels, or values in the target's units) and
    `predict_proba(x)` (classification). x is raw: (N, features), or (N, H, W) images for image datasets."""

    def __init__(self, model: Sequential, info: dict, dtype=np.float32, recipe: dict | None = None):
        self.model, self.info, self.dtype, self.recipe = model.eval(), info, np.dtype(dtype), recipe or {}
        self.task, self.n_features = info["task"], info["n_features"]
        self.image_shape = tuple(info["image_shape"]) if info.get("image_shape") else None
        self.input_shape = input_shape_of(info)  # what the network takes per example: (C, H, W) or (features,)
        n = info["n_outputs"] if self.task == "multiclass" else 2
        self.classes = list(info.get("class_names") or range(n)) if self.task != "regression" else None
        self._center = np.asarray(info["input_center"] if info.get("input_center") is not None else 0.0, self.dtype)
        self._scale = np.asarray(info["input_scale"] if info.get("input_scale") is not None else 1.0, self.dtype)
        self._warned = False

    def transform(self, x) -> np.ndarray:
        """Raw inputs -> the network's input: checked, flattened, scaled as the dataset scaled them."""
        x = np.asarray(x, dtype=np.float64)
        if len(self.input_shape) == 3 and x.ndim == 4 and x.shape[1:] == (*self.input_shape[1:], self.input_shape[0]):
            x = x.transpose(0, 3, 1, 2)  # (N, H, W, C) colour images, as Pillow and matplotlib give them
        if len(self.input_shape) > 1 and x.shape[1:] == self.input_shape:
            x = x.reshape(len(x), -1)
        if self.image_shape is not None and len(self.image_shape) == 2 and x.ndim == 3:
            if x.shape[1:] != self.image_shape:
                raise InputError(f"images of shape {x.shape[1:]}, expected {self.image_shape}")
            x = x.reshape(len(x), -1)
        if x.ndim == 1 and x.size == self.n_features:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise InputError(f"inputs of shape {x.shape}, expected (N, {self.n_features})"
                             + (f" or (N, {self.image_shape[0]}, {self.image_shape[1]}) images or "
                                f"(N, {', '.join(map(str, self.input_shape))})" if self.image_shape else ""))
        if not np.isfinite(x).all():
            raise InputError(f"inputs hold NaN or infinity (row {int(np.argwhere(~np.isfinite(x))[0, 0])})")
        self._check_range(x)
        return ((x - self._center) / self._scale).astype(self.dtype)

    def _check_range(self, x: np.ndarray) -> None:
        """Warn (once) when images that should be raw pixels 0..S all lie in 0..1: most likely already divided by S
        (a dataset's own x_test, say), which the model would divide again and mostly misclassify."""
        top = float(np.max(self._scale)) if self._scale.size else 1.0
        if (self.image_shape is None or self._warned or top < 2 or np.any(self._center != 0) or x.size < 16
                or x.min() < 0 or x.max() > 1 or x.max() == 0):
            return
        self._warned = True
        warnings.warn(f"every input lies in 0..1, but this model takes raw pixels 0..{top:g}, as its dataset "
                      f"{self.info.get('dataset')!r} stores them (it divides by {top:g} itself): multiply the inputs "
                      f"by {top:g} if they were scaled", UserWarning, stacklevel=4)

    def decision(self, x, batch_size: int = 4096) -> np.ndarray:
        """The network's raw outputs (logits for classification) for raw inputs."""
        z = self.transform(x)
        return np.concatenate([self.model.forward(z[i:i + batch_size]) for i in range(0, len(z), batch_size)]
                              or [np.zeros((0, self.info["n_outputs"]), self.dtype)])

    def predict_proba(self, x) -> np.ndarray:
        """(N, classes) probabilities, columns in the order of `classes` (two for a binary task)."""
        if self.task == "regression":
            raise InputError("predict_proba is for classification; this model does regression: use predict")
        z = self.decision(x)
        if self.task == "binary":
            p = sigmoid(z[:, 0])
            return np.stack([1 - p, p], axis=1)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x) -> np.ndarray:
        """Class indices (classification; `classes` names them), or values in the target's units."""
        if self.task == "regression":
            z = self.decision(x).astype(np.float64)
            z = z * (self.info.get("target_scale") or 1.0) + (self.info.get("target_center") or 0.0)
            return z[:, 0] if z.shape[1] == 1 else z
        z = self.decision(x)
        return (z[:, 0] > 0).astype(np.int64) if self.task == "binary" else z.argmax(axis=1)


    def generate(self, prompt: str = "\n", length: int = 200, temperature: float = 1.0, top_k: int | None = None,
                 seed: int = 0, cache: bool = True) -> str:
        """`length` characters a text model writes after `prompt`, each drawn from its softmax at `temperature`
        (0: always the likeliest) among the `top_k` likeliest (all if None), with a generator seeded by `seed`: the
        same text for the same seed. The context is the last characters, at most the block size T the model was
        trained on; when it would grow past T it restarts from its last T/2. With `cache` each new character costs
        one position (the layers' key/value cache and carried state, `Layer.step`); without, the whole context is
        computed again for every character (the same text, slower)."""
        if not self.info.get("tokens"):
            raise InputError(f"generate needs a model of text; this run's dataset ({self.info.get('dataset')}) is not")
        if not isinstance(length, int) or length < 0:
            raise InputError(f"length: expected a non-negative integer, got {length!r}")
        if not temperature >= 0:
            raise InputError(f"temperature: expected a number >= 0, got {temperature!r}")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise InputError(f"top_k: expected a positive integer, got {top_k!r}")
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = next((c for c in prompt if c not in index), None)
        if not prompt or unknown is not None:
            raise InputError("prompt: empty" if not prompt else f"prompt: the character {unknown!r} is not in the "
                             f"run's vocabulary of {len(index)} characters")
        block, rng = self.input_shape[0], np.random.default_rng(seed)
        ids = [index[c] for c in prompt]
        start = max(0, len(ids) - block)

        def logits(new: int | None) -> np.ndarray:
            if not cache:
                return self.model.forward(np.array([ids[start:]]))[0, -1]
            if new is None:  # (re)start: the whole context once
                self.model.start(1)
                return self.model.step(np.array([ids[start:]]))[0, -1]
            return self.model.step(np.array([[new]]))[0, -1]

        z = logits(None)
        for _ in range(length):
            z = z.astype(np.float64)
            if top_k is not None and top_k < len(z):
                z[z < np.partition(z, -top_k)[-top_k]] = -np.inf
            if temperature == 0:
                nxt = int(np.argmax(z))
            else:
                p = np.exp((z - z.max()) / temperature)
                nxt = int(rng.choice(len(p), p=p / p.sum()))
            ids.append(nxt)
            if len(ids) - start > block:
                start = len(ids) - (block + 1) // 2
                z = logits(None)
            else:
                z = logits(nxt)
        return "".join(self.classes[i] for i in ids[len(prompt):])


def load(run_dir: str | os.PathLike, checkpoint: str = ckpt.DEFAULT) -> Predictor:
    """The model of a run, ready for raw inputs: by default the weights the run finished with (checkpoints/last.npz,
    those of its summary's test figure); checkpoint="best" for the lowest validation loss."""
    run_dir = Path(run_dir)
    if checkpoint not in ("best", "last"):
        raise RecipeError(f"checkpoint: expected 'best' or 'last', got {checkpoint!r}")
    try:
        recipe = json.loads((run_dir / "recipe.json").read_text())
    except (OSError, ValueError) as e:
        raise RecipeError(f"{run_dir}: not a run directory (recipe.json: {e})") from None
    path = ckpt.checkpoint_dir(run_dir) / f"{checkpoint}.npz"
    if not path.is_file() and dropped(run_dir, f"checkpoints/{checkpoint}.npz"):
        raise RecipeError(f"{path}: {dropped(run_dir, f'checkpoints/{checkpoint}.npz')}")
    if not path.is_file():
        other = "last" if checkpoint == "best" else "best"
        hint = " (the recipe needs the 'checkpoint' callback)"
        if path.with_name(f"{other}.npz").is_file():
            hint = f"; checkpoints/{other}.npz exists: use checkpoint={other!r}"
        raise RecipeError(f"{path}: no such checkpoint{hint}")
    recipe = validate(recipe, str(run_dir / "recipe.json"))
    info = read_description(run_dir, recipe)
    dtype = np.dtype(recipe["dtype"])
    model = build_model(recipe, info, str(run_dir / "recipe.json"))
    try:
        _, arrays = ckpt.read(path)
    except ckpt.CheckpointError as e:
        raise RecipeError(str(e)) from None
    weights = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    bad = [k for k, v in weights.items() if not np.isfinite(v).all()]
    if bad:
        raise RecipeError(f"{path}: {bad[0]} holds NaN or infinity")
    try:
        model.load_state_dict(weights)
    except ValueError as e:
        raise RecipeError(f"{path}: does not fit the network the run's recipe builds ({e})") from None
    return Predictor(model, info, dtype, recipe)
