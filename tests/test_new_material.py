"""The problems of issue 22's "New material" (ex26-ex33), each against an oracle of its own:
PyTorch float64 rebuilt here by hand from the numbers (torch.nn.functional, autograd), central
differences, or plain Python arithmetic, never the engine against itself. Also what each was
written to show: the quiz asks ex26's δ entries before its weight gradients, ex27's central
differences err least at the middle step, ex29's overlapping windows add their δ's."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import shared

from tutor.problems import catalog

if importlib.util.find_spec("torch") is None:
    pytest.skip("torch is not installed", allow_module_level=True)


class _Later:
    """A module imported at its first use, not when the file is collected: every xdist
    worker collects every test file, and importing torch takes each of them 1.5 s for the
    one worker that runs these tests."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("_"):  # pytest asks every module global for its markers
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


torch = _Later("torch")
F = _Later("torch.nn.functional")

NEW = ("ex26", "ex27", "ex28", "ex29", "ex30", "ex31", "ex32", "ex33")


def t64(value) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


def close(a, b, rtol: float = 1e-10) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float).reshape(a.shape)
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-12))


def values(pid: str) -> dict:
    """name -> value of the engine's worked solution, scalar (network:, graph:) or tensor."""
    return {s.name: s.value for s in shared.solved(pid).forward}


def grads(pid: str) -> dict:
    solution = shared.solved(pid)
    if solution.problem.tensor:
        return dict(solution.grads)
    return {g.wrt: g.value for g in solution.gradients}


# --------------------------------------------------------------------------- ex26


def test_ex26_entries_and_the_matrix_form_agree_with_torch():
    x = t64([1.0, -2.0])
    W1 = t64([[0.5, 0.25], [-0.5, 0.75]]).requires_grad_()
    b1 = t64([0.0, 0.5]).requires_grad_()
    W2 = t64([[1.0, -2.0], [0.5, 1.5]]).requires_grad_()
    b2 = t64([0.0, -0.5]).requires_grad_()
    y = t64([1.0, 0.0])
    z1 = F.linear(x, W1, b1)
    z1.retain_grad()
    z2 = F.linear(torch.sigmoid(z1), W2, b2)
    L = 0.5 * ((z2 - y) ** 2).sum()
    L.backward()
    got = values("ex26")
    assert got["L"] == pytest.approx(L.item(), rel=1e-12)
    g = grads("ex26")
    for j in range(2):
        for i in range(2):
            assert g[f"W1_{j + 1}_{i + 1}"] == pytest.approx(float(W1.grad[j, i]), rel=1e-10)
            assert g[f"W2_{j + 1}_{i + 1}"] == pytest.approx(float(W2.grad[j, i]), rel=1e-10)
        assert g[f"b1_{j + 1}"] == pytest.approx(float(b1.grad[j]), rel=1e-10)
    # the statement's entry formula Σ_k δ2_k W2_kj σ′(z1_j), by hand, is torch's ∂L/∂z1
    d2 = (z2 - y).detach()
    s = torch.sigmoid(z1).detach()
    for j in range(2):
        entry = sum(float(d2[k] * W2.detach()[k, j]) for k in range(2)) * float(s[j] * (1 - s[j]))
        assert entry == pytest.approx(float(z1.grad[j]), rel=1e-12)
    matrix = (W2.detach().T @ d2) * s * (1 - s)  # (W2ᵀ δ2) ⊙ σ′(z1)
    assert close(matrix, z1.grad)


