"""Architecture on MNIST: width, depth, activation, and the seed network against the default recipe."""
comparison = {
    "description": ("Depth and width, sigmoid and tanh against ReLU, and the seed network (784-64-10 sigmoid, "
                    "plain SGD, no schedule) against the default recipe (784-512-256-10 ReLU, Adam, cosine)."),
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "default",
    "seeds": 3,
    "variants": {
        "default": {},
        "narrow_256-128": {"model.hidden": [256, 128]},
        "wide_1024-512": {"model.hidden": [1024, 512]},
        "shallow_512": {"model.hidden": [512]},
        "deep_512x4": {"model.hidden": [512, 512, 512, 512]},
        "sigmoid": {"model.activation": "sigmoid"},
        "tanh": {"model.activation": "tanh"},
        "seed_network": {"model.hidden": [64], "model.activation": "sigmoid", "optimizer": {"name": "sgd", "lr": 0.5},
                         "scheduler": None},
    },
}
