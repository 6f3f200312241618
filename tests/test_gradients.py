"""Finite-difference gradient checks in float64 for every layer, every loss and a whole model."""
import numpy as np
import pytest

from framework import (BinaryCrossEntropy, Dense, LeakyReLU, MeanSquaredError, ReLU, Sigmoid,
                       SoftmaxCrossEntropy, Tanh, build_mlp)
from conftest import numerical_grad, rel_error

rng = np.random.default_rng(0)


def check_layer(layer, x, tol=1e-6):
    """Check dL/dx and every dL/dparam for L = sum(forward(x) * R)."""
    R = rng.standard_normal(layer.forward(x.copy()).shape)
    loss = lambda: float(np.sum(layer.forward(x.copy()) * R))  # noqa: E731
    layer.forward(x.copy())
    dx = layer.backward(R.copy())
    assert rel_error(dx, numerical_grad(loss, x)) < tol
    for p in layer.params:
        layer.forward(x.copy())
        layer.backward(R.copy())
        analytic = p.grad.copy()
        assert rel_error(analytic, numerical_grad(loss, p.value)) < tol, p.name


def test_dense():
    layer = Dense(5, 4, init="he", rng=rng, dtype=np.float64)
    layer.b.value[:] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((3, 5)))


def test_dense_skips_input_grad_when_not_needed():
    layer = Dense(5, 4, rng=rng, dtype=np.float64)
    layer.forward(rng.standard_normal((3, 5)))
    assert layer.backward(np.ones((3, 4)), need_input_grad=False) is None
    assert np.allclose(layer.b.grad, 3.0)


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.1), Sigmoid(), Tanh()], ids=repr)
def test_activations(layer):
    x = rng.standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    check_layer(layer, x)


def test_activations_do_not_modify_their_input():
    x = rng.standard_normal((4, 6))
    for layer in (ReLU(), LeakyReLU(), Sigmoid(), Tanh()):
        before = x.copy()
        layer.forward(x)
        assert np.array_equal(x, before)


def check_loss(loss, z, y, tol=1e-6):
    loss.forward(z, y)
    analytic = loss.backward().copy()
    assert rel_error(analytic, numerical_grad(lambda: loss.forward(z, y), z)) < tol


def test_softmax_cross_entropy():
    check_loss(SoftmaxCrossEntropy(), rng.standard_normal((6, 4)), rng.integers(0, 4, 6))


def test_softmax_cross_entropy_value_and_stability():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    y = np.array([2, 0])
    expected0 = -np.log(np.exp(3) / np.exp([1, 2, 3]).sum())
    assert SoftmaxCrossEntropy().forward(z, y) == pytest.approx((expected0 + 0.0) / 2)
    assert np.isfinite(SoftmaxCrossEntropy().forward(z * 1e3, y))


def test_binary_cross_entropy():
    check_loss(BinaryCrossEntropy(), rng.standard_normal((7, 1)), rng.integers(0, 2, 7).astype(float))


def test_binary_cross_entropy_value_and_stability():
    loss = BinaryCrossEntropy()
    z, y = np.array([[0.3], [-1.2]]), np.array([1.0, 0.0])
    p = 1 / (1 + np.exp(-z[:, 0]))
    assert loss.forward(z, y) == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    big = np.array([[800.0], [-800.0]])
    assert loss.forward(big, np.array([0.0, 1.0])) == pytest.approx(800.0)
    assert np.all(np.isfinite(loss.backward()))


def test_mse():
    check_loss(MeanSquaredError(), rng.standard_normal((5, 2)), rng.standard_normal((5, 2)))
    assert MeanSquaredError().forward(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])) == pytest.approx(2.5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_whole_model(activation):
    model = build_mlp(6, 3, [5, 4], activation, rng=np.random.default_rng(1), dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    x, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    f = lambda: loss.forward(model.forward(x), y)  # noqa: E731
    f()
    model.backward(loss.backward())
    analytic = [p.grad.copy() for p in model.params]
    for p, a in zip(model.params, analytic):
        assert rel_error(a, numerical_grad(f, p.value)) < 1e-5, p.name
