"""The CIFAR-10 (JPEG q75) record recipe, chosen on validation by recipes/compare/record_cifar10*.py in nine stages:
airbench's network and training (K. Jordan 2024): its fixed 2x2 patch-whitening first layer, then three blocks of two
3x3 convolutions (48, 192, 192 filters; the first of each block max-pooled, each followed by batch norm without gamma
and ReLU; each convolution's first filters start as the identity), a max pool to 1x1, dense 10 without bias times
1/9; random crops (2 reflected pixels) and flips, label smoothing 0.2, Nesterov SGD (momentum 0.85) at airbench's
rates and weight decay carried over to He-initialised weights (batch norm's offsets 64 times faster), its linear
warm-up and decay, an exponential moving average of the weights and of batch norm's statistics, and flip test-time
augmentation; 12 epochs. Its record runs (stage 9) took 26.8-28.2 minutes each alone on this project's 2-core
machine with OpenBLAS's own kernel for the CPU (that machine's environment forces an older, slower one); a run of
stage 8's recipe once took 1.5 times longer an epoch as this shared machine slowed (docs/results/README.md):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m framework.run recipes/cifar10_best.py \\
        --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip
"""
from framework import derive


def blocks(w1: int, w2: int, w3: int, whiten: bool = False, bn: dict | None = None, act: str = "relu",
           head_scale: float | None = None, identity: float = 0) -> list:
    """airbench's three blocks: conv w, max pool 2, batch norm, ReLU (or `act`), conv w, batch norm, ReLU; with
    `whiten`, after its fixed 2x2 patch-whitening layer and a ReLU (32x32 images become 31x31, so the last pool is
    3x3). `bn`: batch norm's options; `head_scale`: airbench's head, dense without bias times a constant;
    `identity`: the convolutions' identity-initialised filters (conv2d's option), 0 for none."""
    norm = {"name": "batch_norm", **bn} if bn else "batch_norm"
    conv = {"name": "conv2d", "bias": False, **({"identity": identity} if identity else {})}
    layers = ["patch_whitening", act] if whiten else []
    for w in (w1, w2, w3):
        layers += [{**conv, "filters": w}, "max_pool2d", norm, act, {**conv, "filters": w}, norm, act]
    pool = {"name": "max_pool2d", "size": 3 if whiten else 4}
    head = ([{"name": "dense", "units": "outputs", "bias": False}, {"name": "rescaling", "scale": head_scale}]
            if head_scale else [{"name": "dense", "units": "outputs"}])
    return [*layers, pool, "flatten", *head]


STAGE1 = {  # what the first stages ran that the record has since changed (their model and callbacks they set)
    "augmentations": [{"name": "random_crop", "padding": 4}, "flip"],
    "epochs": 8,
}
SGD_L2 = {  # how stages 1-3 (and stage 4's baseline, and the components table) trained, before airbench's regime
    "optimizer": {"name": "momentum", "lr": 0.2, "momentum": 0.9, "nesterov": True},
    "regularizers": [{"name": "l2", "lam": 5e-4}],
    "scheduler": {"name": "one_cycle", "pct_start": 0.25},
}

BN = {"scale": False, "momentum": 0.4}  # airbench's batch norm: no gamma, running statistics of the last few batches
AIRBENCH = {  # airbench's training (stage 4 on) for He-initialised weights: its rate 0.375 a batch of 256 times 6 (He's
    # weights have 6x the variance of PyTorch's default, and batch norm makes a convolution's rate act divided by its
    # weights' norm squared), batch norm's offsets at its 64x, the head at its rate; its linear warm-up and decay
    "optimizer": {"name": "momentum", "lr": 2.25, "momentum": 0.85, "nesterov": True,
                  "lr_scale": {"*bn*.beta": 64 / 6, "*dense*.W": 1 / 6}},
    "regularizers": [],
    "scheduler": {"name": "one_cycle", "pct_start": 0.23, "div_factor": 5, "final_div_factor": 1 / (5 * 0.07),
                  "anneal": "linear"},
}
AIRBENCH_DECAY = 5.0e-4 / 2.25  # airbench's weight decay (stage 6): it shrinks weights by 5.0e-4 a step at the peak
# rate for a batch of 256, which is L2 5.0e-4 / 2.25 at this recipe's rate (a fraction of a weight, whatever its init)
DECAY = {"regularizers": [{"name": "l2", "lam": AIRBENCH_DECAY}]}

recipe = derive("cifar10_cnn.py", {
    "model": {"name": "sequential", "layers": blocks(48, 192, 192, whiten=True, bn=BN, head_scale=1 / 9, identity=1)},
    "augmentations": [{"name": "random_crop", "padding": 2}, "flip"],
    "loss": {"name": "auto", "label_smoothing": 0.2},
    **AIRBENCH,
    **DECAY,
    "callbacks": ["checkpoint", {"name": "ema", "decay": 0.99, "buffers": True}, "flip_tta"],
    "batch_size": 256,
    "epochs": 12,
})
