"""The Trainer: shuffled minibatches through forward, loss, backward and the optimizer step, with events."""
from __future__ import annotations

import math
import time
from contextlib import nullcontext

import numpy as np

from .augment import fuse_warps
from .callbacks import Batch, CallbackList, State
from .data import Dataset
from .layers import Sequential, adapts
from .losses import Loss
from .optim import Optimizer


class Diverged(ArithmeticError):
    """Training produced a non-finite loss or parameter (Keras' TerminateOnNaN, on by default)."""

    def __init__(self, what: str, epoch: int, step: int, lr: float):
        self.what, self.epoch, self.step, self.lr = what, epoch, step, lr
        super().__init__(f"{what} at epoch {epoch}, step {step}; the likely cause is a learning rate too high for "
                         f"this model (lr was {lr:g}): lower optimizer.lr, or add a warm-up")


EVAL_BYTES = 128 << 20  # the working memory an evaluation chunk may take


def eval_batch(model: Sequential, batch_size: int, dtype) -> int:
    """How many examples to evaluate at once: as many as fit EVAL_BYTES, taking the largest layer output times 9
    (a 3 x 3 convolution's columns) as an example's working memory, between the training batch and 4096. A large
    chunk is faster for small networks; for CIFAR-10's convolutions 4096 images would take 12 GB."""
    largest = max((math.prod(layer.output_shape) for layer in model.walk() if layer.output_shape), default=1)
    per_example = 9 * largest * np.dtype(dtype).itemsize
    return int(min(4096, max(batch_size, EVAL_BYTES // per_example)))


ADAPT_EXAMPLES = 5000  # the training examples (the first, unaugmented) that Layer.adapt sees


class Trainer:
    """Runs `fit()`; every extension acts through callbacks (see framework.callbacks for the events).

    Attributes callbacks may use: model, loss_fn, optimizer, data, rng (the training Generator, shared by
    shuffling, dropout and augmentation), epochs, batch_size, steps_per_epoch, dtype, run_dir, recipe, should_stop,
    run_info (what the caller says about the run, e.g. {"variant": ..., "comparison": ...}, for loggers).
    With `check_finite` (the default) training stops with `Diverged` at the first non-finite batch loss, and
    at the end of an epoch if a parameter or the validation loss is not finite.
    """

    def __init__(self, model: Sequential, loss_fn: Loss, optimizer: Optimizer, data: Dataset, *,
                 callbacks=(), epochs: int = 10, batch_size: int = 128, seed: int = 0, dtype=np.float32,
                 run_dir: str | None = None, recipe: dict | None = None, eval_batch_size: int | None = None,
                 check_finite: bool = True):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.dtype = np.dtype(dtype)
        self.data = data.astype(self.dtype)
        self.callbacks = CallbackList((), fuse=fuse_warps)  # filled by add_callbacks below
        self.epochs, self.batch_size = epochs, batch_size
        self.eval_batch_size = eval_batch_size or eval_batch(model, batch_size, self.dtype)
        self.rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
        self.run_dir, self.recipe, self.run_info = run_dir, recipe or {}, {}
        self.should_stop, self.check_finite = False, check_finite
        self.state = State()
        needs = max(model.walk(), key=lambda layer: layer.min_batch)
        if batch_size < needs.min_batch:
            raise ValueError(f"batch_size {batch_size} with {type(needs).__name__} ({needs.name}): it needs batches of "
                             f"at least {needs.min_batch} examples (a batch of one has no batch statistics); use "
                             f"batch_size >= {needs.min_batch}")
        for layer in model.walk():
            if layer.uses_rng:  # dropout masks come from the training generator: runs repeat and resume exactly
                layer.rng = self.rng
        self.add_callbacks(*callbacks)

    def add_callbacks(self, *callbacks) -> None:
        """Add callbacks (their `setup` runs now, in callback order); the dispatch is rebuilt, consecutive warps
        fused into one sampling."""
        self.callbacks = CallbackList([*self.callbacks, *callbacks], fuse=fuse_warps)
        new = {id(cb) for cb in callbacks}
        for cb in self.callbacks:
            if id(cb) in new and hasattr(cb, "setup"):
                before = self.structure()
                cb.setup(self)
                if self.structure() != before:
                    raise ValueError(f"{type(cb).__name__}.setup() changed the model's layers or parameters; a plugin "
                                     f"that changes the network does it in transform_model(model), which every "
                                     f"command that rebuilds the run replays (docs/plugins.md)")

    def structure(self) -> list:
        """The model's layers and parameters as they are now (what setup() may not change)."""
        return [(id(layer), type(layer)) for layer in self.model.walk()] + \
            [(p.name, p.value.shape, id(p)) for p in self.model.params]

    @property
    def epoch_size(self) -> int:
        """Training examples an epoch takes: all, or the dataset's `steps_per_epoch` batches drawn at random."""
        n, steps = len(self.data.x_train), self.data.steps_per_epoch
        return min(n, steps * self.batch_size) if steps else n

    def batches(self) -> list[tuple[int, int]]:
        """(start, end) of each batch of an epoch. The last may be smaller; a last batch of a single example
        joins the one before it (one example has no batch statistics, and its gradient is all noise)."""
        n, b = self.epoch_size, self.batch_size
        bounds = [(i, min(i + b, n)) for i in range(0, n, b)]
        if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            bounds[-2:] = [(bounds[-2][0], n)]
        return bounds

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps (batches) in one epoch."""
        n, b = self.epoch_size, self.batch_size
        return -(-n // b) - (1 if n > b and n % b == 1 else 0)

    def metric_names(self, exclude=None) -> list[str]:
        """The keys of `state.metrics` from `on_validation_end` on: what a callback may monitor. Callbacks that
        add metrics list them in an `adds_metrics` attribute."""
        names = ["train_loss", "lr"] + ([] if self.loss_fn.task == "regression" else ["train_accuracy"])
        if len(self.data.x_val):
            names += ["val_loss", *(f"val_{m}" for m in self.loss_fn.metric_names)]
        return names + [m for cb in self.callbacks if cb is not exclude for m in getattr(cb, "adds_metrics", ())]

    def fit(self) -> State:
        s, call = self.state, self.callbacks
        x, y = self.data.x_train, self.data.y_train
        quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore") if self.check_finite else nullcontext()
        try:
            with quiet:  # with check_finite, a non-finite result is reported once, as Diverged
                if s.step == 0 and not s.history and adapts(self.model):  # a new run: data-dependent initialisation
                    self.model.adapt(self.data.inputs(x[:ADAPT_EXAMPLES], self.dtype))
                call("on_fit_begin", self, s)
                while s.epoch < self.epochs and not self.should_stop:
                    self.model.train()
                    call("on_epoch_begin", self, s)
                    t0, loss_sum, correct, seen = time.perf_counter(), 0.0, 0, 0
                    order = self.rng.permutation(len(x))[:self.epoch_size]
                    for start, end in self.batches():
                        idx = order[start:end]
                        xb = self.data.inputs(np.take(x, idx, axis=0), self.dtype)  # raw pixels: a batch at a time
                        s.batch = Batch(xb, np.take(y, idx, axis=0))
                        call("on_batch_begin", self, s)
                        s.output = self.model.forward(s.batch.x)
                        s.loss = self.loss_fn.forward(s.output, s.batch.y)
                        call("on_loss", self, s)
                        if self.check_finite and not math.isfinite(s.loss):
                            raise Diverged(f"the training loss is {s.loss}", s.epoch + 1, s.step + 1,
                                           self.optimizer.lr)
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
                    self.check_epoch()
                    call("on_validation_end", self, s)
                    s.history.append(dict(s.metrics, epoch=s.epoch + 1, epoch_seconds=s.epoch_seconds[-1]))
                    call("on_epoch_end", self, s)
                    s.epoch += 1
                s.weights_epoch = len(s.history)
                call("on_train_end", self, s)
                s.metrics.update(self.evaluate("val"))  # of the weights tested, which on_train_end may restore
                s.metrics.update(self.evaluate("test"))
                call("on_fit_end", self, s)
        except BaseException as e:
            s.exception = e
            call("on_exception", self, s)
            raise
        return s

    def check_epoch(self) -> None:
        """With check_finite: raise Diverged if a parameter or the validation loss is not finite."""
        s = self.state
        if not self.check_finite:
            return
        bad = next((p.name for p in self.model.params if not np.isfinite(p.value).all()), None)
        if bad is not None:
            raise Diverged(f"parameter {bad} is not finite", s.epoch + 1, s.step, self.optimizer.lr)
        if not math.isfinite(s.metrics.get("val_loss", 0.0)):
            raise Diverged(f"the validation loss is {s.metrics['val_loss']}", s.epoch + 1, s.step, self.optimizer.lr)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Model outputs (logits for classification) in eval mode, in chunks of `eval_batch_size`."""
        was_training = self.model.training
        self.model.eval()
        try:
            return np.concatenate([self.model.forward(self.data.inputs(x[i:i + self.eval_batch_size], self.dtype))
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
