"""Fashion-MNIST (fashion_mnist_adam.py) with one change: half the training images mirrored left to right."""
from framework import derive

recipe = derive("fashion_mnist_adam.py", {
    "augmentations+": {"name": "flip", "p": 0.5},
})
