"""The notebook this project grew from, its math as written and with each mistake fixed in turn (docs/from_notebook.md).

    python benchmarks/notebook_math.py [--epochs 10] [--seed 0]

784-64-10 sigmoid network, softmax output, SGD with learning rate 5 on batches of 60, weights drawn as
0.001 * randn, 60,000 training images (MNIST's training split: the framework's train + validation parts), float64.
Every variant starts from the same weights and sees the same batches. Prints train and test accuracy after the
last epoch (the notebook printed only the running training accuracy and never evaluated the test split) and CPU
seconds per epoch (one BLAS thread; CPU time, not wall time, so that other work on a shared machine does not
count). The fixes are cumulative, one per row:

1. as written: Python-loop softmax, first-layer bias gradient summed from the weight gradient, every gradient
   divided by the training-set size m = 60,000 instead of the batch size;
2. + vectorised softmax (subtracting the row maximum): the same numbers, faster, and no overflow;
3. + the right bias gradient (the sum of the layer's delta);
4. + gradients averaged over the batch (divided by 60, not 60,000): the learning rate 5 now means 5.
"""
from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads BLAS: the notebook's small products need no second core

import numpy as np  # noqa: E402

from framework import registry  # noqa: E402


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def der_sigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))


def softmax_as_written(x):
    """The notebook's softmax: a Python loop per element, no max subtracted."""
    prob = []
    for arr in x:
        exponentiated = [np.exp(x) for x in arr]
        denominator = np.sum(exponentiated)
        prob.append([x / denominator for x in exponentiated])
    return np.array(prob)


def softmax_stable(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(y, y_hat):
    """The notebook's loss (its docstring says binary; it is categorical: the true class's probability)."""
    return np.average(-np.log(np.max(y_hat * y, axis=1) + 1e-8))


def step(w, x, y, fixes: int, lr: float = 5.0, m: int = 60000):
    """One batch of the notebook's gradient_descent(), with the first `fixes` fixes applied."""
    softmax = softmax_stable if fixes >= 1 else softmax_as_written
    z1 = x @ w["w1"] + w["b1"]
    s1 = sigmoid(z1)
    y_hat = softmax(s1 @ w["w2"] + w["b2"])
    loss = cross_entropy(y, y_hat)
    d_z2 = y_hat - y
    d_w2 = s1.T @ d_z2
    d_b2 = np.sum(d_z2, axis=0)
    d_s1 = der_sigmoid(z1) * (d_z2 @ w["w2"].T)
    d_w1 = x.T @ d_s1
    d_b1 = np.sum(d_s1, axis=0) if fixes >= 2 else np.sum(d_w1, axis=0)  # as written: summed over the 784 inputs
    scale = len(x) if fixes >= 3 else m  # as written: the training-set size, whatever the batch
    for name, g in (("w2", d_w2), ("b2", d_b2), ("w1", d_w1), ("b1", d_b1)):
        w[name] = w[name] - lr * (g / scale)
    return loss


def accuracy(w, x, labels):
    z = sigmoid(x @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"]
    return float(np.mean(z.argmax(axis=1) == labels))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    d = registry.get("datasets", "mnist")()
    x = np.concatenate([d.x_train, d.x_val]).astype(np.float64)
    labels = np.concatenate([d.y_train, d.y_val])
    y = np.eye(10)[labels]
    x_test, y_test = d.x_test.astype(np.float64), d.y_test
    rng = np.random.default_rng(args.seed)
    w0 = {"w1": 0.001 * rng.standard_normal((784, 64)), "w2": 0.001 * rng.standard_normal((64, 10)),
          "b1": np.zeros(64), "b2": np.zeros(10)}
    orders = [rng.permutation(len(x)) for _ in range(args.epochs)]

    with np.errstate(over="ignore", invalid="ignore"):
        big = np.array([[1000.0, 0.0]])
        print(f"softmax of logits (1000, 0): as written {softmax_as_written(big)[0]}, "
              f"max subtracted {softmax_stable(big)[0]}")
    names = ["as written", "+ vectorised stable softmax", "+ right first-layer bias gradient",
             "+ gradients averaged over the batch"]
    print(f"\n{args.epochs} epochs, batch 60, learning rate 5, seed {args.seed}, float64\n")
    print("| variant | train accuracy (%) | test accuracy (%) | last epoch's loss | CPU s/epoch |")
    print("| --- | --- | --- | --- | --- |")
    for fixes, name in enumerate(names):
        w = dict(w0)
        start = time.process_time()
        for order in orders:
            losses = [step(w, x[i], y[i], fixes) for i in np.array_split(order, len(x) // 60)]
        seconds = (time.process_time() - start) / args.epochs
        print(f"| {name} | {100 * accuracy(w, x, labels):.2f} | {100 * accuracy(w, x_test, y_test):.2f} | "
              f"{np.mean(losses):.4f} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
