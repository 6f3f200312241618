"""The record recipes, three seeds each: python -m framework.compare recipes/compare/records.py --logdir docs/results"""
comparison = {
    "description": "mnist_best.py and fashion_mnist_best.py over three seeds (the change column compares "
                   "two datasets and is only for reference).",
    "base": "../mnist_best.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "mnist_best",
    "seeds": 3,
    "variants": {"mnist_best": "../mnist_best.py", "fashion_mnist_best": "../fashion_mnist_best.py"},
}
