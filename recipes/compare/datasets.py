"""The default recipe's counterpart on each dataset (the same settings as the per-dataset recipes)."""
comparison = {
    "description": ("One network recipe per dataset. The metric is test accuracy, except diabetes (regression), "
                    "where it is test R²; the change column compares unlike datasets and is only for reference."),
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "mnist",
    "seeds": 3,
    "variants": {
        "mnist": {},
        "fashion_mnist": {"dataset": "fashion_mnist", "epochs": 20},
        "digits": {"dataset": "digits", "model.hidden": [64], "epochs": 30, "batch_size": 32},
        "breast_cancer": {"dataset": "breast_cancer", "model.hidden": [32], "loss": "binary_cross_entropy",
                          "optimizer.lr": 3e-3, "epochs": 40, "batch_size": 32},
        "wine": {"dataset": "wine", "model.hidden": [32], "optimizer.lr": 3e-3, "epochs": 60, "batch_size": 16},
    },
}
