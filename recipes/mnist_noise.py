"""The default recipe (mnist_adam.py) with one change: additive Gaussian pixel noise."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'augmentations+': {'name': 'noise', 'std': 0.1, 'clip_min': 0.0, 'clip_max': 1.0},
})
