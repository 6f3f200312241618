"""Regularizers: callbacks that add penalties, insert dropout, constrain weights, or stop early."""
from __future__ import annotations

import numpy as np

from framework import Callback, Monitor, Order

from .layers import Dropout


class _Penalty(Callback):
    """A penalty lam * R(w) on weights (Param.decay; biases too if include_bias): its value is added to
    the loss in on_loss and its gradient to Param.grad in on_backward_end."""

    order = Order.REGULARIZE

    def __init__(self, lam: float, include_bias: bool = False):
        if lam < 0:
            raise ValueError(f"lam: expected >= 0, got {lam!r}")
        self.lam, self.include_bias = lam, include_bias

    def setup(self, trainer):
        self.params = [p for p in trainer.model.params if p.decay or self.include_bias]
        if not self.params:  # a penalty on nothing would be a silent no-op
            raise ValueError(f"{type(self).__name__.lower()}: the network has no weights to penalise (no parameter "
                             f"with decay=True{'' if self.include_bias else '; include_bias=True adds biases'})")

    def on_loss(self, trainer, state):
        state.loss += self.lam * sum(self.value(p.value) for p in self.params)

    def on_backward_end(self, trainer, state):
        for p in self.params:
            self.add_grad(p.value, p.grad)


class L2(_Penalty):
    """L2 penalty 0.5 * lam * ||w||^2; gradient lam * w."""

    def __init__(self, lam: float = 1e-4, include_bias: bool = False):
        super().__init__(lam, include_bias)

    def value(self, w):
        return 0.5 * float(np.vdot(w, w))

    def add_grad(self, w, g):
        g += self.lam * w


class L1(_Penalty):
    """L1 penalty lam * sum|w|; (sub)gradient lam * sign(w)."""

    def __init__(self, lam: float = 1e-5, include_bias: bool = False):
        super().__init__(lam, include_bias)

    def value(self, w):
        return float(np.abs(w).sum())

    def add_grad(self, w, g):
        g += self.lam * np.sign(w)


class DropoutRegularizer(Callback):
    """Inverted dropout after every hidden activation (rate `rate`), and optionally on the input (`input_rate`);
    active in training only. It changes the network, so it does so in `transform_model`, which every command
    that rebuilds a run replays; the dropout layers draw their masks from the Trainer's generator."""

    order = Order.REGULARIZE

    def __init__(self, rate: float = 0.5, input_rate: float = 0.0):
        for name, r in (("rate", rate), ("input_rate", input_rate)):
            if not 0 <= r < 1:
                raise ValueError(f"{name}: expected a value in [0, 1), got {r!r}")
        self.rate, self.input_rate = rate, input_rate

    def transform_model(self, model):
        layers = [Dropout(self.input_rate)] if self.input_rate else []
        for layer in model.layers:
            layers.append(layer)
            if layer.is_activation:
                layers.append(Dropout(self.rate))
        if self.rate and not any(layer.is_activation for layer in model.layers):  # would add nothing: say so
            inner = [layer for top in model.layers for layer in top.walk() if layer.is_activation and layer is not top]
            where = (" (the activations inside residual or sequential blocks are not its to change)" if inner else "")
            raise ValueError(f"rate {self.rate}: the network has no activation layer at its top level to put "
                             f"dropout after{where}; add {{'name': 'dropout', 'rate': {self.rate}}} layers to the "
                             f"model instead")
        model.layers[:] = layers


class MaxNorm(Callback):
    """After every step, rescales each unit's incoming weight vector whose L2 norm exceeds `max_norm` back to that
    norm (Srebro & Shraibman 2005; Hinton et al. 2012): a column of a Dense W, a whole filter (kh, kw, C) of a
    convolution (as Keras' MaxNorm on axes 0, 1, 2); every weight's last axis is its units."""

    order = Order.REGULARIZE

    def __init__(self, max_norm: float = 3.0):
        if not max_norm > 0:
            raise ValueError(f"max_norm: expected a positive number, got {max_norm!r}")
        self.max_norm = max_norm

    def setup(self, trainer):
        self.weights = [p for p in trainer.model.params if p.decay and p.value.ndim >= 2]
        if not self.weights:
            raise ValueError("max_norm: the network has no weight matrix or filter to cap")

    def on_step_end(self, trainer, state):
        for p in self.weights:
            w = p.value.reshape(-1, p.value.shape[-1])  # a view: parameters are contiguous
            norms = np.sqrt(np.einsum("ij,ij->j", w, w))
            scale = np.minimum(1.0, self.max_norm / np.maximum(norms, 1e-12)).astype(p.value.dtype)
            p.value *= scale


class EarlyStopping(Callback):
    """Stops when `monitor` has not improved by `min_delta` for `patience` epochs; with restore_best, puts
    back the best epoch's weights before the test split is evaluated."""

    order = Order.EARLY_STOP

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto",
                 restore_best: bool = True):
        self.monitor, self.patience, self.restore_best = Monitor(monitor, mode, min_delta), patience, restore_best
        self.best_epoch, self.wait, self.best_weights = -1, 0, None
        self.adds_metrics = [f"best_{monitor}"]

    def setup(self, trainer):
        self.monitor.check(trainer, "early_stopping", owner=self)

    def on_validation_end(self, trainer, state):
        name = self.monitor.name
        if name not in state.metrics:
            raise ValueError(f"early_stopping: metric {name!r} not found; available: {', '.join(state.metrics)}")
        if self.monitor.improved(state.metrics[name]):
            self.best_epoch, self.wait = state.epoch, 0
            if self.restore_best:
                self.best_weights = {k: v.copy() for k, v in trainer.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.should_stop = True
        state.metrics[f"best_{name}"] = self.monitor.best

    def on_train_end(self, trainer, state):
        if self.restore_best and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)
            state.weights_epoch = self.best_epoch + 1

    def state_dict(self):
        out = {"best": self.monitor.best, "best_epoch": self.best_epoch, "wait": self.wait}
        for k, v in (self.best_weights or {}).items():
            out[f"weights.{k}"] = v
        return out

    def load_state_dict(self, state):
        self.monitor.best = None if state["best"] is None else float(state["best"])
        self.best_epoch, self.wait = int(state["best_epoch"]), int(state["wait"])
        w = {k[len("weights."):]: np.array(v) for k, v in state.items() if k.startswith("weights.")}
        self.best_weights = w or None
