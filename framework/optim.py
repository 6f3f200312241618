"""The optimizer interface. Optimizers update `Param.value` from `Param.grad`; they know nothing of layers."""
from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Param, flat_buffers


class Optimizer:
    """Base class for `framework.optimizers` plugins.

    Constructed as `cls(params, **recipe_params)`. `lr` is a plain attribute so schedules can set it.
    Per-parameter state lives in `self.state[i]` (a dict of arrays) so it can be exported and restored.

    Two ways to write one. Override `step()` and update each `Param` (the simplest). Or name the state arrays in
    `state_names` and define `update(w, g, *state, tmp)`, elementwise on arrays of any shape: `step()` then calls
    it on blocks of the model's flat buffers (Sequential keeps all values in one buffer and all gradients in
    another) small enough to stay in cache while every pass runs over them, or per parameter when the params
    are not flat. `begin_step()` computes what is the same for every block (bias corrections, say).
    """

    state_names: tuple[str, ...] = ()
    block = 65536  # elements per block: few enough NumPy calls per step, short enough to stay in cache (measured)
    threads = 1  # parts of the blocks updated in parallel (NumPy releases the GIL in its loops). 2 makes Adam's
    #              step alone up to 1.5x faster from a warm cache, but not a training epoch (measured: README, Speed)

    def __init__(self, params: list[Param], lr: float):
        if not lr > 0:
            raise ValueError(f"lr: expected a positive number, got {lr!r}")
        self.params = list(params)
        self.lr = float(lr)
        self.t = 0  # steps taken
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.flat = flat_buffers(self.params)  # (values, grads) or None
        self._flat_state = {}
        self._blocks = None  # ((block, threads), [(w, g, *state, *extras, tmp) views], parts), made by chunks()
        self._pool = None
        for name in self.state_names:
            self.add_state(name)

    def add_state(self, name: str, fill: float = 0.0) -> None:
        """A state array per parameter (st[name]), views of one flat array when the params are flat."""
        self._blocks = None
        if self.flat is not None:
            buf = self._flat_state[name] = np.full_like(self.flat[0], fill)
            at = 0
            for p, st in zip(self.params, self.state):
                st[name] = buf[at:at + p.value.size].reshape(p.value.shape)
                at += p.value.size
        else:
            for p, st in zip(self.params, self.state):
                st[name] = np.full_like(p.value, fill)

    def block_params(self, start: int, stop: int) -> list[tuple[int, slice]]:
        """(index, slice of the block) for each parameter with elements in [start, stop) of the parameters laid end
        to end: which part of a block (or of one parameter's arrays) belongs to which parameter."""
        out, at = [], 0
        for i, p in enumerate(self.params):
            lo, hi = max(at, start) - start, min(at + p.value.size, stop) - start
            if lo < hi:
                out.append((i, slice(lo, hi)))
            at += p.value.size
        return out

    def block_extras(self, start: int, stop: int) -> tuple:
        """Extra arguments `update` receives after the state arrays, for the elements [start, stop) of the
        parameters laid end to end (a block of the flat buffers, or one parameter). AdamW: which of them decay.
        Called when the blocks are made, not every step."""
        return ()

    def chunks(self) -> list[tuple]:
        """(w, g, *state, *extras, tmp) for each block of the flat buffers, or for each parameter: views made
        once (and again if `block` or `threads` changes), so a step only loops over them. With threads, each part
        of the blocks has its own scratch array."""
        if self._blocks is None or self._blocks[0] != (self.block, self.threads):
            names = self.state_names
            if self.flat is not None:
                w, g = self.flat
                state = [self._flat_state[n] for n in names]
                starts = range(0, len(w), self.block)
                k = min(max(1, self.threads or 1), len(starts))
                owner = [i * k // len(starts) for i in range(len(starts))]  # which part updates block i
                tmps = [np.empty(min(self.block, len(w)), w.dtype) for _ in range(k)]
                views = [(w[s:s + self.block], g[s:s + self.block], *(a[s:s + self.block] for a in state),
                          *self.block_extras(s, min(s + self.block, len(w))),
                          tmps[owner[i]][:min(self.block, len(w) - s)]) for i, s in enumerate(starts)]
            else:
                at = np.cumsum([0] + [p.value.size for p in self.params]).tolist()
                views = [(p.value, p.grad, *(st[n] for n in names), *self.block_extras(at[i], at[i + 1]),
                          np.empty_like(p.value)) for i, (p, st) in enumerate(zip(self.params, self.state))]
                k = min(max(1, self.threads or 1), len(views))
                owner = [i * k // len(views) for i in range(len(views))]
            parts = [[v for v, o in zip(views, owner) if o == j] for j in range(k)] if k > 1 else None
            self._blocks = ((self.block, self.threads), views, parts)
            if self._pool is not None:  # made for the old parts; step() makes one for these
                self._pool.shutdown()
                self._pool = None
        return self._blocks[1]

    def begin_step(self) -> None:
        """Per-step scalars shared by every block (called by `step` after `t` is incremented)."""

    def update(self, w, g, *state_and_tmp) -> None:
        raise NotImplementedError

    def step(self) -> None:
        self.t += 1
        self.begin_step()
        blocks = self.chunks()
        parts = self._blocks[2]
        if parts is None:
            for arrays in blocks:
                self.update(*arrays)
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(len(parts) - 1, thread_name_prefix="npframe-update")
        others = [self._pool.submit(self._update_all, part) for part in parts[1:]]
        self._update_all(parts[0])
        for f in others:
            f.result()

    def _update_all(self, blocks) -> None:
        for arrays in blocks:
            self.update(*arrays)

    def state_dict(self) -> dict[str, Any]:
        """Flat dict of arrays and numbers: `lr`, `t` and `<index>.<key>` for each state array."""
        out: dict[str, Any] = {"lr": self.lr, "t": self.t}
        for i, st in enumerate(self.state):
            for k, v in st.items():
                out[f"{i}.{k}"] = v
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore; state arrays are copied into the existing ones (which may be views of a flat buffer)."""
        self.lr, self.t = float(state["lr"]), int(state["t"])
        self._blocks = None  # a state array may be replaced below
        for i, st in enumerate(self.state):
            for k in [k for k in state if k.startswith(f"{i}.")]:
                name, value = k.split(".", 1)[1], np.asarray(state[k], dtype=self.params[i].value.dtype)
                if name in st and st[name].shape == value.shape:
                    st[name][...] = value
                else:
                    st[name] = value.copy()
