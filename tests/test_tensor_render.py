"""The matrix view of tensor problems (tutor/tensor_render.py) and the CLI around it: numbers
against hand computation (NumPy written out here, not the engine), en and zh."""

import re

import numpy as np
import pytest
from cli_runner import invoke

from tests.shared import softmax_net_by_hand

FIX = "tests/fixtures/tensor"
NET = f"{FIX}/softmax_net.yaml"


def run(*args, code=0, width=100):
    """The command in process, through cli.main (its exit codes), at `width` columns."""
    result = invoke(*args, width=width)
    assert result.returncode == code, result.stdout + result.stderr
    return result.stdout + result.stderr


hand_softmax_net = softmax_net_by_hand


def shown(v: float) -> str:
    from tutor.views.matrix import number

    return number(v)


def test_solve_writes_the_rules_as_the_course_does_with_hand_numbers():
    out = run("solve", NET)
    h = hand_softmax_net()
    assert "z1 = W1 x + b1   (4×1)" in out
    assert "δ(z2) = p − y" in out and "softmax followed by cross-entropy" in out
    assert "δ(a1) = W2ᵀ δ(z2)" in out
    assert "δ(z1) = δ(a1) ⊙ a1 ⊙ (1 − a1)" in out
    assert "δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾) ⊙ σ′(z⁽¹⁾)" in out
    assert "∂L/∂W⁽¹⁾ = δ⁽¹⁾ xᵀ" in out and "∂L/∂W1 = δ(z1) xᵀ" in out
    assert " @ " not in out
    assert "δ(L) = ∂L/∂L = 1" in out
    for v in [*h["d2"].ravel(), *h["d1"].ravel(), *h["dW2"].ravel()]:
        assert shown(v) in out
    assert f"L = {h['loss']:.6g}" in out


def test_solve_in_chinese():
    out = run("solve", NET, "--lang", "zh")
    assert "前向传播" in out and "反向传播" in out and "softmax 之后接交叉熵" in out


def test_at_gives_one_entry_and_it_equals_the_tensor_entry():
    from tutor.engine.matrix_solve import solve
    from tutor.problems.loader import load_problem
    from tutor.views.matrix import element_lines

    h = hand_softmax_net()
    out = run("solve", NET, "--at", "dL/dW1[2,3]")
    assert "∂L/∂W1[2,3] = δ(z1)[2] · x[3]" in out
    assert (
        f"= {shown(h['d1'][1, 0])} · (−1)".replace("= −", "= (−").replace(" · (−1)", ") · (−1)")
        in out
        or f"({shown(h['d1'][1, 0])}) · (−1)" in out
    )
    assert "δ(z1)[2] = δ(a1)[2] · a1[2] · (1 − a1[2])" in out
    assert "δ(a1)[2] = Σ_k W2[k,2] · δ(z2)[k]" in out
    assert "δ(z2)[2] = p[2] − y[2]" in out
    solution = solve(load_problem(NET))
    lines = element_lines(solution, "dL/dW1[2,3]")
    assert lines[0].value == pytest.approx(h["dW1"][1, 2], rel=1e-12)
    assert lines[0].value == solution.grads["W1"][1, 2]  # the tensor view's entry


def test_at_refuses_an_entry_outside_and_a_scalar_problem():
    run("solve", NET, "--at", "dL/dW1[5,1]", code=2)
    run("solve", "problems/ex2.yaml", "--at", "dL/dw1", code=2)
    out = run("solve", f"{FIX}/conv_small.yaml", "--at", "dL/dK[1,1,1,1]")
    assert (
        "no element chain" not in out and "∂L/∂K[o,c,u,v] = Σ_ij x[c,i+u,j+v] · δ(c)[o,i,j]" in out
    )


def test_conv_maps_are_grids_per_channel_with_hand_numbers():
    out = run("solve", f"{FIX}/conv_small.yaml")
    # c = x ⋆ K: c11 = 1 − 2 + 0 − 2 = −3, c12 = 2 − 0 + 0 + 6 = 8; ∂L/∂K = corr(x, [0 1; 1 0])
    assert "channel 1" in out and "out 1, in 1" in out
    assert re.search(r"⎡ −3\s+8 ⎤", out) and re.search(r"⎣  3\s+−2 ⎦", out)
    assert re.search(r"⎡ 2\s+−1 ⎤", out) and re.search(r"⎣ 1\s+4 ⎦", out)


