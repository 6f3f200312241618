"""The Trainer: event order, stopping, batch replacement, penalties, determinism."""
import numpy as np
import pytest

from framework import EVENTS, Callback, Dataset, SoftmaxCrossEntropy, Trainer, build_model, registry


def tiny_data(n=100, seed=0):
    """n training rows, then 20 validation and 30 test rows of their own (none shared with training)."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((n + 50, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return Dataset("tiny", x[:n], y[:n], x[n:n + 20], y[n:n + 20], x[n + 20:], y[n + 20:], n_classes=2)


def make_trainer(callbacks=(), epochs=3, seed=0, dtype=np.float32, batch_size=32, norm=None):
    """A 4-8-2 ReLU network on tiny_data; callbacks that change the network (transform_model) do so first."""
    data = tiny_data()
    recipe = {"model": {"hidden": [8], "activation": "relu", "norm": norm}, "dtype": np.dtype(dtype).name,
              "regularizers": [], "callbacks": []}
    model = build_model(recipe, {"input_shape": [4], "n_outputs": 2}, rng=np.random.default_rng(seed),
                        plugins=callbacks)
    opt = registry.get("optimizers", "sgd")(model.params, lr=0.1)
    return Trainer(model, SoftmaxCrossEntropy(), opt, data, callbacks=callbacks, epochs=epochs,
                   batch_size=batch_size, seed=seed, dtype=dtype)


class Recorder(Callback):
    """Logs (tag, event, epoch, step) for every event."""

    def __init__(self, tag="r", order=100, log=None):
        self.tag, self.order, self.log = tag, order, [] if log is None else log


def _recording_hook(event):
    return lambda self, trainer, state: self.log.append((self.tag, event, state.epoch, state.step))


for _e in EVENTS:
    setattr(Recorder, _e, _recording_hook(_e))


def test_event_order():
    rec = Recorder()
    make_trainer([rec], epochs=2, batch_size=50).fit()
    names = [e for _, e, _, _ in rec.log]
    batch = ["on_batch_begin", "on_loss", "on_backward_end", "on_step_end", "on_batch_end"]
    epoch = ["on_epoch_begin", *batch, *batch, "on_validation_end", "on_epoch_end"]
    assert names == ["on_fit_begin", *epoch, *epoch, "on_train_end", "on_fit_end"]
    ends = [(ep, st) for _, e, ep, st in rec.log if e == "on_epoch_end"]
    assert ends == [(0, 2), (1, 4)]


def test_a_new_fit_adapts_layers_once_before_the_first_step_and_a_continued_one_does_not(monkeypatch):
    from framework import Layer
    from framework import trainer as trainer_module

    seen = []

    class Scaled(Layer):  # adapts: records what reaches it (the hidden layer's output, in eval mode)
        def adapt(self, x):
            seen.append(x.copy())

        def forward(self, x):
            return x

        def backward(self, grad, need_input_grad=True):
            return grad

    monkeypatch.setattr(trainer_module, "ADAPT_EXAMPLES", 60)
    t = make_trainer(epochs=1)
    t.model.layers.insert(2, Scaled())
    t.model.order.insert(2, t.model.layers[2])
    t.model.grad_below.insert(2, True)
    expected = np.maximum(t.data.x_train[:60] @ t.model.params[0].value + t.model.params[1].value, 0)
    t.fit()
    assert len(seen) == 1 and np.allclose(seen[0], expected)  # the first examples, before any step
    t.epochs = 2
    t.fit()  # continued (as a resumed run): no second adaptation
    assert len(seen) == 1


def test_sequential_adapt_forwards_in_chunks_and_stops_at_the_last_adapting_layer(monkeypatch):
    from framework import Layer, Sequential
    from framework import layers as layers_module

    calls = []

    class Probe(Layer):  # records the batch sizes its forward sees
        def __init__(self, name):
            super().__init__()
            self.tag = name

        def forward(self, x):
            calls.append((self.tag, len(x)))
            return x + 1

        def backward(self, grad, need_input_grad=True):
            return grad

    class Adapting(Probe):
        def adapt(self, x):
            calls.append((self.tag + ".adapt", float(x.mean()), len(x)))

    monkeypatch.setattr(layers_module, "ADAPT_CHUNK", 4)
    model = Sequential([Probe("a"), Adapting("b"), Probe("c"), Adapting("d"), Probe("e")])
    model.build((3,), np.random.default_rng(0), np.float64)
    model.adapt(np.zeros((10, 3)))
    # a, b and c forward 10 examples 4 at a time; d adapts to x + 3; nothing runs d's or e's forward
    assert calls == [("a", 4), ("a", 4), ("a", 2), ("b.adapt", 1.0, 10), ("b", 4), ("b", 4), ("b", 2),
                     ("c", 4), ("c", 4), ("c", 2), ("d.adapt", 3.0, 10)]


def test_callbacks_run_by_order_then_recipe_order():
    log = []
    cbs = [Recorder("late", 200, log), Recorder("a", 10, log), Recorder("b", 10, log)]
    make_trainer(cbs, epochs=1).fit()
    first = [tag for tag, e, _, _ in log if e == "on_fit_begin"]
    assert first == ["a", "b", "late"]


def test_stop_flag_stops_after_current_batch():
    class StopAt(Callback):
        def on_batch_end(self, trainer, state):
            if state.step == 5:
                trainer.should_stop = True

    t = make_trainer([StopAt()], epochs=10, batch_size=10)
    s = t.fit()
    assert s.step == 5 and len(s.history) == 1 and "test_accuracy" in s.metrics


def test_stop_flag_from_epoch_end():
    class StopAfter2(Callback):
        def on_epoch_end(self, trainer, state):
            trainer.should_stop = state.epoch == 1

    s = make_trainer([StopAfter2()], epochs=10).fit()
    assert len(s.history) == 2


def test_batch_replacement_and_penalty():
    seen = []

    class Flip(Callback):
        order = 10

        def on_batch_begin(self, trainer, state):
            state.batch.x = -state.batch.x

    class Spy(Callback):
        def on_batch_begin(self, trainer, state):
            seen.append(state.batch.x.copy())

        def on_loss(self, trainer, state):
            state.loss += 100.0

    t = make_trainer([Spy(), Flip()], epochs=1, batch_size=100)
    s = t.fit()
    # the flip ran first (order 10), the spy saw flipped data: all rows negated versions of the data
    assert np.allclose(np.sort(np.abs(seen[0]).ravel()), np.sort(np.abs(t.data.x_train).ravel()))
    assert not np.allclose(np.sort(seen[0].ravel()), np.sort(t.data.x_train.ravel()))
    assert s.history[0]["train_loss"] > 100


def test_on_exception_is_called():
    calls = []

    class Boom(Callback):
        def on_batch_end(self, trainer, state):
            raise RuntimeError("boom")

        def on_exception(self, trainer, state):
            calls.append(state.exception)

    with pytest.raises(RuntimeError, match="boom"):
        make_trainer([Boom()]).fit()
    assert isinstance(calls[0], RuntimeError)


def test_determinism_and_seed_matters():
    a = make_trainer(seed=3).fit().history[-1]["train_loss"]
    b = make_trainer(seed=3).fit().history[-1]["train_loss"]
    c = make_trainer(seed=4).fit().history[-1]["train_loss"]
    assert a == b and a != c


def test_float64_switch():
    t = make_trainer(dtype=np.float64)
    t.fit()
    assert t.data.x_train.dtype == np.float64
    assert all(p.value.dtype == np.float64 for p in t.model.params)
    t32 = make_trainer()
    assert t32.data.x_train.dtype == np.float32 and t32.state.output is None
    t32.fit()
    assert t32.state.output.dtype == np.float32


def test_training_learns_and_eval_is_deterministic():
    t = make_trainer(epochs=20)
    s = t.fit()
    assert s.metrics["test_accuracy"] > 0.9
    assert t.evaluate("val") == t.evaluate("val")


def test_evaluation_chunks_fit_the_memory_budget(repo_root):
    """4096 CIFAR-10 images at once through a 32-filter convolution's columns took 12 GB (measured peak RSS)."""
    from framework.build import build_model
    from framework.recipe import resolve
    from framework.trainer import EVAL_BYTES, eval_batch

    recipe = resolve(str(repo_root / "recipes" / "cifar10_cnn.py"), [])
    model = build_model(recipe, {"input_shape": [3, 32, 32], "n_outputs": 10, "task": "multiclass"})
    n = eval_batch(model, 128, np.float32)
    assert n == 128 and 9 * 32 * 32 * 32 * 4 * n >= EVAL_BYTES  # the training batch is the floor
    assert eval_batch(model, 16, np.float32) == EVAL_BYTES // (9 * 32 * 32 * 32 * 4)
    mlp = build_model(resolve(str(repo_root / "recipes" / "mnist_adam.py"), []),
                      {"input_shape": [1, 28, 28], "n_outputs": 10, "task": "multiclass"})
    assert eval_batch(mlp, 128, np.float32) == 4096
