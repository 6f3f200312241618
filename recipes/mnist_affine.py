"""The default recipe (mnist_adam.py) with one change: random affine transforms (rotation, scale, shear,
translation)."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'augmentations+': {'name': 'affine'},
})
