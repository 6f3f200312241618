"""The Fashion-MNIST CNN record recipe: conv 32-64 with batch normalisation after each convolution, dropout 0.25 and
0.5 before the dense layers, Adam with warm-up and cosine decay, 30 epochs, no augmentation: chosen on validation
over left-right flips by recipes/compare/record_fashion_cnn.py (docs/results/record_fashion_cnn/tuning.md)."""
from framework import derive

recipe = derive("mnist_cnn.py", {
    "dataset": "fashion_mnist",
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d",
        "flatten", {"name": "dropout", "rate": 0.25}, {"name": "dense", "units": 128}, "relu",
        {"name": "dropout", "rate": 0.5}, {"name": "dense", "units": "outputs"}]},
    "augmentations": [],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 30,
})
