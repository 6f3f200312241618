"""Iris (3 species, 4 features): the smallest multi-class table."""
from framework import derive

recipe = derive("mnist_adam.py", {"dataset": "iris", "model.hidden": [16], "optimizer.lr": 1e-2, "epochs": 100,
                                  "batch_size": 16})
