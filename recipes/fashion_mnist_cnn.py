"""Fashion-MNIST with the reference CNN of mnist_cnn.py."""
from framework import derive

recipe = derive("mnist_cnn.py", {"dataset": "fashion_mnist", "epochs": 15})
