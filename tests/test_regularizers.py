"""Regularizers: penalty gradients by finite differences, dropout wiring, max-norm, early stopping."""
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import grad_close, numerical_grad, resumed_and_straight
from test_trainer import make_trainer

from framework import SoftmaxCrossEntropy, State, build_mlp, registry
from plugins.layers import Dropout


def penalised_grad_check(name, **kw):
    rng = np.random.default_rng(0)
    model = build_mlp(5, 3, [4], "tanh", rng=rng, dtype=np.float64)
    for p in model.params:
        p.value[...] = rng.standard_normal(p.value.shape)  # biases non-zero, |w| away from 0 for L1
        p.value[np.abs(p.value) < 0.05] = 0.3
    reg = registry.get("regularizers", name)(**kw)
    trainer = SimpleNamespace(model=model)
    reg.setup(trainer)
    loss = SoftmaxCrossEntropy()
    x, y = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)

    def total():
        s = State(loss=loss.forward(model.forward(x), y))
        reg.on_loss(trainer, s)
        return s.loss

    total()
    model.backward(loss.backward())
    reg.on_backward_end(trainer, State())
    for p in model.params:
        assert grad_close(p.grad.copy(), numerical_grad(total, p.value)), p.name
    return model, reg, total


@pytest.mark.parametrize("name", ["l2", "l1"])
@pytest.mark.parametrize("include_bias", [False, True])
def test_penalty_gradients(name, include_bias):
    penalised_grad_check(name, lam=0.1, include_bias=include_bias)


def test_l2_value_and_bias_exclusion():
    model, reg, total = penalised_grad_check("l2", lam=0.2)
    loss_only = penalised_grad_check("l2", lam=0.0)[2]()
    weights = [p.value for p in model.params if p.decay]
    assert total() - loss_only == pytest.approx(0.1 * sum(float((w ** 2).sum()) for w in weights))
    assert [p.name for p in reg.params] == ["dense0.W", "dense1.W"]


def test_dropout_inserted_after_hidden_activations_only():
    t = make_trainer([registry.get("regularizers", "dropout")(rate=0.3, input_rate=0.1)])
    kinds = [type(layer).__name__ for layer in t.model.layers]
    assert kinds == ["Dropout", "Dense", "ReLU", "Dropout", "Dense"]
    assert t.model.layers[3].rate == 0.3 and t.model.layers[3].rng is t.rng
    t.fit()
    t.model.eval()
    x = t.data.x_test
    assert np.array_equal(t.model.forward(x), t.model.forward(x))  # eval mode: no dropout
    t.model.train()
    assert not np.array_equal(t.model.forward(x), t.model.forward(x))


def test_max_norm_caps_each_unit():
    t = make_trainer([registry.get("regularizers", "max_norm")(max_norm=0.5)], epochs=2)
    w = t.model.params[0].value
    w[:, 0] *= 0.01  # this column stays under the cap and must not be scaled up
    t.fit()
    for p in t.model.params:
        if p.decay:
            assert np.all(np.linalg.norm(p.value, axis=0) <= 0.5 + 1e-6)
    norms = np.linalg.norm(t.model.params[0].value, axis=0)
    assert np.isclose(norms.max(), 0.5, atol=1e-6)


def test_early_stopping_stops_and_restores_best():
    es = registry.get("regularizers", "early_stopping")(monitor="val_loss", patience=2)
    seq = iter([1.0, 0.5, 0.7, 0.8, 0.4])
    saved = {}

    class FakeVal:
        order = 80

        def on_validation_end(self, trainer, state):
            state.metrics["val_loss"] = next(seq)
            saved[state.epoch] = trainer.model.params[0].value.copy()

    t = make_trainer([FakeVal(), es], epochs=5)
    s = t.fit()
    assert len(s.history) == 4 and es.monitor.best == 0.5 and es.best_epoch == 1
    assert np.array_equal(t.model.params[0].value, saved[1])


def test_early_stopping_bad_metric():
    es = registry.get("regularizers", "early_stopping")(monitor="val_acc")
    with pytest.raises(ValueError, match=r"monitor 'val_acc' is not a metric .*'val_accuracy'.*available: .*val_loss"):
        make_trainer([es])  # when the Trainer is built, before training


