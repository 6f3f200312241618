"""Stage 7 of the CIFAR-10 (JPEG q75) record, on validation only: airbench's identity-initialised convolutions (its
"implicit residual": PyTorch's dirac_ on each convolution's first min(C, filters) filters) on stage 6's choice
(record_cifar10_decay.py: airbench's weight decay, 84.28 % validation), at the stage-2 budget (widths 32-128-128,
4 epochs, seed 0). airbench's identity filters have 3 times the squared norm of its other filters (1 against
PyTorch's default 1/3); He's filters have 2, so the same ratio is an identity of sqrt(6). Tried: that, and 1.
With OpenBLAS's own kernel for this CPU (record_cifar10_decay_identity.py says why); the baseline's run is stage 6's
(the same recipe, copied by compare).

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.compare recipes/compare/record_cifar10_identity.py \\
    --logdir docs/results --threads 1 --workers 2 --drop-checkpoints \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

best = runpy.run_path(str(Path(__file__).parents[1] / "cifar10_best.py"))
blocks, BN, DECAY = best["blocks"], best["BN"], best["DECAY"]


def identity(gain: float) -> dict:
    return {"model.layers": blocks(32, 128, 128, whiten=True, bn=BN, head_scale=1 / 9, identity=gain)}


comparison = {
    "description": "Stage 7 of the CIFAR-10 (JPEG q75) record, at widths 32-128-128 and 4 epochs (seed 0): stage 6's "
                   "choice (airbench's weight decay) against the same with identity-initialised convolutions "
                   "(sqrt(6), airbench's ratio to the other filters' norm, and 1).",
    "base": "../cifar10_best.py",
    "set": {"epochs": 4, "loggers": ["tensorboard"], **identity(0), **DECAY},
    "baseline": "decay",
    "seeds": 1,
    "variants": {
        "decay": {},
        "identity": identity(6 ** 0.5),
        "identity_1": identity(1),
    },
}
