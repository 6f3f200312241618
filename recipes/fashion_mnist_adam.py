"""Fashion-MNIST with the default recipe's network and optimizer."""
from framework import derive

recipe = derive("mnist_adam.py", {"dataset": "fashion_mnist", "epochs": 20})
