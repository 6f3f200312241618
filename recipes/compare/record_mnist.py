"""How the MNIST record recipe is chosen, on validation only: each candidate network trains once (seed 0) and the
one with the best validation accuracy runs three seeds; the test figures are reported, never used to choose.

python -m framework.compare recipes/compare/record_mnist.py --logdir docs/results"""
comparison = {
    "description": "The MNIST record recipe (mnist_best.py) chosen on validation: two network shapes under the same "
                   "augmentation and schedule, 60 epochs each (within 30 minutes on 2 cores); the chosen one over "
                   "three seeds (tuning.md lists the candidates).",
    "base": "../mnist_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"], "epochs": 60},
    "baseline": "mnist",
    "seeds": 3,
    "tune": {"model.hidden": {"1024-1024": [1024, 1024], "1024-1024-1024": [1024, 1024, 1024]}},
    "variants": {"mnist": {}},
}
