"""Every built-in plugin passes the conformance checks that plugin authors run (framework.testing)."""
import sys

import pytest

from framework import registry, testing

BUILTIN = "npframe"


def builtins(group):
    return [name for name, info in registry.available(group).items() if info.dist == BUILTIN]


@pytest.mark.parametrize("name", builtins("optimizers"))
def test_optimizers(name):
    testing.check_optimizer(registry.get("optimizers", name), **({"lr": 0.05} if name != "adagrad" else {"lr": 0.1}))


@pytest.mark.parametrize("name", builtins("schedulers"))
def test_schedulers(name):
    testing.check_scheduler(registry.get("schedulers", name))
    testing.check_scheduler(registry.get("schedulers", name), warmup_epochs=2)


@pytest.mark.parametrize("name", builtins("augmentations"))
def test_augmentations(name):
    testing.check_augmentation(registry.get("augmentations", name), image_shape=(12, 12))


@pytest.mark.parametrize("name", builtins("regularizers"))
def test_regularizers(name):
    testing.check_regularizer(registry.get("regularizers", name))


@pytest.mark.parametrize("group,name", [(g, n) for g in ("loggers", "callbacks") for n in builtins(g)])
def test_callbacks_and_loggers(group, name):
    testing.check_callback(registry.get(group, name))


OWN_TESTS = ("mnist", "fashion_mnist", "image_folder", "csv", "arrays", "text", "mnist_rows")


@pytest.mark.parametrize("name", [n for n in builtins("datasets") if n not in OWN_TESTS])
def test_datasets(name):
    testing.check_dataset(registry.get("datasets", name))


def test_mnist_dataset():
    testing.check_dataset(registry.get("datasets", "mnist"), val_size=1000)


def test_checks_catch_broken_plugins():
    import numpy as np

    from framework import Callback, Optimizer
    from framework.augment import Augmentation

    class Mutating(Optimizer):
        def step(self):
            for p in self.params:
                p.value -= self.lr * p.grad
                p.grad *= 0.5

    with pytest.raises(AssertionError, match=r"modified p.*grad|modified dense0"):
        testing.check_optimizer(Mutating, lr=0.1)

    class Forgetful(Optimizer):  # momentum it never exports
        def __init__(self, params, lr=0.1):
            super().__init__(params, lr)
            self.v = [np.zeros_like(p.value) for p in self.params]

        def step(self):
            for p, v in zip(self.params, self.v):
                v *= 0.9
                v += p.grad
                p.value -= self.lr * v

    with pytest.raises(AssertionError, match="does not continue identically"):
        testing.check_optimizer(Forgetful)

    class Normalising(Optimizer):  # divides by the gradient norm of whatever it is given: not elementwise
        def update(self, w, g, tmp):
            np.multiply(g, self.lr / (np.abs(g).max() + 1e-12), out=tmp)
            w -= tmp

    with pytest.raises(AssertionError, match="over blocks of the flat buffers"):
        testing.check_optimizer(Normalising, lr=0.1)

    class Widening(Optimizer):  # a NumPy float64 scalar: float32 passes with it compute in float64
        def begin_step(self):
            self.rate = np.sqrt(self.lr) ** 2

        def update(self, w, g, tmp):
            np.multiply(g, self.rate, out=tmp)
            w -= tmp

    with pytest.raises(AssertionError, match=r"float64 scalars kept on self \(rate\)"):
        testing.check_optimizer(Widening, lr=0.1)

    class InPlace(Augmentation):
        def transform(self, x, rng):
            x += 1
            return x

    with pytest.raises(AssertionError, match="modified its input"):
        testing.check_augmentation(InPlace)

    from plugins.augmentations import GridWarp

    class Greedy(GridWarp):  # moves every image, whichever it is given
        def draw(self, grid, n, rng):
            return rng.random(grid.n)

        def compose(self, grid, params, images):
            grid.translate(np.stack([np.zeros(grid.n), params], axis=1))

    with pytest.raises(AssertionError, match="moved images it was not given"):
        testing.check_augmentation(Greedy)

    class WrongGrad(Callback):
        def setup(self, trainer):
            self.params = trainer.model.params

        def on_loss(self, trainer, state):
            state.loss += sum(float((p.value ** 2).sum()) for p in self.params)

        def on_backward_end(self, trainer, state):
            for p in self.params:
                p.grad += p.value  # should be 2 * value

    with pytest.raises(AssertionError, match="does not match the penalty"):
        testing.check_regularizer(WrongGrad)


