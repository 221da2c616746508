"""In-process timings of the vectorised path (issues 12 and 19), used by the `playground`
section of bench.py.

- one training step, batch 32, of an MLP: ours (`vector.Program`, the step printed from the op
  table by `engine.arrays`, in the course's layout: samples are columns) against the plain
  NumPy peer (scripts/numpy_peer.py, CS231n's layout and style) and PyTorch CPU float64:
  - tanh hidden layers, linear output, mse (issue 12's sizes 2-2-1 ... 10-128-128-10: ours ≤
    1.5 × NumPy; torch ≥ 3 × slower than ours up to 2-16-16-1, not faster at 10-128-128-10);
  - issue 19: tanh/mse and ReLU hidden layers with sigmoid outputs and binary cross-entropy at
    3-32-32-2, 10-128-128-10 and 784-256-256-10: ours ≤ 1.05 × NumPy;
- issue 19: a convolutional network (conv 3×3 with 8 maps and a bias each, ReLU, 2×2 max
  pooling, a linear layer to 10 classes, cross-entropy from log-softmax) at 1×28×28 and
  3×64×64, forward and backward (the gradients of every parameter) in process: ours (the
  generated step of the tensor problem) ≤ 1.5 × PyTorch float64; the engine's own
  `engine.tensor.evaluate` (what `solve` runs, every δ and the worked rules) is shown beside;
- micrograd's demo (moons 100, 2-16-16-1 ReLU, max-margin loss with L2 1e-4, 100 SGD steps
  with its decaying rate): ≥ 100 × faster, final training accuracy within 2 points.

All peers run side by side in interleaved rounds (each workload once per round, the order
rotating from round to round), so a busy machine slows them alike; the times are medians, the ratios medians of each round's ratio (the
two sides of a ratio measured moments apart), with the load average before and after. Run
under one BLAS thread (bench.py's `bench_env`).
"""

from __future__ import annotations

import importlib.metadata
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_peer  # noqa: E402

from tutor.playground import vector  # noqa: E402

ISSUE12 = ([2, 2, 1], [2, 16, 16, 1], [3, 32, 32, 2], [10, 64, 64, 10], [10, 128, 128, 10])
ISSUE19 = ([3, 32, 32, 2], [10, 128, 128, 10], [784, 256, 256, 10])
CONV = ((1, 28, 28), (3, 64, 64))
ROUNDS = 15
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


def _medians(work: dict, rounds: int, per: int = 1, base: str | None = None) -> dict:
    """Median seconds of each workload over interleaved rounds; with `base`, also the median
    over the rounds of each workload's time divided by `base`'s in the same round
    ("ours/numpy"...): paired, so a machine busy in one round slows both sides of it."""
    times = {k: [] for k in work}
    for fn in work.values():
        fn()  # warm-up (and the generated code compiled)
    names = list(work)
    for r in range(rounds):
        # each round in another order: what runs just before a workload (torch's allocations,
        # another's cache contents) is the same for all of them over the rounds
        for k in names[r % len(names) :] + names[: r % len(names)]:
            times[k].append(_timed(work[k]) / per)
    out = {k: statistics.median(v) for k, v in times.items()}
    if base is not None:
        for k in work:
            if k != base:
                out[f"{k}/{base}"] = statistics.median(a / b for a, b in zip(times[k], times[base]))
    return out


def step_workloads(sizes, kind: str, steps: int):
    """Ours, NumPy and torch, each a function running `steps` steps on the same batch, from
    the same weights (ours in the course's layout, the peers in CS231n's)."""
    params = numpy_peer.init(sizes, 1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, sizes[0]))
    if kind == "relu/bce":
        y = (rng.random((BATCH, sizes[-1])) > 0.5).astype(float)
        acts = ["relu"] * (len(sizes) - 2) + ["sigmoid"]
        loss = "binary_cross_entropy"
    else:
        y = rng.normal(size=(BATCH, sizes[-1]))
        acts = ["tanh"] * (len(sizes) - 2) + ["linear"]
        loss = "mse"
    columns = (x.T.copy(), y.T.copy())  # a sample is a column
    weights = [w.T.copy() for w in params[0::2]]
    biases = [b.reshape(-1, 1) for b in params[1::2]]
    net = vector.Network(weights, biases, acts, loss)
    program = vector.Program(net, "sgd", targets=columns[1])
    hyper = vector.hyper_tuple("sgd")
    state = program.initial_state(net.arrays())
    rates = [0.01] * steps

    def ours():
        program.run(net.arrays(), state, [columns] * steps, hyper, rates, 0, [])

    def peer():
        numpy_peer.train(params, [(x, y)] * steps, 0.01, kind)

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
                if k < len(ps) - 2:
                    a = torch.relu(z) if kind == "relu/bce" else torch.tanh(z)
                else:
                    a = z
            if kind == "relu/bce":
                f = torch.nn.functional.binary_cross_entropy_with_logits
                (f(a, yt, reduction="sum") / len(x)).backward()
            else:
                ((a - yt) ** 2).mean().backward()
            opt.step()

    work["torch"] = torch_loop
    return work


