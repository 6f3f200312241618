"""The default recipe (mnist_adam.py) with one change: elastic distortions (Simard et al. 2003)."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'augmentations+': {'name': 'elastic', 'alpha': 34.0, 'sigma': 4.0},
})
