"""Augmentation on MNIST: none, each augmentation alone, the three warps together and all five together."""
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
        "warps": {"augmentations": [{"name": "shift", "max_shift": 2}, {"name": "affine"},
                                    {"name": "elastic", "alpha": 34.0, "sigma": 4.0}]},
        "all": {"augmentations": [{"name": "shift", "max_shift": 2}, {"name": "affine"},
                                       {"name": "elastic", "alpha": 34.0, "sigma": 4.0},
                                       {"name": "noise", "std": 0.1, "clip_min": 0.0, "clip_max": 1.0},
                                       {"name": "cutout", "size": 8}]},
    },
}
