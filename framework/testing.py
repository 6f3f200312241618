"""Conformance checks for plugins, in the spirit of scikit-learn's `check_estimator`.

A plugin author calls these in their own tests, e.g. `check_optimizer(MyOptimizer, lr=0.01)`; each raises
AssertionError naming what the plugin got wrong. The built-in plugins pass them (tests/test_conformance.py).
"""
from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .augment import Warp
from .build import build_mlp, build_model
from .callbacks import Callback, State
from .data import Dataset
from .layers import ChannelsLast, Layer, OnnxGraph, Param, Sequential, flatten, make_layers
from .losses import SoftmaxCrossEntropy
from .optim import Optimizer
from .trainer import Trainer


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar f() with respect to the float64 array x (perturbed in
    place, then restored): the reference for every gradient check."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g


def _problem(dtype=np.float64, seed=0):
    """A small separable classification problem and a fresh model for it."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((64, 5)).astype(dtype)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y, build_mlp(5, 2, [8], "tanh", rng=np.random.default_rng(seed), dtype=dtype)


def _tiny_dataset(n=96, image_shape=None, seed=0, n_features=6) -> Dataset:
    r = np.random.default_rng(seed)
    d = int(np.prod(image_shape)) if image_shape else n_features
    x = r.random((n, d)).astype(np.float32)
    y = (x[:, : d // 2].sum(axis=1) > x[:, d // 2:].sum(axis=1)).astype(np.int64)
    return Dataset("tiny", x[:64], y[:64], x[64:80], y[64:80], x[80:], y[80:], n_classes=2, image_shape=image_shape)


def _storable(state: dict[str, Any], what: str) -> None:
    """State must be arrays or JSON values (checkpoints are .npz + JSON, never pickle)."""
    for k, v in state.items():
        if isinstance(v, np.ndarray):
            assert v.dtype != object, f"{what}: state_dict()[{k!r}] is an object array (would need pickle)"
        else:
            try:
                json.dumps(v)
            except TypeError:
                raise AssertionError(f"{what}: state_dict()[{k!r}] = {v!r} is neither an array nor JSON-able") from None


def _copy_state(state: dict[str, Any]) -> dict[str, Any]:
    return {k: (np.array(v) if isinstance(v, np.ndarray) else json.loads(json.dumps(v))) for k, v in state.items()}


def _onnx_outputs(model: Sequential, x: np.ndarray) -> np.ndarray | None:
    """The model's ONNX graph run in onnxruntime on x (float32), or None where onnx or onnxruntime is missing."""
    try:
        import onnx  # noqa: F401  (OnnxGraph.model needs it)
        import onnxruntime as ort
    except ImportError:
        return None
    g = OnnxGraph()
    out = model.to_onnx(g, "input")
    tokens = x.dtype.kind in "iu"
    proto = g.model(out, "output", x.shape, None, "check", tokens=tokens)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.astype(np.int64 if tokens else np.float32)})[0]


def _first(model: Sequential) -> Layer:
    """The first layer that computes (inside containers)."""
    layer = model
    while layer.children():
        layer = layer.children()[0]
    return layer


