"""Ladder rung 5 (docs/from_notebook.md): rung 4 trained on randomly distorted digits, affine and elastic
(Simard et al. 2003), each on half the images: the record recipe's augmentation, still 20 epochs."""
from framework import derive

recipe = derive("ladder_4_wide.py", {
    "augmentations": [
        {"name": "affine", "rotation": 10.0, "scale": 0.1, "shear": 10.0, "translate": 2.0, "p": 0.5},
        {"name": "elastic", "alpha": 34.0, "sigma": 4.0, "p": 0.5},
    ],
})
