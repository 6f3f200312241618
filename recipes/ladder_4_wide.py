"""Ladder rung 4 (docs/from_notebook.md): rung 3 with a much wider and deeper network, 784-1024-1024-10
(1.86 M parameters instead of 51 k): the record recipe's network."""
from framework import derive

recipe = derive("ladder_3_adam.py", {"model.hidden": [1024, 1024]})
