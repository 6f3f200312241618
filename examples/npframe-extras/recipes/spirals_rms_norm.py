"""Two spirals with a sequential model that uses the package's own layer (rms_norm) between npframe's."""
recipe = {
    "dataset": {"name": "two_spirals", "n": 2000},
    "model": {"name": "sequential", "layers": [
        {"name": "dense", "units": 64}, "rms_norm", "tanh",
        {"name": "dense", "units": 64}, "rms_norm", "tanh",
        {"name": "dense", "units": "outputs"}]},
    "optimizer": {"name": "adam", "lr": 3e-3},
    "scheduler": "cosine",
    "callbacks": ["checkpoint"],
    "epochs": 60,
    "batch_size": 32,
}
