"""In-process timings of training (issue 5), used by the `training` section of bench.py.

- 10,000 SGD steps of a 2-2-2 sigmoid network inside the compiled loop (goal ≤ 0.05 s);
- time per step of generated MLPs, widths 2..64 and depths 1..4, against the number of
  weights, and the fitted growth exponent (log-log least squares; goal ≤ 1.2);
- peers on the same workloads, as ratios: a plain NumPy loop written here, and micrograd and
  PyTorch when they are importable (they are not dependencies).

Each timing is the median of a few repeats of the loop only (compilation is reported apart).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tutor.engine import scalar as engine
from tutor.playground import training
from tutor.problems.loader import load_problem
from tutor.variants import generate

REPEATS = 5


def problem_for(sizes, activation="sigmoid", loss="mse", seed=0):
    folder = Path(tempfile.mkdtemp(prefix="bptutor-bench-"))
    f = folder / "net.yaml"
    f.write_text(generate.mlp(sizes, activation, loss, seed), encoding="utf-8")
    return load_problem(f)


def median_time(fn, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compiled(problem, optimizer="sgd"):
    """The compiled program and its arguments; the seconds taken to build it."""
    start = time.perf_counter()
    program = training.Program(
        engine.build_graph(problem), tuple(problem.params), optimizer, l2=False
    )
    leaves = engine.numeric_leaves(problem)
    params = [leaves[n] for n in program.names]
    fixed = [leaves[n] for n in program.fixed_names]
    program.run(
        params, [[0.0] * len(params)] * 2, fixed, (0.9, 0.99, 0.9, 0.999, 1e-8, 0.0), [0.1], 0, []
    )
    return program, params, fixed, time.perf_counter() - start


def ours(problem, steps: int, lr=0.1):
    program, params, fixed, build = compiled(problem)
    hyper = (0.9, 0.99, 0.9, 0.999, 1e-8, 0.0)
    rates = [lr] * steps

    def run():
        program.run(list(params), [[0.0] * len(params)] * 2, fixed, hyper, rates, 0, [])

    return median_time(run), build


# --------------------------------------------------------------------------- peers


def layers_of(problem):
    """Weight matrices, bias vectors, x and y of a generated MLP, as NumPy arrays."""
    sizes: dict[int, tuple[int, int]] = {}
    for name in problem.params:
        parts = name[1:].split("_")
        l, i = int(parts[0]), int(parts[1])
        j = int(parts[2]) if len(parts) > 2 else 0
        r, c = sizes.get(l, (0, 0))
        sizes[l] = (max(r, i), max(c, j))
    p = {n: float(v) for n, v in problem.params.items()}
    layers = []
    for l in sorted(sizes):
        r, c = sizes[l]
        w = np.array([[p[f"W{l}_{i}_{j}"] for j in range(1, c + 1)] for i in range(1, r + 1)])
        b = np.array([p[f"b{l}_{i}"] for i in range(1, r + 1)])
        layers.append((w, b))
    x = np.array([float(v) for v in problem.inputs.values()])
    y = np.array([float(v) for v in problem.targets.values()])
    return layers, x, y


def numpy_loop(problem, steps: int, lr=0.1) -> float:
    """A plain NumPy training loop: sigmoid MLP, mean squared error, SGD."""
    layers0, x, y = layers_of(problem)

    def run():
        layers = [(w.copy(), b.copy()) for w, b in layers0]
        n = len(y)
        for _ in range(steps):
            acts = [x]
            for w, b in layers:
                acts.append(1 / (1 + np.exp(-(w @ acts[-1] + b))))
            delta = 2 * (acts[-1] - y) / n * acts[-1] * (1 - acts[-1])
            for k in range(len(layers) - 1, -1, -1):
                w, b = layers[k]
                gw, gb = np.outer(delta, acts[k]), delta
                if k:
                    delta = (w.T @ delta) * acts[k] * (1 - acts[k])
                layers[k] = (w - lr * gw, b - lr * gb)

    return median_time(run)


def torch_loop(problem, steps: int, lr=0.1) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    layers0, x, y = layers_of(problem)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def run():
        params = []
        for w, b in layers0:
            params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
        opt = torch.optim.SGD(params, lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            a = xt
            for k in range(0, len(params), 2):
                a = torch.sigmoid(params[k] @ a + params[k + 1])
            ((a - yt) ** 2).mean().backward()
            opt.step()

    return median_time(run, repeats=3)


def micrograd_loop(problem, steps: int, lr=0.1) -> float | None:
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    if not hasattr(Value, "exp"):
        # micrograd as released has relu only; give it exp the way its README adds ops
        def exp(self):
            out = Value(math.exp(self.data), (self,), "exp")

            def _backward():
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        Value.exp = exp
    layers0, x, y = layers_of(problem)

    def run():
        layers = [
            ([[Value(float(v)) for v in row] for row in w], [Value(float(v)) for v in b])
            for w, b in layers0
        ]
        params = [p for w, b in layers for row in w for p in row] + [
            p for _, b in layers for p in b
        ]
        for _ in range(steps):
            a = [Value(float(v)) for v in x]
            for w, b in layers:
                a = [
                    1 / (1 + (-(sum((wi * ai for wi, ai in zip(row, a)), bi))).exp())
                    for row, bi in zip(w, b)
                ]
            loss = sum((ai - float(yi)) ** 2 for ai, yi in zip(a, y)) * (1 / len(y))
            for p in params:
                p.grad = 0.0
            loss.backward()
            for p in params:
                p.data -= lr * p.grad

    return median_time(run, repeats=1)


# --------------------------------------------------------------------------- the figures


def weights(sizes) -> int:
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def fit_exponent(xs, ys) -> float:
    """Slope of log y against log x (least squares)."""
    lx, ly = np.log(xs), np.log(ys)
    return float(np.polyfit(lx, ly, 1)[0])


def run_all(print_=print) -> list[tuple[str, bool]]:
    """Print the figures with their goals; return (name, goal met) pairs."""
    verdicts = []
    print_("\ntraining (in process; median of repeats, compile time apart)")
    net = problem_for([2, 2, 2], "sigmoid", "mse", seed=0)
    steps = 10_000
    t, build = ours(net, steps)
    ok = t <= 0.05
    verdicts.append(("10k SGD steps 2-2-2", ok))
    print_(
        f"  10,000 SGD steps, 2-2-2 sigmoid: {t:.4f} s in the loop ({t / steps * 1e6:.2f} µs"
        f"/step), compile {build:.3f} s; goal ≤ 0.05 s: {'pass' if ok else 'FAIL'}"
    )
    peers = [
        ("NumPy loop", numpy_loop(net, steps)),
        ("micrograd", micrograd_loop(net, steps)),
        ("PyTorch", torch_loop(net, steps)),
    ]
    for name, p in peers:
        shown = "not installed" if p is None else f"{p:.4f} s = {p / t:.1f} × ours"
        print_(f"    peer {name:<11} {shown}")

    print_("  time per SGD step of generated sigmoid MLPs (inputs = width, 2 outputs):")
    print_(f"    {'width':>5} {'depth':>5} {'weights':>8} {'µs/step':>10} {'compile s':>10}")
    xs, ys = [], []
    for depth in (1, 2, 3, 4):
        for width in (2, 4, 8, 16, 32, 64):
            sizes = [width] + [width] * depth + [2]
            problem = problem_for(sizes, seed=depth * 100 + width)
            n = weights(sizes)
            reps = max(3, min(2000, 200_000 // n))
            t, build = ours(problem, reps)
            xs.append(n)
            ys.append(t / reps)
            print_(f"    {width:>5} {depth:>5} {n:>8} {t / reps * 1e6:>10.2f} {build:>10.2f}")
    slope = fit_exponent(xs, ys)
    big = [(x, y) for x, y in zip(xs, ys) if x >= 1000]
    slope_big = fit_exponent(*zip(*big)) if len(big) >= 2 else float("nan")
    ok = slope <= 1.2
    verdicts.append(("growth exponent", ok))
    print_(
        f"  growth exponent (time per step ~ weights^k): k = {slope:.3f} over all sizes, "
        f"{slope_big:.3f} over ≥ 1000 weights; goal ≤ 1.2: {'pass' if ok else 'FAIL'}"
    )
    mid = problem_for([3, 32, 32, 2], seed=1)
    t, _ = ours(mid, 200)
    p = numpy_loop(mid, 200)
    print_(
        f"  3-32-32-2 ({weights([3, 32, 32, 2])} weights): {t / 200 * 1e6:.1f} µs/step; "
        f"NumPy loop {p / 200 * 1e6:.1f} µs/step = {p / t:.2f} × ours"
    )
    return verdicts


if __name__ == "__main__":
    run_all()
