"""The default recipe (mnist_adam.py) with one change: early stopping on the validation loss; restores the best
epoch's weights."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'regularizers+': {'name': 'early_stopping', 'monitor': 'val_loss', 'patience': 3},
})
