"""The default recipe (mnist_adam.py) with one change: random shifts of up to 2 pixels."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'augmentations+': {'name': 'shift', 'max_shift': 2},
})
