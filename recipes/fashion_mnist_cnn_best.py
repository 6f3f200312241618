"""The Fashion-MNIST CNN record recipe: the CNN of mnist_cnn_best.py (batch norm, dropout) on Fashion-MNIST with
left-right flips of half the images, Adam with warm-up and cosine decay, 30 epochs. Its augmentation is chosen on
validation by recipes/compare/record_fashion_cnn.py."""
from framework import derive

recipe = derive("mnist_cnn_best.py", {"dataset": "fashion_mnist", "augmentations": [{"name": "flip", "p": 0.5}]})
