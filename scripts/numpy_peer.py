"""The bench's NumPy peer: a plain vectorised MLP training step, as in CS231n's assignments.

Written by hand, independent of bptutor, in CS231n's layout (a batch's samples are rows,
`z = a @ W + b`): matrix products forward, the activation's derivative, `a.T @ dz` for the
weight gradients, plain SGD. Two kinds:

- "tanh/mse": tanh hidden layers, a linear output, the mean over the batch of the squared
  error averaged over the outputs (bptutor's `mse`);
- "relu/bce": ReLU hidden layers, sigmoid outputs, binary cross-entropy summed over the
  outputs and averaged over the batch, its value taken from the logits (log(1 + e^z) − y z,
  as torch's BCEWithLogits) and its gradient the usual (σ(z) − y) / n.

`train(params, batches, lr, kind)` runs one step per (x, y) batch and returns the new
parameters and the loss before each step.
"""

from __future__ import annotations

import numpy as np


def init(sizes, seed=0):
    """Weights (inputs × units) uniform in ±1/√fan-in, biases likewise."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        params += [rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-bound, bound, n_out)]
    return params


def train(params, batches, lr, kind="tanh/mse"):
    """One SGD step per batch; returns the new parameters and the loss before each step."""
    relu = kind == "relu/bce"
    params = list(params)
    depth = len(params) // 2
    losses = []
    for x, y in batches:
        acts, zs = [x], []
        for k in range(depth):
            z = acts[-1] @ params[2 * k] + params[2 * k + 1]
            zs.append(z)
            if k == depth - 1:
                acts.append(z)
            else:
                acts.append(np.maximum(z, 0.0) if relu else np.tanh(z))
        z = zs[-1]
        n, outputs = x.shape[0], y.shape[1]
        if relu:
            p = 1.0 / (1.0 + np.exp(-z))
            losses.append((np.logaddexp(0.0, z) - y * z).sum() / n)
            dz = (p - y) * (1.0 / n)
        else:
            diff = z - y
            losses.append((diff * diff).sum() / (n * outputs))
            dz = diff * (2.0 / (n * outputs))
        grads = [None] * len(params)
        for k in range(depth - 1, -1, -1):
            grads[2 * k] = acts[k].T @ dz
            grads[2 * k + 1] = dz.sum(axis=0)
            if k:
                da = dz @ params[2 * k].T
                dz = da * (zs[k - 1] > 0) if relu else da * (1 - acts[k] * acts[k])
        params = [p - lr * g for p, g in zip(params, grads)]
    return params, losses