def conv_problem(channels: int, height: int, width: int, seed: int = 11):
    """The convolutional network as a tensor problem (scripts/make_mnist_conv.py's, at any
    input size), with random numbers of a fixed seed."""
    from tutor.language.matrix_expr import parse
    from tutor.model import Equation, Problem, Text

    rng = np.random.default_rng(seed)
    x = rng.random((channels, height, width))
    k = rng.normal(0, 0.3, (8, channels, 3, 3))
    b = rng.normal(0, 0.1, (8, 1))
    w = rng.normal(0, 0.03, (10, 8 * ((height - 2) // 2) * ((width - 2) // 2)))
    c = rng.normal(0, 0.1, (10, 1))
    y = np.zeros((10, 1))
    y[3] = 1
    texts = [
        ("z", "conv2d_bias(x, K, b)"),
        ("a", "relu(z)"),
        ("m", "maxpool(a, 2)"),
        ("f", "flatten(m)"),
        ("o", "W @ f + c"),
        ("L", "-sum(y * log_softmax(o))"),
    ]
    names = {"x", "y", "K", "b", "W", "c"} | {n for n, _ in texts}
    graph = tuple(Equation(n, t, parse(t, names), i + 1) for i, (n, t) in enumerate(texts))
    return Problem(
        id=f"conv_{channels}x{height}x{width}",
        title=Text("conv", "conv"),
        statement=Text("conv", "conv"),
        kind="conv-net",
        inputs={"x": x},
        targets={"y": y},
        params={"K": k, "b": b, "W": w, "c": c},
        constants={},
        graph=graph,
        loss="L",
        extra={"tensor": True},
    )


def conv_workloads(shape):
    """Ours (the generated step's gradients), the engine's evaluate and torch's forward and
    backward, on the same numbers."""
    from tutor.engine import arrays, tensor

    problem = conv_problem(*shape)
    program = arrays.Program(arrays.problem_graph(problem))
    grads = program.function("grads")
    params = [problem.leaves[n] for n in program.graph.params]
    fixed = [problem.leaves[n] for n in program.graph.fixed]
    work = {
        "ours": lambda: grads(params, fixed),
        "evaluate": lambda: tensor.evaluate(problem, problem.leaves),
    }
    try:
        import torch
        import torch.nn.functional as F  # noqa: N812
    except ImportError:
        return work
    torch.set_num_threads(1)
    leaves = problem.leaves
    xt = torch.tensor(leaves["x"][None])
    kt, bt, wt, ct = (
        torch.tensor(leaves[n].reshape(s), requires_grad=True)
        for n, s in (("K", leaves["K"].shape), ("b", (8,)), ("W", leaves["W"].shape), ("c", (10,)))
    )
    label = torch.tensor([3])

    def torch_step():
        for t in (kt, bt, wt, ct):
            t.grad = None
        a = F.max_pool2d(F.relu(F.conv2d(xt, kt, bt)), 2)
        F.cross_entropy(a.reshape(1, -1) @ wt.T + ct, label, reduction="sum").backward()

    work["torch"] = torch_step
    return work


def micrograd_demo():
    """(ours seconds, ours accuracy, micrograd seconds, micrograd accuracy) or None."""
    try:
        from micrograd.engine import Value
        from micrograd.nn import MLP
    except ImportError:
        return None
    import random

    from tutor.playground import datasets

    data = datasets.make("moons", 100, noise=0.1, seed=1)
    x, labels = data.x, data.labels
    yy = 2.0 * labels - 1  # ±1, as the demo
    steps = 100
    rates = [1.0 - 0.9 * k / 100 for k in range(steps)]

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    # the same initial weights for ours (micrograd's uniform ±1, biases 0), units × inputs
    weights, biases = [], []
    for layer in model.layers:
        weights.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
        biases.append(np.array([[n.b.data] for n in layer.neurons]))

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
    columns, target = x.T.copy(), yy.reshape(1, -1)
    result = {}

    def ours():
        # L2 as micrograd's: 1e-4·Σp² in the loss is 2e-4·p in the gradient
        run = vector.train(
            net, columns, target, steps=steps, batch=len(x), lr=1.0, l2=2e-4, rates=rates
        )
        out = vector.forward(run.net, columns)[0]
        result["ours"] = float(np.mean((out > 0) == (yy > 0)))

    t_ours = statistics.median(_timed(ours) for _ in range(5))
    start = time.perf_counter()
    acc_micrograd = micrograd_loop()
    t_micrograd = time.perf_counter() - start
    return t_ours, result["ours"], t_micrograd, acc_micrograd


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


def run_all(print_=print) -> list[tuple[str, bool]]:
    verdicts = []
    print_(
        f"\nvectorised training (in process; medians of {3 * ROUNDS} interleaved rounds, "
        f"{2 * ROUNDS} for the conv network); peers: "
        f"numpy {version('numpy')}, torch {version('torch')}, micrograd {version('micrograd')}"
        f"; load average {_load()}"
    )
    print_(f"  one SGD step, batch {BATCH}:")
    print_(
        f"    {'kind':<9} {'sizes':<16} {'ours µs':>9} {'NumPy µs':>9} {'ours/NumPy':>10} "
        f"{'torch µs':>9} {'torch/ours':>10}  goals"
    )
    rows = [("tanh/mse", s) for s in ISSUE12] + [("tanh/mse", ISSUE19[-1])]
    rows += [("relu/bce", s) for s in ISSUE19]
    for kind, sizes in rows:
        n = sum(a * b for a, b in zip(sizes, sizes[1:]))
        steps = max(2, min(1000, 100_000 // (n + 200)))  # a few ms per timing, many rounds
        work = step_workloads(sizes, kind, steps)
        torch_loop = work.pop("torch", None)  # in rounds of its own: torch's threads and
        med = _medians(work, 3 * ROUNDS, steps, base="ours")  # allocator do not touch these
        if torch_loop is not None:
            with_torch = _medians(
                {"ours": work["ours"], "torch": torch_loop}, ROUNDS, steps, "ours"
            )
            med["torch"], med["torch/ours"] = with_torch["torch"], with_torch["torch/ours"]
        ratio = 1 / med["numpy/ours"]
        shape = "-".join(map(str, sizes))
        need = 1.05 if sizes in ISSUE19 else 1.5
        ok = ratio <= need
        verdicts.append((f"ours/NumPy {kind} {shape}", ok))
        goal = f"≤ {need:g}×NumPy {'pass' if ok else 'FAIL'}"
        torch_cols = f"{'':>9} {'':>10}"
        if "torch" in med:
            speed = med["torch/ours"]
            fast = None
            if kind == "tanh/mse" and sizes in ISSUE12:
                fast = 3.0 if n <= 2 * 16 + 16 * 16 + 16 else 1.0 if sizes[1] == 128 else None
            if fast is not None:
                ok_t = speed >= fast
                verdicts.append((f"torch/ours {shape}", ok_t))
                goal += f"; torch ≥ {fast:g}×ours {'pass' if ok_t else 'FAIL'}"
            torch_cols = f"{med['torch'] * 1e6:>9.1f} {speed:>10.2f}"
        print_(
            f"    {kind:<9} {shape:<16} {med['ours'] * 1e6:>9.1f} {med['numpy'] * 1e6:>9.1f} "
            f"{ratio:>10.3f} {torch_cols}  {goal}"
        )
    print_(
        "  conv 3×3 ×8 + bias, ReLU, 2×2 max pooling, linear to 10, cross-entropy: forward "
        "and backward"
    )
    print_(
        f"    {'input':<9} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10} "
        f"{'evaluate ms':>12}  goal"
    )
    for shape in CONV:
        med = _medians(conv_workloads(shape), 2 * ROUNDS, base="ours")
        name = "×".join(map(str, shape))
        line = f"    {name:<9} {med['ours'] * 1e3:>9.3f} "
        if "torch" in med:
            ratio = 1 / med["torch/ours"]
            ok = ratio <= 1.5
            verdicts.append((f"conv {name} ours/torch", ok))
            line += f"{med['torch'] * 1e3:>9.3f} {ratio:>10.3f} {med['evaluate'] * 1e3:>12.3f}  "
            line += f"≤ 1.5×torch {'pass' if ok else 'FAIL'}"
        else:
            line += f"{'':>9} {'':>10} {med['evaluate'] * 1e3:>12.3f}  (torch not installed)"
        print_(line)
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
    print_(f"  load average after: {_load()}")
    return verdicts


if __name__ == "__main__":
    print(f"BLAS threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    missed = [name for name, ok in run_all() if not ok]
    if missed:
        print("goals missed: " + ", ".join(missed))
    sys.exit(1 if missed else 0)