def test_show_writes_given_tensors_inline():
    out = run("show", NET)
    # the statement may wrap anywhere: compare without spaces and the panel's borders
    assert "W1=[[0.2,−0.1,0.4],[−0.3,0.5,0.1],[0.6,0.2,−0.2],[0.1,−0.4,0.3]]" in re.sub(
        r"[\s│]", "", out
    )
    assert "4×3" in out


def test_check_and_validate_tensor_files():
    out = run("check", f"{FIX}/wrong_published.yaml", code=1)
    assert "dL/dW[1,2]" in out and "1 of 3" in out  # z = −0.5, dL/dW = 2z xᵀ = [−1, −2]
    assert "✓" in run("validate", NET)


def test_large_matrices_are_elided_unless_full(tmp_path):
    from tutor.variants.generate import mlp

    path = tmp_path / "net.yaml"
    path.write_text(mlp([10, 12, 3], seed=1), encoding="utf-8")
    out = run("solve", str(path))
    assert "⋯" in out and "⋮" in out
    assert "⋯" not in run("solve", str(path), "--full")


def test_network_matrix_view_agrees_with_the_scalar_engine():
    from tutor.engine import matrix_solve as tensor_solve
    from tutor.problems import catalog
    from tutor.problems import network as tensor_network
    from tutor.solutions import explain

    scalar = explain.solve(catalog.load("ex4"))
    tensor = tensor_solve.solve(tensor_network.load(catalog.resolve("ex4")))
    shapes = {
        **{n: v.shape for n, v in tensor.problem.leaves.items()},
        **{s.name: s.value.shape for s in tensor.forward},
    }
    checked = 0
    for step in scalar.forward:
        where = tensor_network.entry(step.name, shapes)
        if where is not None:
            assert tensor.value(where[0])[tuple(i - 1 for i in where[1])] == pytest.approx(
                float(step.value), rel=1e-12
            )
            checked += 1
    for name, g in scalar.node_grads.items():
        where = tensor_network.entry(name, shapes)
        if where is not None:
            assert tensor.grads[where[0]][tuple(i - 1 for i in where[1])] == pytest.approx(
                float(g), rel=1e-10, abs=1e-14
            )
            checked += 1
    for u in scalar.updates:
        t, idx = tensor_network.entry(u.name, shapes)
        new = next(v.new for v in tensor.updates if v.name == t)
        assert new[tuple(i - 1 for i in idx)] == pytest.approx(float(u.new), rel=1e-12)
    assert checked >= 6 + 11 + 6
    assert tensor.loss == pytest.approx(float(scalar.loss), rel=1e-12)
    assert tensor.after_loss == pytest.approx(float(scalar.loss_after), rel=1e-12)


def test_network_solve_defaults_to_the_matrix_view_and_keeps_the_scalar_one():
    out = run("solve", "ex4")
    assert "z1 = W1 x + b1   (2×1)" in out and "δ(z1) = δ(a1) ⊙ a1 ⊙ (1 − a1)" in out
    scalar = run("solve", "ex4", "--view", "scalar")
    assert "W1_1_1" in scalar and "chain of factors" in scalar
    run("solve", "ex4", "--view", "nope", code=2)


def test_optimizer_options_apply_to_tensor_problems():
    out = run("solve", NET, "--optimizer", "momentum", "--lr", "0.1")
    assert "Update (momentum, η = 0.1)" in out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fits_80_columns(lang):
    out = run("solve", NET, "--lang", lang, width=80)
    from rich.cells import cell_len

    assert max(cell_len(line) for line in out.splitlines()) <= 80


def relu(z):
    return np.maximum(z, 0)


def _ex25_norms_by_hand(leaves, chain: str, activation, derivative) -> list[float]:
    """|δ(z1)|..|δ(z6)| of one chain of ex25 by the recurrence in NumPy: δ(z6) = f′(z6)
    (L adds the outputs), δ(zₗ) = (Wₗ₊₁ᵀ δ(zₗ₊₁)) ⊙ f′(zₗ), each layer its own W."""
    a, zs = leaves["x"], []
    for layer in range(1, 7):
        zs.append(leaves[f"W{chain}{layer}"] @ a)
        a = activation(zs[-1])
    delta = derivative(zs[5])
    norms = [np.linalg.norm(delta)]
    for layer in range(4, -1, -1):
        delta = (leaves[f"W{chain}{layer + 2}"].T @ delta) * derivative(zs[layer])
        norms.insert(0, np.linalg.norm(delta))
    return norms


