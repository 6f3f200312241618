"""scikit-learn's 8x8 digits: the default recipe's counterpart, trains in seconds."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "digits",
    "model.hidden": [64],
    "epochs": 30,
    "batch_size": 32,
})
