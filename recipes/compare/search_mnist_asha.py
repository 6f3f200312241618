"""Successive halving on the MNIST MLP's learning rate x width x dropout grid (12 configurations, 2 seeds each,
decided on their mean validation accuracy): rungs at epochs 1, 3 and 9, the best third going on at each; the
chosen configuration then runs over the comparison's seeds (its search runs are reused). Against
search_mnist_grid.py, the same grid trained in full.

python -m framework.compare recipes/compare/search_mnist_asha.py --logdir docs/results --threads 1"""
comparison = {
    "description": "Successive halving (ASHA's rungs, decided on the mean of 2 seeds) over 12 configurations of the "
                   "MNIST MLP: lr 3e-4, 1e-3, 3e-3 x hidden [256] or [1024, 1024] x dropout 0 or 0.3; rungs at "
                   "epochs 1, 3, 9, reduction 3; Adam, cosine over 9 epochs.",
    "base": "../mnist_adam.py",
    "set": {"loggers": ["tensorboard"], "callbacks": ["checkpoint"], "epochs": 9},
    "seeds": 2,
    "search": {"method": "grid", "max_epochs": 9, "min_epochs": 1, "reduction": 3, "seeds": 2,
               "space": {"optimizer.lr": [3e-4, 1e-3, 3e-3],
                         "model.hidden": {"256": [256], "1024-1024": [1024, 1024]},
                         "regularizers": {"none": [], "dropout0.3": [{"name": "dropout", "rate": 0.3}]}}},
    "variants": {"mlp": {}},
}
