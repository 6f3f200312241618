"""Each component of the CIFAR-10 record recipe (recipes/cifar10_best.py) left out in turn, on a budget this
machine affords for 8 variants x 3 seeds: the record's layout at widths 16-64-64, 4 epochs, on 10,000 training
images (dataset.limit; validation and test as always), seeds 0-2. The table says what each component is worth at
this budget, not at the record's.

python -m framework.compare recipes/compare/cifar10_components.py --logdir docs/results --threads 1 \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, STAGE1, SGD_L2 = best["blocks"], best["STAGE1"], best["SGD_L2"]  # what it ran that the record has changed
CALLBACKS = [{"name": "ema", "decay": 0.99}, "flip_tta"]

comparison = {
    "description": "The CIFAR-10 (JPEG q75) record recipe's components, each left out in turn, at widths 16-64-64, "
                   "4 epochs on 10,000 training images: random crops (4 reflected pixels), flips, label smoothing "
                   "0.2, flip test-time augmentation, a moving average of the weights (EMA 0.99), Nesterov SGD with a "
                   "one-cycle rate (against Adam with warm-up and cosine, and Nesterov with warm-up and linear decay).",
    "base": "../cifar10_best.py",
    "set": {"model.layers": blocks(16, 64, 64), "epochs": 4, "dataset.limit": 10000, "callbacks": CALLBACKS,
            "loggers": ["tensorboard"], "augmentations": STAGE1["augmentations"], **SGD_L2},
    "baseline": "all",
    "seeds": 3,
    "variants": {
        "all": {},
        "no_crop": {"augmentations": ["flip"]},
        "no_flip": {"augmentations": [{"name": "random_crop", "padding": 4}]},
        "no_label_smoothing": {"loss": "auto"},
        "no_flip_tta": {"callbacks": CALLBACKS[:1]},
        "no_ema": {"callbacks": CALLBACKS[1:]},
        "adam_cosine": {"optimizer": {"name": "adam", "lr": 2e-3}, "scheduler": {"name": "cosine",
                                                                                 "warmup_epochs": 1}},
        "nesterov_linear": {"scheduler": {"name": "linear", "warmup_epochs": 1}},
    },
}
