"""MNIST read row by row: each image is 28 steps of 28 pixels, an LSTM of 128 units reads them, and a dense
layer classifies its last state; Adam 2e-3 with warm-up and cosine decay."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "mnist_rows",
    "model": {"name": "sequential", "layers": [{"name": "lstm", "units": 128}, {"name": "dense", "units": "outputs"}]},
    "optimizer": {"name": "adam", "lr": 2e-3},
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "callbacks": ["checkpoint"],
})
