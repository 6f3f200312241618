"""Losses fused with their output non-linearity, and the metrics each task reports.

`forward(z, y)` returns the mean loss over the batch as a Python float; `backward()` returns dL/dz for
the last `forward`. Fusing softmax/sigmoid with the cross-entropy gives the simple, stable gradient
(p - y) / N; see docs/math.md.
"""
from __future__ import annotations

import numpy as np

from .layers import sigmoid


class Loss:
    name = "loss"
    task = "multiclass"  # or "binary", "regression": the datasets this loss fits
    metric_names: tuple[str, ...] = ()  # the keys `metrics` returns

    def forward(self, z: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def n_correct(self, z: np.ndarray, y: np.ndarray) -> int | None:
        """Correct predictions in a batch (None for regression); feeds the running train accuracy."""
        return None

    def metrics(self, z: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Metrics over a whole split, beyond the loss."""
        return {}


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy on integer labels; log-sum-exp keeps it finite for any logits. With
    `label_smoothing` ε the target is (1 - ε) on the label plus ε spread evenly over all K classes (Szegedy et al.
    2016; Keras' and PyTorch's definition): L = -(1 - ε) log p_y - (ε / K) Σ_k log p_k."""

    name, task, metric_names = "softmax_cross_entropy", "multiclass", ("accuracy",)

    def __init__(self, label_smoothing: float = 0.0):
        if not 0 <= label_smoothing < 1:
            raise ValueError(f"label_smoothing: expected a value in [0, 1), got {label_smoothing!r}")
        self.eps = float(label_smoothing)

    def forward(self, z, y):
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        logp_y = z[rows, y] - zmax[:, 0] - np.log(s[:, 0])
        loss = -logp_y.mean()
        if self.eps:  # mean over classes of log p = mean(z) - zmax - log s
            logp_mean = z.mean(axis=1) - zmax[:, 0] - np.log(s[:, 0])
            loss = (1 - self.eps) * loss - self.eps * logp_mean.mean()
        e /= s  # e now holds the softmax probabilities
        self.p, self.y, self.rows = e, y, rows
        return float(loss)

    def backward(self):
        g = self.p.copy()  # (B, classes): small; the cache stays valid for a second call
        if self.eps:
            g -= self.eps / g.shape[1]
        g[self.rows, self.y] -= 1.0 - self.eps
        g /= len(self.y)
        return g

    def n_correct(self, z, y):
        return int((z.argmax(axis=1) == y).sum())

    def metrics(self, z, y):
        return {"accuracy": float((z.argmax(axis=1) == y).mean())}


class SequenceCrossEntropy(SoftmaxCrossEntropy):
    """Softmax cross-entropy at every position: (N, T, V) logits and (N, T) labels, the mean over all positions
    (a language model's loss). Metrics: token accuracy, sequence accuracy (every position right: a sum's answer),
    bits per character (the loss in base 2) and perplexity (exp of the loss)."""

    name, metric_names = "sequence_cross_entropy", ("accuracy", "sequence_accuracy", "bits_per_char", "perplexity")

    def forward(self, z, y):
        self.shape = z.shape
        return super().forward(z.reshape(-1, z.shape[-1]), y.reshape(-1))

    def backward(self):
        return super().backward().reshape(self.shape)

    def n_correct(self, z, y):  # in examples' worth of positions, so the running accuracy is per position
        return float((z.argmax(axis=-1) == y).mean() * len(y))

    def metrics(self, z, y):
        whole = float((z.argmax(axis=-1) == y).all(axis=1).mean())
        z, y = z.reshape(-1, z.shape[-1]), y.reshape(-1)
        zmax = z.max(axis=1)
        ce = float(np.mean(zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1)) - z[np.arange(len(y)), y]))
        return {"accuracy": float((z.argmax(axis=1) == y).mean()), "sequence_accuracy": whole,
                "bits_per_char": ce / np.log(2),
                "perplexity": float(np.exp(ce))}  # of the plain cross-entropy, with label smoothing too


class BinaryCrossEntropy(Loss):
    """Sigmoid + binary cross-entropy on logits: max(z,0) - z*y + log(1 + exp(-|z|)), stable for large |z|."""

    name, task, metric_names = "binary_cross_entropy", "binary", ("accuracy", "f1")

    def forward(self, z, y):
        y = y.reshape(z.shape).astype(z.dtype, copy=False)
        self.z, self.y = z, y
        return float((np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).mean())

    def backward(self):
        return (sigmoid(self.z) - self.y) / self.z.size

    def n_correct(self, z, y):
        return int(((z[:, 0] > 0) == (y > 0.5)).sum())

    def metrics(self, z, y):
        pred, true = z[:, 0] > 0, y > 0.5
        tp = float(np.sum(pred & true))
        fp, fn = float(np.sum(pred & ~true)), float(np.sum(~pred & true))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        return {"accuracy": float((pred == true).mean()), "f1": f1}


class MeanSquaredError(Loss):
    """Mean over all elements of (z - y)^2, for regression with a linear output."""

    name, task, metric_names = "mse", "regression", ("rmse", "r2")

    def forward(self, z, y):
        self.diff = z - y.reshape(z.shape)
        return float(np.mean(self.diff * self.diff))

    def backward(self):
        return self.diff * (2.0 / self.diff.size)

    def metrics(self, z, y):
        y = y.reshape(z.shape)
        sse = float(np.sum((z - y) ** 2))
        sst = float(np.sum((y - y.mean(axis=0)) ** 2))
        return {"rmse": float(np.sqrt(sse / z.size)), "r2": 1.0 - sse / sst if sst > 0 else 0.0}


LOSSES = {cls.name: cls for cls in (SoftmaxCrossEntropy, SequenceCrossEntropy, BinaryCrossEntropy, MeanSquaredError)}
# The loss a dataset's task gets when the recipe says loss="auto".
LOSS_FOR_TASK = {"multiclass": "softmax_cross_entropy", "binary": "binary_cross_entropy", "regression": "mse"}
# ... and a dataset with a label per position (y of shape (N, T)).
SEQUENCE_LOSS = "sequence_cross_entropy"
