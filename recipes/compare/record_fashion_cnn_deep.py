"""The Fashion-MNIST CNN record's third stage, chosen on validation only: the second stage's choice
(record_fashion_cnn_head.py: convolutions 32 and 64 with batch norm, dense 256 with dropout 0.25, no augmentation)
against the same network with a third block (convolution 128, batch norm, ReLU, max pool 2) before its head, the
MNIST record's second-stage candidates (record_mnist_cnn_deep.py). Each trains once (seed 0; the first is the
second stage's run, copied), the one with the best validation accuracy runs three seeds; the test figures are
reported, never used to choose.

python -m framework.compare recipes/compare/record_fashion_cnn_deep.py --logdir docs/results --threads 1"""
import runpy
from pathlib import Path

HERE = Path(__file__).parent
SECOND = runpy.run_path(str(HERE / "record_fashion_cnn_head.py"))  # its base, baseline, seeds, variants
DEPTHS = runpy.run_path(str(HERE / "record_mnist_cnn_deep.py"))["DEPTHS"]

comparison = {
    **SECOND["comparison"],
    "description": "The Fashion-MNIST CNN record recipe (fashion_mnist_cnn_best.py), third stage, chosen on "
                   "validation: the second stage's network (convolutions 32 and 64 with batch norm, dense 256, "
                   "dropout 0.25) against the same with a third block (convolution 128, batch norm, ReLU, max "
                   "pool) before the head; no augmentation, 30 epochs; the chosen one over three seeds (tuning.md).",
    "tune": {"model.layers": DEPTHS},
}
