"""The Fashion-MNIST CNN record recipe: conv 32-64 with batch normalisation after each convolution, dense 256 with
dropout 0.25 before the output, Adam with warm-up and cosine decay, 30 epochs, no augmentation. Chosen on
validation in two stages: no augmentation over left-right flips (recipes/compare/record_fashion_cnn.py), then this
head over dropout 0.25, dense 128, dropout 0.5 (recipes/compare/record_fashion_cnn_head.py); their tuning.md files
list the candidates."""
from framework import derive

recipe = derive("mnist_cnn.py", {
    "dataset": "fashion_mnist",
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d",
        "flatten", {"name": "dense", "units": 256}, "relu", {"name": "dropout", "rate": 0.25},
        {"name": "dense", "units": "outputs"}]},
    "augmentations": [],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 30,
})
