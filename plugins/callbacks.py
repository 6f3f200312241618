"""General callbacks."""
from __future__ import annotations

import numpy as np

from framework import Callback, Monitor, Order, Sequential, checkpoint_dir, save_checkpoint
from framework.layers import flat_buffers


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


class EMA(Callback):
    """An exponential moving average of the weights, taken after every optimizer step: s <- d s + (1 - d) w, with
    d = min(decay, (1 + t) / (10 + t)) at step t (TensorFlow's ramp, so the average is not dominated by the initial
    weights). As Keras' `use_ema`, the per-epoch validation sees the trained weights, and when training ends the
    network takes the averaged weights: the final validation and test figures, `last.npz`, `predict` and `export`
    are the average's. With `buffers` the saved statistics (batch norm's running mean and variance) are averaged
    alike (PyTorch's AveragedModel(use_buffers=True)), so that they belong to the averaged weights rather than the
    last ones. The trained values are kept in the callback's state, so `--resume --epochs` continues exactly."""

    order = Order.DEFAULT

    def __init__(self, decay: float = 0.999, buffers: bool = False):
        if not 0 < decay < 1:
            raise ValueError(f"decay: expected a value in (0, 1), got {decay!r}")
        if not isinstance(buffers, bool):
            raise ValueError(f"buffers: expected true or false, got {buffers!r}")
        self.decay, self.buffers, self.shadow, self.trained, self.steps = decay, buffers, None, None, 0

    def _values(self, trainer) -> list[np.ndarray]:
        """The arrays averaged: the parameters' one buffer, then (with `buffers`) the model's buffers by name."""
        flat = flat_buffers(trainer.model.params)
        if flat is None:
            raise ValueError("ema: the model's parameters are not in one buffer (build the model with build_model)")
        return [flat[0], *(trainer.model.buffers[k] for k in sorted(trainer.model.buffers) if self.buffers)]

    def on_fit_begin(self, trainer, state):
        values = self._values(trainer)
        if self.trained is not None:  # resumed after the end: train on from the trained weights, not the average
            for v, t in zip(values, self.trained):
                v[...] = t
            self.trained = None
        if self.shadow is None:
            self.shadow = [v.copy() for v in values]
        self.scratch = np.empty_like(values[0])

    def on_step_end(self, trainer, state):
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        values = self._values(trainer)
        np.subtract(values[0], self.shadow[0], out=self.scratch)
        self.scratch *= values[0].dtype.type(1 - d)
        self.shadow[0] += self.scratch
        for v, s in zip(values[1:], self.shadow[1:]):  # small per-channel vectors
            s += (v - s) * v.dtype.type(1 - d)
        self.steps += 1

    def on_train_end(self, trainer, state):
        values = self._values(trainer)
        self.trained = [v.copy() for v in values]
        for v, s in zip(values, self.shadow):
            v[...] = s

    def state_dict(self):
        out = {"steps": self.steps}
        for key, arrays in (("shadow", self.shadow), ("trained", self.trained)):
            for i, a in enumerate(arrays or ()):
                out[key if i == 0 else f"{key}_{i}"] = a
        return out

    def load_state_dict(self, state):
        self.steps = int(state["steps"])
        for key in ("shadow", "trained"):
            arrays = [np.array(state[key])] if key in state else None
            i = 1
            while arrays is not None and f"{key}_{i}" in state:
                arrays.append(np.array(state[f"{key}_{i}"]))
                i += 1
            setattr(self, key, arrays)


class ClipGradNorm(Callback):
    """Gradient clipping by global norm (PyTorch's clip_grad_norm_): after the penalties' gradients are added, if
    the norm of all gradients together exceeds `max_norm`, every gradient is scaled by max_norm / (norm + 1e-6).
    Works with any optimizer (it edits Param.grad). `norm` keeps the last step's norm before clipping."""

    order = Order.REGULARIZE + 5

    def __init__(self, max_norm: float = 1.0):
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
            raise ValueError(f"max_norm: expected a positive number, got {max_norm!r}")
        self.max_norm, self.norm = float(max_norm), None

    def on_backward_end(self, trainer, state):
        flat = flat_buffers(trainer.model.params)
        grads = [flat[1]] if flat is not None else [p.grad for p in trainer.model.params]
        self.norm = float(np.sqrt(sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads)))
        if self.norm > self.max_norm:
            scale = grads[0].dtype.type(self.max_norm / (self.norm + 1e-6))
            for g in grads:
                g *= scale


