"""From the notebook's network to the record, one change per rung (docs/from_notebook.md): three seeds each, the
SGD rungs' learning rates chosen on validation.

python -m framework.compare recipes/compare/ladder.py --logdir docs/results"""
comparison = {
    "description": "The ladder of docs/from_notebook.md: each rung is the one before with one change (the sixth: "
                   "the MLP record recipe, a third hidden layer chosen on validation and 60 epochs instead of 20; "
                   "the seventh: convolutions, the CNN record recipe, 30 epochs); the "
                   "SGD rungs' learning rates are chosen on validation (tuning.md), the others use the record's.",
    "base": "../ladder_1_notebook.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "baseline": "1_notebook",
    "seeds": 3,
    "tune": {"optimizer.lr": {"1_notebook": [0.03, 0.1, 0.3, 1.0, 3.0, 10.0], "2_relu": [0.01, 0.03, 0.1, 0.3, 1.0]}},
    "variants": {
        "1_notebook": "../ladder_1_notebook.py",
        "2_relu": "../ladder_2_relu.py",
        "3_adam": "../ladder_3_adam.py",
        "4_wide": "../ladder_4_wide.py",
        "5_augment": "../ladder_5_augment.py",
        "6_record": "../mnist_best.py",
        "7_cnn": "../mnist_cnn_best.py",
    },
}