def test_dropout_layer_has_no_effect_at_rate_zero():
    x = np.ones((2, 3))
    assert Dropout(0.0).forward(x) is x


def test_max_norm_caps_every_convolution_filter(repo_root):
    """A filter's incoming weights are all its (kh, kw, C) values: each filter's norm is capped, as Keras' MaxNorm
    on axes 0, 1, 2 (before, conv filters were left uncapped without a word)."""
    from framework.build import build
    from framework.recipe import resolve

    trainer = build(resolve(str(repo_root / "recipes" / "mnist_cnn.py"),
                            ["loggers=[]", "callbacks=[]", "dataset.limit=256", "epochs=1",
                             "regularizers=[{'name': 'max_norm', 'max_norm': 0.5}]"]))
    trainer.fit()
    convs = [p for p in trainer.model.params if p.value.ndim == 4]
    assert convs
    for p in convs:
        norms = np.sqrt((p.value.reshape(-1, p.value.shape[-1]) ** 2).sum(axis=0))
        assert norms.max() <= 0.5 + 1e-5 and norms.max() > 0.49, p.name


def test_a_regularizer_that_would_do_nothing_is_an_error(repo_root, tmp_path, capsys):
    from framework import Sequential
    from framework.run import main as run_main

    model = ("{'name': 'sequential', 'layers': ['flatten', {'name': 'residual', 'layers': [{'name': 'dense', "
             "'units': 64}, 'relu']}, {'name': 'dense', 'units': 'outputs'}]}")
    code = run_main([str(repo_root / "recipes" / "digits_adam.py"), "--set", f"model={model}", "--set",
                     "regularizers=[{'name': 'dropout', 'rate': 0.3}]", "--logdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and ("DropoutRegularizer.transform_model: rate 0.3: the network has no activation layer at its "
                          "top level to put dropout after (the activations inside") in err, err
    no_weights = SimpleNamespace(model=Sequential([registry.get("layers", "relu")()]))
    no_weights.model.build((4,))
    for name, message in (("l2", "l2: the network has no weights to penalise"),
                          ("l1", "l1: the network has no weights to penalise"),
                          ("max_norm", "max_norm: the network has no weight matrix or filter to cap")):
        with pytest.raises(ValueError, match=message):
            registry.get("regularizers", name)().setup(no_weights)


def test_ema_averages_after_every_step_and_the_run_ends_on_the_average(repo_root, tmp_path, capsys):
    import json

    import framework
    from framework.build import build
    from framework.layers import flat_buffers
    from framework.recipe import resolve

    recipe = resolve(str(repo_root / "recipes" / "digits_adam.py"), ["loggers=[]", "callbacks=['ema']", "epochs=2"])
    t = build(recipe)
    ema = next(c for c in t.callbacks.callbacks if type(c).__name__ == "EMA")
    seen, shadow = [], None

    class Watch(framework.Callback):  # the recurrence by hand, from the weights after each step
        order = 150

        def on_step_end(self, trainer, state):
            nonlocal shadow
            w = flat_buffers(trainer.model.params)[0].astype(np.float64)
            k = len(seen)
            d = min(0.999, (1 + k) / (10 + k))
            shadow = w.copy() if shadow is None else shadow
            shadow = d * shadow + (1 - d) * w
            seen.append(k)

        def on_fit_begin(self, trainer, state):
            nonlocal shadow
            shadow = flat_buffers(trainer.model.params)[0].astype(np.float64)

    t.add_callbacks(Watch())
    s = t.fit()
    final = flat_buffers(t.model.params)[0]
    assert np.allclose(final, shadow, rtol=1e-4, atol=1e-6) and np.array_equal(final, ema.shadow[0])
    assert not np.allclose(ema.trained[0], final)  # the trained weights differ from their average, and are kept
    acc = (t.predict(t.data.x_test).argmax(axis=1) == t.data.y_test).mean()
    assert acc == pytest.approx(s.metrics["test_accuracy"])  # the reported test figure is the average's

    # an extension continues from the trained weights: 2 epochs then --resume --epochs 3 equals 3 straight (no
    # schedule: an extension re-lays a schedule over the new total)
    sets = ["loggers=[]", "callbacks=['ema', 'checkpoint']", "scheduler=None"]
    a, b = resumed_and_straight(repo_root / "recipes" / "digits_adam.py", sets, tmp_path, 3)
    capsys.readouterr()
    assert all(np.array_equal(a[k], b[k]) for k in b)
    fa = json.loads((tmp_path / "digits_adam" / "a" / "summary.json").read_text())["final"]
    fb = json.loads((tmp_path / "digits_adam" / "b" / "summary.json").read_text())["final"]
    assert fa["test_accuracy"] == fb["test_accuracy"]


def test_ema_with_buffers_averages_batch_norm_statistics_and_resumes_exactly(repo_root, tmp_path, capsys):
    import framework
    from framework.build import build
    from framework.recipe import resolve

    model = ("{'name': 'sequential', 'layers': ['flatten', {'name': 'dense', 'units': 16}, 'batch_norm', 'relu', "
             "{'name': 'dense', 'units': 'outputs'}]}")
    sets = [f"model={model}", "loggers=[]", "scheduler=None"]
    digits = str(repo_root / "recipes" / "digits_adam.py")
    t = build(resolve(digits, [*sets, "callbacks=[{'name': 'ema', 'buffers': True}]", "epochs=2"]))
    averaged = {}

    class Watch(framework.Callback):  # the running statistics' average by hand
        order = 150

        def on_step_end(self, trainer, state):
            d = min(0.999, (1 + state.step - 1) / (10 + state.step - 1))
            for k, v in trainer.model.buffers.items():
                averaged[k] = d * averaged.setdefault(k, v.astype(np.float64)) + (1 - d) * v

    t.add_callbacks(Watch())
    t.fit()
    buffers = t.model.buffers
    assert sorted(averaged) == ["bn0.running_mean", "bn0.running_var"]
    for k, v in averaged.items():
        assert np.allclose(buffers[k], v, rtol=1e-4, atol=1e-6)
    # without `buffers` the statistics are the last step's, which differ from their average
    plain = build(resolve(digits, [*sets, "callbacks=['ema']", "epochs=2"]))
    plain.fit()
    assert not np.allclose(plain.model.buffers["bn0.running_var"], buffers["bn0.running_var"], rtol=1e-3)
    assert np.array_equal(plain.model.params[0].value, t.model.params[0].value)  # the same training otherwise

    # 2 epochs then --resume --epochs 3 equals 3 straight, buffers and all
    a, b = resumed_and_straight(digits, [*sets, "callbacks=[{'name': 'ema', 'buffers': True}, 'checkpoint']"],
                                tmp_path, 3)
    capsys.readouterr()
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in b)


