"""The vectorised path against the scalar engine (small networks, to 1e-12 relative) and
against PyTorch (a 10-128-128-10 network), gradients and optimizer steps."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.engine import scalar as engine
from tutor.errors import InputError
from tutor.model import UpdateRule
from tutor.playground import training, vector
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.registry import optim
from tutor.variants import generate

REL = 1e-12


def _problem(tmp_path, sizes, activation, loss, seed=3):
    f = tmp_path / "net.yaml"
    f.write_text(generate.mlp(sizes, activation, loss, seed), encoding="utf-8")
    return load_problem(f)


def _scalar_grads(problem, leaves):
    compiled = engine.Compiled(engine.build_graph(problem))
    values, local, stable = compiled.evaluate(leaves)
    return values[problem.loss], compiled.backward(values, local, stable)


def _close(a, b):
    return abs(a - b) <= REL * max(abs(a), abs(b)) + 1e-300


def _by_name(net, arrays):
    out = {}
    for i, arr in enumerate(arrays):
        out.update(zip(net.param_names_of(i), map(float, arr.ravel())))
    return out


CASES = [
    ([2, 3, 2], "sigmoid", "mse"),
    ([3, 4, 3], "tanh", "cross_entropy"),
    ([2, 3, 1], "relu", "binary_cross_entropy"),
    ([2, 4, 2], "gelu", "half_squared_error"),
    ([2, 3, 1], "softplus", "hinge"),
    ([2, 3, 3, 2], "elu", "squared_error"),
]


@pytest.mark.parametrize("sizes, activation, loss", CASES)
def test_one_sample_equals_the_scalar_engine(tmp_path, sizes, activation, loss):
    problem = _problem(tmp_path, sizes, activation, loss)
    net = vector.network_of(problem)
    leaves = engine.numeric_leaves(problem)
    x = np.array([[leaves[n]] for n in net.inputs])  # a sample is a column
    y = np.array([[leaves[n]] for n in net.targets])
    scalar_loss, grads = _scalar_grads(problem, leaves)
    assert _close(vector.loss(net, x, y), scalar_loss)
    ours = _by_name(net, vector.gradients(net, x, y))
    assert set(ours) == set(problem.params)
    for name, g in ours.items():
        assert _close(g, grads[name]), name


def test_a_batch_is_the_mean_of_the_scalar_engine_over_its_samples(tmp_path):
    problem = _problem(tmp_path, [2, 3, 2], "tanh", "cross_entropy")
    net = vector.network_of(problem)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5))  # five samples, as columns
    y = np.eye(2)[:, rng.integers(0, 2, 5)]
    leaves = engine.numeric_leaves(problem)
    total, mean = 0.0, dict.fromkeys(problem.params, 0.0)
    for xi, yi in zip(x.T, y.T):
        leaves.update(zip(net.inputs, xi))
        leaves.update(zip(net.targets, yi))
        loss, grads = _scalar_grads(problem, leaves)
        total += loss / 5
        for n in mean:
            mean[n] += grads[n] / 5
    assert _close(vector.loss(net, x, y), total)
    for name, g in _by_name(net, vector.gradients(net, x, y)).items():
        assert abs(g - mean[name]) <= 1e-12 * max(1.0, abs(mean[name])), name


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_steps_equal_the_scalar_training_loop(tmp_path, optimizer):
    problem = _problem(tmp_path, [2, 3, 2], "sigmoid", "mse")
    rule = UpdateRule(optimizer, 0.05, None, {"l2": 0.01})
    history = training.train(problem, rule, 7, fast=False)  # the engine + optim.step, per step
    net = vector.network_of(problem)
    leaves = engine.numeric_leaves(problem)
    x = np.array([[leaves[n]] for n in net.inputs])
    y = np.array([[leaves[n]] for n in net.targets])
    run = vector.train(
        net, x, y, steps=7, batch=1, optimizer=optimizer, lr=0.05, hyper=optim.hyper(rule), l2=0.01
    )
    for a, b in zip(run.losses, history.losses):
        assert _close(a, b)
    for name, w in run.net.param_values().items():
        assert _close(w, history.params[name]), name


def test_a_catalogue_network_is_recognised_with_its_trained_layer():
    problem = catalog.load("ex4")  # 3-2-1 sigmoid, squared error: a `network:` block
    net = vector.network_of(problem)
    assert net.sizes == [3, 2, 1] and net.activations == ["sigmoid", "sigmoid"]
    assert net.loss == "squared_error"
    leaves = engine.numeric_leaves(problem)
    x = np.array([[leaves[n]] for n in net.inputs])
    y = np.array([[leaves[n]] for n in net.targets])
    _, grads = _scalar_grads(problem, leaves)
    for name, g in _by_name(net, vector.gradients(net, x, y)).items():
        assert _close(g, grads[name]), name
    # the hand-written catalogue problem ex2 is no layered network
    with pytest.raises(InputError, match="not a layered network"):
        vector.network_of(catalog.load("ex2"))


def test_large_network_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    sizes = [10, 128, 128, 10]
    weights = [rng.uniform(-0.3, 0.3, (b, a)) for a, b in zip(sizes, sizes[1:])]
    biases = [rng.uniform(-0.1, 0.1, (b, 1)) for b in sizes[1:]]
    net = vector.Network(weights, biases, ["tanh", "relu", "softmax"], "cross_entropy")
    x = rng.normal(size=(32, 10))
    labels = rng.integers(0, 10, 32)
    y = np.eye(10)[labels]
    params = []
    for w, b in zip(weights, biases):
        params += [
            torch.tensor(w, requires_grad=True),
            torch.tensor(b.ravel(), requires_grad=True),
        ]
    opt = torch.optim.Adam(params, lr=1e-3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        h = torch.tanh(torch.tensor(x) @ params[0].T + params[1])
        h = torch.relu(h @ params[2].T + params[3])
        loss = torch.nn.functional.cross_entropy(h @ params[4].T + params[5], torch.tensor(labels))
        losses.append(loss.item())
        loss.backward()
        opt.step()
    run = vector.train(net, x.T, y.T, steps=3, batch=32, optimizer="adam", lr=1e-3)
    np.testing.assert_allclose(run.losses, losses, rtol=1e-12)
    for k, p in enumerate(run.net.arrays()):
        expected = params[k].detach().numpy()
        np.testing.assert_allclose(p, expected.reshape(p.shape), rtol=1e-9, atol=1e-14)
