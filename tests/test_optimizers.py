"""Optimizers against their update equations computed by hand, over several steps."""
import numpy as np
import pytest

from framework import Param, SoftmaxCrossEntropy, build_mlp, registry


def params_with_grads(seed=0):
    r = np.random.default_rng(seed)
    ps = [Param("w", r.standard_normal((3, 2))), Param("b", r.standard_normal(2), decay=False)]
    grads = [[r.standard_normal(p.value.shape) for p in ps] for _ in range(4)]
    return ps, grads


def test_sgd_by_hand():
    SGD = registry.get("optimizers", "sgd")
    ps, grads = params_with_grads()
    w0 = ps[0].value.copy()
    opt = SGD(ps, lr=0.1)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad[...] = g
        opt.step()
    expected = w0 - 0.1 * sum(gs[0] for gs in grads)
    assert np.allclose(ps[0].value, expected)
    assert opt.t == 4


def test_adam_by_hand():
    Adam = registry.get("optimizers", "adam")
    ps, grads = params_with_grads()
    w = ps[0].value.copy()
    opt = Adam(ps, lr=0.01, beta1=0.8, beta2=0.95, eps=1e-6)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, gs in enumerate(grads, start=1):
        for p, g in zip(ps, gs):
            p.grad[...] = g
        opt.step()
        g = gs[0]
        m = 0.8 * m + 0.2 * g
        v = 0.95 * v + 0.05 * g * g
        m_hat, v_hat = m / (1 - 0.8 ** t), v / (1 - 0.95 ** t)
        w = w - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6)
        assert np.allclose(ps[0].value, w, rtol=1e-12, atol=1e-12), f"step {t}"


def test_adam_first_step_moves_each_weight_by_lr():
    Adam = registry.get("optimizers", "adam")
    ps, grads = params_with_grads()
    w0 = ps[0].value.copy()
    for p, g in zip(ps, grads[0]):
        p.grad[...] = g
    Adam(ps, lr=0.05, eps=0).step()
    assert np.allclose(np.abs(ps[0].value - w0), 0.05)


