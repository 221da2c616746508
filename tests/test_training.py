"""Tests for tutor.playground.training: the compiled training loop and the general one.

Oracles: an independent NumPy MLP (matrix forward and backward) with the torch.optim update
rules written here; central finite differences of the loss; the engine's own solve() for
the gradient of one step (a different code path: lambdify + generic backward). Torch is
used too when it is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tutor.engine import scalar as engine
from tutor.errors import InputError
from tutor.model import UpdateRule
from tutor.playground import training
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.variants import generate

FIXTURES = Path(__file__).parent / "fixtures"
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
NAME = re.compile(r"([Wb])(\d+)_(\d+)(?:_(\d+))?")


# --------------------------------------------------------------------------- NumPy reference


def unpack(problem, acts):
    """Weight matrices and bias vectors from the W{l}_{i}_{j} / b{l}_{i} names; x and y."""
    sizes: dict[int, tuple[int, int]] = {}
    for name in problem.params:
        kind, l, i, j = NAME.fullmatch(name).groups()
        rows, cols = sizes.get(int(l), (0, 0))
        sizes[int(l)] = (max(rows, int(i)), max(cols, int(j or 0)))
    x = np.array([float(v) for v in problem.inputs.values()])
    y = np.array([float(v) for v in problem.targets.values()])
    params = {n: float(v) for n, v in problem.params.items()}
    return x, y, sizes, params


def to_arrays(params: dict, sizes):
    layers = []
    for l in sorted(sizes):
        rows, cols = sizes[l]
        w = np.array(
            [[params[f"W{l}_{i}_{j}"] for j in range(1, cols + 1)] for i in range(1, rows + 1)]
        )
        b = np.array([params.get(f"b{l}_{i}", 0.0) for i in range(1, rows + 1)])
        layers.append((w, b))
    return layers


def np_loss_and_grads(layers, x, y, acts, loss):
    """Loss and dL/dW, dL/db per layer, by the matrix formulas."""
    a, cache = x, []
    for (w, b), act in zip(layers, acts):
        z = w @ a + b
        if act == "sigmoid":
            h = 1 / (1 + np.exp(-z))
        elif act == "tanh":
            h = np.tanh(z)
        elif act == "relu":
            h = np.maximum(z, 0)
        elif act == "softmax":
            e = np.exp(z - z.max())
            h = e / e.sum()
        else:
            h = z
        cache.append((a, z, h))
        a = h
    n = len(y)
    if loss == "squared_error":
        value, da = np.sum((a - y) ** 2), 2 * (a - y)
    elif loss == "half_squared_error":
        value, da = 0.5 * np.sum((a - y) ** 2), a - y
    elif loss == "mse":
        value, da = np.mean((a - y) ** 2), 2 * (a - y) / n
    elif loss == "cross_entropy":
        value, da = -np.sum(y * np.log(a)), None
    else:
        value = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
        da = None
    grads = []
    for k in reversed(range(len(layers))):
        a_prev, z, h = cache[k]
        act = acts[k]
        if da is None:  # softmax + cross-entropy or sigmoid + binary cross-entropy
            dz = h * y.sum() - y if loss == "cross_entropy" else h - y
        elif act == "sigmoid":
            dz = da * h * (1 - h)
        elif act == "tanh":
            dz = da * (1 - h**2)
        elif act == "relu":
            dz = da * (z > 0)
        else:
            dz = da
        grads.append((np.outer(dz, a_prev), dz))
        da = layers[k][0].T @ dz
    return value, grads[::-1]


def np_train(problem, acts, loss, optimizer, lrs, l2=0.0, hyper=None):
    """Parameters (by name) and loss before each step, for len(lrs) steps."""
    h = {"momentum": 0.9, "alpha": 0.99, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **(hyper or {})}
    x, y, sizes, params = unpack(problem, acts)
    names = list(params)
    p = np.array([params[n] for n in names])
    m, v = np.zeros_like(p), np.zeros_like(p)
    losses = []
    for t, lr in enumerate(lrs, start=1):
        layers = to_arrays(dict(zip(names, p)), sizes)
        value, grads = np_loss_and_grads(layers, x, y, acts, loss)
        losses.append(value)
        flat = {}
        for l, (dw, db) in enumerate(grads, start=1):
            for i in range(dw.shape[0]):
                for j in range(dw.shape[1]):
                    flat[f"W{l}_{i + 1}_{j + 1}"] = dw[i, j]
                flat[f"b{l}_{i + 1}"] = db[i]
        g = np.array([flat[n] for n in names]) + l2 * p
        if optimizer == "sgd":
            p = p - lr * g
        elif optimizer == "momentum":
            m = g if t == 1 else h["momentum"] * m + g
            p = p - lr * m
        elif optimizer == "rmsprop":
            v = h["alpha"] * v + (1 - h["alpha"]) * g * g
            p = p - lr * g / (np.sqrt(v) + h["eps"])
        else:
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g * g
            p = p - lr * (m / (1 - h["beta1"] ** t)) / (
                np.sqrt(v / (1 - h["beta2"] ** t)) + h["eps"]
            )
    return dict(zip(names, p)), losses


# --------------------------------------------------------------------------- helpers


def generated(tmp_path, sizes, activation="sigmoid", loss="mse", seed=0):
    f = tmp_path / f"net_{activation}_{loss}_{seed}.yaml"
    # the hidden activation at the output too (gen mlp's default there is linear)
    f.write_text(
        generate.mlp(sizes, activation, loss, seed, output=output_activation(activation, loss)),
        encoding="utf-8",
    )
    return load_problem(f)


def output_activation(activation, loss):
    return {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, activation)


def close(a: dict, b: dict, rtol=1e-9, atol=1e-12):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=rtol, abs=atol), k


# --------------------------------------------------------------------------- three steps


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "general"])
@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_ex4_first_three_steps_match_numpy(optimizer, l2, fast):
    problem = catalog.load("ex4")
    acts = ["sigmoid", "sigmoid"]
    rule = UpdateRule(optimizer, 0.1, None, {"l2": l2} if l2 else {})
    for steps in (1, 2, 3):
        history = training.train(problem, rule, steps, fast=fast)
        want, losses = np_train(problem, acts, "squared_error", optimizer, [0.1] * steps, l2)
        close(history.params, want)
        assert history.losses == pytest.approx(losses, rel=1e-12)


@pytest.mark.parametrize("schedule", ["step", "exponential", "polynomial", "cosine"])
def test_schedules_drive_the_rate_of_each_step(schedule, tmp_path):
    from tutor.registry import schedules

    problem = generated(tmp_path, [2, 3, 2], "tanh", "half_squared_error", seed=3)
    rule = UpdateRule("sgd", 0.5, None, {})
    history = training.train(problem, rule, 3, schedule=schedule)
    lrs = schedules.rates(schedule, 0.5, 3)
    assert history.rates == lrs
    want, losses = np_train(problem, ["tanh", "tanh"], "half_squared_error", "sgd", lrs)
    close(history.params, want)
    assert history.losses == pytest.approx(losses, rel=1e-12)


NETWORKS = [
    ([2, 2, 2], "sigmoid", "mse"),
    ([3, 4, 2], "tanh", "half_squared_error"),
    ([3, 5, 4, 2], "relu", "squared_error"),
    ([2, 4, 3], "sigmoid", "cross_entropy"),
    ([3, 3, 2], "tanh", "binary_cross_entropy"),
    ([4, 1], "linear", "mse"),
]


@pytest.mark.parametrize("sizes, activation, loss", NETWORKS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_generated_networks_three_steps_match_numpy(sizes, activation, loss, optimizer, tmp_path):
    problem = generated(tmp_path, sizes, activation, loss, seed=len(sizes))
    acts = [activation] * (len(sizes) - 2) + [output_activation(activation, loss)]
    rule = UpdateRule(optimizer, 0.05, None, {"l2": 0.001})
    history = training.train(problem, rule, 3)
    want, losses = np_train(problem, acts, loss, optimizer, [0.05] * 3, 0.001)
    close(history.params, want, rtol=1e-8, atol=1e-11)
    assert history.losses == pytest.approx(losses, rel=1e-10)


# --------------------------------------------------------------------------- gradients


def finite_differences(program, params, fixed, h=1e-6):
    out = []
    for k in range(len(params)):
        up, down = list(params), list(params)
        up[k] += h
        down[k] -= h
        out.append((program.loss(up, fixed) - program.loss(down, fixed)) / (2 * h))
    return out


@pytest.mark.parametrize("sizes, activation, loss", NETWORKS)
def test_compiled_gradients_agree_with_engine_and_finite_differences(
    sizes, activation, loss, tmp_path
):
    problem = generated(tmp_path, sizes, activation, loss, seed=7)
    program = training.Program(engine.build_graph(problem), tuple(problem.params), "sgd")
    leaves = engine.numeric_leaves(problem)
    params = [leaves[n] for n in program.names]
    fixed = [leaves[n] for n in program.fixed_names]
    grads = program.grads(params, fixed)
    solution = engine.solve(problem)
    assert program.loss(params, fixed) == pytest.approx(solution.loss, rel=1e-12)
    for name, g in zip(program.names, grads):
        assert g == pytest.approx(solution.node_grads[name], rel=1e-9, abs=1e-12), name
    for name, g, fd in zip(program.names, grads, finite_differences(program, params, fixed)):
        assert g == pytest.approx(fd, rel=1e-5, abs=1e-7), name


@pytest.mark.parametrize(
    "fixture", ["bce_saturated.yaml", "softmax_saturated.yaml", "every_function.yaml"]
)
def test_fixtures_gradients_agree_with_finite_differences(fixture):
    """Saturated outputs included: the compiled loop's gradients are finite and are the
    slopes of its own (stable) loss, not a copy of the engine's numbers."""
    problem = load_problem(FIXTURES / fixture)
    program = training.Program(engine.build_graph(problem), tuple(problem.params), "sgd")
    leaves = engine.numeric_leaves(problem)
    params = [leaves[n] for n in program.names]
    fixed = [leaves[n] for n in program.fixed_names]
    assert np.isfinite(program.loss(params, fixed))
    grads = program.grads(params, fixed)
    for name, g, fd in zip(program.names, grads, finite_differences(program, params, fixed)):
        assert np.isfinite(g)
        assert g == pytest.approx(fd, rel=1e-5, abs=1e-9), name


