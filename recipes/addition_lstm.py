"""Keras' addition example (an LSTM learns to add): "123+45" -> "168" as characters, the question read reversed
as Keras' example does (the last digits first). An LSTM of 128 units reads the question, its last state is
repeated once per answer character, a second LSTM of 128 writes the answer, and a dense layer gives each
position's character; Adam, 50,000 distinct sums (10 % validation, 10 % test)."""
from framework import derive

recipe = derive("mnist_rows_lstm.py", {
    "dataset": {"name": "addition", "n": 50000, "digits": 3, "reverse": True},
    "model": {"name": "sequential", "layers": [
        {"name": "embedding", "vocab": "outputs", "units": 16},
        {"name": "lstm", "units": 128}, {"name": "repeat", "n": 4},
        {"name": "lstm", "units": 128, "return_sequences": True},
        {"name": "dense", "units": "outputs"}]},
    "epochs": 40,
    "batch_size": 64,
})
