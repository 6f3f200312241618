"""A quick comparison on digits (seconds): SGD, Adam, and Adam with dropout. CI runs it end to end."""
comparison = {
    "description": "Three variants on scikit-learn's digits, 10 epochs each.",
    "base": "../digits_adam.py",
    "set": {"epochs": 10, "loggers": ["tensorboard"], "callbacks": []},
    "baseline": "adam",
    "seeds": 2,
    "variants": {
        "adam": {},
        "sgd": {"optimizer": {"name": "sgd", "lr": 0.1}},
        "adam_dropout": {"regularizers": [{"name": "dropout", "rate": 0.2}]},
    },
}
