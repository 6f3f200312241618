"""Augmentation on MNIST: none and each augmentation alone."""
comparison = {
    "description": "The default recipe without and with each augmentation of the training batches (15 epochs).",
    "base": "../mnist_adam.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "none",
    "seeds": 3,
    "variants": {
        "none": {},
        "shift": {"augmentations": [{"name": "shift", "max_shift": 2}]},
        "affine": {"augmentations": [{"name": "affine"}]},
        "elastic": {"augmentations": [{"name": "elastic", "alpha": 34.0, "sigma": 4.0}]},
        "noise": {"augmentations": [{"name": "noise", "std": 0.1, "clip_min": 0.0, "clip_max": 1.0}]},
        "cutout": {"augmentations": [{"name": "cutout", "size": 8}]},
    },
}