LAYERS = {  # each built-in layer: (input shape, parameters) cases; images where the layer takes them
    "dense": [((5,), {"units": 3}), ((5,), {"units": 3, "bias": False, "init": "he"}), ((4, 3), {"units": 2})],
    "relu": [((6,), {}), ((2, 3, 3), {})],
    "leaky_relu": [((6,), {"alpha": 0.1})],
    "sigmoid": [((6,), {})],
    "tanh": [((6,), {})],
    "gelu": [((6,), {}), ((2, 3, 3), {"approximate": "tanh"})],
    "silu": [((6,), {})],
    "softplus": [((6,), {})],
    "batch_norm": [((4,), {}), ((3, 4, 4), {"momentum": 0.3}), ((4,), {"scale": False}),
                   ((3, 4, 4), {"momentum": 0.4, "scale": False})],
    "dropout": [((6,), {"rate": 0.3}), ((2, 3, 3), {"rate": 0.5})],
    "flatten": [((2, 3, 4), {})],
    "reshape": [((12,), {"shape": [3, 4]}), ((2, 2, 3), {"shape": [12]})],
    "rescaling": [((5,), {"scale": 1 / 9}), ((2, 3, 2), {"scale": -2, "offset": 0.5})],
    "sequential": [((5,), {"layers": [{"name": "dense", "units": 4}, "tanh", {"name": "dense", "units": 3}]})],
    "residual": [((5,), {"layers": [{"name": "dense", "units": 5}, "tanh", "batch_norm",
                                    {"name": "dense", "units": 5}]}),
                 ((4, 4, 3), {"layers": [{"name": "conv2d", "filters": 3}, "relu"]})],
    "conv2d": [((5, 5, 2), {"filters": 3}), ((6, 5, 2), {"filters": 2, "kernel": [3, 2], "stride": 2}),
               ((7, 7, 1), {"filters": 2, "kernel": 3, "stride": [2, 1], "padding": "valid", "bias": False}),
               ((5, 6, 2), {"filters": 2, "kernel": 2, "padding": 1}), ((5, 5, 2), {"filters": 2, "stride": 2}),
               ((5, 4, 3), {"filters": 2, "bias": False}),
               ((6, 5, 3), {"filters": 3, "kernel": [3, 2], "padding": "valid"}),
               ((4, 5, 2), {"filters": 2, "kernel": 2}), ((4, 4, 2), {"filters": 1, "kernel": 2, "padding": 2})],
    "max_pool2d": [((4, 4, 2), {}), ((5, 7, 2), {"size": 3, "stride": 2}), ((5, 5, 1), {"size": [2, 3]})],
    "avg_pool2d": [((4, 4, 2), {}), ((5, 7, 2), {"size": 3, "stride": 2})],
    "global_avg_pool": [((3, 4, 2), {})],
    "patch_whitening": [((5, 6, 2), {}), ((6, 6, 1), {"size": 3, "eps": 1e-2})],
    "embedding": [((5,), {"vocab": 7, "units": 4})],
    "repeat": [((3,), {"n": 4})],
    "positional_embedding": [((5, 3), {})],
    "rnn": [((5, 3), {"units": 4}), ((5, 3), {"units": 4, "return_sequences": True})],
    "lstm": [((5, 3), {"units": 4}), ((6, 3), {"units": 4, "return_sequences": True})],
    "gru": [((5, 3), {"units": 4}), ((6, 3), {"units": 4, "return_sequences": True})],
    "layer_norm": [((5, 6), {}), ((6,), {"bias": False})],
    "multi_head_attention": [((5, 6), {"heads": 2}), ((5, 6), {"heads": 3, "causal": False, "bias": False})],
    "transformer_block": [((5, 8), {"heads": 2}), ((4, 8), {"heads": 2, "bias": False, "dropout": 0.1})],
}


def test_every_builtin_layer_has_conformance_cases():
    assert set(LAYERS) == set(builtins("layers"))


@pytest.mark.parametrize("name,shape,params", [(n, s, p) for n, cases in LAYERS.items() for s, p in cases],
                         ids=lambda v: str(v) if not isinstance(v, dict) else "")
def test_layers(name, shape, params):
    testing.check_layer(registry.get("layers", name), shape, **params)


@pytest.mark.parametrize("shape,params", [
    ((5,), {"hidden": [4], "activation": "tanh"}),
    ((5,), {"hidden": [4, 3], "activation": "gelu", "norm": "batch"}),
    ((1, 3, 3), {"hidden": [4], "activation": "leaky_relu", "activation_params": {"alpha": 0.2}}),
    ((5,), {"hidden": [], "activation": "relu"}),
])
def test_mlp_model(shape, params):
    testing.check_model(registry.get("models", "mlp"), shape, 3, **params)


