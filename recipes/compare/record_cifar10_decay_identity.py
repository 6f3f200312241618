"""Stage 8 of the CIFAR-10 (JPEG q75) record, on validation only: stage 5's record (record_cifar10_airbench.py,
88.09 % validation) with stage 6's and 7's choices (airbench's weight decay, record_cifar10_decay.py, +1.18
validation points; identity-initialised convolutions, record_cifar10_identity.py, +0.26 more, both at a sixth of
the budget) and 10 epochs instead of 9, the time OpenBLAS's own kernel for this CPU frees (below); widths
48-192-192, 3 seeds, each run alone on both cores, one after the other, so that each run's wall_seconds
(summary.json) is its time alone. Stages 6-8 ran with OpenBLAS's own choice of kernel (SkylakeX, AVX-512) rather
than the AVX2 kernel this machine's environment forces for older builds (`env -u OPENBLAS_CORETYPE -u
OPENBLAS_L2_SIZE`, docs/benchmarks.md): the record network's epoch is about 1.3 times faster with it.
Validation 88.91 +- 0.36 % against stage 5's 88.09 +- 0.54; it became recipes/cifar10_best.py, which trains 12
epochs since stage 9 (record_cifar10_epochs.py).

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.compare \\
    recipes/compare/record_cifar10_decay_identity.py --logdir docs/results --threads 2 --workers 1 \\
    --drop-checkpoints --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, BN, DECAY = best["blocks"], best["BN"], best["DECAY"]

comparison = {
    "description": "Stage 8 of the CIFAR-10 (JPEG q75) record: stage 5's record (48-192-192 with patch whitening, "
                   "airbench's training) with airbench's weight decay (L2 2.2e-4 at rate 2.25) and "
                   "identity-initialised convolutions (1), 10 epochs; 3 seeds, each run alone.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 10, "loggers": ["tensorboard"],
            "model.layers": blocks(48, 192, 192, whiten=True, bn=BN, head_scale=1 / 9, identity=1),
            **DECAY},
    "baseline": "decay_identity",
    "seeds": 3,
    "variants": {"decay_identity": {}},
}
