"""How the MNIST CNN record recipe is chosen, on validation only: each candidate trains once (seed 0) and the one
with the best validation accuracy runs three seeds; the test figures are reported, never used to choose.

python -m framework.compare recipes/compare/record_mnist_cnn.py --logdir docs/results"""
CONV = [{"name": "conv2d", "filters": 32}, "batch_norm", "relu", "max_pool2d",
        {"name": "conv2d", "filters": 64}, "batch_norm", "relu", "max_pool2d", "flatten"]
HEAVY = [{"name": "dropout", "rate": 0.25}, {"name": "dense", "units": 128}, "relu",  # as Keras' mnist_cnn example
         {"name": "dropout", "rate": 0.5}, {"name": "dense", "units": "outputs"}]
LIGHT = [{"name": "dense", "units": 256}, "relu", {"name": "dropout", "rate": 0.25},
         {"name": "dense", "units": "outputs"}]
DISTORT = [{"name": "affine", "rotation": 10.0, "scale": 0.1, "shear": 10.0, "translate": 2.0, "p": 0.5},
           {"name": "elastic", "alpha": 34.0, "sigma": 4.0, "p": 0.5}]  # the distortions of the first three stages


comparison = {
    "description": "The MNIST CNN record recipe (mnist_cnn_best.py) chosen on validation: two heads on the "
                   "same convolutions (32, 64, batch norm): dense 128 with dropout 0.25 and 0.5 against dense 256 "
                   "with dropout 0.25 before the output only; affine and elastic distortions, 30 "
                   "epochs; the chosen one over three seeds (tuning.md lists the candidates).",
    "base": "../mnist_cnn_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"], "augmentations": DISTORT,
            "optimizer": {"name": "adam", "lr": 1e-3}},  # the optimizer of the first four stages
    "baseline": "mnist",
    "seeds": 3,
    "tune": {"model.layers": {"32-64": CONV + HEAVY, "32-64-256": CONV + LIGHT}},
    "variants": {"mnist": {}},
}
