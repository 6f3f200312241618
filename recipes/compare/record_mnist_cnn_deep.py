"""The MNIST CNN record's second stage, chosen on validation only: the first stage's choice (record_mnist_cnn.py:
convolutions 32 and 64 with batch norm, dense 256 with dropout 0.25) against the same network with a third block
(convolution 128, batch norm, ReLU, max pool 2) before its head, which costs about the same time per epoch: the
third convolution works on 7x7 images and its pooling shrinks the dense layer's input from 3,136 to 1,152 values.
Each trains once (seed 0; the first is the first stage's run, copied), the one with the best validation accuracy
runs three seeds; the test figures are reported, never used to choose.

python -m framework.compare recipes/compare/record_mnist_cnn_deep.py --logdir docs/results --threads 1"""
import runpy
from pathlib import Path

FIRST = runpy.run_path(str(Path(__file__).with_name("record_mnist_cnn.py")))  # its base, baseline, seeds, variants
CONV, LIGHT = FIRST["CONV"], FIRST["LIGHT"]
THIRD = [{"name": "conv2d", "filters": 128}, "batch_norm", "relu", "max_pool2d"]
DEPTHS = {"32-64-256": CONV + LIGHT, "32-64-128-256": CONV[:-1] + THIRD + CONV[-1:] + LIGHT}

comparison = {
    **FIRST["comparison"],
    "description": "The MNIST CNN record recipe (mnist_cnn_best.py), second stage, chosen on validation: the "
                   "first stage's network (convolutions 32 and 64 with batch norm, dense 256, dropout 0.25) "
                   "against the same with a third block (convolution 128, batch norm, ReLU, max pool) before the "
                   "head; affine and elastic distortions, 30 epochs; the chosen one over three seeds (tuning.md).",
    "tune": {"model.layers": DEPTHS},
}
