"""Convolution and pooling against independent oracles: scipy.signal.correlate per channel pair for conv2d, a
naive loop over windows for pooling; ties and borders as documented."""
import numpy as np
import pytest
from conftest import resumed_and_straight
from scipy.signal import convolve, correlate

from framework import Sequential
from plugins.layers import AvgPool2D, BatchNorm, Conv2D, GlobalAvgPool, MaxPool2D, ReLU

rng = np.random.default_rng(0)


def built(layer, shape, dtype=np.float64):
    model = Sequential([layer])
    model.build(shape, np.random.default_rng(1), dtype)
    return layer


def conv_oracle(x, w, b, stride, pads):
    """x (N, H, W, C), w (kh, kw, C, O): zero-pad, correlate each (input channel, output channel) pair over the
    full valid range with scipy, sum over input channels, then take every stride-th position."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    n, c, o = len(x), x.shape[3], w.shape[3]
    full = np.stack([np.stack([sum(correlate(xp[i, :, :, k], w[:, :, k, f], mode="valid") for k in range(c))
                               for f in range(o)], axis=-1) for i in range(n)])
    return full[:, ::stride[0], ::stride[1], :] + b


@pytest.mark.parametrize("shape,kernel,stride,padding,expected_hw", [
    ((7, 7, 3), 3, 1, "same", (7, 7)), ((7, 7, 3), 3, 2, "same", (4, 4)), ((8, 6, 2), 3, 2, "same", (4, 3)),
    ((7, 9, 2), [3, 5], 1, "valid", (5, 5)), ((9, 7, 1), 5, 2, "valid", (3, 2)), ((5, 5, 2), 3, 1, 2, (7, 7)),
    ((6, 7, 2), 4, 2, 1, (3, 3)), ((5, 5, 3), 1, 1, "same", (5, 5)), ((6, 6, 2), 2, 1, "same", (6, 6)),
])
def test_conv2d_forward_matches_scipy_correlate(shape, kernel, stride, padding, expected_hw):
    layer = built(Conv2D(4, kernel=kernel, stride=stride, padding=padding), shape)
    layer.b.value[:] = rng.standard_normal(4)
    x = rng.standard_normal((3, *shape))
    y = layer.forward(x)
    assert y.shape == (3, *expected_hw, 4) == (3, *layer.output_shape)
    s = (stride, stride) if isinstance(stride, int) else stride
    assert np.allclose(y, conv_oracle(x, layer.W.value, layer.b.value, s, layer.pads), rtol=1e-12, atol=1e-12)


def input_grad_oracle(g, w, stride, pads, in_hw):
    """The adjoint of conv_oracle: g spread out by the stride over the padded input's valid positions, each
    (output, input channel) pair convolved (scipy, mode "full") with its kernel, summed, the padding cut off."""
    (pt, pb), (pl, pr), (kh, kw) = *pads, w.shape[:2]
    hp, wp = in_hw[0] + pt + pb, in_hw[1] + pl + pr
    up = np.zeros((len(g), hp - kh + 1, wp - kw + 1, g.shape[3]))
    up[:, ::stride[0], ::stride[1]] = g
    dxp = np.stack([np.stack([sum(convolve(up[i, :, :, f], w[:, :, k, f]) for f in range(g.shape[3]))
                              for k in range(w.shape[2])], axis=-1) for i in range(len(g))])
    return dxp[:, pt:hp - pb, pl:wp - pr]


@pytest.mark.parametrize("shape,filters,kernel,stride,padding,transposed", [
    ((7, 7, 4), 4, 3, 1, "same", True), ((7, 7, 4), 2, 3, 1, "valid", True), ((6, 6, 3), 3, 2, 1, "same", True),
    ((7, 9, 3), 2, [3, 5], 1, "valid", True), ((5, 5, 2), 2, 2, 1, 1, True), ((5, 5, 2), 2, 2, 1, 2, False),
    ((7, 7, 2), 4, 3, 1, "same", False), ((8, 6, 4), 2, 3, 2, "same", False), ((7, 7, 3), 3, [3, 2], [1, 2], 1, False),
])
def test_conv2d_input_gradient_matches_scipy_by_either_route(monkeypatch, shape, filters, kernel, stride, padding,
                                                             transposed):
    """Stride 1 with at least as many input channels as filters (and padding smaller than the kernel) takes the
    transposed-convolution route, the rest the scatter of the columns' gradient; both equal the oracle."""
    calls = []
    route = Conv2D._transposed
    monkeypatch.setattr(Conv2D, "_transposed", lambda self, *a: calls.append(1) or route(self, *a))
    layer = built(Conv2D(filters, kernel=kernel, stride=stride, padding=padding), shape)
    x = rng.standard_normal((2, *shape))
    g = rng.standard_normal(layer.forward(x).shape)
    s = (stride, stride) if isinstance(stride, int) else stride
    dx = layer.backward(g)
    assert bool(calls) == transposed and dx.shape == x.shape
    assert np.allclose(dx, input_grad_oracle(g, layer.W.value, s, layer.pads, shape[:2]), rtol=1e-12, atol=1e-12)