@pytest.mark.parametrize("name,lr", [("sgd", 0.5), ("adam", 0.01)])
def test_optimizer_lowers_the_loss(name, lr):
    r = np.random.default_rng(0)
    x = r.standard_normal((64, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = build_mlp(4, 2, [8], "tanh", rng=r, dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    opt = registry.get("optimizers", name)(model.params, lr=lr)
    first = loss.forward(model.forward(x), y)
    for _ in range(50):
        loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        opt.step()
    assert loss.forward(model.forward(x), y) < 0.5 * first


def test_bad_hyperparameters():
    Adam = registry.get("optimizers", "adam")
    with pytest.raises(ValueError, match="lr"):
        Adam([], lr=-1)
    with pytest.raises(ValueError, match="beta1"):
        Adam([], beta1=1.0)


def test_float32_step_keeps_dtype():
    Adam = registry.get("optimizers", "adam")
    p = Param("w", np.ones((2, 2), np.float32))
    p.grad[...] = 0.5
    Adam([p]).step()
    assert p.value.dtype == np.float32


def run_steps(name, grads, ps, **kw):
    opt = registry.get("optimizers", name)(ps, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad[...] = g
        opt.step()
    return opt


def reference(rule, w, grads_of_w):
    """Apply a hand-written update rule(w, g, state, t) -> (w, state) over the gradient sequence."""
    state = {}
    for t, g in enumerate(grads_of_w, start=1):
        w, state = rule(w, g, state, t)
    return w


def momentum_rule(lr, mu, nesterov):
    def rule(w, g, st, t):
        v = mu * st.get("v", 0) + g
        return w - lr * ((g + mu * v) if nesterov else v), {"v": v}
    return rule


def rmsprop_rule(lr, rho, eps):
    def rule(w, g, st, t):
        s = rho * st.get("s", 0) + (1 - rho) * g * g
        return w - lr * g / (np.sqrt(s) + eps), {"s": s}
    return rule


def adagrad_rule(lr, eps):
    def rule(w, g, st, t):
        s = st.get("s", 0) + g * g
        return w - lr * g / (np.sqrt(s) + eps), {"s": s}
    return rule


def adamw_rule(lr, b1, b2, eps, wd):
    def rule(w, g, st, t):
        w = w * (1 - lr * wd)
        m = b1 * st.get("m", 0) + (1 - b1) * g
        v = b2 * st.get("v", 0) + (1 - b2) * g * g
        return w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), {"m": m, "v": v}
    return rule


@pytest.mark.parametrize("name,kw,rule", [
    ("momentum", dict(lr=0.1, momentum=0.8), momentum_rule(0.1, 0.8, False)),
    ("momentum", dict(lr=0.1, momentum=0.8, nesterov=True), momentum_rule(0.1, 0.8, True)),
    ("rmsprop", dict(lr=0.01, rho=0.7, eps=1e-6), rmsprop_rule(0.01, 0.7, 1e-6)),
    ("adagrad", dict(lr=0.05, eps=1e-7), adagrad_rule(0.05, 1e-7)),
    ("adamw", dict(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-6, weight_decay=0.5), adamw_rule(0.01, 0.8, 0.9, 1e-6, 0.5)),
], ids=["momentum", "nesterov", "rmsprop", "adagrad", "adamw"])
def test_update_equations_by_hand(name, kw, rule):
    ps, grads = params_with_grads()
    w0, b0 = ps[0].value.copy(), ps[1].value.copy()
    run_steps(name, grads, ps, **kw)
    assert np.allclose(ps[0].value, reference(rule, w0, [g[0] for g in grads]), rtol=1e-12, atol=1e-12)
    if name == "adamw":  # biases are not decayed by default
        no_decay = adamw_rule(kw["lr"], kw["beta1"], kw["beta2"], kw["eps"], 0.0)
        assert np.allclose(ps[1].value, reference(no_decay, b0, [g[1] for g in grads]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,kw", [("sgd", {}), ("momentum", {"nesterov": True}), ("rmsprop", {}),
                                     ("adagrad", {}), ("adam", {}), ("adamw", {})])
def test_state_export_restore_continues_identically(name, kw):
    ps, grads = params_with_grads()
    ps2 = [Param(p.name, p.value.copy(), p.decay) for p in ps]
    a = run_steps(name, grads[:2], ps, **kw)
    b = registry.get("optimizers", name)(ps2, lr=0.123, **kw)
    for p, q in zip(ps, ps2):
        q.value[...] = p.value
    b.load_state_dict({k: np.copy(v) for k, v in a.state_dict().items()})
    for gs in grads[2:]:
        for p, q, g in zip(ps, ps2, gs):
            p.grad[...] = g
            q.grad[...] = g
        a.step()
        b.step()
    assert all(np.array_equal(p.value, q.value) for p, q in zip(ps, ps2))


def test_adam_continues_from_a_checkpoint_holding_unscaled_moments():
    """Checkpoints written before Adam kept m/(1-b1) and v/(1-b2) hold m and v: they are converted on load."""
    ps, grads = params_with_grads()
    rule = adamw_rule(0.01, 0.8, 0.9, 1e-6, 0.0)
    old = {"lr": 0.01, "t": 2}
    for i, p in enumerate(ps):
        w, st = p.value.copy(), {}
        for t, gs in enumerate(grads[:2], start=1):
            w, st = rule(w, gs[i], st, t)
        p.value[...] = w
        old[f"{i}.m"], old[f"{i}.v"] = st["m"], st["v"]
    w2 = ps[0].value.copy()
    opt = registry.get("optimizers", "adam")(ps, lr=0.5, beta1=0.8, beta2=0.9, eps=1e-6)
    opt.load_state_dict(old)
    assert sorted(opt.state[0]) == ["m_scaled", "v_scaled"] and opt.t == 2
    for gs in grads[2:]:
        for p, g in zip(ps, gs):
            p.grad[...] = g
        opt.step()
    st = {"m": old["0.m"], "v": old["0.v"]}
    for t, gs in enumerate(grads[2:], start=3):
        w2, st = rule(w2, gs[0], st, t)
    assert np.allclose(ps[0].value, w2, rtol=1e-12, atol=1e-12)


def test_adam_with_a_zero_learning_rate_moves_nothing_and_keeps_its_moments():
    """A warm-up from lr 0 is a schedule's first step: no NaN from the folded step size."""
    ps, grads = params_with_grads()
    w0 = ps[0].value.copy()
    opt = registry.get("optimizers", "adam")(ps, lr=1.0)
    for p, g in zip(ps, grads[0]):
        p.grad[...] = g
    opt.lr = 0.0
    opt.step()
    assert np.array_equal(ps[0].value, w0)
    assert np.array_equal(opt.state[0]["m_scaled"], grads[0][0])  # m/(1-b1) after one step from zero
    assert np.isfinite(ps[1].value).all()


@pytest.mark.parametrize("name,lr", [("momentum", 0.1), ("rmsprop", 0.01), ("adagrad", 0.1), ("adamw", 0.01)])
def test_more_optimizers_lower_the_loss(name, lr):
    test_optimizer_lowers_the_loss(name, lr)


BUILT_IN = [("sgd", {"lr": 0.1}), ("momentum", {"lr": 0.05}), ("momentum", {"lr": 0.05, "nesterov": True}),
            ("rmsprop", {"lr": 1e-3}), ("adagrad", {"lr": 0.01, "initial_accumulator": 0.1}), ("adam", {"lr": 1e-3}),
            ("adamw", {"lr": 1e-3, "weight_decay": 0.1}),
            ("adamw", {"lr": 1e-3, "weight_decay": 0.1, "decay_bias": True}),
            ("sgd", {"lr": 0.1, "lr_scale": {"p1": 64}}), ("momentum", {"lr": 0.05, "lr_scale": {"p[02]": 0.5}})]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kw", BUILT_IN)
def test_block_updates_over_flat_buffers_equal_per_parameter_updates_bit_for_bit(name, kw, dtype):
    """Per parameter, by blocks, and by blocks in three threads: the same bits."""
    from framework.layers import flat_buffers, flatten

    cls = registry.get("optimizers", name)
    r = np.random.default_rng(3)
    shapes = [(7, 5), (5,), (5, 3), (3,)]
    start = [r.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[r.standard_normal(s).astype(dtype) for s in shapes] for _ in range(5)]
    runs = []
    for flat, threads in ((False, 1), (True, 1), (True, 3)):
        ps = [Param(f"p{i}", v.copy(), decay=len(v.shape) == 2) for i, v in enumerate(start)]
        if flat:
            flatten(ps)
            assert flat_buffers(ps) is not None
        opt = cls(ps, **kw)
        opt.block = 4  # blocks straddle the parameters' boundaries
        opt.threads = threads  # three parts of the 15 blocks updated in parallel, each with its own scratch
        assert (opt.flat is not None) == flat
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad[...] = g
            opt.step()
        runs.append((ps, opt))
    (ps_a, opt_a), (ps_b, opt_b), (ps_c, opt_c) = runs
    scratch = [{id(v[-1].base) for v in part} for part in opt_c._blocks[2]]  # no two threads share a scratch array
    assert [len(part) for part in opt_c._blocks[2]] == [5, 5, 5] and len(set().union(*scratch)) == 3
    for p, q, r in zip(ps_a, ps_b, ps_c):
        assert np.array_equal(p.value, q.value) and np.array_equal(p.value, r.value) and p.value.dtype == dtype
    state_a, state_b = opt_a.state_dict(), opt_b.state_dict()
    assert state_a.keys() == state_b.keys() and all(np.array_equal(state_a[k], state_b[k]) for k in state_a)
    opt_a.load_state_dict(state_b)  # a checkpoint from either layout restores into the other
    opt_b.load_state_dict(state_a)
    assert all(np.array_equal(opt_b.state_dict()[k], state_a[k]) for k in state_a)


def test_the_model_keeps_its_parameters_in_two_buffers():
    from framework.layers import flat_buffers

    model = build_mlp(6, 3, [5, 4], norm="batch", rng=np.random.default_rng(0))
    values, grads = flat_buffers(model.params)
    assert values.size == sum(p.value.size for p in model.params) == grads.size
    model.params[0].value[0, 0] = 7.0
    assert values[0] == 7.0  # a view, not a copy
    from framework import Param

    assert flat_buffers([Param("a", np.zeros(3)), Param("b", np.zeros(2))]) is None


@pytest.mark.parametrize("name,kw,rule", [
    ("sgd", dict(lr=0.1), lambda lr: momentum_rule(lr, 0.0, False)),
    ("momentum", dict(lr=0.1, momentum=0.8), lambda lr: momentum_rule(lr, 0.8, False)),
    ("momentum", dict(lr=0.1, momentum=0.8, nesterov=True), lambda lr: momentum_rule(lr, 0.8, True))],
    ids=["sgd", "momentum", "nesterov"])
def test_lr_scale_is_a_rate_multiplier_for_the_parameters_it_names(name, kw, rule):
    """lr_scale {"b": 64}: the bias follows the update equations at 64 times the rate, the weights at the rate."""
    ps, grads = params_with_grads()
    w0, b0 = ps[0].value.copy(), ps[1].value.copy()
    run_steps(name, grads, ps, lr_scale={"b": 64}, **kw)
    assert np.allclose(ps[0].value, reference(rule(0.1), w0, [g[0] for g in grads]), rtol=1e-12, atol=1e-12)
    assert np.allclose(ps[1].value, reference(rule(6.4), b0, [g[1] for g in grads]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lr_scale,message", [
    ({"bn*.beta": 64}, "pattern 'bn\\*.beta' matches no parameter \\(they are named w, b"),
    ({"b": 0}, "'b': expected a positive number, got 0"), ({"b": "64"}, "expected a positive number, got '64'"),
    ({"b": True}, "expected a positive number, got True"), (["b", 64], "expected a mapping")])
def test_lr_scale_refuses_what_names_no_parameter_or_is_not_a_positive_factor(lr_scale, message):
    ps, _ = params_with_grads()
    with pytest.raises(ValueError, match=message):
        registry.get("optimizers", "momentum")(ps, lr=0.1, lr_scale=lr_scale)
