"""Finite-difference gradient checks in float64 for every layer, every loss and a whole model."""
import numpy as np
import pytest
from conftest import grad_close, numerical_grad

from framework import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy, build_mlp
from plugins.layers import GELU, BatchNorm, Dense, Dropout, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh

rng = np.random.default_rng(0)


def built(layer, input_shape, dtype=np.float64):
    layer.name = "layer"
    layer.input_shape = input_shape
    layer.output_shape = layer.build(input_shape, rng, np.dtype(dtype))
    return layer


def check_layer(layer, x):
    """Check dL/dx and every dL/dparam for L = sum(forward(x) * R)."""
    R = rng.standard_normal(layer.forward(x.copy()).shape)
    loss = lambda: float(np.sum(layer.forward(x.copy()) * R))
    layer.forward(x.copy())
    dx = layer.backward(R.copy())
    assert grad_close(dx, numerical_grad(loss, x))
    for p in layer.params:
        layer.forward(x.copy())
        layer.backward(R.copy())
        analytic = p.grad.copy()
        assert grad_close(analytic, numerical_grad(loss, p.value)), p.name


def test_dense():
    layer = built(Dense(4, init="he"), (5,))
    layer.b.value[:] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((3, 5)))


def test_dense_skips_input_grad_when_not_needed():
    layer = built(Dense(4), (5,))
    layer.forward(rng.standard_normal((3, 5)))
    assert layer.backward(np.ones((3, 4)), need_input_grad=False) is None
    assert np.allclose(layer.b.grad, 3.0)


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.1), Sigmoid(), Tanh(), GELU(), GELU("tanh"), SiLU(),
                                   Softplus()], ids=repr)
def test_activations(layer):
    x = rng.standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    check_layer(layer, x)


def test_activations_do_not_modify_their_input():
    x = rng.standard_normal((4, 6))
    for layer in (ReLU(), LeakyReLU(), Sigmoid(), Tanh(), GELU(), SiLU(), Softplus()):
        before = x.copy()
        layer.forward(x)
        assert np.array_equal(x, before)


def test_gelu_in_float32_stays_within_3e_7_of_the_exact_normal_cdf():
    from scipy.special import erfc

    from plugins.layers.activations import normal_cdf

    x = np.linspace(-20, 20, 400_001).astype(np.float32)
    exact = 0.5 * erfc(-x.astype(np.float64) / np.sqrt(2))
    phi = normal_cdf(x)
    assert phi.dtype == np.float32 and np.abs(phi - exact).max() < 3e-7
    assert np.abs(phi - exact).max() > 1e-9  # the float32 fit, not scipy's erf (float64 uses that)
    assert np.array_equal(normal_cdf(np.array([-np.inf, 0.0, np.inf], np.float32)), [0.0, 0.5, 1.0])
    layer, layer64 = GELU(), GELU()
    y = layer.forward(x)
    g = rng.standard_normal(x.shape).astype(np.float32)
    dx = layer.backward(g.copy())
    y64, dx64 = layer64.forward(x.astype(np.float64)), layer64.backward(g.astype(np.float64))
    assert y.dtype == dx.dtype == np.float32
    assert np.allclose(y, y64, rtol=1e-6, atol=3e-7 * 20) and np.allclose(dx, dx64, rtol=1e-5, atol=1e-6)


def check_loss(loss, z, y):
    loss.forward(z, y)
    analytic = loss.backward().copy()
    assert grad_close(analytic, numerical_grad(lambda: loss.forward(z, y), z))


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
    f = lambda: loss.forward(model.forward(x), y)
    f()
    model.backward(loss.backward())
    analytic = [p.grad.copy() for p in model.params]
    for p, a in zip(model.params, analytic):
        assert grad_close(a, numerical_grad(f, p.value)), p.name


class FixedRng:
    """Stands in for a Generator so that every forward pass draws the same dropout mask."""

    def __init__(self, u):
        self.u = u

    def random(self, shape, dtype=np.float64):
        return self.u.reshape(shape).astype(dtype)


def test_dropout():
    x = rng.standard_normal((5, 8))
    layer = Dropout(0.4, rng=FixedRng(rng.random(40)))
    check_layer(layer, x)
    y = layer.forward(x)
    kept = y != 0
    assert np.allclose(y[kept], x[kept] / 0.6) and 0 < kept.sum() < 40
    layer.training = False
    assert layer.forward(x) is x


def test_dropout_keeps_expectation():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    y = layer.forward(np.ones((1000, 100), np.float32))
    assert y.dtype == np.float32 and abs(y.mean() - 1.0) < 0.01 and abs((y == 0).mean() - 0.5) < 0.01


def test_batchnorm():
    layer = built(BatchNorm(), (4,))
    layer.gamma.value[:] = rng.standard_normal(4)
    layer.beta.value[:] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((6, 4)) * 3 + 1)


