"""The default recipe (mnist_adam.py) with one change: AdamW: Adam with decoupled weight decay."""
from framework import derive

recipe = derive("mnist_adam.py", {
    'optimizer': {'name': 'adamw', 'lr': 0.001, 'weight_decay': 0.05},
})
