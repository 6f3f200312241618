"""How the Fashion-MNIST CNN record recipe is chosen, on validation only: each candidate augmentation trains once
(seed 0) and the one with the best validation accuracy runs three seeds; the test figures are reported, never used
to choose.

python -m framework.compare recipes/compare/record_fashion_cnn.py --logdir docs/results"""
comparison = {
    "description": "The Fashion-MNIST CNN record recipe (fashion_mnist_cnn_best.py) chosen on validation: its "
                   "network (conv 32-64 with batch norm, dropout, 30 epochs) without augmentation and with "
                   "left-right flips of half the images; the chosen one over three seeds (tuning.md lists the "
                   "candidates).",
    "base": "../fashion_mnist_cnn_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "fashion_mnist",
    "seeds": 3,
    "tune": {"augmentations": {"none": [], "flip": [{"name": "flip", "p": 0.5}]}},
    "variants": {"fashion_mnist": {}},
}
