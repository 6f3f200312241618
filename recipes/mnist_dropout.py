"""The default recipe (mnist_adam.py) with one change: dropout 0.3 after each hidden layer."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'regularizers+': {'name': 'dropout', 'rate': 0.3},
})
