"""Learning-rate schedules: callbacks that set `optimizer.lr = base_lr * factor(epoch)` before each step."""
from __future__ import annotations

from .callbacks import Callback, Order


class Scheduler(Callback):
    """Base class for `framework.schedulers` plugins. Subclasses define `factor(epoch)`, where `epoch` is
    the fractional number of epochs done (step / steps_per_epoch). Optional linear warm-up over `warmup_epochs`:
    with W = warmup_epochs x steps_per_epoch, step s runs at factor x min(1, (s + 1) / W), so the first step takes
    1/W of the rate and none exceeds it. `base_lr` is the optimizer's lr when training starts."""

    order = Order.SCHEDULE

    def __init__(self, warmup_epochs: float = 0.0):
        if warmup_epochs < 0:
            raise ValueError(f"warmup_epochs: expected >= 0, got {warmup_epochs!r}")
        self.warmup_epochs, self.base_lr, self.steps_per_epoch = warmup_epochs, None, 1

    def factor(self, epoch: float) -> float:
        raise NotImplementedError

    def lr_at(self, step: int) -> float:
        epoch = step / self.steps_per_epoch
        f = self.factor(epoch)
        if epoch < self.warmup_epochs:
            f *= min(1.0, (step + 1) / (self.warmup_epochs * self.steps_per_epoch))
        return self.base_lr * f

    def on_fit_begin(self, trainer, state):
        if self.base_lr is None:  # a resumed run keeps the base lr it started with
            self.base_lr = trainer.optimizer.lr
        self.steps_per_epoch = trainer.steps_per_epoch
        self.total_epochs = trainer.epochs

    def on_batch_begin(self, trainer, state):
        trainer.optimizer.lr = float(self.lr_at(state.step))  # a NumPy scalar would widen float32 steps

    def state_dict(self):
        return {"base_lr": self.base_lr}

    def load_state_dict(self, state):
        self.base_lr = float(state["base_lr"])