def test_same_padding_puts_the_extra_row_at_the_bottom_and_right():
    assert built(Conv2D(1, kernel=3, stride=2), (8, 6, 1)).pads == ((0, 1), (0, 1))
    assert built(Conv2D(1, kernel=4, stride=1), (6, 6, 1)).pads == ((1, 2), (1, 2))
    assert built(Conv2D(1, kernel=3), (5, 5, 1)).pads == ((1, 1), (1, 1))


def test_conv2d_float32_stays_float32_and_backward_skips_the_input_gradient():
    layer = built(Conv2D(3), (6, 6, 2), np.float32)
    x = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y), need_input_grad=False) is None
    assert layer.W.grad.dtype == np.float32 and np.allclose(layer.b.grad, 2 * 36)


def pool_oracle(x, size, stride, reduce):
    n, h, w, c = x.shape
    ho, wo = (h - size[0]) // stride[0] + 1, (w - size[1]) // stride[1] + 1
    out = np.empty((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            win = x[:, i * stride[0]:i * stride[0] + size[0], j * stride[1]:j * stride[1] + size[1], :]
            out[:, i, j, :] = reduce(win, axis=(1, 2))
    return out


@pytest.mark.parametrize("cls,reduce", [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
@pytest.mark.parametrize("shape,size,stride", [((4, 4, 2), 2, None), ((5, 7, 3), 2, None), ((7, 7, 1), 3, 2),
                                               ((6, 5, 2), [2, 3], [1, 2])])
def test_pooling_matches_a_loop_over_windows_and_drops_partial_borders(cls, reduce, shape, size, stride):
    layer = built(cls(size=size, stride=stride), shape)
    x = rng.standard_normal((2, *shape))
    y = layer.forward(x)
    st = layer.stride
    assert np.allclose(y, pool_oracle(x, layer.size, st, reduce), rtol=1e-12, atol=1e-12)
    if shape == (5, 7, 3):  # the last row and column fill no 2x2 window: left out, no gradient
        assert y.shape == (2, 2, 3, 3)
        dx = layer.backward(np.ones_like(y))
        assert np.all(dx[:, 4, :, :] == 0) and np.all(dx[:, :, 6, :] == 0)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only():
    layer = built(MaxPool2D(2), (2, 4, 1))
    x = np.array([[[1.0, 1.0, 0.0, 0.0], [1.0, 0.5, 0.0, 0.0]]])[..., None]  # window 1: three 1s; window 2: all 0
    y = layer.forward(x)
    assert y[0, 0, :, 0].tolist() == [1.0, 0.0]
    dx = layer.backward(np.array([[[[3.0], [5.0]]]]))[0, :, :, 0]
    assert dx.tolist() == [[3.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0]]  # row-major first, as PyTorch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_then_max_pool_runs_as_pool_then_relu_with_the_same_values_and_gradients(dtype):
    """The model runs ReLU after the pooling that follows it: outputs and gradients bit for bit those of the
    declared order, including windows of ties, of zeros, of negatives only, and a partial border."""
    def net(swap):
        model = Sequential([Conv2D(3, 3), BatchNorm(), ReLU(), MaxPool2D(2), Conv2D(2, 3), ReLU(), MaxPool2D(3, 2)])
        model.build((9, 9, 2), np.random.default_rng(3), dtype)
        if not swap:
            model.order = list(model.layers)
        return model

    x = rng.standard_normal((4, 9, 9, 2)).round(0).astype(dtype)  # rounding to integers makes ties in windows
    x[0] = 0.0
    swapped, declared = net(True), net(False)
    assert [type(layer).__name__ for layer in swapped.order][2:4] == ["MaxPool2D", "ReLU"]
    y = swapped.forward(x)
    assert swapped.order[3].mask.shape == (4, 4, 4, 3)  # ReLU saw the pooled values
    y0 = declared.forward(x)
    assert np.array_equal(y, y0)
    g = rng.standard_normal(y.shape).astype(dtype)
    dx, dx0 = swapped.backward(g.copy(), need_input_grad=True), declared.backward(g.copy(), need_input_grad=True)
    assert np.array_equal(dx, dx0)
    for p, p0 in zip(swapped.params, declared.params):
        assert np.array_equal(p.grad, p0.grad), p.name


def test_global_avg_pool():
    layer = built(GlobalAvgPool(), (3, 4, 2))
    x = rng.standard_normal((2, 3, 4, 2))
    assert np.allclose(layer.forward(x), x.mean(axis=(1, 2)))
    dx = layer.backward(np.ones((2, 2)))
    assert dx.shape == x.shape and np.allclose(dx, 1 / 12)


@pytest.mark.parametrize("params, message", [
    ({"filters": 0}, "filters: expected a positive integer"), ({"filters": 2, "kernel": [3]}, "kernel: expected"),
    ({"filters": 2, "padding": "full"}, "padding: expected 'same', 'valid'"),
    ({"filters": 2, "stride": 0}, "stride: expected a positive integer"),
    ({"filters": 2, "identity": -1}, "identity: expected a number >= 0"),
    ({"filters": 2, "identity": True}, "identity: expected a number >= 0"),
    ({"filters": 2, "identity": "1"}, "identity: expected a number >= 0"),
    ({"filters": 2, "identity": float("nan")}, "identity: expected a number >= 0"),
])
def test_conv2d_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(**params)


@pytest.mark.parametrize("channels, filters", [(3, 5), (4, 4), (6, 2)])
def test_identity_starts_the_first_filters_as_a_scaled_identity_and_leaves_the_rest_random(channels, filters):
    """As torch.nn.init.dirac_ on the first min(C, filters) filters, times the gain: those output channels copy
    their input channel; the others keep the seeded He draw."""
    plain = built(Conv2D(filters, bias=False, init="he"), (5, 5, channels))
    layer = built(Conv2D(filters, bias=False, init="he", identity=2.5), (5, 5, channels))
    d = min(channels, filters)
    x = np.random.default_rng(1).standard_normal((2, 5, 5, channels))
    assert np.array_equal(layer.forward(x)[..., :d], 2.5 * x[..., :d])
    if filters > d:
        assert np.array_equal(layer.W.value[..., d:], plain.W.value[..., d:]) and np.all(plain.W.value[..., d:])
    assert np.count_nonzero(layer.W.value[..., :d]) == d


def test_a_kernel_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match=r"layer conv0 .*a 5x5 kernel does not fit 3x3 images"):
        built(Conv2D(2, kernel=5, padding="valid"), (3, 3, 1))


def test_the_reference_cnn_trains_with_augmentation_exports_and_predicts_from_png(repo_root, tmp_path, capsys):
    """recipes/mnist_cnn.py end to end on a few images: affine augmentation as for MLPs, ONNX (Conv, MaxPool,
    Flatten nodes) equal to predict_proba, and a PNG digit in."""
    import json

    from PIL import Image

    import framework
    from framework.predict import main as predict_main
    from framework.run import main as run_main

    sets = ["--set", "dataset.limit=300", "--set", "epochs=1", "--set", "loggers=[]", "--set", "batch_size=64",
            "--set", "augmentations=[{'name': 'affine', 'p': 0.5}]"]
    assert run_main([str(repo_root / "recipes" / "mnist_cnn.py"), *sets, "--logdir", str(tmp_path), "--name", "c"]) == 0
    assert "conv1 (Conv2D)                 (None, 14, 14, 64)" in capsys.readouterr().out
    run_dir = tmp_path / "mnist_cnn" / "c"
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "completed"
    predictor = framework.load(run_dir, "last")
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.float64)
    p = predictor.predict_proba(x)
    assert p.shape == (5, 10) and np.allclose(p.sum(axis=1), 1)
    assert np.allclose(predictor.predict_proba(x.reshape(5, 1, 28, 28)), p)  # (N, C, H, W) as ONNX takes it

    ort = pytest.importorskip("onnxruntime")
    import onnx

    from framework.export import main as export_main

    assert export_main([str(run_dir), "-o", str(tmp_path / "c.onnx"), "--checkpoint", "last"]) == 0
    ops = [node.op_type for node in onnx.load(str(tmp_path / "c.onnx")).graph.node]
    assert ops == ["Sub", "Div", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool",  # NCHW throughout, ...
                   "Transpose", "Flatten", "Gemm", "Relu", "Gemm", "Softmax", "Identity"]  # ... flattened as trained
    session = ort.InferenceSession(str(tmp_path / "c.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.reshape(5, 1, 28, 28).astype(np.float32)})[0]
    assert np.max(np.abs(got - p)) <= 1e-5

    Image.fromarray(x[0].astype(np.uint8)).save(tmp_path / "d.png")
    capsys.readouterr()
    assert predict_main([str(run_dir), str(tmp_path / "d.png"), "--checkpoint", "last"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].split(",")[0] == str(int(p[0].argmax()))


def test_onnx_graph_keeps_only_the_transposes_it_needs():
    """Image layers wrap their op in Transposes; the graph cancels inverse pairs, merges others, moves Transposes
    past unary elementwise ops (not past ops that read the layout) and drops the nodes nothing reads."""
    ort = pytest.importorskip("onnxruntime")
    from framework import OnnxGraph

    def run(build):
        g = OnnxGraph()
        proto = g.model(build(g), "y", None, None)
        x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
        y = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})
        return [(n.op_type, [a.ints for a in n.attribute if a.name == "perm"]) for n in g.nodes], x, y[0]

    to_nhwc, to_nchw = [0, 2, 3, 1], [0, 3, 1, 2]
    ops, x, y = run(lambda g: g.node("Transpose", [g.node("Relu", [g.node("Transpose", ["input"], perm=to_nhwc)])],
                                     perm=to_nchw))
    assert [op for op, _ in ops] == ["Relu", "Identity"] and np.array_equal(y, np.maximum(x, 0))
    ops, x, y = run(lambda g: g.node("Transpose", [g.node("Transpose", ["input"], perm=to_nhwc)], perm=to_nhwc))
    assert ops[0] == ("Transpose", [[0, 3, 1, 2]]) and len(ops) == 2  # two in a row become one
    assert np.array_equal(y, x.transpose(0, 2, 3, 1).transpose(0, 2, 3, 1))
    ops, x, y = run(lambda g: g.node("Softmax", [g.node("Transpose", ["input"], perm=to_nhwc)], axis=3))
    assert [op for op, _ in ops] == ["Transpose", "Softmax", "Identity"]  # Softmax reads the layout: kept after
    z = x.transpose(0, 2, 3, 1)
    assert np.allclose(y, np.exp(z) / np.exp(z).sum(axis=3, keepdims=True), atol=1e-6)

    def shared(g):  # a transposed tensor read twice: one reader sinks it, the other cancels it, so it goes
        t = g.node("Transpose", ["input"], perm=to_nhwc)
        return g.node("Add", [g.node("Transpose", [g.node("Relu", [t])], perm=to_nchw), g.node("Transpose", [t],
                                                                                                 perm=to_nchw)])
    ops, x, y = run(shared)
    assert [op for op, _ in ops] == ["Relu", "Add", "Identity"] and np.array_equal(y, np.maximum(x, 0) + x)


def test_patch_whitening_adapts_to_whiten_the_training_patches():
    from plugins.layers import PatchWhitening

    mix = np.array([[1.0, 0.5, 0.2], [0.0, 0.4, 0.3], [0.0, 0.0, 0.1]])
    x = rng.random((40, 7, 6, 3)) @ mix + 0.5  # correlated channels, a non-zero mean
    layer = built(PatchWhitening(eps=1e-9), (7, 6, 3))
    layer.adapt(x)
    patches = np.array([x[i, r:r + 2, c:c + 2, :].ravel() for i in range(40) for r in range(6) for c in range(5)])
    y = layer.forward(x)
    assert y.shape == (40, 6, 5, 24)
    z = y.reshape(-1, 24)
    assert np.allclose(z[:, 12:], -z[:, :12])  # each filter and its negative
    assert np.allclose(z.mean(0), 0, atol=1e-9)  # the bias removes the mean patch
    assert np.allclose(np.cov(z[:, :12].T, bias=True), np.eye(12), atol=1e-5)  # whitened
    # the filters are the patch covariance's eigenvectors, largest eigenvalue first
    values = np.linalg.eigvalsh(np.cov(patches.T, bias=True))[::-1]
    w = layer.W.value.reshape(12, 24)[:, :12]
    assert np.allclose(np.cov(patches.T, bias=True) @ w, w * values, atol=1e-8)
    assert np.allclose(y, conv_oracle(x, layer.W.value, layer.b.value, (1, 1), ((0, 0), (0, 0))))
    assert layer.params == [] and list(layer.buffers) == ["whiten0.W", "whiten0.b"]  # nothing trains


def test_a_new_run_adapts_its_layers_and_a_resumed_one_keeps_them(repo_root, tmp_path, capsys):
    from framework.build import build
    from framework.recipe import resolve
    from framework.trainer import ADAPT_EXAMPLES
    from plugins.layers import PatchWhitening

    model = ("{'name': 'sequential', 'layers': ['patch_whitening', 'relu', {'name': 'conv2d', 'filters': 4}, 'relu', "
             "'flatten', {'name': 'dense', 'units': 'outputs'}]}")
    sets = [f"model={model}", "loggers=[]", "scheduler=None"]
    digits = str(repo_root / "recipes" / "digits_adam.py")
    t = build(resolve(digits, [*sets, "callbacks=[]", "epochs=1"]))
    before = t.model.buffers["whiten0.W"].copy()
    t.fit()
    expected = built(PatchWhitening(), (8, 8, 1))
    expected.adapt(t.data.inputs(t.data.x_train[:ADAPT_EXAMPLES], np.float64).reshape(-1, 8, 8, 1))
    assert not np.allclose(before, expected.W.value, atol=1e-3)
    assert np.allclose(t.model.buffers["whiten0.W"], expected.W.value, rtol=1e-4, atol=1e-4)  # fixed while training

    a, b = resumed_and_straight(digits, [*sets, "callbacks=['checkpoint']"], tmp_path, 2)
    capsys.readouterr()
    assert np.array_equal(a["whiten0.W"], b["whiten0.W"]) and all(np.array_equal(a[k], b[k]) for k in b)
