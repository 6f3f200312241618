"""Every built-in plugin passes the conformance checks that plugin authors run (framework.testing)."""
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


@pytest.mark.parametrize("name", [n for n in builtins("datasets") if n not in ("mnist", "fashion_mnist")])
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
