"""Stage 5 of the CIFAR-10 (JPEG q75) record, on validation only: stage 3's record (record_cifar10_whiten.py, 86.93 %
validation) trained as stage 4 chose (record_cifar10_rates.py, 83.10 against 81.42 % validation at a sixth of the
budget): airbench's batch norm without gamma, no L2, Nesterov 0.85 at airbench's rates carried over to He weights,
its 1/9 head and its schedule; widths 48-192-192, 9 epochs, 3 seeds. It is recipes/cifar10_best.py since.

python -m framework.compare recipes/compare/record_cifar10_airbench.py --logdir docs/results --threads 1 \\
    --workers 3 --drop-checkpoints --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

blocks = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))["blocks"]
BN = {"scale": False, "momentum": 0.4}
RATES = {"*bn*.beta": 64 / 6, "*dense*.W": 1 / 6}

comparison = {
    "description": "Stage 5 of the CIFAR-10 (JPEG q75) record: stage 3's network (48-192-192 with patch whitening, "
                   "crops of 2 pixels, flips, label smoothing 0.2, EMA of weights and batch norm statistics, flip "
                   "TTA, 9 epochs) trained with stage 4's choice, airbench's regime: batch norm without gamma, no "
                   "L2, Nesterov 0.85 at rate 2.25 (64x for batch norm offsets), a 1/9 head, its schedule; 3 seeds.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 9, "loggers": ["tensorboard"],
            "model.layers": blocks(48, 192, 192, whiten=True, bn=BN, head_scale=1 / 9),
            "augmentations": [{"name": "random_crop", "padding": 2}, "flip"],
            "loss": {"name": "auto", "label_smoothing": 0.2},
            "optimizer": {"name": "momentum", "lr": 2.25, "momentum": 0.85, "nesterov": True, "lr_scale": RATES},
            "regularizers": [],
            "scheduler": {"name": "one_cycle", "pct_start": 0.23, "div_factor": 5, "final_div_factor": 1 / (5 * 0.07),
                          "anneal": "linear"},
            "callbacks": ["checkpoint", {"name": "ema", "decay": 0.99, "buffers": True}, "flip_tta"],
            "batch_size": 256},
    "baseline": "airbench",
    "seeds": 3,
    "variants": {"airbench": {}},
}
