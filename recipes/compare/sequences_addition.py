"""Keras' addition example: one LSTM of 128 units reads "123+45", a second writes "168" (recipes/addition_lstm.py),
three seeds; the table goes by the fraction of held-out sums exactly right (sequence_accuracy).

python -m framework.compare recipes/compare/sequences_addition.py --logdir docs/results --threads 1"""
comparison = {
    "description": "Sums of two numbers of up to 3 digits as characters (50,000 distinct, 10 % validation, 10 % "
                   "test): an LSTM of 128 units encodes the question, its last state is repeated once per answer "
                   "character, a second LSTM of 128 decodes; Adam 2e-3, warm-up and cosine, 40 epochs, batch 64. "
                   "The figure is the fraction of sums with every answer character right.",
    "base": "../addition_lstm.py",
    "set": {"callbacks": [], "loggers": ["tensorboard"]},
    "metric": "sequence_accuracy",
    "seeds": 3,
    "variants": {"lstm": {}},
}