def test_ex26_quiz_asks_each_delta_entry_before_the_weight_gradients():
    from tutor.quiz import session

    asked = [q.key for q in session.Session(catalog.load("ex26")).questions]
    keys = [k if isinstance(k, str) else str(k) for k in asked]
    first_w1 = next(i for i, k in enumerate(keys) if "W1_1_1" in k)
    for j in (1, 2):
        assert next(i for i, k in enumerate(keys) if k.endswith(f"z1_{j}") and "/" in k) < first_w1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ex26_matrix_quiz_asks_one_entry_by_the_scalar_rule_then_the_whole_delta(tmp_path, lang):
    """`quiz ex26 --view matrix`: δ(z1)'s first entry, then all of δ(z1) (the statement's
    "first one entry, then the matrix"), the entry's value torch's ∂L/∂z1[1]; its hints are
    the entry's rule, then δ(a1)[1]'s sum over k written out with its numbers."""
    import json

    from cli_runner import invoke

    x, y = t64([1.0, -2.0]), t64([1.0, 0.0])
    W1, b1 = t64([[0.5, 0.25], [-0.5, 0.75]]), t64([0.0, 0.5])
    W2, b2 = t64([[1.0, -2.0], [0.5, 1.5]]), t64([0.0, -0.5])
    z1 = F.linear(x, W1, b1).requires_grad_()
    L = 0.5 * ((F.linear(torch.sigmoid(z1), W2, b2) - y) ** 2).sum()
    L.backward()
    report = tmp_path / "r.json"
    typed = "skip\n" * 8 + "?\n?\n" + f"{float(z1.grad[0])!r}\n" + "skip\n" * 10
    done = invoke(
        "quiz",
        "ex26",
        "--view",
        "matrix",
        "--report",
        str(report),
        "--db",
        str(tmp_path / "p.db"),
        "--lang",
        lang,
        stdin=typed,
        width=200,
    )
    assert done.returncode == 1, done.stderr  # the skipped ones
    asked = json.loads(report.read_text(encoding="utf-8"))["questions"]
    keys = [q["quantity"] for q in asked]
    assert keys.index("dL/dz1[1,1]") + 1 == keys.index("dL/dz1") < keys.index("dL/dW1")
    entry = asked[keys.index("dL/dz1[1,1]")]
    assert entry["verdict"] == "right", entry
    said = " ".join(done.stdout.split())
    assert "δ(z1)[1] = δ(a1)[1] · a1[1] · (1 − a1[1])" in said
    w21, w22 = float(W2[0, 0]), float(W2[1, 0])
    assert f"δ(a1)[1] = W2[1,1] · δ(z2)[1] + W2[2,1] · δ(z2)[2] = {w21:g} · " in said
    assert f" + {w22:g} · " in said


def test_quiz_view_matrix_is_for_network_and_tensor_problems(tmp_path):
    from cli_runner import invoke

    done = invoke("quiz", "ex2", "--view", "matrix", "--db", str(tmp_path / "p.db"), stdin="")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "the matrix view is for tensor problems and network: problems" in done.stderr
    scalar = invoke("quiz", "ex26", "--view", "scalar", "--reveal", "--db", str(tmp_path / "q.db"))
    assert "∂L/∂W1_1_1" in scalar.stdout and "dL/dz1[1,1]" not in scalar.stdout


@pytest.mark.parametrize(
    "pid, line, words",
    [
        ("ex26", "quiz_view: rows", "unknown quiz_view 'rows'"),
        ("ex2", "quiz_view: matrix", "'quiz_view' is for network: files"),
        ("ex18", "quiz_view: matrix", "'quiz_view' is for network: files"),
    ],
)
def test_a_quiz_view_that_does_not_apply_is_an_error_at_its_line(tmp_path, pid, line, words):
    from cli_runner import invoke

    text = catalog.resolve(pid).read_text(encoding="utf-8")
    text = "\n".join(x for x in text.splitlines() if not x.startswith("quiz_view:"))
    text += f"\n{line}\n"
    path = tmp_path / f"{pid}.yaml"
    path.write_text(text, encoding="utf-8")
    done = invoke("validate", str(path))
    at = len(text.splitlines())
    assert done.returncode == 2 and f"{pid}.yaml:{at}:" in done.stderr and words in done.stderr


# --------------------------------------------------------------------------- ex27, ex28


def conv_loss(K: torch.Tensor) -> torch.Tensor:
    x = t64([[[[1, -1, 2], [0, 2, -1], [1, 0, 1]]]])
    t = t64([[[[0.5, -0.5], [0, 0.5]]]])
    return ((torch.tanh(F.conv2d(x, K)) - t) ** 2).sum() / 2


def test_ex27_gradient_and_central_differences_agree_with_torch():
    K = t64([[[[0.5, -0.25], [0.25, 0.5]]]]).requires_grad_()
    L = conv_loss(K)
    L.backward()
    got, g = values("ex27"), grads("ex27")
    assert float(np.asarray(got["L"])) == pytest.approx(L.item(), rel=1e-12)
    assert close(g["K"], K.grad.numpy())
    assert float(np.asarray(got["g"])) == pytest.approx(float(K.grad[0, 0, 0, 0]), rel=1e-12)
    E = torch.zeros_like(K)
    E[0, 0, 0, 0] = 1
    rel = {}
    for i, h in ((1, 1e-1), (2, 1e-4), (3, 1e-12)):
        Kd = K.detach()
        num = (conv_loss(Kd + h * E) - conv_loss(Kd - h * E)) / (2 * h)
        exact = float(K.grad[0, 0, 0, 0])
        rel[i] = abs(exact - float(num)) / max(abs(exact), abs(float(num)))
        engine = float(np.asarray(got[f"rel{i}"]))
        if i < 3:  # truncation: deterministic to many digits
            assert engine == pytest.approx(rel[i], rel=1e-3)
        else:  # round-off: its digits depend on the order of the sums; its size does not
            assert 1e-7 < engine < 1e-2
    # too large a step (truncation) and too small a step (round-off) both lose to the middle
    assert rel[2] < 1e-7 < rel[3] and rel[2] < 1e-7 < rel[1]


