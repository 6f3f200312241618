"""The reference CNN: conv 3x3 32 (same) -> ReLU -> max pool 2 -> conv 3x3 64 (same) -> ReLU -> max pool 2 ->
flatten -> dense 128 -> ReLU -> dense 10; Adam 1e-3, batch 128, cosine decay."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64, "kernel": 3, "padding": "same"}, "relu", "max_pool2d",
        "flatten", {"name": "dense", "units": 128}, "relu", {"name": "dense", "units": "outputs"}]},
    "epochs": 10,
})
