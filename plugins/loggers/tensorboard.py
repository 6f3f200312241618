"""TensorBoard logging through tensorboardX, laid out as Keras does (a train and a validation run side by side)."""
from __future__ import annotations

import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np

from framework import Callback, Order


def encode_png(image: np.ndarray) -> bytes:
    """8-bit PNG bytes of a (H, W) greyscale or (H, W, 3) colour array in [0, 1] (clipped): image summaries need no
    imaging library."""
    img = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    h, w = img.shape[:2]
    colour = img.ndim == 3
    rows = img.reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2 if colour else 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def image_grid(images: np.ndarray, cols: int = 8, pad: int = 2) -> np.ndarray:
    """Tile (N, H, W) greyscale or (N, C, H, W) images (one or three channels), clipped to [0, 1], into one
    (rows*(H+pad)+pad, cols*(W+pad)+pad) picture, with a last axis of 3 for colour."""
    if images.ndim == 4:
        images = images[:, 0] if images.shape[1] == 1 else images[:, :3].transpose(0, 2, 3, 1)
    n, h, w = images.shape[:3]
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, *images.shape[3:]), 0.5, np.float32)
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
    """Keras' layout, two TensorBoard runs a training run: `train/` and `validation/` write the same `epoch/*` tags
    (loss, metrics), so each chart overlays train and validation. `train/` also holds `epoch/learning_rate`,
    `epoch/seconds`, `step/*` (batch loss and learning rate every `every_n_steps` optimizer steps, against the
    step), the resolved recipe and the model summary as text, for images a grid of the first training batch as the
    network saw it, and weight and gradient histograms every `histograms_every_n_epochs` epochs (0: never, as
    Keras' histogram_freq). `validation/` also holds the test figures, `test/*`, one point at the epoch whose
    weights they used, and the HParams session (hyperparameters, variant and seed; TensorBoard infers the columns
    from all runs and offers validation's and the test's tags as metrics). No other run is written: TensorBoard
    ticks no run by default above 40, so a tour of 12 trainings must stay at 24. Written through tensorboardX's
    public FileWriter and summary functions."""

    order = Order.LOG

    def __init__(self, every_n_steps: int = 50, histograms_every_n_epochs: int = 0, logdir: str | None = None):
        if not isinstance(every_n_steps, int) or every_n_steps < 0:
            raise ValueError(f"every_n_steps: expected a non-negative integer, got {every_n_steps!r}")
        if not isinstance(histograms_every_n_epochs, int) or histograms_every_n_epochs < 0:
            raise ValueError(f"histograms_every_n_epochs: expected a non-negative integer, got "
                             f"{histograms_every_n_epochs!r}")
        self.every_n_steps, self.histograms, self.logdir = every_n_steps, histograms_every_n_epochs, logdir
        self.writers: dict = {}

    def on_fit_begin(self, trainer, state):
        from tensorboardX import FileWriter

        logdir = self.logdir or trainer.run_dir
        if logdir is None:
            raise ValueError("tensorboard logger: no run directory; give the logger a `logdir` parameter "
                             "or run through `python -m framework.run`")
        if state.step > 0:  # resuming: the test figures of the earlier end are no longer the run's
            drop_tags(Path(logdir) / "validation", "test/")
        self.writers = {name: FileWriter(str(Path(logdir) / name), flush_secs=10, filename_suffix=_unique())
                        for name in ("train", "validation")}  # a resume within the second never reuses a name
        self.image_logged = trainer.data.image_shape is None
        if state.step == 0:  # not again on resume
            self.text("recipe", "```\n" + json.dumps(trainer.recipe, indent=2) + "\n```")
            self.text("model", "```\n" + trainer.model.summary() + "\n```")
        info = dict(trainer.run_info, seed=trainer.recipe.get("seed"))
        self.writers["validation"].add_summary(session_start(hparams_of(trainer.recipe, info)))

    def scalar(self, run: str, tag: str, value, step: int) -> None:
        from tensorboardX.summary import scalar

        self.writers[run].add_summary(scalar(tag, float(value)), step)

    def text(self, tag: str, text: str) -> None:
        from tensorboardX.summary import text as text_summary

        self.writers["train"].add_summary(text_summary(tag, text), 0)

    def on_loss(self, trainer, state):
        if not self.image_logged:  # augmentations (order 10) have run on this batch by now
            images = state.batch.x[:64].reshape(-1, *trainer.data.image_shape)
            self.add_image("train/batch_images", image_grid(images), state.step)
            names = trainer.data.class_names
            if names and trainer.data.task == "multiclass":  # the grid's caption: each image's class, row by row
                labels = [str(names[int(k)]) for k in state.batch.y[:64]]
                rows = [" | ".join(labels[i:i + 8]) for i in range(0, len(labels), 8)]
                self.text("batch_images_classes", "\n\n".join(f"row {r + 1}: {row}" for r, row in enumerate(rows)))
            self.image_logged = True

    def add_image(self, tag, image, step):
        """Write a greyscale image summary; encoded here, so tensorboardX needs no imaging library."""
        from tensorboardX.proto.summary_pb2 import Summary

        h, w = image.shape[:2]
        img = Summary.Image(height=h, width=w, colorspace=3 if image.ndim == 3 else 1,
                            encoded_image_string=encode_png(image))
        self.writers["train"].add_summary(Summary(value=[Summary.Value(tag=tag, image=img)]), step)

    def on_batch_end(self, trainer, state):
        if self.every_n_steps and state.step % self.every_n_steps == 0:
            self.scalar("train", "step/loss", state.loss, state.step)
            self.scalar("train", "step/learning_rate", trainer.optimizer.lr, state.step)

    def on_epoch_end(self, trainer, state):
        from tensorboardX.summary import histogram

        epoch = state.epoch + 1
        for key, value in state.metrics.items():
            split, _, metric = key.partition("_")
            if split in ("train", "val") and metric:
                self.scalar("train" if split == "train" else "validation", f"epoch/{metric}", value, epoch)
        self.scalar("train", "epoch/learning_rate", state.metrics.get("lr", trainer.optimizer.lr), epoch)
        self.scalar("train", "epoch/seconds", state.epoch_seconds[-1], epoch)
        if self.histograms and epoch % self.histograms == 0:
            for p in trainer.model.params:
                self.writers["train"].add_summary(histogram(f"weights/{p.name}", p.value, "tensorflow"), epoch)
                self.writers["train"].add_summary(histogram(f"gradients/{p.name}", p.grad, "tensorflow"), epoch)

    def on_fit_end(self, trainer, state):
        at = state.weights_epoch or state.epoch
        for key, value in state.metrics.items():
            split, _, metric = key.partition("_")
            if split == "test":
                self.scalar("validation", f"test/{metric}", value, at)
        self.writers["validation"].add_summary(session_end(True))
        self._close()

    def on_exception(self, trainer, state):
        if self.writers and not getattr(state.exception, "paused", False):  # a search's pause is no failure
            self.writers["validation"].add_summary(session_end(False))
        self._close()

    def _close(self):
        for w in self.writers.values():
            w.close()
        self.writers = {}


