"""How the Fashion-MNIST record recipe is chosen, on validation only: each candidate augmentation trains once
(seed 0) and the one with the best validation accuracy runs three seeds; the test figures are reported, never used
to choose.

python -m framework.compare recipes/compare/record_fashion.py --logdir docs/results"""
FLIP = {"name": "flip", "p": 0.5}

comparison = {
    "description": "The Fashion-MNIST record recipe (fashion_mnist_best.py) chosen on validation: its network "
                   "(1024-1024, dropout 0.3, 40 epochs) without augmentation and with left-right flips of half the "
                   "images; the chosen one over three seeds (tuning.md lists the candidates).",
    "base": "../fashion_mnist_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "fashion_mnist",
    "seeds": 3,
    "tune": {"augmentations": {"none": [], "flip": [FLIP]}},
    "variants": {"fashion_mnist": {}},
}