def _model_checks(name: str, make: Callable[[], Sequential], input_shape: tuple, n: int = 4) -> None:
    """What check_layer and check_model share; `make()` gives an unbuilt model."""
    r = np.random.default_rng(0)
    input_shape = tuple(input_shape)

    def built(dtype, seed=0):
        model = make()
        model.build(input_shape, np.random.default_rng(seed), dtype)
        for p in model.params:  # away from the initial values (zero biases, unit scales) so every term counts
            p.value += (0.1 * np.random.default_rng(seed + 10).standard_normal(p.value.shape)).astype(dtype)
        return model

    def run(model, x):
        for layer in model.walk():  # the same dropout mask on every call
            if layer.uses_rng:
                layer.rng = np.random.default_rng(7)
        return model.forward(x)

    model = built(np.float64)
    _registered(name, model)
    names = list(model.state_dict())
    assert len(set(names)) == len(names), f"{name}: parameter and buffer names repeat: {names}"
    tokens = getattr(_first(model), "takes_tokens", False)
    if tokens:  # integer token ids (an embedding first): no input gradient
        x = r.integers(0, _first(model).vocab, (n, *input_shape))
    else:
        x = r.standard_normal((n, *input_shape))
        x[np.abs(x) < 1e-3] = 0.5  # away from kinks at zero
    for mode in (True, False):
        model.train(mode)
        what = f"{name} ({'train' if mode else 'eval'} mode)"
        before = x.copy()
        y = run(model, x)
        assert np.array_equal(x, before), f"{what}: forward() modified its input"
        assert y.shape == (n, *model.output_shape), \
            f"{what}: forward gave {y.shape[1:]} per example, its output_shape says {model.output_shape}"
        weights = r.standard_normal(y.shape)
        loss = lambda weights=weights: float(np.sum(run(model, x) * weights))
        run(model, x)
        for p in model.params:
            p.grad[...] = 0.0
        dx = model.backward(weights.copy(), need_input_grad=True)
        grads = {p.name: p.grad.copy() for p in model.params}
        if tokens:
            assert dx is None, f"{what}: backward returned a gradient for integer token ids"
        else:
            assert dx is not None and dx.shape == x.shape, f"{what}: backward returned {getattr(dx, 'shape', dx)}"
            assert np.allclose(dx, numerical_grad(loss, x), rtol=1e-5, atol=1e-7), \
                f"{what}: the input gradient does not match finite differences"
        for p in model.params:
            assert np.allclose(grads[p.name], numerical_grad(loss, p.value), rtol=1e-5, atol=1e-7), \
                f"{what}: the gradient of {p.name} does not match finite differences"
        run(model, x)
        model.backward(weights.copy(), need_input_grad=False)
        assert all(np.allclose(grads[p.name], p.grad, rtol=1e-12, atol=1e-12) for p in model.params), \
            f"{what}: parameter gradients differ when the input gradient is not needed"

    f32 = built(np.float32)
    x32 = x if tokens else x.astype(np.float32)
    y32 = run(f32, x32)
    dx32 = f32.backward(np.ones_like(y32), need_input_grad=True)
    assert y32.dtype == np.float32 and (tokens or dx32.dtype == np.float32), \
        f"{name}: float32 in gave {y32.dtype} out and a {getattr(dx32, 'dtype', None)} input gradient (keep the dtype)"
    for p in f32.params:
        assert p.value.dtype == np.float32 and p.grad.dtype == np.float32, f"{name}: {p.name} is not float32"

    a, b = built(np.float64, seed=0), built(np.float64, seed=1)
    run(a, x)  # training updates buffers (running statistics): they must travel too
    b.load_state_dict({k: v.copy() for k, v in a.state_dict().items()})
    a.eval(), b.eval()
    assert np.array_equal(run(a, x), run(b, x)), f"{name}: after load_state_dict(state_dict()) the outputs differ"

    f32.eval()
    for layer in f32.walk():  # every machine alike: a layer without to_onnx fails, onnxruntime or not
        assert type(layer).to_onnx is not Layer.to_onnx or isinstance(layer, Sequential), \
            f"{name}: {type(layer).__name__} has no to_onnx (required: `framework.export` writes every layer)"
    onnx_y = _onnx_outputs(f32, x32)
    if onnx_y is not None:
        expected = run(f32, x32)
        assert onnx_y.shape == expected.shape and np.allclose(onnx_y, expected, rtol=1e-5, atol=1e-5), \
            f"{name}: the ONNX export differs from forward() (max {np.abs(onnx_y - expected).max():.3g})"
    else:
        warnings.warn(f"{name}: the ONNX check was skipped: onnx and onnxruntime are not both installed "
                      f"(pip install onnx onnxruntime)", stacklevel=3)
    assert isinstance(f32.summary(), str)