def test_flip_tta_averages_each_evaluation_over_the_mirror_image(repo_root, tmp_path, capsys):
    import framework
    from framework.build import build
    from framework.recipe import resolve
    from framework.run import main as run_main

    cnn = ("{'name': 'sequential', 'layers': [{'name': 'conv2d', 'filters': 4}, 'relu', 'flatten', "
           "{'name': 'dense', 'units': 'outputs'}]}")
    t = build(resolve(str(repo_root / "recipes" / "digits_adam.py"), [f"model={cnn}", "loggers=[]",
                                                                      "callbacks=['flip_tta']", "epochs=1"]))
    t.fit()
    wrapper = t.model.layers[1]
    assert type(wrapper).__name__ == "FlipAveraged"
    x = t.data.x_test[:5].reshape(5, 1, 8, 8)
    inner = framework.Sequential(wrapper.layers)  # the same layers, without the averaging
    inner.input_shape, inner.order, inner.grad_below = (8, 8, 1), wrapper.order, wrapper.grad_below
    inner.eval()
    plain = inner.forward(x.reshape(5, 8, 8, 1))
    mirrored = inner.forward(x[:, :, :, ::-1].reshape(5, 8, 8, 1))
    t.model.eval()
    assert np.allclose(t.model.forward(x.reshape(5, -1)), (plain + mirrored) / 2, atol=1e-6)
    assert not np.allclose(plain, mirrored, atol=1e-3)

    sets = ["--set", f"model={cnn}", "--set", "loggers=[]", "--set", "callbacks=['flip_tta', 'checkpoint']",
            "--set", "epochs=2"]
    assert run_main([str(repo_root / "recipes" / "digits_adam.py"), *sets, "--logdir", str(tmp_path),
                     "--name", "r"]) == 0
    predict_test_and_onnx_agree(tmp_path / "digits_adam" / "r", tmp_path, capsys)


