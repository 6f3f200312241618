"""Read scalars back from a TensorBoard event file (TFRecord framing + tensorboardX's Event protobuf)."""
from __future__ import annotations

import os
import struct
from collections import defaultdict
from pathlib import Path


def event_files(run_dir: str | os.PathLike) -> list[Path]:
    return sorted(Path(run_dir).glob("events.out.tfevents.*"))


def read_scalars(path: str | os.PathLike) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value), ...]} for every scalar in one event file, in file order."""
    from tensorboardX.proto.event_pb2 import Event

    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    data = Path(path).read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        record = data[pos + 12: pos + 12 + length]
        pos += 12 + length + 4
        if len(record) < length:
            break  # a record still being written
        event = Event.FromString(record)
        for v in event.summary.value:
            if v.HasField("simple_value"):
                out[v.tag].append((event.step, v.simple_value))
    return dict(out)
