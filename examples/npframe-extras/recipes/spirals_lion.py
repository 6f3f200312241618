"""Two spirals with all four example plugins: Lion, the JSON-lines logger, 2-D rotations, the dataset."""
recipe = {
    "dataset": {"name": "two_spirals", "n": 2000},
    "model": {"hidden": [64, 64], "activation": "tanh"},
    "optimizer": {"name": "lion", "lr": 3e-3},
    "scheduler": "cosine",
    "augmentations": [{"name": "rotate2d", "max_degrees": 5.0}],
    "loggers": ["jsonl", "tensorboard"],
    "epochs": 60,
    "batch_size": 32,
}