def test_only_the_named_parameters_move():
    problem = catalog.load("ex4")  # its update rule names the output layer only
    history = training.train(problem, problem.update, 3)
    assert set(history.params) == {"W2_1_1", "W2_1_2", "b2_1"}
    want, _ = np_train(problem, ["sigmoid", "sigmoid"], "squared_error", "sgd", [0.1])
    one = training.train(problem, problem.update, 1)
    # first step of the output layer is the same whether or not the rest moves
    close(one.params, {n: want[n] for n in one.params})


def test_training_lowers_the_loss_over_many_steps():
    history = training.train(catalog.load("ex4"), UpdateRule("adam", 0.05), 300)
    assert len(history.losses) == 300
    assert history.final_loss < history.losses[0] / 10


# --------------------------------------------------------------------------- the generated code


def test_generated_source_holds_generated_names_only():
    problem = catalog.load("ex4")
    program = training.Program(engine.build_graph(problem), tuple(problem.params), "adam")
    source = program.source
    allowed = {
        "def",
        "run",
        "for",
        "in",
        "return",
        "params",
        "state",
        "fixed",
        "hyper",
        "rates",
        "t0",
        "losses",
        "append",
        "lr",
        "t",
        "momentum",
        "alpha",
        "beta1",
        "beta2",
        "eps",
        "l2",
        "c1",
        "c2",
        "m_hat",
        "v_hat",
        "sqrt",
        "_sigmoid",
    }
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", source))
    generated_names = {w for w in words if re.fullmatch(r"[vgms]\d+", w)}
    assert words - generated_names <= allowed
    for name in problem.leaves:
        assert name not in words


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "general"])
def test_divergence_keeps_the_losses_and_names_the_value_and_step(fast):
    # By hand (fixture comment): e = yhat − y = 2 and each SGD step with η = 5, x = 2
    # multiplies e by 1 − η·x² = −19, so the loss before step k is 2·361^(k−1): finite up to
    # step 121 (about 1.5e307), past the largest float (1.8e308) at step 122.
    problem = load_problem(FIXTURES / "untrained_bias.yaml")
    with pytest.raises(training.Diverged) as info:
        training.train(problem, UpdateRule("sgd", 5.0, ("w",)), 400, fast=fast)
    e = info.value
    assert isinstance(e, InputError)
    assert (e.blowup.step, e.blowup.value, e.blowup.overflow) == (122, "loss", True)
    assert str(e) == (
        "the loss overflowed at step 122; the learning rate 5 is too large for this problem"
    )
    losses = e.history.losses
    assert len(losses) == 121 and e.history.final_loss is None
    assert len(e.history.rates) == 121
    for k in (1, 2, 50, 121):
        assert losses[k - 1] == pytest.approx(2 * 361 ** (k - 1), rel=1e-9)


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "general"])
def test_divergence_of_a_network_matches_numpy(fast, tmp_path):
    problem = generated(tmp_path, [4, 1], "linear", "mse")
    with pytest.raises(training.Diverged) as info:
        training.train(problem, UpdateRule("sgd", 50.0), 400, fast=fast)
    with np.errstate(all="ignore"):
        _, want = np_train(problem, ["linear"], "mse", "sgd", [50.0] * 400)
    first_inf = next(k for k, v in enumerate(want, start=1) if not np.isfinite(v))
    e = info.value
    assert e.blowup.step == first_inf and e.blowup.value == "loss"
    assert e.history.losses == pytest.approx(want[: first_inf - 1], rel=1e-9)
    assert "(" not in str(e) and "Error" not in str(e)


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "general"])
def test_a_parameter_that_overflows_is_named(fast, tmp_path):
    # L = w·x with x = 1e300: the loss (1e300) and dL/dw = x are finite, but one step with
    # η = 1e10 gives w' = 1 − 1e310, past the largest float
    f = tmp_path / "linear_loss.yaml"
    f.write_text(
        "id: linear_loss\ntitle: {en: t, zh: t}\nstatement: {en: s, zh: s}\n"
        "inputs: {x: 1e300}\nparams: {w: 1}\ngraph:\n  L: w*x\n",
        encoding="utf-8",
    )
    with pytest.raises(training.Diverged) as info:
        training.train(load_problem(f), UpdateRule("sgd", 1e10), 5, fast=fast)
    assert info.value.history.losses == [1e300]
    assert str(info.value) == (
        "the parameter w overflowed at step 1; the learning rate 10,000,000,000 "
        "is too large for this problem"
    )


