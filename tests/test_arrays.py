"""The array step (engine/arrays.py): the training step printed from the op table.

Oracles: the engine's own backward pass (`engine.tensor.evaluate`, the numbers the worked
solution shows), central finite differences of a NumPy forward pass written here, PyTorch
float64 autograd; the printed source read as text."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from tests.shared import tensor_finite_differences
from tutor.engine import arrays, rules, tensor
from tutor.playground import vector
from tutor.problems import network as tensor_network
from tutor.problems.loader import load_problem
from tutor.registry import ops
from tutor.variants import generate

FIXTURES = Path(__file__).parent / "fixtures" / "tensor"
TUTOR = Path(__file__).parent.parent / "tutor"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    monkeypatch.setenv("BPTUTOR_CACHE", "off")


def _network(tmp_path, sizes, activation, loss, seed=3):
    f = tmp_path / "net.yaml"
    f.write_text(generate.mlp(sizes, activation, loss, seed), encoding="utf-8")
    return tensor_network.load(f)


def _close(a, b, rel=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b))))
    assert a.shape == b.shape
    assert np.max(np.abs(a - b)) <= rel * scale, np.max(np.abs(a - b))


NETWORKS = [
    ([3, 4, 2], "tanh", "mse"),
    ([3, 5, 4, 2], "relu", "binary_cross_entropy"),
    ([2, 4, 3], "sigmoid", "cross_entropy"),
    ([2, 3, 2], "gelu", "half_squared_error"),
    ([2, 3, 1], "softplus", "hinge"),
    ([2, 3, 3, 2], "elu", "squared_error"),
    ([3, 4, 3], "leaky_relu", "cross_entropy"),
]


@pytest.mark.parametrize("sizes, activation, loss", NETWORKS)
def test_a_network_step_gives_the_engines_gradients(tmp_path, sizes, activation, loss):
    """One sample: the generated step's ∂L/∂W, ∂L/∂b are the engine's (the worked
    solution's numbers); a batch of five: the mean of the engine's over its samples."""
    problem = _network(tmp_path, sizes, activation, loss)
    net = vector.network_of(problem)
    x, y = problem.inputs["x"], problem.targets["y"]
    point = tensor.evaluate(problem, problem.leaves)
    ours = vector.gradients(net, x, y)
    for name, g in zip(net.array_names(), ours):
        _close(g, point.grads[name])
    rng = np.random.default_rng(1)
    xs = x + rng.normal(0, 0.5, (x.shape[0], 5))
    ys = np.repeat(y, 5, axis=1)
    mean = dict.fromkeys(net.array_names(), 0.0)
    for k in range(5):
        one = dataclasses.replace(problem, inputs={"x": xs[:, [k]]}, targets={"y": ys[:, [k]]})
        grads = tensor.evaluate(one, one.leaves).grads
        for name in mean:
            mean[name] = mean[name] + grads[name] / 5
    for name, g in zip(net.array_names(), vector.gradients(net, xs, ys)):
        _close(g, mean[name])


def _numpy_loss(weights, biases, acts, loss, x, y):
    """The mean over the batch (samples are columns) of each sample's loss, by hand."""
    a = x
    for w, b, act in zip(weights, biases, acts):
        z = w @ a + b
        if act == "tanh":
            a = np.tanh(z)
        elif act == "relu":
            a = np.maximum(z, 0)
        elif act == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif act == "softmax":
            e = np.exp(z - z.max(axis=0))
            a = e / e.sum(axis=0)
        else:
            a = z
    n = x.shape[1]
    if loss == "mse":
        return float(((a - y) ** 2).mean(axis=0).sum() / n)
    if loss == "binary_cross_entropy":
        return float(-(y * np.log(a) + (1 - y) * np.log(1 - a)).sum() / n)
    return float(-(y * np.log(a)).sum() / n)  # cross_entropy


@pytest.mark.parametrize(
    "acts, loss",
    [
        (["tanh", "tanh", "linear"], "mse"),
        (["relu", "relu", "sigmoid"], "binary_cross_entropy"),
        (["tanh", "relu", "softmax"], "cross_entropy"),
    ],
)
def test_a_network_step_matches_central_differences(acts, loss):
    rng = np.random.default_rng(7)
    sizes = [3, 5, 4, 2]
    weights = [rng.normal(0, 0.7, (b, a)) for a, b in zip(sizes, sizes[1:])]
    biases = [rng.normal(0, 0.3, (b, 1)) for b in sizes[1:]]
    x = rng.normal(size=(3, 6))
    if loss == "mse":
        y = rng.normal(size=(2, 6))
    elif loss == "binary_cross_entropy":
        y = (rng.random((2, 6)) > 0.5).astype(float)
    else:
        y = np.eye(2)[:, rng.integers(0, 2, 6)]
    net = vector.Network(weights, biases, acts, loss)
    grads = vector.gradients(net, x, y)
    assert vector.loss(net, x, y) == pytest.approx(
        _numpy_loss(weights, biases, acts, loss, x, y), rel=1e-12
    )
    params = net.arrays()
    h = 1e-6
    for k, p in enumerate(params):
        fd = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            keep = p[i]
            p[i] = keep + h
            up = _numpy_loss(params[0::2], params[1::2], acts, loss, x, y)
            p[i] = keep - h
            down = _numpy_loss(params[0::2], params[1::2], acts, loss, x, y)
            p[i] = keep
            fd[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-5, atol=1e-9)


def _conv_step(problem):
    program = arrays.Program(arrays.problem_graph(problem))
    params = [problem.leaves[n] for n in program.graph.params]
    fixed = [problem.leaves[n] for n in program.graph.fixed]
    return dict(zip(program.graph.params, program.function("grads")(params, fixed))), program


def test_the_conv_network_step_gives_the_engines_gradients_and_torchs():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional  # noqa: N806
    problem = load_problem(FIXTURES / "mnist_conv.yaml")
    ours, program = _conv_step(problem)
    point = tensor.evaluate(problem, problem.leaves)
    for name in ("K", "b", "W", "c"):
        _close(ours[name], point.grads[name])
    t = {n: torch.tensor(v, requires_grad=True) for n, v in problem.leaves.items()}
    a = F.max_pool2d(F.relu(F.conv2d(t["x"][None], t["K"], t["b"].reshape(-1))), 2)
    o = t["W"] @ a.reshape(-1, 1) + t["c"]
    F.cross_entropy(o.T, t["y"].T.argmax(1), reduction="sum").backward()
    for name in ("K", "b", "W", "c"):
        np.testing.assert_allclose(ours[name], t[name].grad.numpy(), rtol=1e-10, atol=1e-13)
    # central differences of the engine's forward pass alone, for a few kernel entries
    fd = _some_differences(problem, "K", [(0, 0, 0, 0), (3, 0, 1, 2), (7, 0, 2, 1)])
    for index, value in fd.items():
        assert ours["K"][index] == pytest.approx(value, rel=1e-6, abs=1e-9)
    source = program.source("grads")
    assert "_OP['unpool_max']" in source and "_OP['corr']" in source
    assert "_OP['full_conv']" not in source  # ∂L/∂x is not needed: x is not trained


def _some_differences(problem, name, indices, h=1e-6):
    leaves = {k: np.array(v, dtype=float) for k, v in problem.leaves.items()}
    out = {}
    for i in indices:
        keep = leaves[name][i]
        leaves[name][i] = keep + h
        up = tensor.evaluate(problem, leaves, backward=False).loss
        leaves[name][i] = keep - h
        down = tensor.evaluate(problem, leaves, backward=False).loss
        leaves[name][i] = keep
        out[i] = (up - down) / (2 * h)
    return out


STRIDED = """id: strided
title: {en: t, zh: t}
statement: {en: s, zh: s}
inputs:
  x: %s
targets: {y: [[0.5], [-1]]}
params:
  K: %s
  P: %s
  W: %s
graph:
  z: conv2d(x, K, 2, 1)
  a: tanh(z)
  m: maxpool(a, 3, 1)
  v: avgpool(a, 2, 1)
  q: maxpool(P, 2)
  f: flatten(m)
  g: flatten(v)
  o: W @ f + sum(g) + sum(q)
  L: 0.5 * sum((o - y)^2)
"""


def _flow(a):
    return str(np.round(a, 3).tolist())


def test_strided_padded_convolution_overlapping_pools_and_ties_match_torch(tmp_path):
    """stride 2, padding 1; max pooling 3×3 windows 1 apart (overlapping), average pooling
    2×2 windows 1 apart, and a 2×2 max pooling of a map with ties (the first largest entry
    in reading order takes δ, as torch's)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional  # noqa: N806
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 7, 7))
    k = rng.normal(0, 0.5, (3, 2, 3, 3))
    p = np.array([[[1.0, 1.0, 0.5, 2.0], [0.0, 1.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [0, 0, 0, 0]]])
    w = rng.normal(0, 0.5, (2, 3 * 2 * 2))
    f = tmp_path / "strided.yaml"
    f.write_text(STRIDED % (_flow(x), _flow(k), _flow(p), _flow(w)), encoding="utf-8")
    problem = load_problem(f)
    ours, _ = _conv_step(problem)
    point = tensor.evaluate(problem, problem.leaves)
    t = {n: torch.tensor(v, requires_grad=True) for n, v in problem.leaves.items()}
    a = torch.tanh(F.conv2d(t["x"][None], t["K"], stride=2, padding=1))
    m = F.max_pool2d(a, 3, stride=1)
    v = F.avg_pool2d(a, 2, stride=1)
    q = F.max_pool2d(t["P"][None], 2)
    o = t["W"] @ m.reshape(-1, 1) + v.sum() + q.sum()
    (0.5 * ((o - t["y"]) ** 2).sum()).backward()
    for name in ("K", "P", "W"):
        np.testing.assert_allclose(ours[name], t[name].grad.numpy(), rtol=1e-10, atol=1e-13)
        _close(ours[name], point.grads[name])
    assert np.allclose(
        ours["K"], tensor_finite_differences(problem, problem.leaves, "K"), atol=1e-8
    )


def _source(acts, loss, targets=None):
    sizes = [2, 3, 3, 2]
    net = vector.Network(
        [np.ones((b, a)) for a, b in zip(sizes, sizes[1:])],
        [np.zeros((b, 1)) for b in sizes[1:]],
        acts,
        loss,
    )
    return vector.Program(net, "sgd", targets=targets).source


def test_the_printed_step_is_the_worked_rules_in_numpy():
    y01 = np.array([[0.0, 1.0], [1.0, 1.0]])
    source = _source(["relu", "relu", "sigmoid"], "binary_cross_entropy", y01)
    lines = [line.strip() for line in source.splitlines()]
    assert "gz2 = ga2 * (z2 > 0)" in lines  # ReLU′ as a comparison
    assert "gz3 = gL * (a3 - y)" in lines  # the fused rule, over N
    assert "gL = 1.0 / N" in lines and "N = x.shape[-1]" in lines
    assert "L = (np.logaddexp(0.0, z3) - y * z3).sum()" in lines  # BCE from the logits
    assert "W1 = W1 - lr*gW1" in lines  # optim's rule
    assert "step" not in source and "_OP" not in source
    tanh = _source(["tanh", "tanh", "linear"], "mse")
    assert "gz1 = ga1 * (1 - a1 ** 2)" in [line.strip() for line in tanh.splitlines()]
    onehot = np.eye(2)
    softmax = _source(["tanh", "tanh", "softmax"], "cross_entropy", onehot)
    assert "gz3 = gL * (a3 - y)" in [line.strip() for line in softmax.splitlines()]


def test_softmax_targets_that_do_not_sum_to_one_keep_the_general_rule():
    rng = np.random.default_rng(2)
    sizes = [2, 3, 2]
    net = vector.Network(
        [rng.normal(size=(b, a)) for a, b in zip(sizes, sizes[1:])],
        [rng.normal(size=(b, 1)) for b in sizes[1:]],
        ["tanh", "softmax"],
        "cross_entropy",
    )
    x, y = rng.normal(size=(2, 4)), np.array([[0.5, 1.0, 0.0, 2.0], [0.0, 1.0, 1.0, 0.0]])
    assert not vector.fused_holds(net, y) and vector.fused_holds(net, np.eye(2))
    source = vector.Program(net, "sgd", targets=y).source
    assert "a2 - y" not in source
    grads = vector.gradients(net, x, y)
    params, h = net.arrays(), 1e-6
    for k, p in enumerate(params):
        for i in np.ndindex(p.shape):
            keep = p[i]
            p[i] = keep + h
            up = _numpy_loss(params[0::2], params[1::2], net.activations, net.loss, x, y)
            p[i] = keep - h
            down = _numpy_loss(params[0::2], params[1::2], net.activations, net.loss, x, y)
            p[i] = keep
            assert grads[k][i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)


def test_the_step_reads_its_backward_from_the_op_table(monkeypatch):
    """Change matmul's rule for its right operand in the table (twice the true one): the
    printed step follows, so no other copy of the rule is used. softmax_net: z1 = W1 x + b1,
    z2 = W2 a1 + b2; δ(a1) = W2ᵀ δ(z2) doubles, and with it ∂L/∂W1; ∂L/∂W2 = δ(z2) a1ᵀ is
    the left operand's rule and stays."""
    problem = load_problem(FIXTURES / "softmax_net.yaml")
    before, _ = _conv_step(problem)
    spec = ops.OPS["matmul"]
    monkeypatch.setitem(
        ops.OPS, "matmul", dataclasses.replace(spec, vjp=(spec.vjp[0], "2 * aᵀ @ g"))
    )
    rules.template.cache_clear()
    try:
        after, _ = _conv_step(problem)
    finally:
        monkeypatch.undo()
        rules.template.cache_clear()
    _close(after["W1"], 2 * before["W1"])
    _close(after["b1"], 2 * before["b1"])
    _close(after["W2"], before["W2"])


def test_no_module_but_the_op_table_holds_an_ops_backward():
    """No module other than ops.py writes one of the table's rules or defines a
    vector-Jacobian product; the array path (the step, the playground, train) differentiates
    nothing itself: no SymPy, no derivative taken."""
    table = set()
    for name in ops.OPS:
        try:
            table |= {r for r in ops.vjp_rules(name) if r}
        except KeyError:
            pass
    found = []
    for path in sorted(TUTOR.rglob("*.py")):
        if path.relative_to(TUTOR).as_posix() == "registry/ops.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in table:
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
            if isinstance(node, ast.FunctionDef) and "vjp" in node.name:
                found.append(f"{path.name}:{node.lineno} def {node.name}")
    assert not found
    for module in (
        "engine/arrays.py",
        "playground/vector.py",
        "playground/live.py",
        "playground/datasets.py",
    ):
        text = (TUTOR / module).read_text(encoding="utf-8")
        for word in ("sympy", "diff(", "lambdify", "derivative"):
            assert word not in text, (module, word)


def test_the_array_code_is_cached_as_the_scalar_code_is(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BPTUTOR_CACHE", str(folder))
    problem = load_problem(FIXTURES / "softmax_net.yaml")
    first = arrays.Program(arrays.problem_graph(problem)).source("run")
    assert len(list(folder.glob("arrays-*.py"))) == 1

    def refuse(self, kind):
        raise AssertionError("generated again")

    monkeypatch.setattr(arrays.Program, "_source", refuse)
    assert arrays.Program(arrays.problem_graph(problem)).source("run") == first


def test_a_problems_names_never_reach_the_source(tmp_path):
    """A tensor problem's names print as generated identifiers (v0, gv0, tmp0)."""
    problem = load_problem(FIXTURES / "mnist_conv.yaml")
    source = arrays.Program(arrays.problem_graph(problem)).source("run")
    names = set(problem.leaves) | {eq.name for eq in problem.graph}
    identifiers = set(re.findall(r"\b[A-Za-z_]\w*\b", source))
    assert not names & identifiers, names & identifiers
    assert {"v0", "gv0", "mv0", "vv0"} <= identifiers
