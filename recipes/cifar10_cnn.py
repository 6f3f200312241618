"""The CIFAR-10 (JPEG q75) reference CNN: two 3x3 convolutions of 32 filters, max pool, two of 64, max pool, one
of 128, max pool, each convolution with batch norm and ReLU, then dense 10; random crops of the image padded by
4 reflected pixels and left-right flips; Adam with warm-up and cosine decay. The images come from a folder or
archive of class folders given on the command line, read by the image_folder dataset:

    python -m framework.run recipes/cifar10_cnn.py --set dataset.path=../shared/datasets/cifar10/cifar10-jpeg.zip
"""
from framework import derive

recipe = derive("mnist_cnn.py", {
    "dataset": {"name": "image_folder", "path": "cifar10-jpeg.zip"},
    "model": {"name": "sequential", "layers": [
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu",
        {"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 128}, "batch_norm", "relu", "max_pool2d",
        "flatten", {"name": "dense", "units": "outputs"}]},
    "augmentations": [{"name": "random_crop", "padding": 4}, "flip"],
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "epochs": 10,
})
