"""Tests for tutor.registry.schedules: seed 002's four schedules against a NumPy reference written here
(and torch.optim.lr_scheduler when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.errors import InputError
from tutor.registry import schedules

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
        sch = s.LambdaLR(
            opt, lambda t: schedules.step(t, 1.0, params["milestones"], params["factors"])
        )
    elif name == "exponential":
        sch = s.ExponentialLR(opt, gamma=params["beta"])
    else:
        sch = s.CosineAnnealingLR(opt, T_max=params["total"], eta_min=params["lr_min"])
    got = schedules.rates(name, LR, 5, **params)
    for t in range(5):
        assert opt.param_groups[0]["lr"] == pytest.approx(got[t], rel=1e-12)
        opt.step()
        sch.step()


# -- the one validation of --lr, --l2, --steps and the schedule options (issue 8) -----------


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"lr": -1.0}, "--lr must be a positive number, not -1"),
        ({"lr": 0.0}, "--lr must be a positive number, not 0"),
        ({"lr": float("nan")}, "--lr must be a positive number"),
        ({"lr": float("inf")}, "--lr must be a positive number"),
        ({"l2": -0.1}, "--l2 must be 0 or a positive number"),
        ({"steps": 0}, "--steps must be at least 1 and at most 1,000,000, not 0"),
        ({"steps": schedules.MAX_STEPS + 1}, "at most 1,000,000"),
        (
            {"schedule": "exponential", "options": {"beta": 1.5}},
            "--beta must be a number in (0, 1]",
        ),
        (
            {"schedule": "exponential", "options": {"beta": 0.0}},
            "--beta must be a number in (0, 1]",
        ),
        (
            {"schedule": "polynomial", "options": {"alpha": 0.0}},
            "--alpha must be a positive number",
        ),
        ({"schedule": "polynomial", "options": {"beta": -2.0}}, "--beta must be a positive number"),
        ({"schedule": "cosine", "options": {"lr_min": -0.01}}, "--lr-min must be 0 or a positive"),
        ({"schedule": "cosine", "lr": 0.1, "options": {"lr_min": 0.5}}, "no larger than --lr"),
        ({"schedule": "step", "options": {"milestones": (5, 3)}}, "increasing order"),
        ({"schedule": "step", "options": {"milestones": (0, 3)}}, "at least 1"),
        ({"schedule": "step", "options": {"milestones": (2, 4), "factors": (0.1,)}}, "as many"),
        ({"schedule": "step", "options": {"factors": (0.1, -1.0)}}, "--factors must be positive"),
        ({"schedule": "cosine", "options": {"beta": 0.5}}, "--beta does not apply to the cosine"),
    ],
)
def test_check_run_refuses_bad_settings_in_one_line(settings, message):
    with pytest.raises(InputError) as info:
        schedules.check_run(**settings)
    text = str(info.value)
    assert message in text and "\n" not in text


@pytest.mark.parametrize("lr", [-1.0, 0.0])
def test_rates_refuse_a_rate_that_is_not_positive(lr):
    with pytest.raises(InputError, match="--lr must be a positive number"):
        schedules.rates("cosine", lr, 10)


def test_milestones_alone_get_tenfold_smaller_factors():
    # by hand: η0 = 1 until t = 2, then 0.1, from t = 4 on 0.01, from t = 5 on 0.001
    got = schedules.rates("step", 1.0, 6, milestones=(2, 4, 5))
    assert got == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.001], rel=1e-15)


def test_a_huge_step_count_is_refused_before_anything_is_allocated():
    from shared import no_hang

    with no_hang(1.0), pytest.raises(InputError, match="at most 1,000,000"):
        schedules.rates("constant", LR, 10**15)
