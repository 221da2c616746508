"""Tests for tutor.schedules: seed 002's four schedules against a NumPy reference written here
(and torch.optim.lr_scheduler when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from tutor import schedules
from tutor.errors import InputError

LR = 0.1


def reference(name: str, steps: int, **p) -> np.ndarray:
    t = np.arange(steps, dtype=float)
    if name == "constant":
        return np.full(steps, LR)
    if name == "step":
        # factor 1 before the first milestone, factors[i] from milestones[i] on
        factor = np.ones(steps)
        for milestone, f in zip(p["milestones"], p["factors"]):
            factor[t >= milestone] = f
        return LR * factor
    if name == "exponential":
        return LR * np.power(p["beta"], t)
    if name == "polynomial":
        return LR * np.power(p["beta"] * t + 1, -p["alpha"])
    return p["lr_min"] + 0.5 * (LR - p["lr_min"]) * (1 + np.cos(np.pi * t / p["total"]))


CASES = [
    ("constant", {}),
    ("step", {"milestones": (2, 3), "factors": (0.5, 0.1)}),
    ("step", {"milestones": (1,), "factors": (0.3,)}),
    ("exponential", {"beta": 0.9}),
    ("polynomial", {"beta": 0.5, "alpha": 2.0}),
    ("cosine", {"total": 4, "lr_min": 0.0}),
    ("cosine", {"total": 10, "lr_min": 0.01}),
]


@pytest.mark.parametrize("name, params", CASES)
def test_first_steps_match_numpy_reference(name, params):
    got = schedules.rates(name, LR, 5, **params)
    assert np.allclose(got, reference(name, 5, **params), rtol=1e-14, atol=0)


def test_hand_values():
    assert schedules.exponential(3, 0.1, 0.5) == pytest.approx(0.0125)
    assert schedules.polynomial(3, 0.1, 1.0, 1.0) == pytest.approx(0.025)
    assert schedules.cosine(0, 0.1, 100) == pytest.approx(0.1)
    assert schedules.cosine(50, 0.1, 100) == pytest.approx(0.05)
    assert schedules.cosine(100, 0.1, 100) == pytest.approx(0.0, abs=1e-15)
    assert schedules.step(9, 1.0, (10, 20), (0.1, 0.01)) == 1.0
    assert schedules.step(10, 1.0, (10, 20), (0.1, 0.01)) == pytest.approx(0.1)
    assert schedules.step(25, 1.0, (10, 20), (0.1, 0.01)) == pytest.approx(0.01)


@pytest.mark.parametrize("name", schedules.SCHEDULES)
def test_defaults_start_at_lr_and_never_grow(name):
    r = schedules.rates(name, LR, 200)
    assert r[0] == LR
    assert all(b <= a + 1e-15 for a, b in zip(r, r[1:]))
    assert r[-1] > 0


def test_defaults_end_where_the_docstring_says():
    assert schedules.rate_function("exponential", 1.0, 100)(100) == pytest.approx(0.01)
    assert schedules.rate_function("polynomial", 1.0, 100)(100) == pytest.approx(0.1)


def test_refusals():
    with pytest.raises(InputError):
        schedules.rates("triangle", LR, 10)
    with pytest.raises(InputError):
        schedules.rates("cosine", LR, 0)
    with pytest.raises(InputError):
        schedules.rates("exponential", LR, 10, alpha=2.0)


@pytest.mark.parametrize("name, params", [c for c in CASES if c[0] != "polynomial"])
def test_first_steps_match_torch(name, params):
    torch = pytest.importorskip("torch")
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=LR)
    s = torch.optim.lr_scheduler
    if name == "constant":
        sch = s.LambdaLR(opt, lambda t: 1.0)
    elif name == "step":
        sch = s.LambdaLR(opt, lambda t: schedules.step(t, 1.0, params["milestones"],
                                                       params["factors"]))  # fmt: skip
    elif name == "exponential":
        sch = s.ExponentialLR(opt, gamma=params["beta"])
    else:
        sch = s.CosineAnnealingLR(opt, T_max=params["total"], eta_min=params["lr_min"])
    got = schedules.rates(name, LR, 5, **params)
    for t in range(5):
        assert opt.param_groups[0]["lr"] == pytest.approx(got[t], rel=1e-12)
        opt.step()
        sch.step()