def _registered(name: str, model: Sequential) -> None:
    """Every array a layer keeps after `build` is a parameter (in `params`), a buffer (in `buffers`), part of one,
    or named in the layer's `constants`: an array or Param left out of both would never be trained or saved."""
    for layer in model.walk():
        if layer.children():
            continue
        params, buffers = list(layer.params), list(layer.buffers.values())
        owned = [p.value for p in params] + [p.grad for p in params] + buffers
        for attr, v in vars(layer).items():
            if attr in layer.constants:
                continue
            if isinstance(v, Param):
                assert any(v is p for p in params), \
                    f"{name}: {type(layer).__name__}.{attr} is a Param that is not in self.params (never trained or " \
                    f"saved)"
            elif isinstance(v, np.ndarray) and v.size > 0:
                assert any(np.shares_memory(v, a) for a in owned), \
                    (f"{name}: {type(layer).__name__}.{attr} is an array made in build() that is neither in "
                     f"self.params nor in self.buffers (never trained or saved); list it in one, or in the "
                     f"class's `constants` if build() remakes it identically")


def check_layer(cls, input_shape: tuple, **params) -> None:
    """A layer (`framework.layers` plugin), built alone for per-example `input_shape` (images as the layer sees
    them inside a model: (H, W, C)): in train and eval mode,
    its input and parameter gradients match finite differences (float64); forward leaves its input alone and
    agrees with `output_shape`; float32 stays float32; `state_dict` round trips (buffers too); and, where onnx
    and onnxruntime are installed, its ONNX nodes compute what forward() does (float32, 1e-5)."""
    def make():  # child layers (a `layers` parameter, as specs) are made anew for every model built
        kw = {k: (make_layers(v) if k == "layers" else v) for k, v in params.items()}
        return Sequential([cls(**kw)])

    _model_checks(getattr(cls, "__name__", repr(cls)), make, input_shape)


def check_model(builder, input_shape: tuple, n_outputs: int, **params) -> None:
    """A model builder (`framework.models` plugin): returns a Sequential (or a list of layers) that builds for
    `input_shape` ((C, H, W) images, or (features,)), gives (N, n_outputs), and passes check_layer's checks as a
    whole."""
    name = getattr(builder, "__name__", repr(builder))

    def make():
        model = builder(tuple(input_shape), n_outputs, **params)
        model = Sequential(list(model)) if isinstance(model, (list, tuple)) else model
        assert isinstance(model, Sequential), f"{name}: returned {type(model).__name__}, expected a Sequential"
        if len(input_shape) == 3:  # as build_model makes it: (C, H, W) images in, channels-last inside
            model.layers.insert(0, ChannelsLast())
        return model

    out = make()
    out.build(tuple(input_shape), np.random.default_rng(0), np.float64)
    assert out.output_shape == (n_outputs,), f"{name}: output shape {out.output_shape}, expected ({n_outputs},)"
    _model_checks(name, make, input_shape)


