"""Learning-rate schedules (seed 002): the rate at step t as a pure function of t.

Steps count from t = 0 (the first update uses the initial rate η0), as PyTorch's schedulers do
when `scheduler.step()` follows each optimizer step. Defaults that depend on the length of the
run T are chosen so that each schedule ends near a tenth or a hundredth of η0.

- constant:    η_t = η0
- step:        piecewise constant: η_t = η0 · factor_i from milestone T_i on
- exponential: η_t = η0 · β^t
- polynomial:  η_t = η0 · (β·t + 1)^(-α)
- cosine:      η_t = η_min + ½ (η0 - η_min) (1 + cos(π t / T))   (cosine annealing)
"""

from __future__ import annotations

import bisect
import math

from .errors import InputError

SCHEDULES = ("constant", "step", "exponential", "polynomial", "cosine")
FORMULAS = {
    "constant": "η_t = η0",
    "step": "η_t = η0 · factor_i for t ≥ T_i (piecewise constant)",
    "exponential": "η_t = η0 · β^t",
    "polynomial": "η_t = η0 · (β·t + 1)^(-α)",
    "cosine": "η_t = η_min + ½(η0 − η_min)(1 + cos(π·t/T))",
}


def constant(t: int, lr: float) -> float:
    return lr


def step(t: int, lr: float, milestones=(), factors=()) -> float:
    """η0 before the first milestone, η0·factors[i] from milestones[i] on (ascending)."""
    i = bisect.bisect_right(list(milestones), t)
    return lr if i == 0 else lr * factors[i - 1]


def exponential(t: int, lr: float, beta: float) -> float:
    return lr * beta**t


def polynomial(t: int, lr: float, beta: float, alpha: float) -> float:
    return lr * (beta * t + 1) ** (-alpha)


def cosine(t: int, lr: float, total: int, lr_min: float = 0.0) -> float:
    return lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * t / total))


def defaults(name: str, steps: int) -> dict:
    """Parameters of each schedule for a run of `steps` updates (see the module docstring)."""
    steps = max(steps, 1)
    return {
        "constant": {},
        "step": {"milestones": (steps // 2, (3 * steps) // 4), "factors": (0.1, 0.01)},
        "exponential": {"beta": 0.01 ** (1 / steps)},  # η0/100 at t = T
        "polynomial": {"beta": 9 / steps, "alpha": 1.0},  # η0/10 at t = T
        "cosine": {"total": steps, "lr_min": 0.0},
    }[name]


def rate_function(name: str, lr: float, steps: int, **options):
    """t -> η_t for the named schedule; `options` override the defaults (None = default)."""
    if name not in SCHEDULES:
        raise InputError(f"unknown schedule '{name}' (one of {', '.join(SCHEDULES)})")
    if steps < 1:
        raise InputError("the number of steps must be at least 1")
    params = {**defaults(name, steps), **{k: v for k, v in options.items() if v is not None}}
    unknown = set(params) - set(defaults(name, steps))
    if unknown:
        raise InputError(f"schedule '{name}' has no option {', '.join(sorted(unknown))}")
    fn = globals()[name]
    return lambda t: fn(t, lr, **params)


def rates(name: str, lr: float, steps: int, **options) -> list[float]:
    """η_t for t = 0 .. steps-1."""
    f = rate_function(name, lr, steps, **options)
    return [f(t) for t in range(steps)]
