"""The optimizer interface. Optimizers update `Param.value` from `Param.grad`; they know nothing of layers."""
from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Param


class Optimizer:
    """Base class for `framework.optimizers` plugins.

    Constructed as `cls(params, **recipe_params)`. `lr` is a plain attribute so schedules can set it.
    Per-parameter state lives in `self.state[i]` (a dict of arrays) so it can be exported and restored.
    """

    def __init__(self, params: list[Param], lr: float):
        if not lr > 0:
            raise ValueError(f"lr: expected a positive number, got {lr!r}")
        self.params = list(params)
        self.lr = float(lr)
        self.t = 0  # steps taken
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Flat dict of arrays and numbers: `lr`, `t` and `<index>.<key>` for each state array."""
        out: dict[str, Any] = {"lr": self.lr, "t": self.t}
        for i, st in enumerate(self.state):
            for k, v in st.items():
                out[f"{i}.{k}"] = v
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr, self.t = float(state["lr"]), int(state["t"])
        for i, st in enumerate(self.state):
            for k in [k for k in state if k.startswith(f"{i}.")]:
                st[k.split(".", 1)[1]] = np.array(state[k], dtype=self.params[i].value.dtype)
