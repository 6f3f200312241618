"""Task metrics against scikit-learn's reference implementations, including the degenerate cases."""
import numpy as np
import pytest
from sklearn import metrics

from framework import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy


@pytest.mark.parametrize("seed", range(5))
def test_binary_accuracy_and_f1(seed):
    r = np.random.default_rng(seed)
    z = r.standard_normal((200, 1))
    y = (r.random(200) < 0.3 + 0.1 * seed).astype(np.float32)
    got = BinaryCrossEntropy().metrics(z, y)
    pred = (z[:, 0] > 0).astype(int)
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred), abs=1e-12)
    assert got["f1"] == pytest.approx(metrics.f1_score(y, pred), abs=1e-12)


def test_f1_without_positives_matches_sklearn_zero_division_one():
    z, y = -np.ones((10, 1)), np.zeros(10)
    expected = metrics.f1_score(y, np.zeros(10), zero_division=1.0)
    assert BinaryCrossEntropy().metrics(z, y)["f1"] == expected == 1.0


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_rmse_and_r2(outputs):
    r = np.random.default_rng(outputs)
    y = r.standard_normal((150, outputs)) * [2.0, 0.5, 1.0][:outputs] + 3
    z = y + 0.4 * r.standard_normal(y.shape)
    got = MeanSquaredError().metrics(z, y.reshape(150, -1) if outputs > 1 else y[:, 0])
    assert got["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(y, z)), rel=1e-12)
    # one R² over all outputs (total sum of squares pooled), which equals sklearn's for a single output
    pooled = 1 - ((z - y) ** 2).sum() / ((y - y.mean(axis=0)) ** 2).sum()
    assert got["r2"] == pytest.approx(pooled, rel=1e-12)
    if outputs == 1:
        assert got["r2"] == pytest.approx(metrics.r2_score(y, z), rel=1e-12)


def test_multiclass_accuracy():
    r = np.random.default_rng(0)
    z, y = r.standard_normal((300, 7)), r.integers(0, 7, 300)
    assert SoftmaxCrossEntropy().metrics(z, y)["accuracy"] == metrics.accuracy_score(y, z.argmax(1))
