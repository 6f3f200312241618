"""Breast cancer (binary): one sigmoid output with binary cross-entropy, chosen from the dataset's task."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "breast_cancer",
    "model.hidden": [32],
    "loss": "binary_cross_entropy",  # what "auto" picks for a binary dataset; written out to be explicit
    "optimizer.lr": 3e-3,
    "epochs": 40,
    "batch_size": 32,
})
