"""Stage 4 of the CIFAR-10 (JPEG q75) record, on validation only: airbench's optimisation regime against the record
(stage 3, record_cifar10_whiten.py: 86.93 % validation), at the stage-2 budget (widths 32-128-128, 4 epochs, seed 0).
airbench trains at a far higher effective rate than the record (0.2 with L2 5e-4 was never tuned for it).
Its settings carried over to this network's He-initialised weights: batch norm without gamma (momentum 0.4), no L2,
Nesterov momentum 0.85 at rate 2.25 (airbench's 0.375 a batch of 256, times 6 because He's weights have 6 times the
variance of PyTorch's default and batch norm makes the convolutions' rate depend on their weights' norm squared), the
batch norm offsets at 64 times airbench's rate, the head (dense without bias, times 1/9) at airbench's rate, and its
schedule (linear from 0.2 to 1 over 23 % of training, then to 0.07). Tried: that; at a third of the rate; with GELU
(airbench's activation) instead of ReLU.

python -m framework.compare recipes/compare/record_cifar10_rates.py --logdir docs/results --threads 1 \\
    --workers 2 --drop-checkpoints --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, SGD_L2, BN = best["blocks"], best["SGD_L2"], best["BN"]  # the record's training before this stage
AIRBENCH = {"model.layers": blocks(32, 128, 128, whiten=True, bn=BN, head_scale=1 / 9), **best["AIRBENCH"]}

comparison = {
    "description": "Stage 4 of the CIFAR-10 (JPEG q75) record, at widths 32-128-128 and 4 epochs (seed 0): the record "
                   "recipe (cifar10_best.py); airbench's optimisation (batch norm without gamma, no L2, Nesterov 0.85 "
                   "at a 6x airbench rate for He weights, 64x for batch norm offsets, a 1/9 head, its schedule); the "
                   "same at a third of the rate; the same with GELU.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 4, "loggers": ["tensorboard"]},
    "baseline": "record",
    "seeds": 1,
    "variants": {
        "record": {"model.layers": blocks(32, 128, 128, whiten=True), **SGD_L2},
        "airbench": AIRBENCH,
        "airbench_lr_third": {**AIRBENCH, "optimizer.lr": 0.75},
        "airbench_gelu": {**AIRBENCH, "model.layers": blocks(32, 128, 128, whiten=True, bn=BN, act="gelu",
                                                             head_scale=1 / 9)},
    },
}