def bn_output(X: torch.Tensor) -> torch.Tensor:
    return F.batch_norm(
        X.T, None, None, t64([1.5, 0.5]), t64([0.5, -0.5]), training=True, eps=1e-5
    ).T  # samples as rows for torch


def bn_loss(X: torch.Tensor) -> torch.Tensor:
    return ((bn_output(X) - t64([[0, 1, 0], [1, 0, -1]])) ** 2).sum() / 2


def test_ex28_batchnorm_input_gradient_formula_and_differences_agree_with_torch():
    X = t64([[1.0, 2.0, 6.0], [0.5, -1.0, 1.5]]).requires_grad_()
    L = bn_loss(X)
    L.backward()
    got, g = values("ex28"), grads("ex28")
    assert float(np.asarray(got["L"])) == pytest.approx(L.item(), rel=1e-12)
    assert close(g["X"], X.grad.numpy())
    assert close(got["G"], X.grad.numpy())  # the compact formula is the three paths' sum
    assert np.allclose(np.asarray(g["X"]).sum(axis=1), 0, atol=1e-12)  # each row sums to 0
    E = t64([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    exact = float(X.grad[0, 1])
    for i, h in ((1, 1e-2), (2, 1e-3)):
        # the forward pass again at X ± hE, node by node: the centred batch, Y, L
        for sign, tag in ((1, "p"), (-1, "m")):
            Xh = X.detach() + sign * h * E
            assert close(got[f"C{tag}{i}"], (Xh - Xh.mean(dim=1, keepdim=True)).numpy())
            assert close(got[f"Y{tag}{i}"], bn_output(Xh).numpy())
            assert float(np.asarray(got[f"L{tag}{i}"])) == pytest.approx(
                bn_loss(Xh).item(), rel=1e-12
            )
        num = float((bn_loss(X.detach() + h * E) - bn_loss(X.detach() - h * E)) / (2 * h))
        # the difference of two losses that agree to 4 figures (h2): to round-off, not 1e-12
        assert float(np.asarray(got[f"gnum{i}"])) == pytest.approx(num, rel=1e-9)
        rel = abs(exact - num) / max(abs(exact), abs(num))
        assert float(np.asarray(got[f"rel{i}"])) == pytest.approx(rel, rel=1e-2)
    # truncation error of order h²: ten times smaller a step, about a hundred times smaller
    ratio = float(np.asarray(got["rel1"])) / float(np.asarray(got["rel2"]))
    assert 80 < ratio < 120


# --------------------------------------------------------------------------- ex29


def test_ex29_shared_kernel_and_overlapping_pooling_agree_with_torch():
    x = t64([[[[1, 0, 1, 0], [0, 2, 1, 0], [1, 1, 3, 0], [0, 1, 0, 3]]]]).requires_grad_()
    K = t64([[[[0.5, -0.25], [0.25, 0.5]]]]).requires_grad_()
    z = F.conv2d(x, K)
    z.retain_grad()
    m = F.max_pool2d(z, 2, 1)
    L = ((m - t64([[[[2, 2], [3, 2]]]])) ** 2).sum() / 2
    L.backward()
    g = grads("ex29")
    assert close(g["K"], K.grad.numpy()) and close(g["x"], x.grad.numpy())
    # the centre z_22 is the arg-max of three windows: its δ is their sum 0.5 + 0.5 − 0.5
    assert float(z.grad[0, 0, 1, 1]) == pytest.approx(0.5)
    # weight sharing by hand: ∂L/∂K_11 = Σ_ij δ_ij x_ij over the nine positions
    d, xs = z.grad[0, 0], x.detach()[0, 0]
    terms = [float(d[i, j] * xs[i, j]) for i in range(3) for j in range(3)]
    assert sum(terms) == pytest.approx(float(K.grad[0, 0, 0, 0]))
    # the zero-boundary recurrence ∂L/∂x_pq = Σ_uv K_uv δ_(p−u)(q−v)
    Kd = K.detach()[0, 0]
    for p in range(4):
        for q in range(4):
            total = sum(
                float(Kd[u, v] * d[p - u, q - v])
                for u in range(2)
                for v in range(2)
                if 0 <= p - u < 3 and 0 <= q - v < 3
            )
            assert total == pytest.approx(float(x.grad[0, 0, p, q]))


# --------------------------------------------------------------------------- ex30, ex31


def test_ex30_cross_entropy_keeps_the_gradient_mse_loses():
    z = t64(-4.0).requires_grad_()
    p = torch.sigmoid(z)
    (0.5 * (p - 1) ** 2).backward()
    mse = float(z.grad)
    z2 = t64(-4.0).requires_grad_()
    F.binary_cross_entropy_with_logits(z2, t64(1.0)).backward()
    ce = float(z2.grad)
    g = grads("ex30")
    assert g["bm"] == pytest.approx(mse, rel=1e-10) and g["bc"] == pytest.approx(ce, rel=1e-10)
    assert g["wm"] == pytest.approx(2 * mse, rel=1e-10) and g["wc"] == pytest.approx(2 * ce)
    assert abs(ce) > 50 * abs(mse)  # σ′(−4) ≈ 0.018 is the whole difference


def test_ex31_entropy_kl_and_softmax_gradient_agree_with_torch():
    z = t64([0.5, 1.5, 2.5]).requires_grad_()
    p = t64([0.7, 0.2, 0.1])
    q = torch.softmax(z, 0)
    L = -(p * torch.log(q)).sum()
    L.backward()
    got, g = values("ex31"), grads("ex31")
    H = float(-(p * p.log()).sum())
    KL = float(F.kl_div(q.detach().log(), p, reduction="sum"))  # D(p‖q)
    KLr = float(F.kl_div(p.log(), q.detach(), reduction="sum"))  # D(q‖p)
    for name, want in (("L", L.item()), ("H", H), ("KL", KL), ("KLr", KLr)):
        assert float(np.asarray(got[name])) == pytest.approx(want, rel=1e-10), name
    assert L.item() == pytest.approx(H + KL, rel=1e-12) and abs(KL - KLr) > 0.05
    assert close(g["z"], z.grad.numpy()) and close(z.grad, (q - p).detach())
    # the Jacobian case by case: q_i(1 − q_i) on the diagonal, −q_i q_j off it
    J = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), z.detach())
    qd = q.detach()
    assert close(J, torch.diag(qd) - torch.outer(qd, qd))