def test_solve_draws_the_delta_norms_of_three_chains_vanishing_exploding_and_steady():
    """Issue 22, ex25 rebuilt: a sigmoid chain vanishes (each step down multiplies |δ| by
    about 0.2), a ReLU chain with weights twice the size explodes (about 2), the same ReLU
    chain with weights of Xavier's size stays near 1; the table gives each step's factor
    and ‖Wᵀ‖ (NumPy's 2-norm), the chart is on a log scale so no sigmoid bar is empty."""
    from tutor.problems import catalog

    def sig(z):
        return 1 / (1 + np.exp(-z))

    leaves = catalog.load("ex25").leaves
    chains = {
        "s": _ex25_norms_by_hand(leaves, "s", sig, lambda z: sig(z) * (1 - sig(z))),
        "r": _ex25_norms_by_hand(leaves, "r", relu, lambda z: (z > 0).astype(float)),
        "h": _ex25_norms_by_hand(leaves, "h", relu, lambda z: (z > 0).astype(float)),
    }
    factors = {c: [lo / hi for lo, hi in zip(n, n[1:])] for c, n in chains.items()}
    assert all(f < 0.25 for f in factors["s"]) and chains["s"][0] / chains["s"][5] < 1e-3
    assert all(f > 1.8 for f in factors["r"]) and chains["r"][0] / chains["r"][5] > 25
    assert all(0.9 < f < 1.05 for f in factors["h"])
    for width in (60, 100):  # at 60 the headings wrap; no number is cut to "…"
        out = run("solve", "ex25", width=width)
        lines = out.splitlines()
        for c, norms in chains.items():
            for layer in range(1, 7):
                row = next(line for line in lines if f"δ(z{c}{layer})" in line and "│" in line)
                assert f"{norms[layer - 1]:.6g}" in row
                assert f"{norms[layer - 1] / norms[5]:.3g}" in row
                if layer < 6:
                    assert "×" + f"{factors[c][layer - 1]:.3g}" in row
                    w = leaves[f"W{c}{layer + 1}"]
                    assert f"{np.linalg.norm(w.T, 2):.3g}" in row
    assert "|δ| per layer, log scale (0.0001 to 100)" in out
    chart = lines[lines.index(next(x for x in lines if "log scale" in x)) :]
    bar = next(line for line in chart if line.strip().startswith("δ(zs1)"))
    assert "▋" in bar  # 1.2e-4 on a scale from 1e-4: a short bar, not none


# --------------------------------------------------------------------------- the rule as read

AS_READ = [f"ex{n}" for n in range(18, 26)] + ["conv_stride", "ex4", "ex6"]


def _solved_view(ref: str):
    from tutor.engine.matrix_solve import solve
    from tutor.problems import catalog
    from tutor.problems import network as tensor_network
    from tutor.problems.loader import load_problem

    if ref == "conv_stride":
        return solve(load_problem(f"{FIX}/conv_stride.yaml"))
    if ref in ("ex4", "ex6"):  # network: files in the matrix view
        return solve(tensor_network.load(catalog.resolve(ref)))
    return solve(catalog.load(ref))


def _fitted(value: np.ndarray, shape: tuple) -> np.ndarray:
    """A rule read back without its `like` argument (crop, corr, reshape, unpool) is
    evaluated at its minimal shape: reshaped to the target's shape when it has as many
    entries (reshape), else cut or zero-filled from the top-left corner to it (crop: rows the
    stride never reached are 0; corr: the kernel's offsets are the first ones). A share that
    is the same for every column (δ(mu) / 4 of ∂L/∂X: the broadcast is not written) is
    broadcast to it."""
    value = np.asarray(value, dtype=float)
    if value.shape == shape:
        return value
    if value.size == int(np.prod(shape)):
        return value.reshape(shape)
    stretched = len(value.shape) == len(shape) and all(
        a in (1, b) for a, b in zip(value.shape, shape)
    )
    if value.ndim == 0 or stretched or len(value.shape) != len(shape):
        return np.broadcast_to(value, shape)
    out = np.zeros(shape)
    common = tuple(slice(0, min(a, b)) for a, b in zip(value.shape, shape))
    out[common] = value[common]
    return out


