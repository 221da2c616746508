"""In-process timings of the vectorised path (issue 12), used by the `playground` section of
bench.py.

- one training step, batch 32, at sizes 2-2-1 ... 10-128-128-10 (tanh hidden layers, linear
  output, mse, SGD): ours (`vector.Program`) against the plain NumPy peer
  (scripts/numpy_peer.py, CS231n's style; goal: ours ≤ 1.5 × NumPy) and PyTorch CPU float64
  (goal: ≥ 3 × faster up to 2-16-16-1, not slower at 10-128-128-10);
- micrograd's demo (moons 100, 2-16-16-1 ReLU, max-margin loss with L2 1e-4, 100 SGD steps
  with its decaying rate): ≥ 100 × faster, final training accuracy within 2 points.

All peers run side by side in interleaved rounds (each workload once per round), so a busy
machine slows them alike; the figures are medians and ratios from the same run.
"""

from __future__ import annotations

import importlib.metadata
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_peer  # noqa: E402

from tutor.engine import vector  # noqa: E402

SIZES = ([2, 2, 1], [2, 16, 16, 1], [3, 32, 32, 2], [10, 64, 64, 10], [10, 128, 128, 10])
ROUNDS = 7
BATCH = 32


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def step_workloads(sizes, steps: int):
    """Ours, NumPy and torch, each a function running `steps` steps on the same batch."""
    params = numpy_peer.init(sizes, 1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(BATCH, sizes[0])), rng.normal(size=(BATCH, sizes[-1]))
    batches = [(x, y)] * steps
    acts = ["tanh"] * (len(sizes) - 2) + ["linear"]
    net = vector.Network(params[0::2], params[1::2], acts, "mse")
    program = vector.Program(net, "sgd")
    hyper = vector.hyper_tuple("sgd")
    state = program.initial_state(net.arrays())
    rates = [0.01] * steps

    def ours():
        program.run(net.arrays(), state, batches, hyper, rates, 0, [])

    def peer():
        numpy_peer.train(params, batches, 0.01)

    work = {"ours": ours, "numpy": peer}
    try:
        import torch
    except ImportError:
        return work
    torch.set_num_threads(1)  # as NumPy's BLAS under bench.py (bench_env)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def torch_loop():
        ps = [torch.tensor(p, requires_grad=True) for p in params]
        opt = torch.optim.SGD(ps, lr=0.01)
        for _ in range(steps):
            opt.zero_grad()
            a = xt
            for k in range(0, len(ps), 2):
                z = a @ ps[k] + ps[k + 1]
                a = torch.tanh(z) if k < len(ps) - 2 else z
            ((a - yt) ** 2).mean().backward()
            opt.step()

    work["torch"] = torch_loop
    return work


def micrograd_demo():
    """(ours seconds, ours accuracy, micrograd seconds, micrograd accuracy) or None."""
    try:
        from micrograd.engine import Value
        from micrograd.nn import MLP
    except ImportError:
        return None
    import random

    from tutor import datasets

    data = datasets.make("moons", 100, noise=0.1, seed=1)
    x, labels = data.x, data.labels
    yy = 2.0 * labels - 1  # ±1, as the demo
    steps = 100
    rates = [1.0 - 0.9 * k / 100 for k in range(steps)]

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    # the same initial weights for ours (micrograd's uniform ±1, biases 0)
    weights, biases = [], []
    for layer in model.layers:
        weights.append(
            np.array([[n.w[j].data for n in layer.neurons] for j in range(len(layer.neurons[0].w))])
        )
        biases.append(np.array([n.b.data for n in layer.neurons]))

    def micrograd_loop():
        inputs = [list(map(Value, row)) for row in x]
        for k in range(steps):
            scores = list(map(model, inputs))
            losses = [(1 + -yi * si).relu() for yi, si in zip(yy, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            reg = 1e-4 * sum(p * p for p in model.parameters())
            total = data_loss + reg
            model.zero_grad()
            total.backward()
            for p in model.parameters():
                p.data -= rates[k] * p.grad
        scores = list(map(model, inputs))
        return float(np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, yy)]))

    net = vector.Network(weights, biases, ["relu", "relu", "linear"], "hinge")
    target = yy.reshape(-1, 1)
    result = {}

    def ours():
        # L2 as micrograd's: 1e-4·Σp² in the loss is 2e-4·p in the gradient
        run = vector.train(net, x, target, steps=steps, batch=len(x), lr=1.0, l2=2e-4, rates=rates)
        out = vector.forward(run.net, x)[:, 0]
        result["ours"] = float(np.mean((out > 0) == (yy > 0)))

    t_ours = statistics.median(_timed(ours) for _ in range(5))
    start = time.perf_counter()
    acc_micrograd = micrograd_loop()
    t_micrograd = time.perf_counter() - start
    return t_ours, result["ours"], t_micrograd, acc_micrograd


