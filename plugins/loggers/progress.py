"""Console progress: a tqdm bar over each epoch's batches (only on a terminal) and one line per epoch."""
from __future__ import annotations

import sys

from framework import Callback, Order


class ProgressLogger(Callback):
    order = Order.LOG + 10  # after the other loggers

    def __init__(self, bar: bool | None = None):
        self.bar_enabled, self.bar = bar, None

    def on_epoch_begin(self, trainer, state):
        from tqdm import tqdm

        disable = (not sys.stderr.isatty()) if self.bar_enabled is None else not self.bar_enabled
        self.bar = tqdm(total=trainer.steps_per_epoch, desc=f"epoch {state.epoch + 1}/{trainer.epochs}", leave=False,
                        disable=disable, unit="batch", dynamic_ncols=True)

    def on_batch_end(self, trainer, state):
        self.bar.update(1)
        if state.step % 20 == 0:
            self.bar.set_postfix(loss=f"{state.loss:.4f}", refresh=False)

    def on_epoch_end(self, trainer, state):
        from tqdm import tqdm

        self._close()
        shown = "  ".join(f"{k} {v:.4f}" for k, v in state.metrics.items() if k != "lr")
        tqdm.write(f"epoch {state.epoch + 1:>3}/{trainer.epochs}  {shown}  ({state.epoch_seconds[-1]:.1f} s)")

    def on_exception(self, trainer, state):
        self._close()

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
