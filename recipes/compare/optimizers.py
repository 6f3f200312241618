"""Optimizers on MNIST: the default recipe (784-512-256-10, cosine schedule, 15 epochs) under each optimizer."""
comparison = {
    "description": "Each optimizer with a learning rate that suits it; everything else as the default recipe.",
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "adam",
    "seeds": 3,
    "variants": {
        "sgd": {"optimizer": {"name": "sgd", "lr": 0.1}},
        "momentum": {"optimizer": {"name": "momentum", "lr": 0.05, "momentum": 0.9}},
        "nesterov": {"optimizer": {"name": "momentum", "lr": 0.05, "momentum": 0.9, "nesterov": True}},
        "rmsprop": {"optimizer": {"name": "rmsprop", "lr": 5e-4}},
        "adagrad": {"optimizer": {"name": "adagrad", "lr": 0.02}},
        "adam": {},
        "adamw": {"optimizer": {"name": "adamw", "lr": 1e-3, "weight_decay": 0.05}},
    },
}
