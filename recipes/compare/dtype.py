"""float32 against float64 on MNIST: speed and accuracy."""
comparison = {
    "description": "The default recipe computed in float32 (the default) and in float64.",
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "float32",
    "seeds": 3,
    "variants": {
        "float32": {},
        "float64": {"dtype": "float64"},
    },
}
