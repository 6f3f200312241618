"""Ladder rung 2 (docs/from_notebook.md): rung 1 with ReLU instead of sigmoid (learning rate chosen on validation
again, recipes/compare/ladder.py: 0.3; docs/results/ladder/tuning.md)."""
from framework import derive

recipe = derive("ladder_1_notebook.py", {"model.activation": "relu", "optimizer.lr": 0.3})
