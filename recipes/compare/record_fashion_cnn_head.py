"""The Fashion-MNIST CNN record's second stage, chosen on validation only: on the first stage's choice
(record_fashion_cnn.py: no augmentation), that stage's head (dropout 0.25, dense 128, dropout 0.5, as Keras'
example) against the MNIST CNN record's (dense 256, dropout 0.25 before the output only); each trains once
(seed 0, the first one is the first stage's run, copied), the one with the best validation accuracy runs three
seeds; the test figures are reported, never used to choose.

python -m framework.compare recipes/compare/record_fashion_cnn_head.py --logdir docs/results --threads 1"""
import runpy
from pathlib import Path

FIRST = runpy.run_path(str(Path(__file__).with_name("record_fashion_cnn.py")))  # its base, baseline, seeds, variants
HEADS = FIRST["HEADS"]  # the two heads of the MNIST CNN record's search, on its convolutions (32, 64, batch norm)

comparison = {
    **FIRST["comparison"],
    "description": "The Fashion-MNIST CNN record recipe (fashion_mnist_cnn_best.py), second stage, chosen on "
                   "validation: two heads on the same convolutions (32, 64, batch norm), no augmentation (the "
                   "first stage's choice), 30 epochs: dense 128 with dropout 0.25 and 0.5 against dense 256 with "
                   "dropout 0.25 before the output only; the chosen one over three seeds (tuning.md).",
    "set": {"callbacks": [], "loggers": ["tensorboard"], "augmentations": [],  # the first stage's choice
            "epochs": 30},  # the epochs of the first five stages
    "tune": {"model.layers": HEADS},
}
