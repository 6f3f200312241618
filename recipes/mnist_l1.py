"""The default recipe (mnist_adam.py) with one change: an L1 penalty on the weights."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'regularizers+': {'name': 'l1', 'lam': 1e-05},
})
