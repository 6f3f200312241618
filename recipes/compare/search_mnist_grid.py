"""The full grid the search in search_mnist_asha.py prunes: the same 12 MNIST MLP configurations (learning rate x
width x dropout), every one trained for all 9 epochs over 2 seeds (one rung at the last epoch), the best by mean
validation accuracy then run over the comparison's seeds. The reference for the search's saving.

python -m framework.compare recipes/compare/search_mnist_grid.py --logdir docs/results --threads 1"""
import runpy
from pathlib import Path

ASHA = runpy.run_path(str(Path(__file__).with_name("search_mnist_asha.py")))["comparison"]

comparison = {
    **ASHA,
    "description": "The full grid of search_mnist_asha.py: 12 configurations of the MNIST MLP (lr 3e-4, 1e-3, 3e-3 x "
                   "hidden [256] or [1024, 1024] x dropout 0 or 0.3), each trained 9 epochs over 2 seeds; the best by "
                   "mean validation accuracy over 2 seeds.",
    "search": {**ASHA["search"], "min_epochs": 9},
}
