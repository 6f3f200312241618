"""Stage 3 of the CIFAR-10 (JPEG q75) record, on validation only: the first stage's recipe (record_cifar10.py, 85.10 %
validation) at full size (48-192-192) with what won the second stage (record_cifar10_proxy.py, 81.42 against 77.74 %
validation): the fixed 2x2 patch-whitening first layer, crops of 2 reflected pixels, and batch norm's running
statistics averaged by the EMA; 9 epochs, which fits the 30 minutes allowed alone (`python benchmarks/cifar_epoch.py
--recipe recipes/cifar10_best.py --batch 256`, the record recipe at this stage: 38.0 s per 10,000 images, so
about 171 s an epoch of 45,000); 3 seeds. It was recipes/cifar10_best.py (86.93 % validation)
until stage 5 (record_cifar10_airbench.py).

python -m framework.compare recipes/compare/record_cifar10_whiten.py --logdir docs/results --threads 1 \\
    --workers 3 --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, SGD_L2 = best["blocks"], best["SGD_L2"]  # what it ran that the record has changed

comparison = {
    "description": "Stage 3 of the CIFAR-10 (JPEG q75) record: cifar10_best.py at widths 48-192-192 with a fixed 2x2 "
                   "patch-whitening first layer, crops of 2 reflected pixels and flips, the EMA averaging batch "
                   "norm's running statistics too, 9 epochs, 3 seeds (the first stage, without these, reached "
                   "85.10 +- 0.17 % validation in 8 epochs).",
    "base": "../cifar10_best.py",
    "set": {"epochs": 9, "loggers": ["tensorboard"],
            "model.layers": blocks(48, 192, 192, whiten=True),
            "augmentations": [{"name": "random_crop", "padding": 2}, "flip"],
            "callbacks": ["checkpoint", {"name": "ema", "decay": 0.99, "buffers": True}, "flip_tta"], **SGD_L2},
    "baseline": "whiten_crop2_ema_bn",
    "seeds": 3,
    "variants": {"whiten_crop2_ema_bn": {}},
}
