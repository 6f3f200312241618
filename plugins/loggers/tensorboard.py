"""TensorBoard logging through tensorboardX: one event file per run, written into the run directory."""
from __future__ import annotations

import struct
import zlib

import numpy as np

from framework import Callback, Order


def encode_png(image: np.ndarray) -> bytes:
    """8-bit greyscale PNG bytes of a (H, W) array in [0, 1] (clipped): image summaries need no imaging library."""
    img = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    h, w = img.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img], axis=1).tobytes()  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def image_grid(images: np.ndarray, cols: int = 8, pad: int = 2) -> np.ndarray:
    """Tile (N, H, W) images, clipped to [0, 1], into one (rows*(H+pad)+pad, cols*(W+pad)+pad) picture."""
    n, h, w = images.shape
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), 0.5, np.float32)
    for i, img in enumerate(np.clip(images, 0, 1)):
        r, c = divmod(i, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return grid


def flatten_recipe(recipe: dict) -> dict:
    """Scalar hyperparameters from a recipe: nested keys dotted, plugin lists named, lists as text."""
    out = {}

    def put(key, value):
        if isinstance(value, dict):
            for k, v in value.items():
                put(f"{key}.{k}" if k != "name" else key, v)
        elif isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
            out[key] = ",".join(v["name"] for v in value) or "none"
            for v in value:
                put(f"{key}.{v['name']}", {k: x for k, x in v.items() if k != "name"})
        elif isinstance(value, (bool, int, float, str)):
            out[key] = value
        else:
            out[key] = str(value)

    for key, value in recipe.items():
        put(key, value)
    return out


class TensorBoardLogger(Callback):
    """Per epoch: train/val loss and metrics, learning rate, epoch time. Every `every_n_steps` steps: the
    batch loss. At the end: test metrics. Tags are grouped as loss/*, accuracy/*, ... so train and val share
    a chart. For image data, once per run: a grid of the first training batch as the network saw it (after
    augmentation)."""

    order = Order.LOG

    def __init__(self, every_n_steps: int = 50, logdir: str | None = None):
        self.every_n_steps, self.logdir, self.writer = every_n_steps, logdir, None

    def on_fit_begin(self, trainer, state):
        from tensorboardX import SummaryWriter

        logdir = self.logdir or trainer.run_dir
        if logdir is None:
            raise ValueError("tensorboard logger: no run directory; give the logger a `logdir` parameter "
                             "or run through `python -m framework.run`")
        self.writer = SummaryWriter(logdir=logdir, flush_secs=10)
        self.image_logged = trainer.data.image_shape is None

    def on_loss(self, trainer, state):
        if not self.image_logged:  # augmentations (order 10) have run on this batch by now
            images = state.batch.x[:64].reshape(-1, *trainer.data.image_shape)
            self.add_image("train/batch_images", image_grid(images), state.step)
            self.image_logged = True

    def add_image(self, tag, image, step):
        """Write a greyscale image summary; encoded here, so tensorboardX needs no imaging library."""
        from tensorboardX.proto.summary_pb2 import Summary

        h, w = image.shape
        img = Summary.Image(height=h, width=w, colorspace=1, encoded_image_string=encode_png(image))
        self.writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=img)]), step)

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
        self.add_hparams(flatten_recipe(trainer.recipe), {f"hparam/{k}": v for k, v in state.metrics.items()
                                                          if k.split("_", 1)[0] in ("val", "test")}, state.epoch)
        self._close()

    def add_hparams(self, hparams: dict, metrics: dict, step: int):
        """HParams summaries in this run's own event file (tensorboardX's add_hparams would make a
        subdirectory, which TensorBoard lists as another run)."""
        from tensorboardX.summary import hparams as hparams_summaries

        fw = self.writer._get_file_writer()
        for summary in hparams_summaries(hparams, metrics):
            fw.add_summary(summary)
        for k, v in metrics.items():
            self.writer.add_scalar(k, v, step)

    def on_exception(self, trainer, state):
        self._close()

    def _close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
