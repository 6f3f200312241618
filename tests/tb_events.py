"""Read runs back the way TensorBoard does: its own EventMultiplexer, over a folder of runs (tests only)."""
from __future__ import annotations

import os
from pathlib import Path


def load(logdir: str | os.PathLike):
    """TensorBoard's view of `logdir`: one run per folder holding event files, named by relative path."""
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    mux = EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    return mux


def event_files(run_dir: str | os.PathLike) -> list[Path]:
    return sorted(Path(run_dir).glob("events.out.tfevents.*"))


def scalars(mux, run: str, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in mux.Scalars(run, tag)]


def hparams(mux, run: str) -> tuple[dict | None, str | None, bool]:
    """(hyperparameters of the run's session start, status of its session end, whether an experiment definition
    was written) as the HParams plugin reads them."""
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    content = mux.PluginRunToTagToContent("hparams").get(run, {})
    values, status = None, None
    if "_hparams_/session_start_info" in content:
        data = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
        values = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
                  for k, v in data.session_start_info.hparams.items()}
    if "_hparams_/session_end_info" in content:
        data = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"])
        status = api_pb2.Status.Name(data.session_end_info.status)
    experiment = any("_hparams_/experiment" in tags for tags in mux.PluginRunToTagToContent("hparams").values())
    return values, status, experiment


def texts(mux, run: str) -> dict[str, str]:
    """{tag: text} of the run's text summaries."""
    out = {}
    for tag in mux.PluginRunToTagToContent("text").get(run, {}):
        event = mux.Tensors(run, tag)[0]
        out[tag] = event.tensor_proto.string_val[0].decode()
    return out
