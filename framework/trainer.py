"""The Trainer: shuffled minibatches through forward, loss, backward and the optimizer step, with events."""
from __future__ import annotations

import time

import numpy as np

from .augment import fuse_warps
from .callbacks import Batch, CallbackList, State
from .data import Dataset
from .losses import Loss
from .model import Sequential
from .optim import Optimizer


class Trainer:
    """Runs `fit()`; every extension acts through callbacks (see framework.callbacks for the events).

    Attributes callbacks may use: model, loss_fn, optimizer, data, rng (the training Generator, shared by
    shuffling, dropout and augmentation), epochs, batch_size, dtype, run_dir, recipe, should_stop.
    """

    def __init__(self, model: Sequential, loss_fn: Loss, optimizer: Optimizer, data: Dataset, *,
                 callbacks=(), epochs: int = 10, batch_size: int = 128, seed: int = 0, dtype=np.float32,
                 run_dir: str | None = None, recipe: dict | None = None, eval_batch_size: int = 4096):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.dtype = np.dtype(dtype)
        self.data = data.astype(self.dtype)
        self.callbacks = CallbackList(callbacks, fuse=fuse_warps)  # consecutive warps: one sampling
        self.epochs, self.batch_size, self.eval_batch_size = epochs, batch_size, eval_batch_size
        self.rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
        self.run_dir, self.recipe = run_dir, recipe or {}
        self.should_stop = False
        self.state = State()
        for cb in self.callbacks:
            if hasattr(cb, "setup"):
                cb.setup(self)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps (batches) in one epoch: the last batch may be smaller."""
        return -(-len(self.data.x_train) // self.batch_size)

    def fit(self) -> State:
        s, call = self.state, self.callbacks
        x, y = self.data.x_train, self.data.y_train
        try:
            call("on_fit_begin", self, s)
            while s.epoch < self.epochs and not self.should_stop:
                self.model.train()
                call("on_epoch_begin", self, s)
                t0, loss_sum, correct, seen = time.perf_counter(), 0.0, 0, 0
                order = self.rng.permutation(len(x))
                for i in range(0, len(x), self.batch_size):
                    idx = order[i:i + self.batch_size]
                    s.batch = Batch(np.take(x, idx, axis=0), np.take(y, idx, axis=0))
                    call("on_batch_begin", self, s)
                    s.output = self.model.forward(s.batch.x)
                    s.loss = self.loss_fn.forward(s.output, s.batch.y)
                    call("on_loss", self, s)
                    n = len(s.batch.y)
                    loss_sum, seen = loss_sum + s.loss * n, seen + n
                    correct += self.loss_fn.n_correct(s.output, s.batch.y) or 0
                    self.model.backward(self.loss_fn.backward())
                    call("on_backward_end", self, s)
                    self.optimizer.step()
                    s.step += 1
                    call("on_step_end", self, s)
                    call("on_batch_end", self, s)
                    if self.should_stop:
                        break
                s.epoch_seconds.append(time.perf_counter() - t0)
                s.metrics = {"train_loss": loss_sum / max(seen, 1), "lr": self.optimizer.lr}
                if self.loss_fn.task != "regression":
                    s.metrics["train_accuracy"] = correct / max(seen, 1)
                s.metrics.update(self.evaluate("val"))
                call("on_validation_end", self, s)
                s.history.append(dict(s.metrics, epoch=s.epoch + 1, epoch_seconds=s.epoch_seconds[-1]))
                call("on_epoch_end", self, s)
                s.epoch += 1
            call("on_train_end", self, s)
            s.metrics.update(self.evaluate("test"))
            call("on_fit_end", self, s)
        except BaseException as e:
            s.exception = e
            call("on_exception", self, s)
            raise
        return s

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Model outputs (logits for classification) in eval mode, in chunks of `eval_batch_size`."""
        was_training = any(layer.training for layer in self.model.layers)
        self.model.eval()
        try:
            return np.concatenate([self.model.forward(x[i:i + self.eval_batch_size])
                                   for i in range(0, len(x), self.eval_batch_size)])
        finally:
            self.model.train(was_training)

    def evaluate(self, split: str) -> dict[str, float]:
        """Loss and task metrics on a split ("val" or "test"), keys prefixed with the split's name."""
        x, y = self.data.split(split)
        if len(x) == 0:
            return {}
        z = self.predict(x)
        out = {"loss": self.loss_fn.forward(z, y), **self.loss_fn.metrics(z, y)}
        return {f"{split}_{k}": v for k, v in out.items()}
