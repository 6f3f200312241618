"""An LSTM reading MNIST row by row (recipes/mnist_rows_lstm.py: 28 steps of 28 pixels, 128 units, Adam, 15
epochs), three seeds.

python -m framework.compare recipes/compare/sequences_mnist_rows.py --logdir docs/results --threads 1"""
comparison = {
    "description": "An LSTM of 128 units reading each MNIST image as 28 steps of 28 pixels, its last state "
                   "classified by a dense layer; Adam 2e-3, warm-up and cosine, 15 epochs, batch 128.",
    "base": "../mnist_rows_lstm.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "seeds": 3,
    "variants": {"lstm": {}},
}
