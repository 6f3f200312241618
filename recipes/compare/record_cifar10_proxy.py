"""Stage 2 of the CIFAR-10 (JPEG q75) record, on validation only: airbench's pieces the first stage
(record_cifar10.py, 85.10 % validation) left out, added one at a time on a budget a sixth of the record's (widths
32-128-128, 4 epochs, seed 0): a fixed patch-whitening first layer, crops of 2 reflected pixels instead of 4,
batch norm's running statistics averaged with the weights by the EMA, and half the L2 penalty (the record's runs end
at 87 % training accuracy: they underfit). The steps that raise validation accuracy go into the next stage's
full-size runs.

python -m framework.compare recipes/compare/record_cifar10_proxy.py --logdir docs/results --threads 1 \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, STAGE1, SGD_L2 = best["blocks"], best["STAGE1"], best["SGD_L2"]  # what it ran that the record has changed
CROP2 = [{"name": "random_crop", "padding": 2}, "flip"]
EMA_BUFFERS = [{"name": "ema", "decay": 0.99, "buffers": True}, "flip_tta"]

comparison = {
    "description": "Stage 2 of the CIFAR-10 (JPEG q75) record, at widths 32-128-128 and 4 epochs (seed 0): the record "
                   "recipe (cifar10_best.py); with a fixed 2x2 patch-whitening first layer; with crops of 2 reflected "
                   "pixels instead of 4; then also batch norm's running statistics averaged by the EMA; then also "
                   "whitening, or instead half the L2 penalty (2.5e-4).",
    "base": "../cifar10_best.py",
    "set": {"epochs": 4, "callbacks": [{"name": "ema", "decay": 0.99}, "flip_tta"], "loggers": ["tensorboard"],
            "augmentations": STAGE1["augmentations"], **SGD_L2},
    "baseline": "record",
    "seeds": 1,
    "variants": {
        "record": {"model.layers": blocks(32, 128, 128)},
        "whiten": {"model.layers": blocks(32, 128, 128, whiten=True)},
        "crop2": {"model.layers": blocks(32, 128, 128), "augmentations": CROP2},
        "crop2_ema_bn": {"model.layers": blocks(32, 128, 128), "augmentations": CROP2, "callbacks": EMA_BUFFERS},
        "crop2_ema_bn_whiten": {"model.layers": blocks(32, 128, 128, whiten=True), "augmentations": CROP2,
                                "callbacks": EMA_BUFFERS},
        "crop2_ema_bn_l2half": {"model.layers": blocks(32, 128, 128), "augmentations": CROP2, "callbacks": EMA_BUFFERS,
                                "regularizers": [{"name": "l2", "lam": 2.5e-4}]},
    },
}
