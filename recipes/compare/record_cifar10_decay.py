"""Stage 6 of the CIFAR-10 (JPEG q75) record, on validation only: airbench's weight decay, which stage 4 left out,
at the stage-2 budget (widths 32-128-128, 4 epochs, seed 0). airbench shrinks every weight by 0.0153 x batch / 1024 /
(1 + 1 / (1 - momentum)) a step at the peak rate, 5.0e-4 at a batch of 256: here L2 5.0e-4 / 2.25 = 2.2e-4 at rate
2.25 (a fraction of a weight is the same on He-initialised weights; for weights before batch norm the training is
then airbench's up to scale). L2 here decays weights only, not batch norm's offsets as airbench does, and the head
(at a sixth of the rate) by a sixth of airbench's. Tried: none (stage 5's record), half, airbench's, three times.
With OpenBLAS's own kernel for this CPU (record_cifar10_decay_identity.py says why); the baseline's run is stage 4's
(the same recipe, copied by compare; its time was on the AVX2 kernel, two runs sharing the machine).

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.compare recipes/compare/record_cifar10_decay.py \\
    --logdir docs/results --threads 1 --workers 2 --drop-checkpoints \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, BN, AIRBENCH_DECAY = best["blocks"], best["BN"], best["AIRBENCH_DECAY"]


def decay(lam: float) -> dict:
    return {"regularizers": [{"name": "l2", "lam": lam}]}


comparison = {
    "description": "Stage 6 of the CIFAR-10 (JPEG q75) record, at widths 32-128-128 and 4 epochs (seed 0): stage 5's "
                   "record (cifar10_best.py then, no L2) against airbench's weight decay as L2 on the weights "
                   "(2.2e-4 at rate 2.25), half of it and three times it.",
    "base": "../cifar10_best.py",
    "set": {"epochs": 4, "loggers": ["tensorboard"],
            "model.layers": blocks(32, 128, 128, whiten=True, bn=BN, head_scale=1 / 9)},
    "baseline": "record",
    "seeds": 1,
    "variants": {
        "record": {"regularizers": []},
        "decay_half": decay(AIRBENCH_DECAY / 2),
        "decay": decay(AIRBENCH_DECAY),
        "decay_x3": decay(AIRBENCH_DECAY * 3),
    },
}
