"""How close float32 batch norm on images comes to float64, npframe against PyTorch: one training-mode forward of a
batch of 128 channels-last images (28 x 28 x 32, as after the MNIST CNN's first convolution), both given the same
float32 inputs, each compared with its own library's float64 result; largest absolute error of the outputs, the
running mean and the running variance, and the gradients of gamma and beta and of the input for a random output
gradient. Then one forward and backward timed, median of rounds. Needs torch (benchmarks only).

    python benchmarks/batchnorm_accuracy.py
"""
import platform

import numpy as np
import torch
from conv_layouts import median_ms

from framework import Sequential, registry


def npframe(x, g, dtype):
    model = Sequential([registry.get("layers", "batch_norm")()])
    model.build(x.shape[1:], np.random.default_rng(0), dtype)
    bn = model.layers[0]
    y = model.forward(x.astype(dtype))
    dx = bn.backward(g.astype(dtype).copy())
    return [y, bn.running_mean, bn.running_var, bn.gamma.grad, bn.beta.grad, dx], lambda: (
        model.forward(x), bn.backward(g.copy()))


def pytorch(x, g, dtype):
    bn = torch.nn.BatchNorm2d(x.shape[-1]).to(dtype)
    xt = torch.tensor(x.transpose(0, 3, 1, 2), dtype=dtype, requires_grad=True)
    y = bn(xt)
    y.backward(torch.tensor(g.transpose(0, 3, 1, 2), dtype=dtype))
    out = [y.detach().numpy().transpose(0, 2, 3, 1), bn.running_mean.numpy(), bn.running_var.numpy(),
           bn.weight.grad.numpy(), bn.bias.grad.numpy(), xt.grad.numpy().transpose(0, 2, 3, 1)]
    xl = torch.tensor(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last).requires_grad_()
    gl = torch.tensor(g).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    bn32 = torch.nn.BatchNorm2d(x.shape[-1])
    return out, lambda: bn32(xl).backward(gl)


def main():
    torch.set_num_threads(2)
    print(f"{platform.machine()}, torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), numpy "
          f"{np.__version__}; batch 128 of 28 x 28 x 32, float32 against float64 on the same float32 inputs")
    names = ["outputs", "running mean", "running var", "d gamma", "d beta", "d input"]
    print(f"| case | library | {' | '.join(names)} | forward + backward ms |")
    print("| --- | --- |" + " --- |" * (len(names) + 1))
    r = np.random.default_rng(0)
    for label, offset in (("mean 0, sd 1", 0.0), ("mean 100x sd", 100.0)):
        x = (r.standard_normal((128, 28, 28, 32)) + offset).astype(np.float32)
        g = r.standard_normal(x.shape).astype(np.float32)
        for lib, f in (("npframe", npframe), ("PyTorch", pytorch)):
            lo, timed = f(x, g, np.float32 if lib == "npframe" else torch.float32)
            hi, _ = f(x, g, np.float64 if lib == "npframe" else torch.float64)
            errs = [float(np.abs(np.asarray(a, np.float64) - np.asarray(b)).max()) for a, b in zip(lo, hi)]
            print(f"| {label} | {lib} | " + " | ".join(f"{e:.1e}" for e in errs) + f" | {median_ms(timed):.2f} |")


if __name__ == "__main__":
    main()
