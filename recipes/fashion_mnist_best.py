"""The Fashion-MNIST record recipe: 784-1024-1024-10 ReLU with dropout, small random shifts and cutout,
Adam with warm-up and cosine decay, 50 epochs."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "fashion_mnist",
    "model.hidden": [1024, 1024],
    "regularizers": [{"name": "dropout", "rate": 0.3}],
    "augmentations": [{"name": "shift", "max_shift": 2, "p": 0.5}, {"name": "cutout", "size": 8, "p": 0.5}],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 50,
})
