"""The default recipe (mnist_adam.py) with one change: SGD with Nesterov momentum 0.9."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'optimizer': {'name': 'momentum', 'lr': 0.05, 'momentum': 0.9, 'nesterov': True},
})
