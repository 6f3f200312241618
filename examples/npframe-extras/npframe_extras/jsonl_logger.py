"""A logger that appends one JSON object per epoch to <run_dir>/metrics.jsonl (and one for the test split)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from framework import Callback, Order


class JsonLinesLogger(Callback):
    """Each line: {"epoch": n, "step": s, <metric>: value, ...}; the last line has "split": "test"."""

    order = Order.LOG  # after regularizers and early stopping have updated the metrics

    def __init__(self, filename: str = "metrics.jsonl"):
        self.filename = filename
        self.path = None

    def on_fit_begin(self, trainer, state):
        if trainer.run_dir is None:
            raise ValueError("jsonl logger: the trainer has no run directory")
        self.path = Path(trainer.run_dir) / self.filename

    def _write(self, record):
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def on_epoch_end(self, trainer, state):
        self._write({"epoch": state.epoch + 1, "step": state.step, **state.metrics})

    def on_fit_end(self, trainer, state):
        self._write({"split": "test", "step": state.step,
                     **{k: v for k, v in state.metrics.items() if k.startswith("test_")}})
