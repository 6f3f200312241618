"""Callbacks: the one way plugins (regularizers, augmentations, loggers, ...) act on training.

Events, in the order the Trainer fires them (names follow Keras / PyTorch Lightning):

    on_fit_begin
      on_epoch_begin
        on_batch_begin      may replace state.batch (augmentation)
        on_loss             may add to state.loss (penalties)
        on_backward_end     may edit Param.grad (penalty gradients, clipping)
        on_step_end         after the optimizer update (constraints such as max-norm)
        on_batch_end
      on_validation_end     state.metrics holds val_* metrics
      on_epoch_end          may set trainer.should_stop
    on_train_end            after the last epoch, before the final evaluation (restore best weights here, and
                            set state.weights_epoch)
    on_fit_end              state.metrics holds the final val_* and test_* metrics, of the same weights
    on_exception            when training raises (state.exception is set)

Each hook is `hook(trainer, state)`. Set `trainer.should_stop = True` to stop after the current batch.
Before any event, the Trainer calls `setup(trainer)` once on each callback, when it is constructed: the place
to check the data or change the model (e.g. insert dropout layers); a ValueError there is a recipe error.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EVENTS = ("on_fit_begin", "on_epoch_begin", "on_batch_begin", "on_loss", "on_backward_end", "on_step_end",
          "on_batch_end", "on_validation_end", "on_epoch_end", "on_train_end", "on_fit_end", "on_exception")


class Callback:
    """Base class: override the hooks you need. Lower `order` runs first (ties keep recipe order); the
    bands are in `Order`."""

    order: int = 100  # Order.DEFAULT

    def setup(self, trainer) -> None:
        """Called once when the Trainer is built, before any event."""

    def on_fit_begin(self, trainer, state): ...
    def on_epoch_begin(self, trainer, state): ...
    def on_batch_begin(self, trainer, state): ...
    def on_loss(self, trainer, state): ...
    def on_backward_end(self, trainer, state): ...
    def on_step_end(self, trainer, state): ...
    def on_batch_end(self, trainer, state): ...
    def on_validation_end(self, trainer, state): ...
    def on_epoch_end(self, trainer, state): ...
    def on_train_end(self, trainer, state): ...
    def on_fit_end(self, trainer, state): ...
    def on_exception(self, trainer, state): ...

    def state_dict(self) -> dict[str, Any]:
        """State to save in a checkpoint (arrays or JSON-able values)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class Batch:
    x: np.ndarray
    y: np.ndarray


@dataclass
class State:
    """What callbacks read and may change. `metrics` holds the latest train_/val_/test_ figures."""

    epoch: int = 0                      # 0-based index of the current epoch
    step: int = 0                       # optimizer steps taken so far
    batch: Batch | None = None
    output: np.ndarray | None = None    # model output for the current batch
    loss: float = 0.0                   # current batch loss (penalties included after on_loss)
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)  # one dict of metrics per epoch
    epoch_seconds: list[float] = field(default_factory=list)       # training time of each epoch
    weights_epoch: int | None = None    # the epoch whose weights the final figures use (a callback restoring
                                        # earlier weights in on_train_end sets it; else the last epoch)
    exception: BaseException | None = None


class Order:
    """The `order` bands of callbacks (lower runs first in every event; ties keep recipe order)."""

    SCHEDULE = 0      # set the learning rate before anything else sees the batch
    AUGMENT = 10      # transform the training batch
    REGULARIZE = 50   # penalties, dropout, constraints
    EARLY_STOP = 90   # decide to stop after the regularizers, before loggers see the epoch
    DEFAULT = 100
    LOG = 200         # loggers see the epoch's final metrics
    CHECKPOINT = 300  # after loggers and early stopping: the saved state is the epoch's last word


class Monitor:
    """Watches one metric and says whether a new value beats the best so far by more than `min_delta`.
    `mode` "auto" is min for losses and errors (names containing "loss" or "rmse"), max otherwise."""

    def __init__(self, name: str, mode: str = "auto", min_delta: float = 0.0):
        if mode == "auto":
            mode = "min" if "loss" in name or "rmse" in name else "max"
        if mode not in ("min", "max"):
            raise ValueError(f"mode: expected 'min', 'max' or 'auto', got {mode!r}")
        self.name, self.mode, self.min_delta, self.best = name, mode, min_delta, None

    def check(self, trainer, who: str, owner=None) -> None:
        """Raise ValueError (a recipe error, before training) unless the run reports this metric (not counting
        the metrics that `owner`, the watching callback, adds itself)."""
        names = trainer.metric_names(exclude=owner)
        if self.name not in names:
            close = difflib.get_close_matches(self.name, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{who}: monitor {self.name!r} is not a metric of this run{hint}; available: "
                             f"{', '.join(names)}")

    def improved(self, value: float) -> bool:
        """True (and `best` becomes `value`) if `value` beats the best so far."""
        if self.best is not None and not (value < self.best - self.min_delta if self.mode == "min"
                                          else value > self.best + self.min_delta):
            return False
        self.best = value
        return True


class CallbackList:
    """Callbacks sorted by `order`; each event calls only the callbacks that override it. `fuse`, if given,
    maps the callbacks of `on_batch_begin` to the objects to call instead (the Trainer fuses warps)."""

    def __init__(self, callbacks, fuse=None):
        self.callbacks = sorted(callbacks, key=lambda c: getattr(c, "order", Order.DEFAULT))  # stable sort
        self._hooks = {}
        for event in EVENTS:
            base = getattr(Callback, event)
            active = [c for c in self.callbacks if getattr(type(c), event, base) is not base]
            if event == "on_batch_begin" and fuse is not None:
                active = fuse(active)
            self._hooks[event] = [getattr(c, event) for c in active]

    def __call__(self, event: str, trainer, state) -> None:
        for hook in self._hooks[event]:
            hook(trainer, state)

    def __iter__(self):
        return iter(self.callbacks)
