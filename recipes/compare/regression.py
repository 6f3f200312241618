"""Regression on diabetes: a linear model against small networks, with and without L2."""
comparison = {
    "description": "Mean squared error on the standardised diabetes target; the metric is test R².",
    "base": "../diabetes_mse.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "tanh_32_l2",
    "seeds": 3,
    "variants": {
        "tanh_32_l2": {},
        "tanh_32": {"regularizers": []},
        "relu_64_l2": {"model.hidden": [64], "model.activation": "relu"},
        "linear": {"model.hidden": [], "regularizers": []},
    },
}
