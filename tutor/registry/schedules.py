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
from numbers import Integral, Real

from tutor.errors import InputError

SCHEDULES = ("constant", "step", "exponential", "polynomial", "cosine")
FORMULAS = {
    "constant": "η_t = η0",
    "step": "η_t = η0 · factor_i for t ≥ T_i (piecewise constant)",
    "exponential": "η_t = η0 · β^t",
    "polynomial": "η_t = η0 · (β·t + 1)^(-α)",
    "cosine": "η_t = η_min + ½(η0 − η_min)(1 + cos(π·t/T))",
}


# The longest run any command accepts: its rates and losses are lists of that many floats
# (about 32 MB at most), and 10^6 steps of a small network (ex4) take a few seconds.
MAX_STEPS = 1_000_000


def check_run(*, lr=None, l2=None, steps=None, schedule=None, options=None) -> dict:
    """The one validation of a run's settings (--lr, --l2, --steps, --schedule and its options),
    used by solve, train and schedule alike. Returns the schedule's parameters, defaults
    filled in, when a schedule is named; raises InputError (one line) for anything else."""
    if lr is not None and not (_finite(lr) and lr > 0):
        raise InputError(f"--lr must be a positive number, not {_show(lr)}")
    if l2 is not None and not (_finite(l2) and l2 >= 0):
        raise InputError(f"--l2 must be 0 or a positive number, not {_show(l2)}")
    if steps is not None and not (isinstance(steps, Integral) and 1 <= steps <= MAX_STEPS):
        raise InputError(
            f"--steps must be at least 1 and at most {MAX_STEPS:,}, not {_show(steps)}"
        )
    if schedule is None:
        return {}
    if schedule not in SCHEDULES:
        raise InputError(f"unknown schedule '{schedule}' (one of {', '.join(SCHEDULES)})")
    given = {k: v for k, v in (options or {}).items() if v is not None}
    params = {**defaults(schedule, steps or 1), **given}
    if schedule == "step" and "milestones" in given and "factors" not in given:
        params["factors"] = tuple(10.0 ** -(i + 1) for i in range(len(given["milestones"])))
    unknown = set(params) - set(defaults(schedule, 1))
    if unknown:
        flags = ", ".join("--" + k.replace("_", "-") for k in sorted(unknown))
        raise InputError(f"{flags} does not apply to the {schedule} schedule")
    for key, value in given.items():
        _check_option(schedule, key, value, lr)
    if schedule == "step" and len(params["milestones"]) != len(params["factors"]):
        raise InputError(
            "--milestones and --factors must have as many values each "
            f"(got {len(params['milestones'])} and {len(params['factors'])})"
        )
    return params


def _check_option(schedule: str, key: str, value, lr) -> None:
    flag = "--" + key.replace("_", "-")
    if key == "milestones":
        if not all(isinstance(m, Integral) and m >= 1 for m in value) or not value:
            raise InputError(f"{flag} must be whole step numbers of at least 1")
        if list(value) != sorted(set(value)):
            raise InputError(f"{flag} must be in increasing order")
        return
    if key == "factors":
        if not value or not all(_finite(f) and f > 0 for f in value):
            raise InputError(f"{flag} must be positive numbers")
        return
    ok = _finite(value)
    if key == "beta" and schedule == "exponential":
        ok = ok and 0 < value <= 1
        rule = "a number in (0, 1]"
    elif key == "lr_min":
        ok = ok and 0 <= value and (lr is None or value <= lr)
        rule = "0 or a positive number no larger than --lr"
    else:  # polynomial beta and alpha
        ok = ok and value > 0
        rule = "a positive number"
    if not ok:
        raise InputError(f"{flag} must be {rule} for the {schedule} schedule, not {_show(value)}")


def _finite(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


def _show(x) -> str:
    from tutor.text.notation import fmt

    return fmt(x) if isinstance(x, float) else str(x)


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
    params = check_run(lr=lr, steps=steps, schedule=name, options=options)
    fn = globals()[name]
    return lambda t: fn(t, lr, **params)


def rates(name: str, lr: float, steps: int, **options) -> list[float]:
    """η_t for t = 0 .. steps-1."""
    f = rate_function(name, lr, steps, **options)
    return [f(t) for t in range(steps)]
