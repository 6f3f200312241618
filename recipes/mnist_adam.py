"""The default recipe: a 784-512-256-10 ReLU network trained with Adam and a cosine learning-rate decay on MNIST."""
recipe = {
    "dataset": "mnist",
    "model": {"hidden": [512, 256], "activation": "relu"},
    "loss": "auto",
    "optimizer": {"name": "adam", "lr": 1e-3},
    "scheduler": "cosine",
    "regularizers": [],
    "augmentations": [],
    "callbacks": ["checkpoint"],
    "loggers": ["progress", "tensorboard"],
    "epochs": 15,
    "batch_size": 128,
    "seed": 0,
    "dtype": "float32",
}
