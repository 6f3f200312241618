"""Convolutional networks on MNIST: the reference CNN (mnist_cnn.py) against the default MLP, and with batch
normalisation, dropout or augmentation added, 10 epochs each.

python -m framework.compare recipes/compare/cnn.py --logdir docs/results"""
CONV = [{"name": "conv2d", "filters": 32}, "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "relu", "max_pool2d"]
HEAD = ["flatten", {"name": "dense", "units": 128}, "relu", {"name": "dense", "units": "outputs"}]
BN = [{"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
      {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d"]
DROP = ["flatten", {"name": "dropout", "rate": 0.25}, {"name": "dense", "units": 128}, "relu",
        {"name": "dropout", "rate": 0.5}, {"name": "dense", "units": "outputs"}]

comparison = {
    "description": ("The reference CNN (conv 32, pool, conv 64, pool, dense 128; Adam, cosine, 10 epochs) against "
                    "the default MLP (784-512-256-10) with the same optimizer and epochs, and the CNN with batch "
                    "normalisation after each convolution, with dropout before the dense layers (0.25, 0.5), and "
                    "with random affine distortions of half the images."),
    "base": "../mnist_cnn.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "cnn",
    "seeds": 3,
    "variants": {
        "cnn": {},
        "mlp_512-256": {"model": {"hidden": [512, 256], "activation": "relu"}},
        "cnn_batchnorm": {"model": {"name": "sequential", "layers": BN + HEAD}},
        "cnn_dropout": {"model": {"name": "sequential", "layers": CONV + DROP}},
        "cnn_affine": {"augmentations": [{"name": "affine", "rotation": 10.0, "scale": 0.1, "shear": 10.0,
                                          "translate": 2.0, "p": 0.5}]},
    },
}
