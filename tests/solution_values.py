"""Name -> number views of a Solution, shared by the engine and catalogue tests."""

from __future__ import annotations


def forward_values(solution) -> dict[str, float]:
    return {s.name: s.value for s in solution.forward}


def after_values(solution) -> dict[str, float]:
    return {s.name: s.value for s in solution.forward_after}


def new_values(solution) -> dict[str, float]:
    return {u.name: u.new for u in solution.updates}
