"""The Fashion-MNIST CNN record recipe: conv 32-64 with batch normalisation after each convolution, dense 256 with
dropout 0.25 before the output, random shifts of up to 2 pixels, Adam with warm-up and cosine decay, 40 epochs.
Chosen on validation in six stages (recipes/compare/record_fashion_cnn*.py; their tuning.md files list the
candidates), the first five at 30 epochs: no augmentation over left-right flips, then this head over dropout 0.25,
dense 128, dropout 0.5, then two convolution blocks over three, then random shifts over no augmentation, then,
under shifts, two convolution blocks over three again, then 40 epochs over 30 (mean validation over three seeds)."""
from framework import derive

recipe = derive("mnist_cnn.py", {
    "dataset": "fashion_mnist",
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d",
        "flatten", {"name": "dense", "units": 256}, "relu", {"name": "dropout", "rate": 0.25},
        {"name": "dense", "units": "outputs"}]},
    "augmentations": [{"name": "shift", "max_shift": 2}],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 40,
})
