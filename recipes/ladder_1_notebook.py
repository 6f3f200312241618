"""Ladder rung 1 (docs/from_notebook.md): the notebook's network done right. 784-64-10 with sigmoid and plain SGD
without a schedule, as the notebook; but gradients averaged over the batch, the right bias gradient, a stable
fused softmax and cross-entropy, a learning rate chosen on validation (recipes/compare/ladder.py), and the test
split evaluated once. 20 epochs of batches of 128 (the notebook: 300 of 60)."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "model.hidden": [64],
    "model.activation": "sigmoid",
    "optimizer": {"name": "sgd", "lr": 3.0},  # chosen on validation: docs/results/ladder/tuning.md
    "scheduler": None,
    "epochs": 20,
})
