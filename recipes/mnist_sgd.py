"""The default recipe (mnist_adam.py) with one change: plain SGD instead of Adam."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'optimizer': {'name': 'sgd', 'lr': 0.1},
})
