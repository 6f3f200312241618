"""Learning-rate schedules: values by hand, warm-up, wiring into the optimizer and TensorBoard."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
from test_trainer import make_trainer

from framework import Batch, State, registry


def fake_trainer(lr=0.1, n=100, batch_size=10, epochs=10):
    return SimpleNamespace(optimizer=SimpleNamespace(lr=lr), data=SimpleNamespace(x_train=np.zeros((n, 1))),
                           batch_size=batch_size, steps_per_epoch=-(-n // batch_size), epochs=epochs)


def lrs(name, steps, **kw):
    sched = registry.get("schedulers", name)(**kw)
    t = fake_trainer()
    sched.on_fit_begin(t, State())
    out = []
    for step in steps:
        sched.on_batch_begin(t, State(step=step))
        out.append(t.optimizer.lr)
    return out


def test_constant():
    assert lrs("constant", [0, 50, 99]) == [0.1, 0.1, 0.1]


def test_step():
    # 10 steps per epoch: epochs 0-2 at 0.1, 3-5 at 0.05, 6+ at 0.025
    assert lrs("step", [0, 29, 30, 59, 60], step_size=3, gamma=0.5) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_exponential():
    assert lrs("exponential", [0, 9, 10, 25], gamma=0.9) == pytest.approx([0.1, 0.1, 0.09, 0.081])


def test_cosine():
    got = lrs("cosine", [0, 25, 50, 100], min_factor=0.1)
    f = lambda e: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * e / 10))
    assert got == pytest.approx([0.1 * f(0), 0.1 * f(2.5), 0.1 * f(5), 0.1 * 0.1])


def test_warmup_is_linear_from_zero():
    got = lrs("constant", [0, 4, 9, 10, 30], warmup_epochs=1)
    assert got == pytest.approx([0.01, 0.05, 0.1, 0.1, 0.1])


def test_bad_parameters():
    with pytest.raises(ValueError, match="warmup_epochs"):
        registry.get("schedulers", "cosine")(warmup_epochs=-1)
    with pytest.raises(ValueError, match="step_size"):
        registry.get("schedulers", "step")(step_size=0)


def test_scheduler_drives_the_optimizer_and_is_logged():
    t = make_trainer([registry.get("schedulers", "exponential")(gamma=0.5)], epochs=3)
    s = t.fit()
    assert [h["lr"] for h in s.history] == pytest.approx([0.1, 0.05, 0.025])


def test_base_lr_survives_a_restore():
    sched = registry.get("schedulers", "cosine")()
    sched.load_state_dict({"base_lr": 0.5})
    t = fake_trainer(lr=0.001)  # the optimizer's lr at resume time is a scheduled value, not the base
    sched.on_fit_begin(t, State())
    sched.on_batch_begin(t, State(step=0, batch=Batch(None, None)))
    assert t.optimizer.lr == pytest.approx(0.5)


def test_linear_decays_from_the_end_of_the_warm_up():
    # 10 epochs of 10 steps, warm-up 2 epochs: the ramp reaches 0.1 at step 19, then a line to 0 at step 100
    got = lrs("linear", [0, 9, 19, 20, 60, 99], warmup_epochs=2)
    assert got == pytest.approx([0.1 * 1 / 20 * 1.0, 0.1 * 10 / 20, 0.1, 0.1, 0.1 * (1 - 4 / 8), 0.1 * (1 - 7.9 / 8)])
    assert lrs("linear", [99], min_factor=0.5)[0] == pytest.approx(0.1 * (1 - 0.5 * 0.99))


def test_one_cycle_follows_pytorchs_definition():
    """PyTorch OneCycleLR's equations (three-phase off): max_lr 0.1 over 100 steps, pct_start 0.3, div_factor 25,
    final_div_factor 1e4, cosine annealing; phases measured in fractions of training (step / 100)."""
    start, end = 0.1 / 25, 0.1 / 25 / 1e4

    def cos_anneal(a, b, t):
        return b + (a - b) / 2 * (1 + math.cos(math.pi * t))

    steps = [0, 15, 30, 65, 99]
    expected = [start, cos_anneal(start, 0.1, 0.5), 0.1, cos_anneal(0.1, end, 0.5), cos_anneal(0.1, end, 69 / 70)]
    assert lrs("one_cycle", steps) == pytest.approx(expected, rel=1e-9)
    lin = lrs("one_cycle", [15], anneal="linear")[0]
    assert lin == pytest.approx(start + (0.1 - start) * 0.5)
    with pytest.raises(ValueError, match="pct_start"):
        registry.get("schedulers", "one_cycle")(pct_start=1.5)
