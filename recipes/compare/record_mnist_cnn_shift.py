"""The MNIST CNN record's third stage, chosen on validation only: the second stage's choice (record_mnist_cnn_deep.py:
convolutions 32, 64 and 128 with batch norm, dense 256 with dropout 0.25, affine and elastic distortions each on
half the images) against the same with random shifts of up to 2 pixels on every image as well, the augmentation
that won the Fashion-MNIST record's fourth stage. Each trains once (seed 0; the first is the second stage's run,
copied), the one with the best validation accuracy runs three seeds; the test figures are reported, never used to
choose.

python -m framework.compare recipes/compare/record_mnist_cnn_shift.py --logdir docs/results --threads 1"""
import runpy
from pathlib import Path

SECOND = runpy.run_path(str(Path(__file__).with_name("record_mnist_cnn_deep.py")))  # its base, baseline, seeds
DISTORT = SECOND["FIRST"]["DISTORT"]

comparison = {
    **SECOND["comparison"],
    "description": "The MNIST CNN record recipe (mnist_cnn_best.py), third stage, chosen on validation: the "
                   "second stage's network (convolutions 32, 64 and 128 with batch norm, dense 256, dropout 0.25) "
                   "with affine and elastic distortions, without and with random shifts of up to 2 pixels as "
                   "well, 30 epochs; the chosen one over three seeds (tuning.md).",
    "set": {**SECOND["comparison"]["set"], "model.layers": SECOND["DEPTHS"]["32-64-128-256"]},
    "tune": {"augmentations": {"affine+elastic": DISTORT,
                               "affine+elastic+shift": [*DISTORT, {"name": "shift", "max_shift": 2}]}},
}
