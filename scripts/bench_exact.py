"""What exact values cost: `solve` with and without the exact (Fraction) evaluation.

Goal (issue 8): `bptutor solve` no more than 5 % slower in CPU time. Two measurements, each
with the exact evaluation on and off in interleaved rounds (ROUNDS each, medians):
- cold: the whole command `bptutor solve ex2` in a fresh process, CPU time (user + system);
  the "off" run is the same entry point with the engine's `exact_values` default switched off;
- in process: `engine.solve` alone (graph, compile, evaluate, backward, update) on ex2 and on a
  generated 3-32-32-2 ReLU network, CPU time of the calling thread.
Run alone: `python scripts/bench_exact.py`; `make bench` runs it as the `exact` section.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

ROUNDS = 11
GOAL = 1.05

COMMAND = (
    "import sys; from tutor import cli, engine; "
    "engine.solve.__kwdefaults__['exact_values'] = {exact}; "
    "sys.argv = ['bptutor', 'solve', 'ex2']; cli.entry()"
)


def _cold_cpu(exact: bool) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-c", COMMAND.format(exact=exact)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _solve_cpu(problem, exact: bool) -> float:
    from tutor.engine import scalar as engine

    start = time.thread_time()
    engine.solve(problem, exact_values=exact)
    return time.thread_time() - start


def _row(name: str, on: list[float], off: list[float], judged: bool) -> tuple[str, bool]:
    a, b = statistics.median(on), statistics.median(off)
    ok = a <= GOAL * b
    goal = f"≤ {GOAL:g} × off" if judged else "(measured)"
    verdict = ("pass" if ok else "FAIL") if judged else ""
    print(f"{name:<28} {a * 1000:>10.2f} {b * 1000:>10.2f} {a / b:>7.3f}  {goal:<12} {verdict}")
    return name, ok or not judged


def run_all() -> list[tuple[str, bool]]:
    """Print the figures; return (name, goal met) for each."""
    import tempfile
    from pathlib import Path

    from tutor.problems import catalog
    from tutor.variants import generate

    with tempfile.TemporaryDirectory() as folder:
        net = Path(folder) / "mlp_3_32_32_2.yaml"
        net.write_text(generate.mlp([3, 32, 32, 2], "relu", "mse", 1), encoding="utf-8")
        big = catalog.load(str(net))
    cases = [("solve ex2, in process", catalog.load("ex2")), ("solve 3-32-32-2 relu, in proc", big)]
    times: dict[str, dict[bool, list[float]]] = {}
    _cold_cpu(True)  # warm-up: disk cache, byte code
    for _name, problem in cases:
        _solve_cpu(problem, True)
    for i in range(ROUNDS):
        for exact in (True, False) if i % 2 == 0 else (False, True):
            times.setdefault("bptutor solve ex2 (cold)", {}).setdefault(exact, []).append(
                _cold_cpu(exact)
            )
            for name, problem in cases:
                times.setdefault(name, {}).setdefault(exact, []).append(_solve_cpu(problem, exact))
    print(f"\nexact values: CPU ms, median of {ROUNDS} interleaved rounds")
    print(f"{'case':<28} {'exact on':>10} {'exact off':>10} {'ratio':>7}  {'goal':<12} result")
    out = [
        _row(name, t[True], t[False], judged=name.startswith("bptutor"))
        for name, t in times.items()
    ]
    return out


if __name__ == "__main__":
    sys.exit(0 if all(ok for _, ok in run_all()) else 1)