def check_optimizer(cls: Callable[..., Optimizer], **params) -> None:
    """An optimizer: lowers the loss; reads gradients without changing them; keeps dtypes (and keeps no NumPy
    float64 scalars that would make float32 steps compute in float64); is deterministic;
    exports and restores its state so training continues identically; honours a changed `lr`."""
    name = getattr(cls, "__name__", repr(cls))
    for dtype in (np.float32, np.float64):
        x, y, model = _problem(dtype)
        opt = cls(model.params, **params)
        assert isinstance(opt, Optimizer), f"{name}: must subclass framework.Optimizer"
        loss = SoftmaxCrossEntropy()
        first = loss.forward(model.forward(x), y)
        for _ in range(100):
            loss.forward(model.forward(x), y)
            model.backward(loss.backward())
            grads = [p.grad.copy() for p in model.params]
            opt.step()
            for p, g in zip(model.params, grads):
                assert np.array_equal(p.grad, g), f"{name}: step() modified {p.name}.grad"
                assert p.value.dtype == dtype, \
                    f"{name}: step() changed {p.name} from {dtype.__name__} to {p.value.dtype}"
        wide = sorted(k for k, v in vars(opt).items() if isinstance(v, np.floating) and v.dtype.itemsize > 4)
        assert dtype != np.float32 or not wide, \
            f"{name}: NumPy float64 scalars kept on self ({', '.join(wide)}): with float32 parameters an array " \
            f"operation with one runs in float64 (NEP 50), slower; keep them as Python floats (float(...))"
        last = loss.forward(model.forward(x), y)
        assert np.isfinite(last) and last < 0.8 * first, \
            f"{name}: 100 steps on a separable problem took the loss from {first:.4f} to {last:.4f} (expected lower)"

    r = np.random.default_rng(1)
    shapes = [(4, 3), (3,)]
    grads = [[r.standard_normal(s) for s in shapes] for _ in range(6)]
    start = [r.standard_normal(s) for s in shapes]

    def fresh(flat=False, threads=1):
        ps = [Param(f"p{i}", v.copy(), decay=i == 0) for i, v in enumerate(start)]
        if flat:
            flatten(ps)
        opt = cls(ps, **params)
        opt.block, opt.threads = 4, threads
        return ps, opt

    def steps(ps, opt, gs):
        for g in gs:
            for p, gi in zip(ps, g):
                p.grad[...] = gi
            opt.step()

    pa, a = fresh()
    pb, b = fresh()
    steps(pa, a, grads)
    steps(pb, b, grads)
    assert all(np.array_equal(p.value, q.value) for p, q in zip(pa, pb)), f"{name}: two identical runs differ"

    pa, a = fresh()
    steps(pa, a, grads[:3])
    exported = a.state_dict()
    _storable(exported, name)
    pb, b = fresh()
    for p, q in zip(pa, pb):
        q.value[...] = p.value
    b.load_state_dict(_copy_state(exported))
    steps(pa, a, grads[3:])
    steps(pb, b, grads[3:])
    assert all(np.array_equal(p.value, q.value) for p, q in zip(pa, pb)), \
        f"{name}: after load_state_dict(state_dict()), training does not continue identically"

    if type(a).update is not Optimizer.update:  # blocks are independent: parallel parts give the same bits
        runs = [fresh(flat, threads) for flat, threads in ((False, 1), (True, 1), (True, 2))]
        for ps, opt in runs:
            steps(ps, opt, grads)
        for ps, _ in runs[1:]:
            assert all(np.array_equal(p.value, q.value) for p, q in zip(runs[0][0], ps)), \
                f"{name}: update() over blocks of the flat buffers, or over blocks in two threads, differs from " \
                f"update() per parameter (it must be elementwise, and keep no per-block results on self)"

    ps, opt = fresh()
    opt.lr = 0.0
    before = [p.value.copy() for p in ps]
    steps(ps, opt, grads[:1])
    moved = max(float(np.abs(p.value - v).max()) for p, v in zip(ps, before))
    assert moved == 0.0, f"{name}: with lr = 0 a step still moved the parameters by {moved:g} (schedules set lr)"


def check_scheduler(cls, epochs: int = 10, **params) -> None:
    """A schedule: sets a finite, positive learning rate before every step, deterministically, and restores
    its state."""
    from types import SimpleNamespace

    name = getattr(cls, "__name__", repr(cls))

    def lrs(sched):
        t = SimpleNamespace(optimizer=SimpleNamespace(lr=0.1), data=SimpleNamespace(x_train=np.zeros((100, 1))),
                            batch_size=10, steps_per_epoch=10, epochs=epochs)
        sched.on_fit_begin(t, State())
        out = []
        for step in range(epochs * 10):
            sched.on_batch_begin(t, State(step=step))
            out.append(t.optimizer.lr)
        return out

    a, b = lrs(cls(**params)), lrs(cls(**params))
    assert a == b, f"{name}: the same schedule gave different learning rates"
    assert all(np.isfinite(v) and v >= 0 for v in a), f"{name}: learning rates must be finite and >= 0, got {a}"
    assert max(a) > 0, f"{name}: the learning rate is never positive"
    s = cls(**params)
    lrs(s)
    state = s.state_dict()
    _storable(state, name)
    restored = cls(**params)
    restored.load_state_dict(_copy_state(state))
    assert lrs(restored) == a, f"{name}: a restored schedule gives different learning rates"