# --------------------------------------------------------------------------- ex32, ex33


def test_ex32_schedules_by_plain_arithmetic():
    got = values("ex32")
    assert got["lr_step"] == pytest.approx(0.1 * 0.1**2)
    assert got["lr_exp"] == pytest.approx(0.1 * 0.95**25)
    assert got["lr_poly"] == pytest.approx(0.1 * (0.2 * 25 + 1) ** -0.5)
    cosine = 0.001 + 0.5 * (0.1 - 0.001) * (1 + math.cos(math.pi * 25 / 75))
    assert got["lr_cos"] == pytest.approx(cosine)


def test_ex33_variance_gain_matches_a_sampled_relu_network():
    got = values("ex33")
    assert got["gain"] == pytest.approx(1.28) and got["growth"] == pytest.approx(1.28**20)
    assert got["gain_he"] == pytest.approx(1) and got["v_xavier"] == pytest.approx(2 / 384)
    # the argument itself, sampled: one ReLU layer multiplies E[z²] by n_in·v/2
    # (averaged over 40 draws of W: one draw's cross terms w_i w_j E[a]² are not 0)
    gen = torch.Generator().manual_seed(0)
    n, batch, draws = 256, 500, 40
    z = torch.randn(n, batch, generator=gen, dtype=torch.float64)
    for v, gain in ((0.01, got["gain"]), (got["v_he"], got["gain_he"])):
        W = torch.randn(draws, n, n, generator=gen, dtype=torch.float64) * math.sqrt(v)
        ratio = float((W @ torch.relu(z)).pow(2).mean() / z.pow(2).mean())
        assert ratio == pytest.approx(gain, rel=0.03)


# --------------------------------------------------------------------------- every new one