@pytest.mark.parametrize("shape", [(4,), (3, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_without_scale_is_batchnorm_with_gamma_one(shape, training):
    """scale=False: no gamma parameter; output, offset gradient and input gradient those of gamma fixed at 1."""
    a, b = built(BatchNorm(scale=False), shape), built(BatchNorm(), shape)
    assert [p.name.split(".")[1] for p in a.params] == ["beta"] and a.gamma is None
    a.beta.value[:] = b.beta.value[:] = rng.standard_normal(4)
    x, g = rng.standard_normal((6, *shape)) * 2 + 1, rng.standard_normal((6, *shape))
    a.training = b.training = training
    assert np.allclose(a.forward(x), b.forward(x), rtol=1e-13, atol=1e-13)
    assert np.allclose(a.backward(g.copy()), b.backward(g.copy()), rtol=1e-13, atol=1e-13)
    assert np.allclose(a.beta.grad, b.beta.grad, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="scale: expected true or false, got 'no'"):
        BatchNorm(scale="no")


def test_batchnorm_statistics_and_eval_mode():
    layer = built(BatchNorm(momentum=0.5), (3,))
    x = rng.standard_normal((50, 3)) * 2 + 5
    y = layer.forward(x)
    assert np.allclose(y.mean(axis=0), 0, atol=1e-10) and np.allclose(y.std(axis=0), 1, atol=1e-3)
    assert np.allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    assert np.allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    layer.training = False
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    assert np.allclose(layer.forward(x), expected)


def test_whole_model_with_batchnorm():
    model = build_mlp(6, 3, [5, 4], "relu", rng=np.random.default_rng(2), dtype=np.float64, norm="batch")
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "BatchNorm", "ReLU", "Dense", "BatchNorm",
                                                                 "ReLU", "Dense"]
    loss = SoftmaxCrossEntropy()
    x, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    f = lambda: loss.forward(model.forward(x), y)
    f()
    model.backward(loss.backward())
    for p, a in zip(model.params, [p.grad.copy() for p in model.params]):
        assert grad_close(a, numerical_grad(f, p.value)), p.name
    assert set(model.state_dict()) >= {"bn0.running_mean", "bn1.running_var", "dense0.W", "bn0.gamma"}


@pytest.mark.parametrize("offset, out_tol, stat_tol", [(0.0, 2e-6, 2e-7), (100.0, 1.5e-5, 3e-6)])
def test_float32_batchnorm_on_images_accumulates_its_sums_accurately(offset, out_tol, stat_tol):
    """Batch 128 of 28 x 28 images: float32 outputs and running statistics within a few float32 roundings of the
    float64 layer on the same inputs, also when a channel's mean is 100x its spread (one float32 sum over all 100,352
    pixels was 10-50x further off: 1.1e-5 and 5e-4 on outputs, 3.6e-9 and 4.9e-5 on the running mean)."""
    from framework import Sequential, registry

    x = (np.random.default_rng(0).standard_normal((128, 28, 28, 16)) + offset).astype(np.float32)
    got = {}
    for dtype in (np.float32, np.float64):
        model = Sequential([registry.get("layers", "batch_norm")()])
        model.build(x.shape[1:], np.random.default_rng(0), dtype)
        bn = model.layers[0]
        got[dtype] = (model.forward(x.astype(dtype)), bn.running_mean.copy(), bn.running_var.copy())
    (y32, mean32, var32), (y64, mean64, var64) = got[np.float32], got[np.float64]
    assert np.abs(y32 - y64).max() < out_tol
    assert np.abs(mean32 - mean64).max() < stat_tol and np.abs(var32 - var64).max() < 2e-7


def test_label_smoothing_gradient_and_value_against_the_definition():
    rng = np.random.default_rng(3)
    z, y = rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)
    check_loss(SoftmaxCrossEntropy(label_smoothing=0.1), z, y)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    target = np.full((6, 4), 0.1 / 4)
    target[np.arange(6), y] += 0.9
    assert SoftmaxCrossEntropy(label_smoothing=0.1).forward(z, y) == pytest.approx(-(target * logp).sum(1).mean())
    with pytest.raises(ValueError, match=r"label_smoothing: expected a value in \[0, 1\)"):
        SoftmaxCrossEntropy(label_smoothing=1.0)


def test_a_recipe_names_the_loss_with_its_parameters(repo_root):
    from framework.build import build
    from framework.recipe import RecipeError, resolve

    t = build(resolve(str(repo_root / "recipes" / "digits_adam.py"),
                      ["loss={'name': 'auto', 'label_smoothing': 0.1}", "loggers=[]"]))
    assert t.loss_fn.eps == 0.1
    for value, message in (("{'name': 'auto', 'label_smoothing': 'x'}", "key 'loss.label_smoothing': expected float"),
                           ("{'name': 'auto', 'smoothing': 0.1}", "unknown parameter 'smoothing'"),
                           ("{'name': 'auto', 'label_smoothing': 2}", "key 'loss.label_smoothing': expected a value"),
                           ("{'nam': 'auto'}", "key 'loss': expected one of auto")):
        with pytest.raises(RecipeError, match=message):
            build(resolve(str(repo_root / "recipes" / "digits_adam.py"), [f"loss={value}", "loggers=[]"]))
