"""The default recipe (mnist_adam.py) with one change: RMSProp instead of Adam."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'optimizer': {'name': 'rmsprop', 'lr': 0.0005},
})
