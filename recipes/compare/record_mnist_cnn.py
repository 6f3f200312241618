"""How the MNIST CNN record recipe is chosen, on validation only: each candidate trains once (seed 0) and the one
with the best validation accuracy runs three seeds; the test figures are reported, never used to choose.

python -m framework.compare recipes/compare/record_mnist_cnn.py --logdir docs/results"""
def layers(a, b):
    return [{"name": "conv2d", "filters": a}, "batch_norm", "relu", "max_pool2d",
            {"name": "conv2d", "filters": b}, "batch_norm", "relu", "max_pool2d",
            "flatten", {"name": "dropout", "rate": 0.25}, {"name": "dense", "units": 128}, "relu",
            {"name": "dropout", "rate": 0.5}, {"name": "dense", "units": "outputs"}]


comparison = {
    "description": "The MNIST CNN record recipe (mnist_cnn_best.py) chosen on validation: the reference widths "
                   "(32, 64) against wider ones (48, 96), batch norm, dropout, affine and elastic distortions, 30 "
                   "epochs; the chosen one over three seeds (tuning.md lists the candidates).",
    "base": "../mnist_cnn_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "mnist",
    "seeds": 3,
    "tune": {"model.layers": {"32-64": layers(32, 64), "48-96": layers(48, 96)}},
    "variants": {"mnist": {}},
}
