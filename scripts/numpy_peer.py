"""The bench's NumPy peer: a plain vectorised MLP training step, as in CS231n's assignments.

tanh hidden layers, a linear output, the mean over the batch of the squared error averaged
over the outputs (bptutor's `mse`), plain SGD. Written by hand, independent of bptutor: matrix
products forward, the activation's derivative, `x.T @ dz` for the weight gradients, the
update. `train(params, batches, lr)` runs one step per (x, y) batch and returns the losses.
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


def train(params, batches, lr):
    """One SGD step per batch; returns the new parameters and the loss before each step."""
    params = list(params)
    depth = len(params) // 2
    losses = []
    for x, y in batches:
        acts = [x]
        for k in range(depth):
            z = acts[-1] @ params[2 * k] + params[2 * k + 1]
            acts.append(np.tanh(z) if k < depth - 1 else z)
        out = acts[-1]
        n, outputs = x.shape[0], y.shape[1]
        diff = out - y
        losses.append((diff * diff).sum() / (n * outputs))
        dz = diff * (2.0 / (n * outputs))
        grads = [None] * len(params)
        for k in range(depth - 1, -1, -1):
            grads[2 * k] = acts[k].T @ dz
            grads[2 * k + 1] = dz.sum(axis=0)
            if k:
                a = acts[k]
                dz = (dz @ params[2 * k].T) * (1 - a * a)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params, losses
