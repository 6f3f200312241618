"""The default recipe (mnist_adam.py) with one change: max-norm 3 on every unit's incoming weights."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'regularizers+': {'name': 'max_norm', 'max_norm': 3.0},
})
