"""The built-in model builders (`framework.models` plugins). A builder takes the dataset's per-example input shape
and output width, then the recipe's `model` parameters, and returns the (unbuilt) layers as a `Sequential`."""
from __future__ import annotations

from framework import Sequential
from framework.layers import ModelError, make_layer, make_layers

from .layers import BatchNorm, Dense, Flatten


def mlp(input_shape: tuple, n_outputs: int, hidden: list = (256, 128), activation: str = "relu",
        activation_params: dict | None = None, norm: str | None = None) -> Sequential:
    """A fully-connected network: [flatten for images ->] (dense [-> batch_norm] -> activation) per hidden width
    -> dense to the outputs (the loss adds the softmax or sigmoid). `activation` is any activation layer's name,
    `activation_params` its parameters. A recipe's `model` without a "name" is this builder."""
    if norm not in (None, "batch"):
        raise ValueError(f"norm: expected None or 'batch', got {norm!r}")
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
        raise ValueError(f"hidden: expected a list of positive integers, got {list(hidden)!r}")

    def act():
        try:
            layer = make_layer({"name": activation, **(activation_params or {})}, "activation")
        except ModelError as e:
            key = e.key.replace("activation.", "activation_params.", 1)
            raise ModelError(key, e.message) from None
        if not layer.is_activation:
            raise ModelError("activation", f"layer {activation!r} is not an activation")
        return layer

    act()  # checks the activation even without hidden layers
    layers = [Flatten()] if len(input_shape) > 1 else []
    for width in hidden:
        layers += [Dense(width), *([BatchNorm()] if norm else []), act()]
    return Sequential([*layers, Dense(n_outputs)])


def sequential(input_shape: tuple, n_outputs: int, layers: list) -> Sequential:
    """The layers the recipe lists, in order: each a layer name or {"name": ..., **params}; "outputs" stands for
    the dataset's output width, e.g. {"name": "dense", "units": "outputs"}."""
    return Sequential(make_layers(layers, "layers", outputs=n_outputs))
