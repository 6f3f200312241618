"""The Fashion-MNIST record recipe: a wide 784-1024-1024-10 ReLU network with dropout 0.3 after each hidden
layer, Adam with warm-up and cosine decay, 40 epochs, no augmentation: chosen on validation over left-right flips
by recipes/compare/record_fashion.py (docs/results/record_fashion/tuning.md)."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "dataset": "fashion_mnist",
    "model.hidden": [1024, 1024],
    "regularizers": [{"name": "dropout", "rate": 0.3}],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 40,
})
