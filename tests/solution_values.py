"""Name -> number views of a Solution, and hand-derived values, shared by the tests."""

from __future__ import annotations


def forward_values(solution) -> dict[str, float]:
    return {s.name: s.value for s in solution.forward}


def after_values(solution) -> dict[str, float]:
    return {s.name: s.value for s in solution.forward_after}


def new_values(solution) -> dict[str, float]:
    return {u.name: u.new for u in solution.updates}


def shared_paths_dL_db() -> float:
    """dL/db of tests/fixtures/shared_paths.yaml, by hand: b reaches L through z1 (then h, o1
    and o2) and through z2 (then o1 and o2), and the four routes add up."""
    import math

    x1, x2, y1, y2, w1, w2, w3, w4, b = 0.5, -1.5, 1, -0.25, 0.7, -0.4, 1.3, 0.9, 0.2
    z1, z2 = w1 * x1 + b, w2 * x2 + b
    h = math.tanh(z1)
    o1, o2 = w3 * h + z2, w4 * h * z2
    dh = (o1 - y1) * w3 + (o2 - y2) * w4 * z2
    dz2 = (o1 - y1) + (o2 - y2) * w4 * h
    return dh * (1 - h**2) + dz2
