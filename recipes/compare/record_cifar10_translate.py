"""Stage 10 of the CIFAR-10 (JPEG q75) record, on validation only: airbench's translated test-time augmentation
(`flip_tta`'s `translate: 1`: half the flip mean, half the flip means of the images moved one pixel down-right and
up-left, borders reflected; three times the evaluation) against flip alone, at the stage-2 budget (widths
32-128-128, 4 epochs, seed 0) on stage 7's choice; the baseline's run is stage 7's (the same recipe, copied by compare).

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.compare recipes/compare/record_cifar10_translate.py \\
    --logdir docs/results --threads 2 --workers 1 --drop-checkpoints \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, BN, DECAY = best["blocks"], best["BN"], best["DECAY"]
EMA = {"name": "ema", "decay": 0.99, "buffers": True}

comparison = {
    "description": "Stage 10 of the CIFAR-10 (JPEG q75) record, at widths 32-128-128 and 4 epochs (seed 0): stage 7's "
                   "choice with flip test-time augmentation against flip and airbench's one-pixel translations.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 4, "loggers": ["tensorboard"], **DECAY,
            "model.layers": blocks(32, 128, 128, whiten=True, bn=BN, head_scale=1 / 9, identity=1),
            "callbacks": ["checkpoint", EMA, "flip_tta"]},
    "baseline": "flip",
    "seeds": 1,
    "variants": {
        "flip": {},
        "flip_translate": {"callbacks": ["checkpoint", EMA, {"name": "flip_tta", "translate": 1}]},
    },
}