def check_augmentation(cls, image_shape: tuple[int, int] | None = (8, 8), n_features: int = 6, **params) -> None:
    """An augmentation: keeps shape and dtype (float32 and float64), leaves its input untouched, is
    deterministic under a seed, changes the data, and runs on training batches through the Trainer.
    Image augmentations get (16, *image_shape) batches; others (16, n_features). A `Warp` must also move
    only the images it is given and compose with another warp."""
    name = getattr(cls, "__name__", repr(cls))
    aug = cls(**params)
    needs_images = getattr(aug, "needs_images", True)
    shape = (16, *image_shape) if needs_images else (16, n_features)
    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(0).random(shape).astype(dtype)
        before = x.copy()
        a = aug.transform(x, np.random.default_rng(3))
        b = aug.transform(x, np.random.default_rng(3))
        assert np.array_equal(x, before), f"{name}: transform() modified its input"
        assert a.shape == x.shape, f"{name}: shape {x.shape} became {a.shape}"
        assert a.dtype == dtype, f"{name}: dtype {dtype.__name__} became {a.dtype}"
        assert np.array_equal(a, b), f"{name}: not deterministic under the same seed"
        assert not np.array_equal(a, x), f"{name}: the data came back unchanged"
        assert np.all(np.isfinite(a)), f"{name}: produced NaN or infinity"
    if isinstance(aug, Warp):
        x = np.random.default_rng(0).random(shape)
        grid = cls.new_grid(len(x), image_shape, x.dtype)
        chosen = np.arange(0, len(x), 2)
        aug.compose(grid, aug.draw(grid, len(chosen), np.random.default_rng(3)), chosen)
        out = grid.sample(x)
        assert np.allclose(out[1::2], x[1::2], rtol=0, atol=1e-12), \
            f"{name}: compose() moved images it was not given"
        assert not np.allclose(out[::2], x[::2]), f"{name}: compose() did not move the images it was given"
        shifted = cls.apply([aug, _Translate()], x, np.random.default_rng(3), select=False)
        alone = aug.transform(x, np.random.default_rng(3))
        assert np.allclose(shifted[:, :-1], alone[:, 1:], atol=1e-12), \
            f"{name}: composed with a one-row translation, the result is not the translated result"
    data = _tiny_dataset(image_shape=image_shape) if needs_images else _tiny_dataset(n_features=n_features)
    seen: dict[int, list] = {0: [], 1000: []}

    class Spy(Callback):
        def __init__(self, order):
            self.order = order

        def on_batch_begin(self, trainer, state):
            seen[self.order].append(state.batch.x.copy())

    _fit([Spy(0), cls(**params), Spy(1000)], data, epochs=1)
    assert any(not np.array_equal(a, b) for a, b in zip(seen[0], seen[1000])), \
        f"{name}: the Trainer's training batches were not transformed"


class _Translate(Warp):
    """Source = output + one row: composed last, it must translate any warp's result by one row."""

    def draw(self, grid, n, rng):
        return n

    def compose(self, grid, n, images):
        grid.translate(np.tile([1.0, 0.0], (n, 1)), images)


