"""The MNIST record recipe: a wide and deep 784-1024-1024-1024-10 ReLU network, trained for 60 epochs on randomly
distorted digits (affine and elastic, Simard et al. 2003, each on half the images), Adam with warm-up and cosine
decay. The third hidden layer was chosen on validation over 784-1024-1024-10 by recipes/compare/record_mnist.py
(docs/results/record_mnist/tuning.md)."""
from framework import derive

recipe = derive("mnist_adam.py", {
    "model.hidden": [1024, 1024, 1024],
    "augmentations": [
        {"name": "affine", "rotation": 10.0, "scale": 0.1, "shear": 10.0, "translate": 2.0, "p": 0.5},
        {"name": "elastic", "alpha": 34.0, "sigma": 4.0, "p": 0.5},
    ],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 60,
})
