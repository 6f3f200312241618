"""The default recipe (mnist_adam.py) with one change: cutout: a random 8x8 square blanked."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'augmentations+': {'name': 'cutout', 'size': 8},
})