@pytest.fixture(scope="module")
def reviewed():
    from tutor.quiz import review

    return {p.id for p in review.candidates()}


@pytest.mark.parametrize("pid", NEW)
def test_the_new_problems_are_listed_and_in_review(pid, reviewed):
    from tutor.quiz import review

    assert pid in {f.stem for f in catalog.builtin_files()} and pid in reviewed
    problem = catalog.load(pid)
    assert problem.title.en and problem.title.zh
    assert problem.statement.en and problem.statement.zh
    assert review.tags(problem)  # the skills review schedules for it
    assert review._session(problem, 1).questions  # a review's session over a variant


NEW_CONCEPTS = (
    "delta-entry",
    "row-vectors",
    "gradcheck-step",
    "shared-kernel",
    "overlap-pool",
    "mse-classifier",
    "kl-symmetric",
    "softmax-jacobian",
    "stopping",
    "relu-at-zero",
    "he-variance",
)


def test_the_new_concept_questions_load_and_point_at_the_new_problems():
    from tutor.problems import concepts

    by_id = {q.id: q for q in concepts.load_bank()}
    assert set(NEW_CONCEPTS) <= set(by_id)
    for qid in NEW_CONCEPTS:
        q = by_id[qid]
        assert q.question.en and q.question.zh and sum(o.correct for o in q.options) == 1
        assert not q.see or q.see in NEW
    # the numbers kl-symmetric quotes are ex31's, to the figures it prints
    got = values("ex31")
    assert f"{float(np.asarray(got['KL'])):.4g}" == "1.206"
    assert f"{float(np.asarray(got['KLr'])):.4g}" == "1.125"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_list_shows_the_new_problems(lang):
    from cli_runner import invoke

    out = invoke("list", "--lang", lang, width=100)
    assert out.returncode == 0, out.stderr
    for pid in NEW:
        assert pid in out.stdout
    assert "ex26" in out.stdout and ("δ⁽¹⁾" in out.stdout)


@pytest.mark.parametrize("pid", NEW)
def test_the_published_torch_values_check_out(pid):
    """Each file publishes values printed from the rebuilds above (4 figures): `check`
    finds every one of them in the engine's solution."""
    from tutor.solutions import explain

    solution = explain.with_errata(shared.solved(pid))
    assert len(solution.checks) >= 4
    assert [c for c in solution.checks if not c.ok] == []


@pytest.mark.parametrize("pid", NEW)
def test_the_quiz_answered_right_ends_all_right(pid, tmp_path):
    """`quiz --answers` fed the expected answers (the engine's, as input, not as an oracle:
    the oracle tests are above) grades every one right: exit 0, en; zh in guided mode."""
    from cli_runner import invoke
    from test_every_command import answers

    from tutor.problems import network
    from tutor.problems.loader import read_doc

    problem = catalog.load(pid)
    if read_doc(catalog.resolve(pid)).data.get("quiz_view") == "matrix":  # ex26: as matrices
        problem = network.load(catalog.resolve(pid))
    if problem.tensor:  # nested lists: a 3-d map typed as the quiz shows it
        from tutor.quiz import matrix

        lines = []
        for q in matrix.Session(problem).questions:
            a = q.expected
            lines.append(repr(float(a.reshape(-1)[0])) if a.size == 1 else str(a.tolist()))
        text = "\n".join(lines) + "\n"
    else:
        text = answers(pid)
    file = tmp_path / "answers.txt"
    file.write_text(text, encoding="utf-8")
    db = ["--db", str(tmp_path / "p.db")]
    done = invoke("quiz", pid, "--answers", str(file), *db, width=80)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr
    guided = invoke("quiz", pid, "--guided", "--answers", str(file), *db, "--lang", "zh", width=80)
    assert guided.returncode in (0, 1) and "Traceback" not in guided.stdout + guided.stderr
    assert guided.stdout.strip()


def test_the_api_quiz_asks_a_network_in_the_files_view_or_the_one_given():
    import tutor

    asked = [o.key for o in tutor.quiz("ex26").outcomes]
    assert "dL/dz1[1,1]" in asked and asked.index("dL/dz1[1,1]") + 1 == asked.index("dL/dz1")
    scalar = [o.key for o in tutor.quiz("ex26", view="scalar").outcomes]
    assert "dL/dW1_1_1" in scalar and "dL/dz1[1,1]" not in scalar
    from tutor.errors import InputError

    with pytest.raises(InputError, match="matrix view is for tensor problems"):
        tutor.quiz("ex2", view="matrix")