def test_ctrl_c_stops_and_keeps_the_losses_so_far():
    problem = catalog.load("ex4")
    calls = []

    def progress(done):
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(training.Interrupted) as info:
        training.train(problem, problem.update, 1000, progress=progress, chunks=10)
    assert isinstance(info.value, KeyboardInterrupt)
    history = info.value.history
    assert len(history.losses) == 300 and history.final_loss is None
    full = training.train(problem, problem.update, 300)
    assert history.losses == full.losses
    assert history.params == full.params


@pytest.mark.parametrize("pid", ["ex9", "ex15", "ex16", "ex17"])
def test_a_problem_without_parameters_has_nothing_to_train(pid):
    with pytest.raises(InputError, match=f"^{pid} has no parameters to train$"):
        training.train(catalog.load(pid), UpdateRule("sgd", 0.1), 10)


def test_refusals():
    with pytest.raises(InputError):
        training.train(catalog.load("ex4"), UpdateRule("sgd", 0.1), 0)
    with pytest.raises(InputError):
        training.train(catalog.load("ex1"), UpdateRule("sgd", 0.1), 5)  # symbolic
    with pytest.raises(InputError):
        training.train(catalog.load("ex4"), UpdateRule("newton", 0.1), 5)
    for lr in (-1.0, 0.0, float("nan")):
        with pytest.raises(InputError, match="--lr must be a positive number"):
            training.train(catalog.load("ex4"), UpdateRule("sgd", lr), 5)
    with pytest.raises(InputError, match="--l2"):
        training.train(catalog.load("ex4"), UpdateRule("sgd", 0.1, None, {"l2": -1.0}), 5)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_ex4_first_three_steps_match_torch(optimizer):
    torch = pytest.importorskip("torch")
    problem = catalog.load("ex4")
    x, y, sizes, params = unpack(problem, None)
    layers = [
        (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
        for w, b in to_arrays(params, sizes)
    ]
    flat = [p for pair in layers for p in pair]
    opt = {
        "sgd": lambda: torch.optim.SGD(flat, lr=0.1, weight_decay=0.01),
        "momentum": lambda: torch.optim.SGD(flat, lr=0.1, momentum=0.9, weight_decay=0.01),
        "rmsprop": lambda: torch.optim.RMSprop(flat, lr=0.1, weight_decay=0.01),
        "adam": lambda: torch.optim.Adam(flat, lr=0.1, weight_decay=0.01),
    }[optimizer]()
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(3):
        opt.zero_grad()
        a = xt
        for w, b in layers:
            a = torch.sigmoid(w @ a + b)
        ((a - yt) ** 2).sum().backward()
        opt.step()
    history = training.train(problem, UpdateRule(optimizer, 0.1, None, {"l2": 0.01}), 3)
    for l, (w, b) in enumerate(layers, start=1):
        for i in range(w.shape[0]):
            assert history.params[f"b{l}_{i + 1}"] == pytest.approx(float(b[i]), rel=1e-9)
            for j in range(w.shape[1]):
                assert history.params[f"W{l}_{i + 1}_{j + 1}"] == pytest.approx(
                    float(w[i, j]), rel=1e-9
                )


# --------------------------------------------------------------------------- vectorised path
# A layered network trains on engine.vector (its sample as a batch of 1); the generated scalar
# loop (vector=False) is the reference it must equal, and an independent NumPy loop above.


def same_history(new, old, rel=1e-12):
    """Equal to 1e-12 relative; a loss also to 1e-15 absolute: near 0, −log softmax is a
    difference of O(1) numbers (ex6's loss of 6e-4 agrees to 1.5e-12 relative)."""
    assert new.names == old.names and new.rates == old.rates
    assert new.initial == old.initial
    assert len(new.losses) == len(old.losses)
    for a, b in zip(new.losses, old.losses):
        assert a == pytest.approx(b, rel=rel, abs=1e-15)
    assert new.params.keys() == old.params.keys()
    for k in old.params:
        assert new.params[k] == pytest.approx(old.params[k], rel=rel, abs=1e-15), k
    if old.final_loss is None:
        assert new.final_loss is None
    else:
        assert new.final_loss == pytest.approx(old.final_loss, rel=rel, abs=1e-15)


def network_file(tmp_path, sizes=(3, 5, 4, 2), activation="tanh", loss="mse", seed=2):
    f = tmp_path / "net.yaml"
    f.write_text(generate.mlp(list(sizes), activation, loss, seed), encoding="utf-8")
    return str(f)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("which", ["ex4", "ex6", "gen"])
def test_vectorised_path_equals_the_generated_scalar_loop(which, optimizer, tmp_path):
    ref = network_file(tmp_path) if which == "gen" else which
    scalar = load_problem(catalog.resolve(ref))
    light = training.load(ref)
    assert light.tensor  # read as arrays: no equation per weight
    rule = UpdateRule(
        optimizer, 0.05, scalar.update.params if scalar.update else None, {"l2": 0.01}
    )
    kw = dict(schedule="cosine", schedule_options={"lr_min": 0.001})
    old = training.train(scalar, rule, 40, vector=False, **kw)
    same_history(training.train(light, rule, 40, **kw), old)
    same_history(training.train(scalar, rule, 40, **kw), old)  # recognised from its equations


def test_vectorised_path_equals_an_independent_numpy_loop(tmp_path):
    ref = network_file(tmp_path, (3, 5, 4, 2), "sigmoid", "mse", seed=5)
    problem = load_problem(ref)
    rates = training.sched.rates("step", 0.2, 30, milestones=(10, 20), factors=(0.5, 0.1))
    history = training.train(
        training.load(ref),
        UpdateRule("adam", 0.2, None, {"l2": 0.02}),
        30,
        schedule="step",
        schedule_options={"milestones": (10, 20), "factors": (0.5, 0.1)},
    )
    params, losses = np_train(
        problem, ["sigmoid", "sigmoid", "linear"], "mse", "adam", rates, l2=0.02
    )
    assert history.rates == rates
    assert history.losses == pytest.approx(losses, rel=1e-12)
    close(history.params, params, rtol=1e-12, atol=1e-15)


def test_train_reads_a_network_file_without_scalar_equations(monkeypatch, tmp_path):
    from tutor.engine import scalar as engine
    from tutor.problems import loader

    def refuse(*args, **kwargs):
        raise AssertionError("scalar equations built")

    ref = network_file(tmp_path)
    monkeypatch.setattr(loader, "problem_from_doc", refuse)
    monkeypatch.setattr(engine, "build_graph", refuse)
    monkeypatch.setattr(training, "build_graph", refuse)
    for target in (ref, "ex4"):
        problem = training.load(target)
        history = training.train(problem, UpdateRule("momentum", 0.1), 5)
        assert len(history.losses) == 5 and history.final_loss < history.losses[0]


def test_part_of_a_matrix_in_update_params_keeps_the_scalar_path(tmp_path):
    # the vectorised step updates whole arrays: W2_1_1 alone is trained by the scalar loop
    text = open(network_file(tmp_path), encoding="utf-8").read()
    f = tmp_path / "part.yaml"
    f.write_text(
        text.split("\nupdate:")[0] + "\nupdate: {optimizer: sgd, lr: 0.1, "
        "params: [W2_1_1, b1_2]}\n",
        encoding="utf-8",
    )
    problem = training.load(str(f))
    assert not problem.tensor
    history = training.train(problem, problem.update, 5)
    assert history.names == ("W2_1_1", "b1_2")
    same_history(history, training.train(problem, problem.update, 5, fast=False))


HINGE = """id: hinge_big
title: {en: t, zh: t}
statement: {en: s, zh: s}
network:
  inputs: [1e300]
  layers:
%s
  targets: [-1]
  loss: hinge
"""


@pytest.mark.parametrize("case", ["loss", "parameter", "gradient"])
def test_vectorised_divergence_reports_what_the_scalar_loop_reports(case, tmp_path):
    # loss: e = a − y grows ×(1 − 2η·Σx²/1) each step until the loss overflows (step 63).
    # parameter: hinge loss 1 + w·x with x = 1e300 is finite, dL/dw = x, w' = 1 − 1e10·1e300.
    # gradient: a = W2·(W1·x) = 1e10·(1e-300·1e300), loss 1 + 1e10 is finite, dL/dW1 = W2·x
    # = 1e310 is not.
    if case == "loss":
        ref, lr, name = network_file(tmp_path, (4, 1), "linear", "mse", seed=1), 50.0, None
    else:
        layers = (
            "    - weights: [[1]]"
            if case == "parameter"
            else "    - weights: [[1e-300]]\n    - weights: [[1e10]]"
        )
        f = tmp_path / "hinge.yaml"
        f.write_text(HINGE % layers, encoding="utf-8")
        ref, lr, name = str(f), 1e10 if case == "parameter" else 0.1, "W1_1_1"
    reports = []
    for problem, vector in ((training.load(ref), True), (load_problem(ref), False)):
        with pytest.raises(training.Diverged) as info:
            training.train(problem, UpdateRule("sgd", lr), 400, vector=vector)
        reports.append(info.value)
    new, old = reports
    assert (new.blowup.value, new.blowup.name) == (case, name)
    assert new.blowup == old.blowup and str(new) == str(old)
    same_history(new.history, old.history)


# --------------------------------------------------------------------------- any tensor problem
# A tensor problem that is no layered network (a convolution, an RNN, BatchNorm...) trains on
# the step printed from the op table (engine.arrays), its parameters named per entry.


def test_a_conv_network_trains_as_torch_trains_it():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional  # noqa: N806
    problem = load_problem(FIXTURES / "tensor" / "mnist_conv.yaml")
    history = training.train(problem, UpdateRule("momentum", 0.01), 4)
    t = {n: torch.tensor(v, requires_grad=n in problem.params) for n, v in problem.leaves.items()}
    params = [t[n] for n in problem.params]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        a = F.max_pool2d(F.relu(F.conv2d(t["x"][None], t["K"], t["b"].reshape(-1))), 2)
        o = t["W"] @ a.reshape(-1, 1) + t["c"]
        loss = F.cross_entropy(o.T, t["y"].T.argmax(1), reduction="sum")
        losses.append(loss.item())
        loss.backward()
        opt.step()
    assert history.losses == pytest.approx(losses, rel=1e-12)
    assert len(history.names) == sum(np.size(v) for v in problem.params.values())
    assert history.params["K[8,1,3,3]"] == pytest.approx(
        float(t["K"].detach()[7, 0, 2, 2]), rel=1e-10
    )
    assert history.params["c[10]"] == pytest.approx(float(t["c"].detach()[9, 0]), rel=1e-10)


@pytest.mark.parametrize("pid", [f"ex{k}" for k in range(18, 26)])
def test_every_tensor_problem_of_the_catalogue_trains(pid):
    problem = training.load(pid)
    history = training.train(problem, problem.update or UpdateRule(), 30)
    assert len(history.losses) == 30 and history.final_loss < history.losses[0]


TENSOR_BLOWUP = """id: blowup
title: {en: t, zh: t}
statement: {en: s, zh: s}
inputs: {x: [[1e300], [1]]}
targets: {y: [1]}
params:
  w: [[1, 0.5]]
graph:
  L: sum(w @ x)
"""


def test_a_tensor_parameter_that_overflows_is_named_by_its_entry(tmp_path):
    # L = w x with x = (1e300, 1): dL/dw = xᵀ is finite, w' = w − 1e10·xᵀ is not
    f = tmp_path / "blowup.yaml"
    f.write_text(TENSOR_BLOWUP, encoding="utf-8")
    with pytest.raises(training.Diverged) as info:
        training.train(load_problem(f), UpdateRule("sgd", 1e10), 5)
    assert (info.value.blowup.value, info.value.blowup.name) == ("parameter", "w[1,1]")
    assert info.value.history.losses == [pytest.approx(1e300)]
    assert "the parameter w[1,1] overflowed at step 1" in str(info.value)


# --------------------------------------------------------------------------- inactive units


def test_train_says_how_many_relu_units_the_run_left_inactive_as_a_hand_loop_finds():
    """ex2 (z = w1 x1 + w2 x2 + b1, h = ReLU(z), ŷ = w3 h + b2) trained 200 SGD steps at
    η = 0.1 by a loop written here: its one unit ends inactive (ŷ reaches y through b2
    alone), and `train` says so in en and zh."""
    from cli_runner import invoke

    w1, w2, b1, w3, b2, x1, x2, y, lr = 1.0, 1.0, 0.0, 2.0, 0.0, 1.0, 2.0, 2.0, 0.1
    for _ in range(200):
        z = w1 * x1 + w2 * x2 + b1
        h = max(z, 0.0)
        g = w3 * h + b2 - y
        gz = g * w3 * (z > 0)
        w1, w2, b1, w3, b2 = (
            w1 - lr * gz * x1,
            w2 - lr * gz * x2,
            b1 - lr * gz,
            w3 - lr * g * h,
            b2 - lr * g,
        )
    off = int(max(w1 * x1 + w2 * x2 + b1, 0.0) == 0.0)
    assert off == 1
    done = invoke("train", "ex2", "-n", "200", "--lr", "0.1")
    assert done.returncode == 0, done.stderr
    assert f"after training: {off} of 1 (0 before); training switched 1 off" in " ".join(
        done.stdout.split()
    )
    done = invoke("train", "ex2", "-n", "200", "--lr", "0.1", "--lang", "zh")
    assert "训练后不激活（输出为 0）的 ReLU 单元：1 个中有 1 个（训练前 0 个）" in done.stdout


def test_a_conv_problem_s_inactive_units_after_training_are_torch_s():
    """ex20 trained 200 SGD steps at η = 0.1 by torch: the ReLU units of a1 that are 0 on
    its input before and after, per the CLI's line."""
    torch = pytest.importorskip("torch")
    from cli_runner import invoke

    F = torch.nn.functional  # noqa: N806
    problem = catalog.load("ex20")
    t = {
        n: torch.tensor(np.asarray(v, dtype=float), requires_grad=n in problem.params)
        for n, v in problem.leaves.items()
    }
    opt = torch.optim.SGD([t[n] for n in problem.params], lr=0.1)

    def a1():
        return F.relu(F.conv2d(t["x"][None], t["K1"], t["b1"].reshape(-1)))

    before = int((a1() == 0).sum())
    for _ in range(200):
        opt.zero_grad()
        z2 = F.conv2d(a1(), t["K2"], t["b2"].reshape(-1))
        loss = ((z2[0] - t["t"].reshape(z2[0].shape)) ** 2).sum() / 2
        loss.backward()
        opt.step()
    after = int((a1() == 0).sum())
    done = invoke("train", "ex20", "-n", "200", "--lr", "0.1")
    assert done.returncode == 0, done.stderr
    assert f"after training: {after} of 18 in a1 ({before} before)" in " ".join(done.stdout.split())
    assert before == 7  # z1's seven negative entries, by hand from the file's numbers


def test_train_speaks_chinese_with_lang_zh():
    """`train --lang zh`: the heading (ex20's 19 parameters: 8 + 2 + 8 + 1 by hand), the
    table's title and columns, the loss line and the inactive units, in Chinese."""
    from cli_runner import invoke

    done = invoke("train", "ex20", "-n", "5", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert "ex20：19 个参数，sgd 5 步，η0 = 0.1，学习率调度 constant" in said
    assert "训练中的损失" in said and "步 η 损失" in said and "结束" in said
    assert "损失 2.8009 → " in said and "训练后不激活" in said
    assert not re.search(r"\b(parameters|steps|Loss during)\b", said)
