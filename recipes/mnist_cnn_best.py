"""The MNIST CNN record recipe: the reference CNN's convolutions (32, 64) and a third (128), each followed by batch
normalisation, ReLU and max pooling, a dense layer of 256 with dropout 0.25 before the output, trained on randomly
distorted digits (affine: rotation, scale, shear, translation, on half the images), AdamW (weight decay 0.05 on the
weights) with warm-up and cosine decay, 30 epochs. Chosen on validation in five stages
(recipes/compare/record_mnist_cnn*.py; their tuning.md files list the candidates), the first four with Adam and the
first three under affine and elastic distortions: its head over the Keras example's (dense 128, dropout 0.25 and
0.5), then the third block, then no shifts over shifts added, then affine distortions alone over affine and
elastic, then AdamW over Adam (mean validation over three seeds)."""
from framework import derive

recipe = derive("mnist_cnn.py", {
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 128}, "batch_norm", "relu", "max_pool2d",
        "flatten", {"name": "dense", "units": 256}, "relu", {"name": "dropout", "rate": 0.25},
        {"name": "dense", "units": "outputs"}]},
    "augmentations": [
        {"name": "affine", "rotation": 10.0, "scale": 0.1, "shear": 10.0, "translate": 2.0, "p": 0.5}],
    "optimizer": {"name": "adamw", "lr": 1e-3, "weight_decay": 0.05},
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 30,
})
