"""MNIST read row by row: each image is 28 steps of 28 pixels, an LSTM of 128 units reads them, and a dense
layer classifies its last state; Adam with warm-up and cosine decay."""
recipe = {
    "dataset": "mnist_rows",
    "model": {"name": "sequential", "layers": [
        {"name": "lstm", "units": 128}, {"name": "dense", "units": "outputs"}]},
    "loss": "auto",
    "optimizer": {"name": "adam", "lr": 2e-3},
    "scheduler": {"name": "cosine", "warmup_epochs": 1},
    "regularizers": [],
    "augmentations": [],
    "callbacks": ["checkpoint"],
    "loggers": ["progress", "tensorboard"],
    "epochs": 15,
    "batch_size": 128,
    "seed": 0,
    "dtype": "float32",
}