def check_regularizer(cls, **params) -> None:
    """A regularizer: trains without error; any penalty it adds to the loss has exactly the gradient it adds
    to Param.grad (finite differences, float64); its state is storable."""
    name = getattr(cls, "__name__", repr(cls))
    x, y, model = _problem(np.float64, seed=2)
    reg = cls(**params)
    if hasattr(reg, "transform_model"):  # it changes the network: build the network with it, as build_model does
        model = _mlp(5, 2, [8], "tanh", np.float64, seed=2, plugins=[reg])
    for p in model.params:
        p.value[...] = np.random.default_rng(3).standard_normal(p.value.shape)
        p.value[np.abs(p.value) < 0.05] = 0.25  # away from kinks at zero
    data = Dataset("check", x, y, x[:16], y[:16], x[:16], y[:16], n_classes=2)
    trainer = Trainer(model, SoftmaxCrossEntropy(), _SGD(model.params, lr=0.1), data, callbacks=[reg],
                      dtype=np.float64)  # calls reg.setup(trainer)
    loss = SoftmaxCrossEntropy()
    model.eval()  # penalties must not depend on train-time randomness

    def total():
        s = State(loss=loss.forward(model.forward(x), y))
        if hasattr(reg, "on_loss"):
            reg.on_loss(trainer, s)
        return s.loss

    total()
    model.backward(loss.backward())
    if hasattr(reg, "on_backward_end"):
        reg.on_backward_end(trainer, State())
    for p in model.params:
        analytic = p.grad.copy()
        assert np.allclose(analytic, numerical_grad(total, p.value), rtol=1e-5, atol=1e-7), \
            f"{name}: the gradient it adds to {p.name} does not match the penalty it adds to the loss"
    fitted = _fit([cls(**params)], _tiny_dataset(), epochs=3)
    _storable(fitted.callbacks.callbacks[0].state_dict(), name)
    assert np.isfinite(fitted.state.metrics["test_loss"]), f"{name}: training diverged"


def check_callback(cls, **params) -> None:
    """A callback or logger: survives a short training run (with a run directory) and an exception in
    training, and its state is storable. A class with `needs_images = True` is given image data both times."""
    name = getattr(cls, "__name__", repr(cls))
    with tempfile.TemporaryDirectory() as run_dir:
        cb = cls(**params)
        _fit([cb], _tiny_dataset(image_shape=(2, 3)), epochs=2, run_dir=run_dir)
        if hasattr(cb, "state_dict"):
            _storable(cb.state_dict(), name)

        class Boom(Callback):
            def on_batch_end(self, trainer, state):
                raise RuntimeError("conformance check")

        try:
            data = _tiny_dataset(image_shape=(2, 3)) if getattr(cls, "needs_images", False) else _tiny_dataset()
            _fit([cls(**params), Boom()], data, epochs=1, run_dir=run_dir)
        except RuntimeError as e:
            assert str(e) == "conformance check", f"{name}: raised {e!r} while handling an exception in training"
        else:
            raise AssertionError(f"{name}: an exception raised in training did not reach the caller")


