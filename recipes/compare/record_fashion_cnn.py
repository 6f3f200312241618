"""How the Fashion-MNIST CNN record recipe is chosen, on validation only: each candidate augmentation trains once
(seed 0) and the one with the best validation accuracy runs three seeds; the test figures are reported, never used
to choose.

python -m framework.compare recipes/compare/record_fashion_cnn.py --logdir docs/results --threads 1

The head is fixed here (dropout 0.25, dense 128, dropout 0.5); the second stage, record_fashion_cnn_head.py, then
chose the recipe's head on this stage's choice."""
import runpy
from pathlib import Path

HEADS = runpy.run_path(str(Path(__file__).with_name("record_mnist_cnn.py")))["comparison"]["tune"]["model.layers"]

comparison = {
    "description": "The Fashion-MNIST CNN record recipe (fashion_mnist_cnn_best.py), first stage, chosen on "
                   "validation: conv 32-64 with batch norm, dropout 0.25 and 0.5 around dense 128, 30 epochs, "
                   "without augmentation and with left-right flips of half the images; the chosen one over three "
                   "seeds (tuning.md lists the candidates).",
    "base": "../fashion_mnist_cnn_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"], "model.layers": HEADS["32-64"], "epochs": 30},
    "baseline": "fashion_mnist",
    "seeds": 3,
    "tune": {"augmentations": {"none": [], "flip": [{"name": "flip", "p": 0.5}]}},
    "variants": {"fashion_mnist": {}},
}
