"""Stage 5 of the CIFAR-10 (JPEG q75) record, on validation only: stage 3's record (record_cifar10_whiten.py, 86.93 %
validation) trained as stage 4 chose (record_cifar10_rates.py, 83.10 against 81.42 % validation at a sixth of the
budget): airbench's batch norm without gamma, no L2, Nesterov 0.85 at airbench's rates carried over to He weights,
its 1/9 head and its schedule; widths 48-192-192, 9 epochs, 3 seeds. It was the record until stage 8
(record_cifar10_decay_identity.py).

python -m framework.compare recipes/compare/record_cifar10_airbench.py --logdir docs/results --threads 1 \\
    --workers 3 --drop-checkpoints --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, BN, AIRBENCH = best["blocks"], best["BN"], best["AIRBENCH"]

comparison = {
    "description": "Stage 5 of the CIFAR-10 (JPEG q75) record: stage 3's network (48-192-192 with patch whitening, "
                   "crops of 2 pixels, flips, label smoothing 0.2, EMA of weights and batch norm statistics, flip "
                   "TTA, 9 epochs) trained with stage 4's choice, airbench's regime: batch norm without gamma, no "
                   "L2, Nesterov 0.85 at rate 2.25 (64x for batch norm offsets), a 1/9 head, its schedule; 3 seeds.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 9, "loggers": ["tensorboard"],
            "model.layers": blocks(48, 192, 192, whiten=True, bn=BN, head_scale=1 / 9), **AIRBENCH},
    "baseline": "airbench",
    "seeds": 3,
    "variants": {"airbench": {}},
}