def run_all(print_=print) -> list[tuple[str, bool]]:
    verdicts = []
    print_(
        f"\nvectorised training (in process; median of {ROUNDS} interleaved rounds); peers: "
        f"numpy {version('numpy')}, torch {version('torch')}, micrograd {version('micrograd')}"
    )
    print_(f"  one SGD step, batch {BATCH}, tanh MLP, mse:")
    print_(
        f"    {'sizes':<14} {'ours µs':>9} {'NumPy µs':>9} {'ours/NumPy':>10} {'torch µs':>9} "
        f"{'torch/ours':>10}  goals"
    )
    for sizes in SIZES:
        n = sum(a * b for a, b in zip(sizes, sizes[1:]))
        steps = max(20, min(2000, 400_000 // (n + 200)))
        work = step_workloads(sizes, steps)
        times = {k: [] for k in work}
        for fn in work.values():
            fn()  # warm-up
        for _ in range(ROUNDS):
            for k, fn in work.items():
                times[k].append(_timed(fn) / steps)
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = med["ours"] / med["numpy"]
        ok = ratio <= 1.5
        verdicts.append((f"ours/NumPy {'-'.join(map(str, sizes))}", ok))
        goal = f"≤ 1.5×NumPy {'pass' if ok else 'FAIL'}"
        torch_cols = f"{'':>9} {'':>10}"
        if "torch" in med:
            speed = med["torch"] / med["ours"]
            need = (
                3.0 if n <= 2 * 16 + 16 * 16 + 16 else 1.0 if sizes == [10, 128, 128, 10] else None
            )
            if need is not None:
                ok_t = speed >= need
                verdicts.append((f"torch/ours {'-'.join(map(str, sizes))}", ok_t))
                goal += f"; torch ≥ {need:g}×ours {'pass' if ok_t else 'FAIL'}"
            torch_cols = f"{med['torch'] * 1e6:>9.1f} {speed:>10.2f}"
        print_(
            f"    {'-'.join(map(str, sizes)):<14} {med['ours'] * 1e6:>9.1f} "
            f"{med['numpy'] * 1e6:>9.1f} {ratio:>10.2f} {torch_cols}  {goal}"
        )
    demo = micrograd_demo()
    if demo is None:
        print_("  micrograd demo: micrograd not installed")
    else:
        t_ours, acc_ours, t_mg, acc_mg = demo
        speed = t_mg / t_ours
        ok = speed >= 100 and abs(acc_ours - acc_mg) <= 0.02
        verdicts.append(("micrograd demo", ok))
        print_(
            f"  micrograd's demo (moons 100, 2-16-16-1 ReLU, max-margin + L2, 100 SGD "
            f"steps): ours {t_ours * 1e3:.1f} ms, accuracy {100 * acc_ours:.0f} %; "
            f"micrograd {t_mg:.2f} s, accuracy {100 * acc_mg:.0f} %; {speed:,.0f} × faster; "
            f"goal ≥ 100 × and within 2 points: {'pass' if ok else 'FAIL'}"
        )
    return verdicts


if __name__ == "__main__":
    import os

    print(f"BLAS threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    missed = [name for name, ok in run_all() if not ok]
    if missed:
        print("goals missed: " + ", ".join(missed))
    sys.exit(1 if missed else 0)
