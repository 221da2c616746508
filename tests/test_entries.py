"""One entry of a rule in index form (tutor/entries.py, the op table's `entry` forms): every
op's index form against NumPy loops written here, the convolution's rules as seed 004 (2.4)
writes them, and `solve --at` on every entry of every gradient of the tensor catalogue and of
the strided, padded convolution fixture, en and zh: each line's value is the tensor's entry
(1e-12) and its numbers line, read back as printed, gives that value."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from shared import ENTRY_SWEPT, unsimplified

from tutor.engine import rules
from tutor.engine.entries import Expander, Ix, template, value, written_out
from tutor.engine.matrix_solve import solve
from tutor.language.matrix_expr import Op
from tutor.language.matrix_expr import name as leaf
from tutor.problems import catalog
from tutor.problems.loader import load_problem
from tutor.registry import ops
from tutor.views.matrix import _ix, chain_view, element_lines

FIX = Path(__file__).parent / "fixtures" / "tensor"
STRIDE = FIX / "conv_stride.yaml"
TENSOR_IDS = list(ENTRY_SWEPT)
GENERIC = {"pointwise", "broadcast", "sum_to", "reduce", "reshape"}


def test_every_op_declares_an_index_form_over_its_own_arguments():
    for name, spec in ops.OPS.items():
        if spec.entry in GENERIC:
            continue
        form = template(spec.entry)  # reads
        refs = re.findall(r"([A-Za-z]\w*)\[", spec.entry)
        assert refs and set(refs) <= set(spec.args), name
        assert len(form.out) >= 1, name


# --------------------------------------------------------------------------- index forms


def entries_of(op: Op, values: dict) -> np.ndarray:
    """Every entry of `op` from its index form, written out and evaluated."""
    shapes = rules.Shapes({n: v.shape for n, v in values.items()})
    out = np.zeros(shapes(op))
    for at in np.ndindex(out.shape):
        expander = Expander(shapes)
        scalar = expander.expand(op, tuple(Ix.of(i) for i in at))
        written = written_out(scalar, lambda o: rules.evaluate(o, values))
        out[at] = value(written.scalar, values, {})
    return out


def call(kind: str, *args: str, ints: tuple = ()) -> Op:
    return Op(kind, tuple(leaf(a) for a in args), ints=ints)


def conv_loops(x, K, stride, padding):
    """Cross-correlation (torch's conv2d) by loops."""
    c_in, h, w = x.shape
    o_n, _, kh, kw = K.shape
    p = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    out = np.zeros((o_n, oh, ow))
    for o in range(o_n):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(
                    K[o] * p[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
                )
    return out


def test_index_forms_agree_with_numpy_loops():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 5, 5))
    K = rng.normal(size=(3, 2, 3, 3))
    b = rng.normal(size=(3, 1))
    d = rng.normal(size=(3, 2, 2))
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    v = {"x": x, "K": K, "b": b, "d": d, "A": A, "B": B, "col": rng.normal(size=(3, 1))}
    close = np.testing.assert_allclose

    close(entries_of(call("matmul", "A", "B"), v), A @ B, rtol=1e-13)
    close(entries_of(call("T", "A"), v), A.T)
    close(entries_of(call("conv2d", "x", "K", ints=(2, 1)), v), conv_loops(x, K, 2, 1), rtol=1e-12)
    close(
        entries_of(call("conv2d_bias", "x", "K", "b", ints=(1, 0)), v),
        conv_loops(x, K, 1, 0) + b.reshape(3, 1, 1),
        rtol=1e-12,
    )
    # dilate: the entries spread `stride` apart, zeros between; pad: zeros around; crop: cut
    dil = np.zeros((3, 3, 3))
    dil[:, ::2, ::2] = d
    close(entries_of(call("dilate", "d", ints=(2,)), v), dil)
    close(entries_of(call("pad", "x", ints=(1,)), v), np.pad(x, ((0, 0), (1, 1), (1, 1))))
    v["t"] = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    close(entries_of(call("crop", "t", "x", ints=(1,)), v), x)
    close(entries_of(call("flip", "K"), v), K[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    # full convolution of d (3 maps) with a kernel in×out = 3×2: each input map padded by 2
    F = rng.normal(size=(2, 3, 3, 3))
    v["F"] = F
    full = np.zeros((2, 4, 4))
    for c in range(2):
        for o in range(3):
            for i in range(2):
                for j in range(2):
                    full[c, i : i + 3, j : j + 3] += d[o, i, j] * F[c, o, ::-1, ::-1]
    close(entries_of(call("full_conv", "d", "F"), v), full, rtol=1e-12)
    v["like"] = np.zeros((3, 2, 4, 4))
    corr = np.zeros((3, 2, 4, 4))
    for o in range(3):
        for c in range(2):
            for u in range(4):
                for w in range(4):
                    corr[o, c, u, w] = np.sum(x[c, u : u + 2, w : w + 2] * d[o])
    close(entries_of(call("corr", "x", "d", "like"), v), corr, rtol=1e-12)
    # pooling 2×2, stride 2, on a 3×4×4 map; unpooling back
    z = rng.normal(size=(3, 4, 4))
    v["z"] = z
    windows = z.reshape(3, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(3, 2, 2, 4)
    close(entries_of(call("maxpool", "z", ints=(2, 2)), v), windows.max(axis=3))
    close(entries_of(call("avgpool", "z", ints=(2, 2)), v), windows.mean(axis=3))
    g = rng.normal(size=(3, 2, 2))
    v["g"] = g
    routed = np.zeros((3, 4, 4))
    for c in range(3):
        for i in range(2):
            for j in range(2):
                k = int(np.argmax(windows[c, i, j]))
                routed[c, 2 * i + k // 2, 2 * j + k % 2] = g[c, i, j]
    close(entries_of(call("unpool_max", "g", "z", ints=(2, 2)), v), routed)
    close(entries_of(call("unpool_avg", "g", "z", ints=(2, 2)), v), np.kron(g, np.ones((2, 2))) / 4)
    close(entries_of(call("sum_maps", "d", "col"), v), d.sum(axis=(1, 2)).reshape(3, 1), rtol=1e-13)
    e = np.exp(A - A.max(axis=0))
    close(entries_of(call("softmax", "A"), v), e / e.sum(axis=0), rtol=1e-13)
    close(entries_of(call("log_softmax", "A"), v), np.log(e / e.sum(axis=0)), rtol=1e-12)
    close(entries_of(call("sum", "A", ints=(2,)), v), A.sum(axis=1, keepdims=True), rtol=1e-13)
    close(entries_of(call("mean", "A", ints=(1,)), v), A.mean(axis=0, keepdims=True), rtol=1e-13)
    close(entries_of(call("sum", "A"), v), A.sum(), rtol=1e-13)
    v["row"] = np.zeros((3, 1))
    close(entries_of(call("sum_to", "A", "row"), v), A.sum(axis=1, keepdims=True), rtol=1e-13)
    close(entries_of(call("expand", "col", "A"), v), np.broadcast_to(v["col"], (3, 4)))
    close(entries_of(call("flatten", "d"), v), d.reshape(-1, 1))
    v["dcol"] = d.reshape(-1, 1)
    close(entries_of(call("reshape", "dcol", "d"), v), d)
    close(entries_of(call("mul", "A", "col"), v), A * v["col"])  # a column over a matrix
    close(entries_of(call("tanh", "A"), v), np.tanh(A))


# --------------------------------------------------------------------------- --at


def solved(ref):
    return solve(load_problem(ref) if str(ref).endswith(".yaml") else catalog.load(ref))


def general(solution, key: str) -> str:
    return element_lines(solution, key)[0].general


def test_the_convolution_rules_read_as_the_seed_writes_them():
    """Seed 004, 2.4: δ_ij = Σ_uv ω_uv δ_(i−u)(j−v) (indices from 0), over the output maps o;
    with stride 2 and padding 1 the entry of δ(z) is (i+1−u)/2, 0 between the strides."""
    ex20 = solved("ex20")
    assert general(ex20, "dL/da1[1,2,2]") == (
        "δ(a1)[c,i,j] = Σ_o Σ_uv K2[o,c,u,v] · δ(z2)[o,i−u,j−v]"
    )
    assert general(ex20, "dL/dK1[2,1,2,2]") == "∂L/∂K1[o,c,u,v] = Σ_ij x[c,i+u,j+v] · δ(z1)[o,i,j]"
    strided = solved(STRIDE)
    assert general(strided, "dL/dx[1,2,2]") == (
        "∂L/∂x[c,i,j] = Σ_o Σ_uv K[o,c,u,v] · δ(z)[o,(i+1−u)/2,(j+1−v)/2]"
    )
    # the kernel's gradient: the padded input at 2i+u−1 against δ(z) (the dilation summed out)
    assert general(strided, "dL/dK[1,2,2,3]") == (
        "∂L/∂K[o,c,u,v] = Σ_ij x[c,2i+u−1,2j+v−1] · δ(z)[o,i,j]"
    )
    first = element_lines(strided, "dL/dx[1,2,2]")[0]
    assert first.formula == "Σ_o Σ_uv K[o,1,u,v] · δ(z)[o,(5−u)/2,(5−v)/2]"  # 1-based
    assert first.zeros == (("stride", 10),)  # 18 offsets, 8 land on δ(z)'s entries
    corner = element_lines(strided, "dL/dx[1,1,1]")[0]
    # (1−u)/2 at the corner: u = 1 lands, u = 0 falls between, u = 2 outside δ(z)
    assert dict(corner.zeros) == {"outside": 10, "stride": 6}  # 2 terms left
    kernel = element_lines(strided, "dL/dK[1,1,1,1]")[0]
    assert kernel.zeros == (("pad", 3),)  # x[1,2i−2,2j−2]: row or column 0 is padding


def _printed_numbers(text: str) -> float:
    """The numbers line as a student reads it: + − · / ( ) ², sqrt, [a > 0]."""
    tokens = re.findall(r"\d+(?:\.\d+)?(?:e−?\d+)?|sqrt|tanh|exp|log|σ|[+−·/()\[\]>≥<≤²³]", text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else ""

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expression():
        v = term()
        while peek() in ("+", "−"):
            v = v + term() if take() == "+" else v - term()
        return v

    def term():
        v = unary()
        while peek() in ("·", "/"):
            v = v * unary() if take() == "·" else v / unary()
        return v

    def unary():
        if peek() == "−":
            take()
            return -unary()
        v = atom()
        while peek() in ("²", "³"):
            v = v ** (2 if take() == "²" else 3)
        return v

    def atom():
        t = take()
        if t == "(":
            v = expression()
            assert take() == ")"
            return v
        if t == "[":
            a = expression()
            compare = take()
            b = expression()
            assert take() == "]"
            return float({">": a > b, "≥": a >= b, "<": a < b, "≤": a <= b}[compare])
        if t in ("sqrt", "tanh", "exp", "log", "σ"):
            assert take() == "("
            a = expression()
            assert take() == ")"
            return {
                "sqrt": np.sqrt,
                "tanh": np.tanh,
                "exp": np.exp,
                "log": np.log,
                "σ": lambda y: 1 / (1 + np.exp(-y)),
            }[t](a)
        return float(t.replace("−", "-"))

    result = expression()
    assert pos == len(tokens), (text, tokens[pos:])
    return result


@pytest.mark.parametrize("ref", [*TENSOR_IDS, pytest.param(STRIDE, id="conv_stride")])
def test_at_gives_every_entry_of_every_gradient(ref):
    """Every entry of every δ and gradient: each line of its chain ends in the tensor's entry
    (1e-12), its written-out terms evaluate to it, its numbers line as printed gives it (to the
    4 figures shown); the chain renders in en and zh, never says it has none and shows no
    unsimplified rule (test_views checks the other problems' chains)."""
    from rich.console import Console

    solution = solved(ref)
    loss = solution.problem.loss
    for d in solution.deltas:
        for at in np.ndindex(d.value.shape):
            key = f"d{loss}/d{d.name}{_ix(at, d.value.shape)}"
            lines = element_lines(solution, key)
            assert lines[0].left.endswith(_ix(at, d.value.shape))
            for line in lines:
                name = re.match(r"δ\((\w+)\)|∂\w+/∂(\w+)", line.left)
                entry = solution.grads[name[1] or name[2]][_index_of(line.left)]
                scale = max(1.0, abs(entry))
                assert abs(line.value - entry) <= 1e-12 * scale, (key, line)
                assert line.numbers != "", key
                shown = _printed_numbers(line.numbers)
                assert abs(shown - entry) <= 5e-3 * max(scale, _magnitude(line.numbers)), (
                    key,
                    line.numbers,
                )
            for lang in ("en", "zh"):
                console = Console(width=100, record=True, color_system=None)
                console.print(chain_view(lines, key, lang))  # `solve --at KEY`'s view
                out = console.export_text()
                assert "element chain" not in out and "逐元素的链" not in out
                assert key in out
                assert unsimplified(out) == [], (key, lang, unsimplified(out))


def _index_of(left: str) -> tuple:
    inside = re.search(r"\[([\d,]+)\]$", left)
    if inside is None:
        return ()
    at = tuple(int(i) - 1 for i in inside[1].split(","))
    return at + (0,) if len(at) == 1 else at


def _magnitude(numbers: str) -> float:
    """The size of the printed numbers (round-off of 4 figures scales with it)."""
    found = [abs(float(n.replace("−", "-"))) for n in re.findall(r"\d+(?:\.\d+)?", numbers)]
    return max(found, default=1.0)