class FlipAveraged(Sequential):
    """Its layers, and in evaluation mode the mean of their outputs (logits) on the images and on the images
    mirrored left to right. Inside a model images are (N, H, W, C): the mirror reverses axis 2. With `translate`
    t > 0, airbench's test-time augmentation: half that mean, half the mean of the same on the images moved t pixels
    down-right and up-left (borders reflected), six passes. Training passes straight through; evaluation has no
    backward (nothing trains on it)."""

    prefix = "flip_tta"
    translate = 0

    def _mirrored(self, x, y=None):
        y = super().forward(x) if y is None else y
        return (y + super().forward(x[:, :, ::-1])) * y.dtype.type(0.5)

    def forward(self, x):
        y = super().forward(x)
        if self.training or x.ndim != 4:  # (FlipTTA.setup refuses data that is not images)
            return y
        y = self._mirrored(x, y)
        if self.translate:
            t, (h, w), half = self.translate, x.shape[1:3], y.dtype.type(0.5)
            xp = np.pad(x, ((0, 0), (t, t), (t, t), (0, 0)), mode="reflect")
            moved = self._mirrored(np.ascontiguousarray(xp[:, :h, :w])) + self._mirrored(xp[:, 2 * t:, 2 * t:])
            y = (y + moved * half) * half
        return y

    def backward(self, grad, need_input_grad=True):
        if not self.training:
            raise NotImplementedError("flip test-time augmentation averages in evaluation only; nothing trains there")
        return super().backward(grad, need_input_grad)

    def _onnx_mirrored(self, graph, x):
        flipped = graph.node("Slice", [x, graph.const(np.array([-1], np.int64), "flip_start"),
                                       graph.const(np.array([np.iinfo(np.int64).min], np.int64), "flip_end"),
                                       graph.const(np.array([2], np.int64), "flip_axis"),
                                       graph.const(np.array([-1], np.int64), "flip_step")])
        a, b = super().to_onnx(graph, x), super().to_onnx(graph, flipped)
        return graph.node("Mul", [graph.node("Add", [a, b]), graph.const(0.5, "half")])

    def to_onnx(self, graph, x):
        y = self._onnx_mirrored(graph, x)
        if not self.translate:
            return y
        t, (h, w) = self.translate, self.input_shape[:2]
        xp = graph.node("Pad", [x, graph.const(np.array([0, t, t, 0, 0, t, t, 0], np.int64), "tta_pads")],
                        mode="reflect")
        moved = [self._onnx_mirrored(graph, graph.node("Slice", [
            xp, graph.const(np.array([a, a], np.int64), "tta_start"),
            graph.const(np.array([a + h, a + w], np.int64), "tta_end"),
            graph.const(np.array([1, 2], np.int64), "tta_axes")])) for a in (0, 2 * t)]
        half = graph.const(0.5, "half")
        moved = graph.node("Mul", [graph.node("Add", moved), half])
        return graph.node("Mul", [graph.node("Add", [y, moved]), half])


class FlipTTA(Callback):
    """Flip test-time augmentation: every evaluation (validation, test, `evaluate`, `predict`, the exported ONNX
    graph) averages the network's logits on each image and on its mirror image, and with `translate` (pixels) on
    both moved diagonally each way (airbench's, three times the evaluation cost); training is unchanged. It changes
    the network (`transform_model`, replayed by every command), wrapping the layers in `FlipAveraged`."""

    needs_images = True

    def __init__(self, translate: int = 0):
        if isinstance(translate, bool) or not isinstance(translate, int) or translate < 0:
            raise ValueError(f"translate: expected a whole number of pixels >= 0 (0: off), got {translate!r}")
        self.translate = translate

    def setup(self, trainer):
        if trainer.data.image_shape is None:
            raise ValueError(f"flip_tta needs image data, but dataset {trainer.data.name!r} is not images")
        if self.translate >= min(trainer.data.image_shape[-2:]):
            raise ValueError(f"flip_tta: translate: expected fewer pixels than the images' height and width "
                             f"{list(trainer.data.image_shape[-2:])}, got {self.translate}")

    def transform_model(self, model):
        model.layers[:] = [FlipAveraged(list(model.layers))]
        model.layers[0].translate = self.translate
