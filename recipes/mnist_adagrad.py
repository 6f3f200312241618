"""The default recipe (mnist_adam.py) with one change: Adagrad instead of Adam."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'optimizer': {'name': 'adagrad', 'lr': 0.02},
})
