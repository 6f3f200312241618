"""Three optimizer settings on digits, two seeds: the runs behind the TensorBoard screenshots in docs/images
(docs/screenshots.sh)."""
comparison = {
    "description": "digits: three optimizers",
    "base": "../digits_adam.py",
    "set": {"callbacks": [], "loggers": [{"name": "tensorboard", "every_n_steps": 5, "histograms_every_n_epochs": 5}]},
    "baseline": "adam",
    "seeds": 2,
    "variants": {"adam": {}, "sgd": {"optimizer": {"name": "sgd", "lr": 0.1}},
                 "adam_dropout": {"regularizers": [{"name": "dropout", "rate": 0.2}]}},
}
