"""TensorBoard logging through tensorboardX: one event file per run, written into the run directory."""
from __future__ import annotations

from framework import Callback


class TensorBoardLogger(Callback):
    """Per epoch: train/val loss and metrics, learning rate, epoch time. Every `every_n_steps` steps: the
    batch loss. At the end: test metrics. Tags are grouped as loss/*, accuracy/*, ... so train and val share
    a chart."""

    order = 200

    def __init__(self, every_n_steps: int = 50, logdir: str | None = None):
        self.every_n_steps, self.logdir, self.writer = every_n_steps, logdir, None

    def on_fit_begin(self, trainer, state):
        from tensorboardX import SummaryWriter

        logdir = self.logdir or trainer.run_dir
        if logdir is None:
            raise ValueError("tensorboard logger: no run directory; give the logger a `logdir` parameter "
                             "or run through `python -m framework.run`")
        self.writer = SummaryWriter(logdir=logdir, flush_secs=10)

    def on_batch_end(self, trainer, state):
        if self.every_n_steps and state.step % self.every_n_steps == 0:
            self.writer.add_scalar("loss/train_step", state.loss, state.step)

    def on_epoch_end(self, trainer, state):
        epoch = state.epoch + 1
        for key, value in state.metrics.items():
            split, _, metric = key.partition("_")
            if split in ("train", "val") and metric:
                self.writer.add_scalar(f"{metric}/{split}", value, epoch)
        self.writer.add_scalar("lr", state.metrics.get("lr", trainer.optimizer.lr), epoch)
        self.writer.add_scalar("time/epoch_seconds", state.epoch_seconds[-1], epoch)

    def on_fit_end(self, trainer, state):
        for key, value in state.metrics.items():
            split, _, metric = key.partition("_")
            if split == "test":
                self.writer.add_scalar(f"{metric}/test", value, state.epoch)
        self._close()

    def on_exception(self, trainer, state):
        self._close()

    def _close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
