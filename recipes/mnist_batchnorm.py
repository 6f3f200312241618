"""The default recipe (mnist_adam.py) with one change: batch normalisation before each hidden activation."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'model.norm': 'batch',
})
