"""General callbacks."""
from __future__ import annotations

from framework import Callback, Monitor, Order, checkpoint_dir, save_checkpoint


class Checkpoint(Callback):
    """Writes <run_dir>/checkpoints/last.npz every `every` epochs and at the end, and best.npz whenever
    `monitor` improves: parameters, optimizer, schedule and callback state, RNG state, epoch and history.
    `python -m framework.run --resume RUN_DIR` continues from last.npz, bit for bit."""

    order = Order.CHECKPOINT

    def __init__(self, every: int = 1, save_best: bool = True, monitor: str = "val_loss", mode: str = "auto"):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every: expected a positive integer, got {every!r}")
        self.every, self.save_best = every, save_best
        self.monitor = Monitor(monitor, mode)

    def setup(self, trainer):
        if self.save_best:
            self.monitor.check(trainer, "checkpoint", owner=self)

    def on_fit_begin(self, trainer, state):
        if trainer.run_dir is None:
            raise ValueError("checkpoint callback: the trainer has no run directory (run through "
                             "`python -m framework.run`, or set trainer.run_dir)")
        self.dir = checkpoint_dir(trainer.run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer, state):
        value = state.metrics.get(self.monitor.name)
        if self.save_best and value is not None and self.monitor.improved(value):
            save_checkpoint(trainer, self.dir / "best.npz")
        last_epoch = state.epoch + 1 == trainer.epochs or trainer.should_stop
        if (state.epoch + 1) % self.every == 0 or last_epoch:
            save_checkpoint(trainer, self.dir / "last.npz")

    def on_fit_end(self, trainer, state):
        save_checkpoint(trainer, self.dir / "last.npz")

    def state_dict(self):
        return {"best": self.monitor.best}

    def load_state_dict(self, state):
        self.monitor.best = state["best"]