def predict_test_and_onnx_agree(run_dir, tmp_path, capsys):
    """A digits run's predictions score its recorded test accuracy, and its ONNX export gives predict_proba."""
    import json

    import framework
    from framework.build import build
    from framework.recipe import resolve

    model = framework.load(run_dir)
    trainer = build(resolve(str(run_dir / "recipe.json"), []))
    raw = trainer.data.x_test * 16.0
    final = json.loads((run_dir / "summary.json").read_text())["final"]
    assert (model.predict(raw) == trainer.data.y_test).mean() == pytest.approx(final["test_accuracy"])
    ort = pytest.importorskip("onnxruntime")
    from framework.export import main as export_main

    assert export_main([str(run_dir), "-o", str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": raw.reshape(-1, 1, 8, 8).astype(np.float32)})[0]
    assert np.max(np.abs(got - model.predict_proba(raw))) <= 1e-5


def test_flip_tta_translate_averages_airbench_six_views(repo_root, tmp_path, capsys):
    """translate t: half the flip mean, half the flip means of the images moved t pixels down-right and up-left with
    reflected borders (the moved images built here by index, not np.pad); predict, the test figure and ONNX agree."""
    import framework
    from framework.build import build
    from framework.recipe import resolve
    from framework.run import main as run_main

    cnn = ("{'name': 'sequential', 'layers': [{'name': 'conv2d', 'filters': 4}, 'relu', 'flatten', "
           "{'name': 'dense', 'units': 'outputs'}]}")
    sets = [f"model={cnn}", "loggers=[]", "callbacks=[{'name': 'flip_tta', 'translate': 1}, 'checkpoint']",
            "epochs=2"]
    assert run_main([str(repo_root / "recipes" / "digits_adam.py"), *[a for s in sets for a in ("--set", s)],
                     "--logdir", str(tmp_path), "--name", "r"]) == 0
    run_dir = tmp_path / "digits_adam" / "r"
    model = framework.load(run_dir)
    net = model.model
    wrapper = net.layers[1]
    assert type(wrapper).__name__ == "FlipAveraged" and wrapper.translate == 1
    inner = framework.Sequential(wrapper.layers)
    inner.input_shape, inner.order, inner.grad_below = (8, 8, 1), wrapper.order, wrapper.grad_below
    inner.eval()
    trainer = build(resolve(str(run_dir / "recipe.json"), []))
    x = trainer.data.x_test[:6].reshape(6, 8, 8, 1)
    down = np.abs(np.arange(-1, 7))  # row i of the moved image is row i - 1, reflected at the border: 1, 0, 1, ...
    up = np.array([1, 2, 3, 4, 5, 6, 7, 6])  # row i + 1, reflected: ..., 7, 6

    def flips(v):
        return (inner.forward(v) + inner.forward(v[:, :, ::-1].copy())) / 2

    moved = [x[:, rows][:, :, rows] for rows in (down, up)]
    expected = flips(x) / 2 + (flips(moved[0]) + flips(moved[1])) / 4
    got = net.forward(x.reshape(6, -1))
    assert np.allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, flips(x), atol=1e-3)  # the moved views count
    predict_test_and_onnx_agree(run_dir, tmp_path, capsys)


@pytest.mark.parametrize("value,message", [
    (-1, "key 'callbacks.flip_tta.translate': expected a whole number of pixels >= 0 (0: off), got -1"),
    (True, "key 'callbacks.flip_tta.translate': expected int, got True (a bool)"),
    ("1", "key 'callbacks.flip_tta.translate': expected int, got '1' (str)"),
    (1.5, "key 'callbacks.flip_tta.translate': expected int, got 1.5 (float)"),
    (8, "digits_adam.py: flip_tta: translate: expected fewer pixels than the images' height and width [8, 8], got 8"),
])
def test_flip_tta_translate_refuses_bad_values_in_one_line(repo_root, tmp_path, capsys, value, message):
    from framework.run import main as run_main

    cb = f"callbacks=[{{'name': 'flip_tta', 'translate': {value!r}}}]"
    code = run_main([str(repo_root / "recipes" / "digits_adam.py"), "--set", cb, "--set", "loggers=[]",
                     "--logdir", str(tmp_path), "--name", "r"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "digits_adam" / "r").exists()
