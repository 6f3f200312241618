"""Diabetes progression (regression): a linear output with mean squared error; reports RMSE and R^2."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "diabetes",
    "model.hidden": [32],
    "model.activation": "tanh",
    "loss": "mse",
    "optimizer.lr": 3e-3,
    "regularizers": [{"name": "l2", "lam": 1e-3}],
    "epochs": 60,
    "batch_size": 32,
})
