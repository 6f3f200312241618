"""Regularization on MNIST: none, each regularizer alone, two combinations, early stopping, batch norm."""
comparison = {
    "description": "The default recipe without and with each regularizer (15 epochs, Adam, cosine schedule).",
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "none",
    "seeds": 3,
    "variants": {
        "none": {},
        "l2": {"regularizers": [{"name": "l2", "lam": 1e-4}]},
        "dropout": {"regularizers": [{"name": "dropout", "rate": 0.3}]},
        "max_norm": {"regularizers": [{"name": "max_norm", "max_norm": 3.0}]},
        "l2+dropout": {"regularizers": [{"name": "l2", "lam": 1e-4}, {"name": "dropout", "rate": 0.3}]},
        "dropout+max_norm": {"regularizers": [{"name": "dropout", "rate": 0.3}, {"name": "max_norm", "max_norm": 3.0}]},
        "early_stopping": {"regularizers": [{"name": "early_stopping", "monitor": "val_loss", "patience": 3}]},
        "batch_norm": {"model.norm": "batch"},
    },
}