def test_sequential_model():
    layers = [{"name": "dense", "units": 6}, "silu", {"name": "residual", "layers": [{"name": "dense", "units": 6},
                                                                                     "tanh"]},
              {"name": "dropout", "rate": 0.2}, {"name": "dense", "units": "outputs"}]
    testing.check_model(registry.get("models", "sequential"), (2, 2, 2), 3, layers=["flatten", *layers])


def test_check_layer_catches_broken_layers():
    import numpy as np

    from framework import Layer, Param
    from plugins.layers import Dense, Tanh

    class WrongGrad(Tanh):
        def backward(self, grad, need_input_grad=True):
            return grad * (1.0 - self.y)  # forgot a factor y

    class WrongParamGrad(Dense):
        def backward(self, grad, need_input_grad=True):
            out = super().backward(grad, need_input_grad)
            self.b.grad *= 2.0
            return out

    class Widening(Tanh):
        def forward(self, x):
            return super().forward(x).astype(np.float64)

    class LyingShape(Tanh):
        def build(self, input_shape, rng, dtype):
            return (input_shape[0] + 1,)

    class Forgetful(Layer):  # a scale it does not report among its params: not saved, not restored
        def build(self, input_shape, rng, dtype):
            self.s = Param(f"{self.name}.s", rng.standard_normal(input_shape).astype(dtype))
            return input_shape

        def forward(self, x):
            self.x = x
            return x * self.s.value

        def backward(self, grad, need_input_grad=True):
            self.s.grad[...] = (grad * self.x).sum(axis=0)
            return grad * self.s.value

        def to_onnx(self, graph, x):
            return graph.node("Mul", [x, graph.const(self.s.value)])

    class ForgetfulOnes(Forgetful):  # starts at ones: identical in every build, so only the registration check sees it
        def build(self, input_shape, rng, dtype):
            self.s = Param(f"{self.name}.s", np.ones(input_shape, dtype))
            return input_shape

    class PlainArray(Forgetful):  # a weight kept as a bare array
        def build(self, input_shape, rng, dtype):
            self.s = Param(f"{self.name}.s", np.ones(input_shape, dtype))
            self.params = [self.s]
            self.shift = np.zeros(input_shape, dtype)
            return input_shape

    class Constant(PlainArray):  # the same array declared as a constant of the layer passes
        constants = ("shift",)

    class NoOnnx(Tanh):
        to_onnx = Layer.to_onnx

    class BadOnnx(Tanh):
        def to_onnx(self, graph, x):
            return graph.node("Sigmoid", [x])

    cases = [(WrongGrad, {}, "input gradient does not match"), (WrongParamGrad, {"units": 3}, "gradient of .*b does"),
             (Widening, {}, "float32 in gave float64"), (LyingShape, {}, "output_shape says"),
             (Forgetful, {}, "Forgetful.s is a Param that is not in self.params"),
             (ForgetfulOnes, {}, "ForgetfulOnes.s is a Param that is not in self.params"),
             (PlainArray, {}, "PlainArray.shift is an array made in build.. that is neither in self.params nor in "
                              "self.buffers"),
             (NoOnnx, {}, "NoOnnx has no to_onnx"), (BadOnnx, {}, "ONNX export differs")]
    testing.check_layer(Constant, (5,))
    for cls, params, message in cases:
        with pytest.raises(AssertionError, match=message):
            testing.check_layer(cls, (5,), **params)


def test_check_layer_says_when_it_skipped_the_onnx_check(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as on a machine without it: import fails
    with pytest.warns(UserWarning, match="Tanh: the ONNX check was skipped: onnx and onnxruntime are not both"):
        testing.check_layer(registry.get("layers", "tanh"), (5,))


def test_the_documented_dataset_plugin_passes_and_a_silent_scaling_fails(repo_root):
    """docs/plugins.md's dataset example passes check_dataset and its loaded model predicts raw measurements as the
    trainer predicted its own inputs; the same dataset without its stated scaling is caught."""
    import dataclasses
    import re

    import numpy as np

    from framework.build import build_mlp
    from framework.inference import Predictor, describe

    text = (repo_root / "docs" / "plugins.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "def wine_raw" in b)
    ns = {}
    exec(block, ns)
    testing.check_dataset(ns["wine_raw"])
    d = ns["wine_raw"]()
    model = build_mlp(13, 3, [8], rng=np.random.default_rng(0))
    raw = d.x_test * d.input_scale + d.input_center
    assert np.array_equal(Predictor(model, describe(d)).predict(raw), model.forward(d.x_test).argmax(axis=1))
    silent = lambda: dataclasses.replace(ns["wine_raw"](), input_center=None, input_scale=None)
    with pytest.raises(AssertionError, match=r"the training features look standardised .* but input_center and "
                                             r"input_scale are None"):
        testing.check_dataset(silent)
