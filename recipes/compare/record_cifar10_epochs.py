"""Stage 9 of the CIFAR-10 (JPEG q75) record, on validation only: stage 8's record (record_cifar10_decay_identity.py,
88.91 % validation in 10 epochs) trained for 12 epochs, the time faster convolutions free (the input gradient of
stride-1 layers with C >= filters as one product with the flipped kernel, the columns in memory kept between steps:
the record network's step about 1.4 times faster, docs/benchmarks.md). 3 seeds, each run alone on both cores, one
after the other, so that each run's wall_seconds (summary.json) is its time alone; the 10-epoch baseline is stage 8's
runs (the same recipe, copied by compare after checking).

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.compare recipes/compare/record_cifar10_epochs.py \\
    --logdir docs/results --threads 2 --workers 1 --drop-checkpoints \\
    --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip"""
import runpy
from pathlib import Path

stage8 = runpy.run_path(str(Path(__file__).parent / "record_cifar10_decay_identity.py"))["comparison"]

comparison = {
    "description": "Stage 9 of the CIFAR-10 (JPEG q75) record: stage 8's record (48-192-192, patch whitening, "
                   "airbench's training, weight decay and identity-initialised convolutions) for 10 and 12 epochs; "
                   "3 seeds, each run alone.",
    "base": "../cifar10_best.py",
    "set": stage8["set"],  # stage 8's recipe, 10 epochs
    "baseline": "epochs_10",
    "seeds": 3,
    "variants": {"epochs_10": {}, "epochs_12": {"epochs": 12}},
}
