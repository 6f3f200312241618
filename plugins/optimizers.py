"""Optimizers. Each updates Param.value in place from Param.grad, block by block over the model's flat buffers
(framework.Optimizer.update); equations in docs/math.md."""
from __future__ import annotations

import math

import numpy as np

from framework import Optimizer


class _RateScales:
    """`lr_scale`: {name pattern: factor}, rate multipliers for the parameters whose names match (fnmatch; PyTorch's
    parameter groups), e.g. {"*bn*.beta": 64} as airbench trains batch norm's offsets. For SGD and momentum a rate
    multiplier is a multiplier of the gradient entering the step, which is how it is applied."""

    def _scales(self, lr_scale) -> None:
        import fnmatch
        if not isinstance(lr_scale, dict):
            raise ValueError(f"lr_scale: expected a mapping of parameter-name patterns to factors, got {lr_scale!r}")
        self.scales = [1.0] * len(self.params)
        for pattern, factor in lr_scale.items():
            if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
                raise ValueError(f"lr_scale: {pattern!r}: expected a positive number, got {factor!r}")
            hits = [i for i, p in enumerate(self.params) if fnmatch.fnmatchcase(p.name, str(pattern))]
            if not hits:
                names = ", ".join(p.name for p in self.params[:4])
                raise ValueError(f"lr_scale: pattern {pattern!r} matches no parameter (they are named {names}, ...)")
            for i in hits:
                self.scales[i] = float(factor)

    def block_extras(self, start, stop):
        """(slice of the block, factor - 1) for the elements of [start, stop) whose rate is scaled."""
        return ([(part, self.params[i].value.dtype.type(self.scales[i] - 1.0))
                 for i, part in self.block_params(start, stop) if self.scales[i] != 1.0],)


class SGD(_RateScales, Optimizer):
    """Plain stochastic gradient descent: w <- w - lr * g (times `lr_scale`'s factor where it names a parameter)."""

    def __init__(self, params, lr: float = 0.1, lr_scale: dict | None = None):
        super().__init__(params, lr)
        self._scales(lr_scale or {})

    def update(self, w, g, scaled, tmp):
        np.multiply(g, self.lr, out=tmp)
        for part, f1 in scaled:  # the few scaled elements: lr g + (f - 1) lr g
            tmp.reshape(-1)[part] += f1 * tmp.reshape(-1)[part]
        w -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), bias-corrected:
    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  w <- w - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
    The state holds m/(1-b1) and v/(1-b2) ("m_scaled", "v_scaled"), the factors moved into the step's scalars:
    10 passes over the arrays instead of 13, same equations (docs/math.md). Checkpoints holding m and v load.
    """

    state_names = ("m_scaled", "v_scaled")

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(params, lr)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"beta1, beta2: expected values in [0, 1), got {beta1!r}, {beta2!r}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def begin_step(self):
        # w -= lr (1-b1)/(1-b1^t) m_s / (k sqrt(v_s) + eps), k = sqrt((1-b2)/(1-b2^t)); divided through by k
        # Python floats (math, not np): a NumPy float64 scalar would make float32 passes compute in float64 (NEP 50)
        k = math.sqrt((1 - self.beta2) / (1 - self.beta2 ** self.t))
        self.eps_k = self.eps / k
        self.step_k = self.lr * (1 - self.beta1) / (1 - self.beta1 ** self.t) / k

    def update(self, w, g, m, v, tmp):
        m *= self.beta1
        m += g
        v *= self.beta2
        np.multiply(g, g, out=tmp)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps_k
        np.divide(m, tmp, out=tmp)
        tmp *= self.step_k
        w -= tmp

    def load_state_dict(self, state):
        """Also reads the unscaled m and v (checkpoints written before the state was scaled)."""
        state = dict(state)
        for key in [k for k in state if k.endswith((".m", ".v"))]:
            beta = self.beta1 if key.endswith(".m") else self.beta2
            state[key + "_scaled"] = np.asarray(state.pop(key)) / (1 - beta)
        super().load_state_dict(state)


class Momentum(_RateScales, Optimizer):
    """SGD with momentum (PyTorch's form): v <- mu v + g; w <- w - lr v.
    Nesterov (nesterov=True): v <- mu v + g; w <- w - lr (g + mu v). `lr_scale` scales g for the parameters it
    names (the same as scaling their rate)."""

    state_names = ("v",)

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, nesterov: bool = False,
                 lr_scale: dict | None = None):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum: expected a value in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = momentum, nesterov
        self._scales(lr_scale or {})

    def update(self, w, g, v, scaled, tmp):
        v *= self.momentum
        v += g
        for part, f1 in scaled:  # v += (f - 1) g on the few scaled elements: v holds the scaled gradients
            v.reshape(-1)[part] += f1 * g.reshape(-1)[part]
        if self.nesterov:
            np.multiply(v, self.momentum, out=tmp)
            tmp += g
            for part, f1 in scaled:
                tmp.reshape(-1)[part] += f1 * g.reshape(-1)[part]
            tmp *= self.lr
        else:
            np.multiply(v, self.lr, out=tmp)
        w -= tmp


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012): s <- rho s + (1-rho) g^2; w <- w - lr g / (sqrt(s) + eps)."""

    state_names = ("s",)

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr)
        if not 0 <= rho < 1:
            raise ValueError(f"rho: expected a value in [0, 1), got {rho!r}")
        self.rho, self.eps = rho, eps

    def update(self, w, g, s, tmp):
        s *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.rho
        s += tmp
        _scaled_step(w, g, s, tmp, self.lr, self.eps)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): s <- s + g^2; w <- w - lr g / (sqrt(s) + eps)."""

    state_names = ("s",)

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, initial_accumulator: float = 0.0):
        super().__init__(params, lr)
        self.eps = eps
        for st in self.state:
            st["s"][...] = initial_accumulator

    def update(self, w, g, s, tmp):
        np.multiply(g, g, out=tmp)
        s += tmp
        _scaled_step(w, g, s, tmp, self.lr, self.eps)


def _scaled_step(w, g, s, tmp, lr, eps):
    """w <- w - lr g / (sqrt(s) + eps), through the scratch array tmp."""
    np.sqrt(s, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    tmp *= lr
    w -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): w <- w (1 - lr wd), then the Adam step.
    The decay applies to weights only (Param.decay), not biases, unless decay_bias=True: blocks of the flat
    buffers are decayed only on their weights' elements (Optimizer.block_extras)."""

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, decay_bias: bool = False):
        super().__init__(params, lr, beta1, beta2, eps)
        if weight_decay < 0:
            raise ValueError(f"weight_decay: expected >= 0, got {weight_decay!r}")
        self.weight_decay, self.decay_bias = weight_decay, decay_bias

    def block_extras(self, start, stop):
        """The parts of elements [start, stop) that decay, as slices of the block (flattened)."""
        parts = []
        for i, part in self.block_params(start, stop):
            if self.params[i].decay or self.decay_bias:
                if parts and parts[-1].stop == part.start:  # neighbours decay in one pass
                    part = slice(parts.pop().start, part.stop)
                parts.append(part)
        return (parts,)

    def begin_step(self):
        super().begin_step()
        self.shrink = 1.0 - self.lr * self.weight_decay

    def update(self, w, g, m, v, decays, tmp):
        if decays:  # the decay joins the block's other passes, while it is in cache
            flat = w.reshape(-1)
            for part in decays:
                flat[part] *= self.shrink
        super().update(w, g, m, v, tmp)
