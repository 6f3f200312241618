"""Wine (3 cultivars, 13 features): a small multi-class table."""
from framework import derive

recipe = derive("mnist_adam.py", {"dataset": "wine", "model.hidden": [32], "optimizer.lr": 3e-3, "epochs": 60,
                                  "batch_size": 16})
