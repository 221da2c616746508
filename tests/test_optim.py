"""Tests for tutor.registry.optim: the first three steps of every optimizer, with and without L2.

Oracle: an independent NumPy implementation of the torch.optim update rules written here
(and torch itself when it is installed), on a small coupled quadratic whose gradient changes
from step to step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tutor.errors import InputError
from tutor.model import UpdateRule
from tutor.registry import optim

NAMES = ("w1", "w2", "b")
START = np.array([0.5, -0.3, 0.1])
A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]])
C = np.array([1.0, 2.0, -1.0])


def grad(w: np.ndarray) -> np.ndarray:
    """Gradient of ½ (w - c)ᵀ A (w - c)."""
    return A @ (w - C)


def reference(optimizer: str, lr: float, steps: int, l2: float = 0.0, **h) -> list[np.ndarray]:
    """Parameters after each step, by the formulas of the torch.optim documentation."""
    w = START.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    out = []
    for t in range(1, steps + 1):
        g = grad(w) + l2 * w
        if optimizer == "sgd":
            w = w - lr * g
        elif optimizer == "momentum":
            m = g.copy() if t == 1 else h.get("momentum", 0.9) * m + g
            w = w - lr * m
        elif optimizer == "rmsprop":
            a = h.get("alpha", 0.99)
            v = a * v + (1 - a) * g**2
            w = w - lr * g / (np.sqrt(v) + h.get("eps", 1e-8))
        else:
            b1, b2 = h.get("beta1", 0.9), h.get("beta2", 0.999)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat = m / (1 - b1**t)
            v_hat = v / (1 - b2**t)
            w = w - lr * m_hat / (np.sqrt(v_hat) + h.get("eps", 1e-8))
        out.append(w)
    return out


def run(optimizer: str, lr: float, steps: int, **hyper) -> list[np.ndarray]:
    rule = UpdateRule(optimizer, lr, None, hyper)
    params = dict(zip(NAMES, START.tolist()))
    state = optim.initial_state(rule, NAMES)
    out = []
    for _ in range(steps):
        g = dict(zip(NAMES, grad(np.array([params[n] for n in NAMES])).tolist()))
        params, state = optim.step(rule, params, g, state)
        out.append(np.array([params[n] for n in NAMES]))
    return out


CASES = [
    ("sgd", 0.1, {}),
    ("momentum", 0.1, {}),
    ("momentum", 0.05, {"momentum": 0.5}),
    ("rmsprop", 0.01, {}),
    ("rmsprop", 0.01, {"alpha": 0.9, "eps": 1e-6}),
    ("adam", 0.1, {}),
    ("adam", 0.01, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
]


@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("optimizer, lr, hyper", CASES)
def test_first_three_steps_match_numpy_reference(optimizer, lr, hyper, l2):
    got = run(optimizer, lr, 3, **hyper, **({"l2": l2} if l2 else {}))
    want = reference(optimizer, lr, 3, l2=l2, **hyper)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        assert np.allclose(g, w, rtol=1e-12, atol=1e-14), f"step {step}"


def test_l2_is_its_own_term_in_the_gradient():
    rule = UpdateRule("sgd", 1.0, None, {"l2": 0.5})
    new, state = optim.step(rule, {"w": 2.0}, {"w": 0.25}, optim.initial_state(rule, ["w"]))
    assert state["shown"]["w"]["g"] == pytest.approx(0.25 + 0.5 * 2.0)
    assert new["w"] == pytest.approx(2.0 - 1.25)


def test_adam_shows_bias_corrected_and_uncorrected_step():
    rule = UpdateRule("adam", 0.1, None, {})
    _, state = optim.step(rule, {"w": 1.0}, {"w": 0.5}, optim.initial_state(rule, ["w"]))
    shown = optim.shown_state(state, "w")
    assert shown["m"] == pytest.approx(0.05)
    assert shown["v"] == pytest.approx(0.00025)
    assert shown["m_hat"] == pytest.approx(0.5)
    assert shown["v_hat"] == pytest.approx(0.25)
    # uncorrected: 1 - 0.1 · 0.05 / (√0.00025 + 1e-8) ≈ 1 - 0.316: far from the corrected 0.9
    assert shown["uncorrected"] == pytest.approx(1 - 0.1 * 0.05 / (math.sqrt(0.00025) + 1e-8))


def test_unknown_optimizer_is_an_input_error():
    with pytest.raises(InputError):
        optim.hyper(UpdateRule("lbfgs", 0.1))


@pytest.mark.parametrize("optimizer, lr, hyper", CASES)
def test_first_three_steps_match_torch(optimizer, lr, hyper):
    torch = pytest.importorskip("torch")
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    a, c = torch.tensor(A), torch.tensor(C)
    if optimizer == "sgd":
        opt = torch.optim.SGD([w], lr=lr)
    elif optimizer == "momentum":
        opt = torch.optim.SGD([w], lr=lr, momentum=hyper.get("momentum", 0.9))
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(
            [w], lr=lr, alpha=hyper.get("alpha", 0.99), eps=hyper.get("eps", 1e-8)
        )
    else:
        opt = torch.optim.Adam(
            [w],
            lr=lr,
            betas=(hyper.get("beta1", 0.9), hyper.get("beta2", 0.999)),
            eps=hyper.get("eps", 1e-8),
        )
    got = run(optimizer, lr, 3, **hyper)
    for step in range(3):
        opt.zero_grad()
        loss = 0.5 * (w - c) @ a @ (w - c)
        loss.backward()
        opt.step()
        assert np.allclose(got[step], w.detach().numpy(), rtol=1e-10), f"step {step + 1}"
