"""Ladder rung 3 (docs/from_notebook.md): rung 2 trained with Adam (its usual rate, 1e-3) and a cosine decay after
one epoch of warm-up, the record recipe's optimizer and schedule."""
from framework import derive

recipe = derive("ladder_2_relu.py", {
    "optimizer": {"name": "adam", "lr": 1e-3},
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
})