def check_dataset(factory: Callable[..., Dataset], **params) -> None:
    """A dataset: a `framework.Dataset` with consistent shapes, float features, labels that fit the task,
    no NaN, the same split every time it is loaded, and a stated scaling when its features look scaled."""
    name = getattr(factory, "__name__", repr(factory))
    d = factory(**params)
    assert isinstance(d, Dataset), f"{name}: returned {type(d).__name__}, expected framework.Dataset"
    assert d.task in ("multiclass", "binary", "regression"), f"{name}: unknown task {d.task!r}"
    for s in ("train", "val", "test"):
        x, y = d.split(s)
        assert x.ndim == 2 and len(x) == len(y), f"{name}: x_{s} {x.shape} and y_{s} {y.shape} do not match"
        assert x.shape[1] == d.n_features, f"{name}: x_{s} has {x.shape[1]} features, x_train {d.n_features}"
        floats = np.issubdtype(x.dtype, np.floating) and np.all(np.isfinite(x))
        assert floats or ((d.raw or d.tokens) and x.dtype == d.x_train.dtype), \
            f"{name}: x_{s} must be finite floats, or raw integers (or token ids) like x_train"
        if d.tokens and len(x):
            assert x.min() >= 0 and x.max() < d.tokens, f"{name}: token ids in x_{s} outside 0..{d.tokens - 1}"
        if d.task == "multiclass" and len(y):
            assert np.issubdtype(y.dtype, np.integer), f"{name}: multiclass labels y_{s} must be integers"
            assert y.min() >= 0 and y.max() < d.n_classes, f"{name}: y_{s} outside 0..{d.n_classes - 1}"
            assert y.ndim == 1 or (y.ndim == 2 and d.tokens), f"{name}: y_{s} {y.shape}: one label per example, " \
                f"or one per position of a token sequence"
        elif d.task == "binary":
            assert set(np.unique(y)) <= {0, 1}, f"{name}: binary labels y_{s} must be 0 or 1"
    if d.raw:
        assert d.input_scale is not None, f"{name}: raw integer features need input_scale (x = raw / input_scale)"
    assert len(d.x_train) > 0 and len(d.x_val) + len(d.x_test) > 0, f"{name}: empty train split, or nothing held out"
    if d.image_shape is not None:
        assert int(np.prod(d.image_shape)) == d.n_features, f"{name}: image_shape {d.image_shape} vs {d.n_features}"
    again = factory(**params)
    assert all(np.array_equal(getattr(d, k), getattr(again, k)) for k in ("x_train", "y_train", "x_val", "x_test")), \
        f"{name}: loading twice gave different splits (seed the split)"
    scaled = _unstated_scaling(d)
    assert scaled is None, (f"{name}: the training features look {scaled}, but input_center and input_scale are None "
                            f"(unchanged): a trained model would take them as raw inputs and predict garbage on the "
                            f"raw measurements; state how raw inputs became x (docs/plugins.md#datasets), or 1.0 / "
                            f"0.0 if the raw data is already so")


def _unstated_scaling(d: Dataset) -> str | None:
    """How a dataset's training features look scaled (standardised, min-max scaled, images in 0..1) when it states
    no scaling; None when it states one or they do not look scaled."""
    if d.input_center is not None or d.input_scale is not None or d.raw:
        return None
    x = d.x_train.astype(np.float64)
    if len(x) < 2:
        return None
    if d.image_shape is not None:
        return "like pixels divided by their range (all in 0..1)" if x.min() >= 0 and x.max() == 1 else None
    if d.n_features < 2:
        return None
    mean, sd = x.mean(axis=0), x.std(axis=0)
    if np.all(np.abs(mean) < 1e-4) and np.all(np.abs(sd - 1) < 1e-3):
        return "standardised (every feature's mean 0 and standard deviation 1)"
    if np.all(np.abs(x.min(axis=0)) < 1e-6) and np.all(np.abs(x.max(axis=0) - 1) < 1e-6):
        return "min-max scaled (every feature from 0 to 1)"
    return None


class _SGD(Optimizer):
    def step(self):
        for p in self.params:
            p.value -= self.lr * p.grad


def _mlp(n_in, n_out, hidden, activation="relu", dtype=np.float32, seed=0, plugins=()):
    """The mlp plugin's network, changed by any of `plugins` that have transform_model (as build_model does)."""
    recipe = {"model": {"hidden": hidden, "activation": activation}, "dtype": np.dtype(dtype).name,
              "regularizers": [], "callbacks": []}
    return build_model(recipe, {"input_shape": [n_in], "n_outputs": n_out}, "check", np.random.default_rng(seed),
                       plugins=list(plugins))


def _fit(callbacks, data: Dataset, epochs: int, run_dir: str | None = None) -> Trainer:
    model = _mlp(data.n_features, data.n_outputs, [8], plugins=callbacks)
    trainer = Trainer(model, SoftmaxCrossEntropy(), _SGD(model.params, lr=0.1), data, callbacks=callbacks,
                      epochs=epochs, batch_size=16, seed=0, run_dir=run_dir, recipe={"dataset": data.name})
    trainer.fit()
    return trainer
