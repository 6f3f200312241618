"""Optimizers on MNIST, each at the learning rate chosen on validation from a grid of its own (five values over
two decades, centred on the usual range for that optimizer), rather than at one hand-picked rate.

python -m framework.compare recipes/compare/optimizers_tuned.py --logdir docs/results"""
ADAM_LIKE = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
SGD_LIKE = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
MOMENTUM = [*SGD_LIKE, 0.3]  # 0.1 came out on top of SGD_LIKE for both: the grid goes one step further

comparison = {
    "description": "Each optimizer at the learning rate its validation accuracy chose (one seed per grid value, "
                   "tuning.md), then three seeds at that rate; everything else as the default recipe.",
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "adam",
    "seeds": 3,
    "tune": {"optimizer.lr": {"sgd": [0.01, 0.03, 0.1, 0.3, 1.0], "momentum": MOMENTUM, "nesterov": MOMENTUM,
                              "adagrad": SGD_LIKE, "rmsprop": ADAM_LIKE, "adam": ADAM_LIKE, "adamw": ADAM_LIKE}},
    "variants": {  # the rates come from the grids above; the other settings as in optimizers.py
        "sgd": {"optimizer": {"name": "sgd"}},
        "momentum": {"optimizer": {"name": "momentum", "momentum": 0.9}},
        "nesterov": {"optimizer": {"name": "momentum", "momentum": 0.9, "nesterov": True}},
        "rmsprop": {"optimizer": {"name": "rmsprop"}},
        "adagrad": {"optimizer": {"name": "adagrad"}},
        "adam": {},
        "adamw": {"optimizer": {"name": "adamw", "weight_decay": 0.05}},
    },
}