@pytest.mark.parametrize("ref", AS_READ)
def test_every_rule_as_printed_gives_the_number_beside_it(ref):
    """Every δ and gradient `solve` prints (and every share of a shared one): the rule text as
    printed, read back by the project's parser (notation mode) and evaluated by
    engine.rules.evaluate at the solution's values and δ's, equals the value printed beside
    it (1e-12)."""
    from rich.console import Console

    from tutor.engine.rules import evaluate
    from tutor.language.matrix_expr import parse
    from tutor.views.matrix import backward

    solution = _solved_view(ref)
    p = solution.problem
    values = {**p.leaves, **{s.name: s.value for s in solution.forward}}
    console = Console(width=400, record=True, color_system=None)
    console.print(backward(solution, "en"))
    out = console.export_text()
    heads = re.findall(r"^(δ\((\w+)\)|∂\w+/∂(\w+)) = (.+?)   \(", out, re.M)
    shares = re.findall(r"^  via (\w+): (.+?) = ", out, re.M)
    assert len(heads) == len(solution.deltas)
    checked = 0
    for _, node, given, rule in heads:
        name = node or given
        d = solution.delta(name)
        got = _fitted(evaluate(parse(rule, mode="notation"), values, solution.grads), d.value.shape)
        scale = max(1.0, float(np.abs(d.value).max()))
        assert np.all(np.abs(got - d.value) <= 1e-12 * scale), (ref, name, rule)
        checked += 1
    for via, rule in shares:
        owner = [
            d for d in solution.deltas if any(t.via == via and t.rule == rule for t in d.terms)
        ]
        assert owner, (via, rule)
        term = next(t for t in owner[0].terms if t.via == via and t.rule == rule)
        got = _fitted(
            evaluate(parse(rule, mode="notation"), values, solution.grads), term.value.shape
        )
        assert np.allclose(got, term.value, rtol=1e-12, atol=1e-12), (ref, via, rule)
        checked += 1
    assert checked >= len(solution.deltas)


def test_the_strided_padded_convolution_agrees_with_torch():
    """tests/fixtures/tensor/conv_stride.yaml (stride 2, padding 1) against PyTorch float64,
    rebuilt here with F.conv2d; its printed rules name the dilation, the flip and the crop."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    solution = _solved_view("conv_stride")
    leaves = {
        k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
        for k, v in solution.problem.leaves.items()
    }
    z = F.conv2d(leaves["x"][None], leaves["K"], leaves["b"].reshape(-1), stride=2, padding=1)[0]
    z.retain_grad()
    a = torch.tanh(z)
    loss = ((a - leaves["t"]) ** 2).sum() / 2
    loss.backward()
    assert solution.loss == pytest.approx(loss.item(), rel=1e-12)
    for name in ("x", "K", "b"):
        np.testing.assert_allclose(
            solution.grads[name], leaves[name].grad.numpy(), rtol=1e-12, atol=1e-14
        )
    np.testing.assert_allclose(solution.grads["z"], z.grad.numpy(), rtol=1e-12, atol=1e-14)
    rules = {d.name: d.terms[0].rule for d in solution.deltas if d.terms}
    assert rules["x"] == "crop₁(full_conv(dilate₂(δ(z)), flip(K)))"
    assert rules["K"] == "corr(pad₁(x), dilate₂(δ(z)))"


def test_a_solution_read_back_from_a_pickle_prints_the_same_rules():
    """A worked solution may come from the user's cache (pickled): the shape inference it
    carries keys its memo by id(op), which means nothing after unpickling; Σ_col / Σ_ij must
    still be read off the right shapes (ex22: a bias over a batch; ex20: a bias per map)."""
    import pickle

    from rich.console import Console

    from tutor.engine import matrix_solve as tensor_solve
    from tutor.problems import catalog
    from tutor.problems.loader import load_problem
    from tutor.views import matrix as tensor_render

    def printed(solution) -> str:
        console = Console(width=100, record=True, file=open("/dev/null", "w"))
        for part in tensor_render.solution_steps(solution, "en"):
            console.print(part)
        return console.export_text()

    for pid in ("ex20", "ex22", "ex24"):
        solution = tensor_solve.solve(load_problem(catalog.resolve(pid)))
        restored = pickle.loads(pickle.dumps(solution))
        assert printed(restored) == printed(solution), pid
        assert "Σ_col" in printed(restored) or "Σ_ij" in printed(restored), pid
