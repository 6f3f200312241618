"""Stage 1 of the CIFAR-10 (JPEG q75) record, on validation only (stages 2 and 3: record_cifar10_proxy.py,
record_cifar10_whiten.py): airbench's three blocks without its whitening layer at two widths
(32-128-128 and 48-192-192 filters), each trained once (seed 0), both within the 30 minutes allowed alone on the
project's 2-core machine; the one with the best validation accuracy runs three seeds; the test figures are
reported, never used to choose.

python -m framework.compare recipes/compare/record_cifar10.py --logdir docs/results --threads 1 \
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, STAGE1, SGD_L2 = best["blocks"], best["STAGE1"], best["SGD_L2"]  # what it ran that the record has changed

comparison = {
    "description": "The CIFAR-10 (JPEG q75) record recipe (cifar10_best.py) chosen on validation: airbench's "
                   "layout (three blocks of two 3x3 convolutions with batch norm and ReLU, the first max-pooled) at "
                   "widths 32-128-128 and 48-192-192, random crops and flips, label smoothing 0.2, Nesterov SGD "
                   "with a one-cycle rate, L2 5e-4, a moving average of the weights and flip test-time "
                   "augmentation, 8 epochs; the chosen one over three seeds (tuning.md lists the candidates).",
    "base": "../cifar10_best.py",
    "set": {"callbacks": [{"name": "ema", "decay": 0.99}, "flip_tta"], "loggers": ["tensorboard"],
            "augmentations": STAGE1["augmentations"], "epochs": STAGE1["epochs"], **SGD_L2},
    "baseline": "cifar10",
    "seeds": 3,
    "tune": {"model.layers": {"32-128-128": blocks(32, 128, 128), "48-192-192": blocks(48, 192, 192)}},
    "variants": {"cifar10": {}},
}
