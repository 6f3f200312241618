"""The default recipe (mnist_adam.py) with one change: an L2 penalty on the weights."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'regularizers+': {'name': 'l2', 'lam': 0.0001},
})