def _unique() -> str:
    """An event file name's suffix that no earlier file of the run has (the name's timestamp is in seconds)."""
    return f".{time.time_ns()}"


def read_events(path: Path):
    """The Event protos of an event file (TFRecord: length, its CRC, the record, its CRC), in order; a truncated
    last record (a process killed while writing) is left out."""
    from tensorboardX.proto.event_pb2 import Event

    data, at = path.read_bytes(), 0
    while at + 12 <= len(data):
        (n,) = struct.unpack("<Q", data[at:at + 8])
        if at + 12 + n + 4 > len(data):
            break
        yield Event.FromString(data[at + 12:at + 12 + n])
        at += 12 + n + 4


def drop_tags(run: Path, prefix: str) -> None:
    """Rewrite a TensorBoard run's event files without the summaries whose tag starts with `prefix` (a resumed run's
    test figures, which a later end replaces: TensorBoard would draw the old and the new as a line). The new file is
    written and closed before the old ones are removed."""
    from tensorboardX import FileWriter

    old = sorted(run.glob("events.out.tfevents.*"))
    events = [e for f in old for e in read_events(f) if not e.HasField("file_version")]
    if not any(v.tag.startswith(prefix) for e in events for v in e.summary.value):
        return
    writer = FileWriter(str(run), filename_suffix=_unique())  # never the name of an old file
    for e in events:
        if e.HasField("summary"):
            kept = [v for v in e.summary.value if not v.tag.startswith(prefix)]
            if not kept:
                continue
            del e.summary.value[:]
            e.summary.value.extend(kept)
        writer.add_event(e, step=e.step, walltime=e.wall_time)
    writer.close()
    (rewritten,) = set(run.glob("events.out.tfevents.*")) - set(old)
    for f in old:
        f.unlink()
    rewritten.rename(old[0])  # the first old name: TensorBoard reads files in name order, so these come first


def hparams_of(recipe: dict, info: dict) -> dict:
    """The HParams of a run: its identity from `info` (Variant, Seed, Comparison, Run: capitalised, because
    TensorBoard orders the columns by whether they differ between runs, then by name, and shows the first few;
    as text, since TensorBoard shows every number with four decimals and a seed is a name, not a quantity), then
    the flattened recipe."""
    return {**{k.capitalize(): (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
               for k, v in info.items()},
            **{k: v for k, v in flatten_recipe(recipe).items() if k not in info}}


def session_start(hparams: dict):
    """An HParams session-start summary only: no experiment definition, so TensorBoard infers the columns
    from all runs (the union of their hyperparameters, value filters for strings and booleans)."""
    from tensorboardX.summary import hparams as hparams_summaries

    return hparams_summaries({k: v for k, v in hparams.items() if v is not None}, {})[1]


def session_end(ok: bool):
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    status = Status.Value("STATUS_SUCCESS" if ok else "STATUS_FAILURE")
    content = HParamsPluginData(session_end_info=SessionEndInfo(status=status), version=0)
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams",
                                                                  content=content.SerializeToString()))
    return Summary(value=[Summary.Value(tag="_hparams_/session_end_info", metadata=meta)])
