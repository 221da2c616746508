"""The vectorised path: layered networks trained on batches of samples, as NumPy arrays.

A layered network is a tensor problem written in layers (`tensor_network.layer_equations`:
`z1 = W1 @ x + b1`, `a1 = tanh(z1)`, ...) in the course's layout, the one the worked solution
shows: a sample is a column, a batch's samples are the columns of x and y, W{l} is units ×
inputs and b{l} a column. Its loss over a batch is the mean of each sample's loss, declared
once in `layers.LOSSES` (`layers.batch_loss_text`, from the logits where the loss has a stable
form there: sigmoid with binary cross-entropy, softmax with cross-entropy). Its training step
is printed from the op table by `engine.arrays`: the forward ops, the rules the worked solution
shows (`W2ᵀ δ(z2)`, ReLU′ as `(z1 > 0)`), δ(z) = (p − y)/N where the engine's fused rule holds
for the targets, and `optim`'s update; there is no second backward pass here.

`network_of` recognises a problem whose equations are a `network:` block's (layers.expand), or
a `network:` file read as a tensor problem, and returns its arrays.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from tutor.errors import InputError
from tutor.registry import optim
from tutor.registry.layers import LOSSES, loss_text


@dataclass
class Network:
    """A layered network: per layer its weights (units × inputs), biases (a units × 1 column,
    or None) and activation (a registry activation, `linear` or `softmax`), and the loss (a
    layers.LOSSES kind) over the outputs. `inputs`/`targets` are the problem's names of the
    entries of x and y."""

    weights: list[np.ndarray]
    biases: list[np.ndarray | None]
    activations: list[str]
    loss: str
    inputs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    def arrays(self) -> list[np.ndarray]:
        """The parameters in the step's order: W1, b1, W2, b2, ... (biases only if present)."""
        out = []
        for w, b in zip(self.weights, self.biases):
            out.append(w)
            if b is not None:
                out.append(b)
        return out

    def with_arrays(self, arrays) -> Network:
        it = iter(arrays)
        weights, biases = [], []
        for b in self.biases:
            weights.append(next(it))
            biases.append(next(it) if b is not None else None)
        return Network(
            weights, biases, list(self.activations), self.loss, self.inputs, self.targets
        )

    def array_names(self) -> list[str]:
        out = []
        for l, b in enumerate(self.biases, start=1):
            out.append(f"W{l}")
            if b is not None:
                out.append(f"b{l}")
        return out

    def param_values(self) -> dict[str, float]:
        """The problem's parameter names (W{l}_{i}_{j}: unit i, input j) and their values."""
        out = {}
        for l, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    out[f"W{l}_{i + 1}_{j + 1}"] = float(w[i, j])
                if b is not None:
                    out[f"b{l}_{i + 1}"] = float(b[i, 0])
        return out

    def locate(self, name: str) -> tuple[int, tuple[int, ...]]:
        """Where a parameter name (W{l}_{i}_{j}, b{l}_{i}) lives: (index in `arrays()`, index
        in that array)."""
        kind, rest = name[0], [int(k) for k in name[1:].split("_")]
        index = self.array_names().index(f"{kind}{rest[0]}")
        return index, ((rest[1] - 1, rest[2] - 1) if kind == "W" else (rest[1] - 1, 0))

    def trained(self, names) -> tuple[bool, ...] | None:
        """Which arrays of `arrays()` the parameter names make up, whole (None when a name
        leaves part of an array out: the vectorised step updates whole arrays)."""
        chosen = set(names)
        out = []
        for held_names in self._all_param_names():
            held = [n in chosen for n in held_names]
            if any(held) and not all(held):
                return None
            out.append(all(held))
        return tuple(out)

    def param_names_of(self, index: int) -> list[str]:
        """The problem's parameter names held by array `index` (of `arrays()`), in the
        array's own (row by row) order."""
        return self._all_param_names()[index]

    def _all_param_names(self) -> list[list[str]]:
        out = []
        for l, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            out.append(
                [f"W{l}_{i + 1}_{j + 1}" for i in range(w.shape[0]) for j in range(w.shape[1])]
            )
            if b is not None:
                out.append([f"b{l}_{i + 1}" for i in range(w.shape[0])])
        return out


def network_of(problem) -> Network:
    """The layers of a problem whose equations are exactly what a `network:` block expands to
    (the same text, layers.expand), else an InputError saying it is not a layered network.
    A `network:` file read as a tensor problem (tensor_network.load) gives its arrays as they
    are, without a scalar equation."""
    from tutor.engine.scalar import numeric_leaves

    if problem.tensor and problem.extra.get("network"):
        return _network_of_tensor(problem)
    not_layered = InputError(
        f"{problem.id} is not a layered network (a `network:` block): the vectorised path needs one"
    )
    if problem.tensor:
        raise not_layered
    eqs = {eq.name: eq.text for eq in problem.graph}
    leaves = numeric_leaves(problem)
    previous = list(problem.inputs)
    if previous != [f"x{j}" for j in range(1, len(previous) + 1)] or not previous:
        raise not_layered
    weights, biases, activations = [], [], []
    count, l = 0, 1
    while f"z{l}_1" in eqs:
        units = 0
        while f"z{l}_{units + 1}" in eqs:
            units += 1
        has_bias = f"b{l}_1" in problem.params
        w = np.empty((units, len(previous)))
        b = np.empty((units, 1)) if has_bias else None
        for i in range(1, units + 1):
            terms = [f"W{l}_{i}_{j}*{src}" for j, src in enumerate(previous, start=1)]
            if has_bias:
                terms.append(f"b{l}_{i}")
            if eqs[f"z{l}_{i}"] != " + ".join(terms):
                raise not_layered
            for j in range(1, len(previous) + 1):
                w[i - 1, j - 1] = leaves[f"W{l}_{i}_{j}"]
            if has_bias:
                b[i - 1, 0] = leaves[f"b{l}_{i}"]
        zs = [f"z{l}_{i}" for i in range(1, units + 1)]
        activation = _activation_of(eqs.get(f"a{l}_1", ""), zs[0], zs)
        for i, z in enumerate(zs, start=1):
            if (
                activation is None
                or _activation_of(eqs.get(f"a{l}_{i}", ""), z, zs, i) != activation
            ):
                raise not_layered
        weights.append(w)
        biases.append(b)
        activations.append(activation)
        previous = [f"a{l}_{i}" for i in range(1, units + 1)]
        count += 2 * units
        l += 1
    targets = list(problem.targets)
    if not weights or len(targets) != len(previous) or len(eqs) != count + 1:
        raise not_layered
    loss_eq = eqs.get(problem.loss)
    kind = next((k for k in LOSSES if loss_text(k, previous, targets) == loss_eq), None)
    if kind is None:
        raise not_layered
    return Network(weights, biases, activations, kind, tuple(problem.inputs), tuple(targets))


def _network_of_tensor(problem) -> Network:
    """The layers of a tensor `network:` problem: its W{l} and b{l} as they are."""
    activations = list(problem.extra["activations"])
    weights, biases = [], []
    for l in range(1, len(activations) + 1):
        weights.append(np.array(problem.params[f"W{l}"], dtype=float))
        b = problem.params.get(f"b{l}")
        biases.append(None if b is None else np.array(b, dtype=float).reshape(-1, 1))
    n_in, n_out = weights[0].shape[1], weights[-1].shape[0]
    targets = ("y",) if n_out == 1 else tuple(f"y{k}" for k in range(1, n_out + 1))
    return Network(
        weights,
        biases,
        activations,
        problem.extra["loss_kind"],
        tuple(f"x{j}" for j in range(1, n_in + 1)),
        targets,
    )


def _activation_of(text: str, z: str, zs: list[str], i: int = 1) -> str | None:
    if text == z:
        return "linear"
    if text == f"softmax({', '.join(zs)})[{i}]":
        return "softmax"
    from tutor.registry.layers import ACTIVATIONS

    for name in ACTIVATIONS:
        if text == f"{name}({z})":
            return name
    return None


# --------------------------------------------------------------------------- the network's graph


@dataclass(frozen=True)
class Shape:
    """What a network's step depends on besides its numbers."""

    sizes: tuple[int, ...]
    biases: tuple[bool, ...]
    activations: tuple[str, ...]
    loss: str

    @classmethod
    def of(cls, net: Network) -> Shape:
        return cls(
            tuple(net.sizes),
            tuple(b is not None for b in net.biases),
            tuple(net.activations),
            net.loss,
        )


@functools.lru_cache(maxsize=64)
def graph_of(shape: Shape, fused: bool = False):
    """The network as a tensor problem over a batch (`engine.arrays.Graph`): its layers'
    equations, and the loss the step computes, the sum over the batch's samples of each one's
    loss (layers.batch_loss_text). `fused`: δ(z) of the output layer is p − y (times δ(L))."""
    from tutor.engine.arrays import Graph
    from tutor.language.matrix_expr import Op, parse
    from tutor.language.matrix_expr import name as name_op
    from tutor.problems.network import layer_equations
    from tutor.registry.layers import batch_loss_text

    depth = len(shape.activations)
    texts = layer_equations(shape.activations, shape.biases)
    z, a = f"z{depth}", f"a{depth}"
    logits = z if LOSSES[shape.loss].output == shape.activations[-1] else None
    texts.append(("L", batch_loss_text(shape.loss, shape.sizes[-1], a, logits)))
    samples = max(shape.sizes) + 2  # any N but 1 gives the same source
    shapes = {"x": (shape.sizes[0], samples), "y": (shape.sizes[-1], samples)}
    params = []
    for l, bias in enumerate(shape.biases, start=1):
        shapes[f"W{l}"] = (shape.sizes[l], shape.sizes[l - 1])
        params.append(f"W{l}")
        if bias:
            shapes[f"b{l}"] = (shape.sizes[l], 1)
            params.append(f"b{l}")
    known = set(shapes) | {n for n, _ in texts}
    equations = tuple((n, parse(t, known)) for n, t in texts)
    if logits is None:
        equations = _stable(equations)
    claimed = {}
    if fused and logits is not None:
        claimed[z] = Op("sub", (name_op(a), name_op("y")))
    return Graph(
        equations=equations,
        loss="L",
        shapes=shapes,
        params=tuple(params),
        data=("x", "y"),
        outputs=a,
        fused=claimed,
        batch="x",
        rename={n: n for n in known},
    )


def _stable(equations):
    """The loss with the engine's stable forms (log σ(z) as −softplus(−z), log softmax(z) as
    log_softmax(z): engine.tensor.stable_loss)."""
    from types import SimpleNamespace

    from tutor.engine.tensor import stable_loss
    from tutor.model import Equation

    graph = tuple(Equation(n, "", e) for n, e in equations)
    loss, _ = stable_loss(SimpleNamespace(graph=graph, loss="L", targets={"y": None}))
    return equations[:-1] + (("L", loss),)


def fused_holds(net: Network | Shape, y: np.ndarray) -> bool:
    """Whether the engine claims δ(z) = p − y for the output layer's loss with these targets
    (samples are columns): `engine.tensor.evaluate` decides, as for a worked solution, on the
    output layer alone at z = 0 with each distinct target. Softmax with cross-entropy: when
    each target sums to 1; sigmoid with binary cross-entropy: always."""
    from tutor.engine import tensor
    from tutor.language.matrix_expr import Op, parse
    from tutor.language.matrix_expr import name as name_op
    from tutor.model import Equation, Problem, Text
    from tutor.registry.layers import tensor_loss_text

    shape = net if isinstance(net, Shape) else Shape.of(net)
    output = shape.activations[-1]
    if LOSSES[shape.loss].output != output or y.ndim != 2 or y.shape[0] != shape.sizes[-1]:
        return False
    if not np.all(np.isfinite(y)):
        return False
    targets = np.unique(y, axis=1)
    z = np.zeros(targets.shape)
    texts = [("p", f"{output}(z)"), ("L", tensor_loss_text(shape.loss, "p"))]
    graph = tuple(Equation(n, t, parse(t, {"z", "y", "p", "L"})) for n, t in texts)
    problem = Problem(
        id="fused",
        title=Text("", ""),
        statement=Text("", ""),
        kind="fused",
        inputs={"z": z},
        targets={"y": targets},
        params={},
        constants={},
        graph=graph,
        loss="L",
        extra={"tensor": True},
    )
    try:
        point = tensor.evaluate(problem, problem.leaves)
    except Exception:  # noqa: BLE001 (an undefined value: then the general rule)
        return False
    rule = point.rules.get(("L", "z"))
    return rule is not None and rule.same(Op("sub", (name_op("p"), name_op("y"))))


# --------------------------------------------------------------------------- forward, loss


@functools.lru_cache(maxsize=64)
def _program(shape: Shape, fused: bool, optimizer: str, trained, l2: bool, l1: bool):
    from tutor.engine.arrays import Program as ArrayProgram

    return ArrayProgram(graph_of(shape, fused), optimizer, trained, l2, l1)


def forward(net: Network, x: np.ndarray) -> np.ndarray:
    """The outputs (outputs × samples) for a batch x (inputs × samples)."""
    with np.errstate(all="ignore"):
        return _program(Shape.of(net), False, "sgd", None, False, False).function("outputs")(
            net.arrays(), (), x
        )


def dead_units(net: Network, x: np.ndarray) -> list[tuple[int, int, int]]:
    """(hidden layer, its ReLU units that are 0 on every sample of x, its units) for each
    hidden ReLU layer: such a unit passes no gradient for any sample (a dead ReLU), the
    playground's count of what `solve` says after one step."""
    from tutor.registry.functions import FUNCTIONS

    out, a = [], x
    with np.errstate(all="ignore"):
        for layer, (w, b, act) in enumerate(zip(net.weights, net.biases, net.activations), 1):
            if layer == len(net.weights):
                break
            z = w @ a + (0 if b is None else b)
            a = z if act == "linear" else FUNCTIONS[act].numpy(z)
            if act == "relu":
                out.append((layer, int(np.all(a == 0, axis=1).sum()), int(a.shape[0])))
    return out


def loss(net: Network, x: np.ndarray, y: np.ndarray) -> float:
    """The mean over a batch (samples are columns) of each sample's loss."""
    with np.errstate(all="ignore"):
        value = _program(Shape.of(net), False, "sgd", None, False, False).function("loss")(
            net.arrays(), (), x, y
        )
    return float(value)


def gradients(net: Network, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """∂(mean loss)/∂(each array of `net.arrays()`) for a batch: the generated step's."""
    return Program(net, "sgd", targets=y).grads(net.arrays(), x, y)


# --------------------------------------------------------------------------- the step


class Program:
    """A network's training step (`engine.arrays.Program` of its graph), printed once and
    reused. `trained`: which arrays of `net.arrays()` the optimizer updates (default all);
    `l2`, `l1`: whether the code adds λw or λ·sign(w) to the gradients (λ arrives in
    `hyper`); `targets`: the training targets, which decide whether δ(z) of the output layer
    is printed as p − y (`fused_holds`; without them the general rule)."""

    def __init__(
        self,
        net: Network,
        optimizer: str,
        trained: tuple[bool, ...] | None = None,
        l2: bool = False,
        l1: bool = False,
        targets: np.ndarray | None = None,
    ):
        message = optim.unknown(optimizer)
        if message:
            raise InputError(message)
        self.net = net
        self.names = net.array_names()
        self.trained = tuple(trained) if trained is not None else (True,) * len(self.names)
        shape = Shape.of(net)
        fused = targets is not None and fused_holds(shape, targets)
        self.program = _program(shape, fused, optimizer, self.trained, bool(l2), bool(l1))

    @property
    def source(self) -> str:
        return self.program.source("run")

    def initial_state(self, params) -> list[list]:
        return self.program.initial_state(params)

    def grads(self, params, x, y) -> list:
        with np.errstate(all="ignore"):
            return self.program.function("grads")(params, (), x, y)

    def run(self, params, state, batches, hyper, rates, t0, losses):
        """len(rates) steps, one batch (x, y) each; the mean loss before each step is appended
        to `losses`. Returns the new params and state (the inputs are not changed)."""
        return self.program.run(params, state, (), batches, hyper, rates, t0, losses)


def hyper_tuple(
    optimizer: str, given: dict | None = None, l2: float = 0.0, l1: float = 0.0
) -> tuple[float, ...]:
    """(optim.HYPERS..., l2, l1) with the optimizer's defaults (torch's)."""
    h = {k: v for d in optim.DEFAULTS.values() for k, v in d.items()}
    h.update(optim.DEFAULTS.get(optimizer, {}))
    h.update(given or {})
    return (*(float(h[k]) for k in optim.HYPERS), float(l2), float(l1))


# --------------------------------------------------------------------------- mini-batch runs


@dataclass
class Run:
    """A mini-batch run: the network after `steps` steps, the batch loss before each step, the
    loop's seconds; `stopped` is None, "diverged" (then `net` is the last finite one) or
    "interrupted" (Ctrl-C); `snapshots` maps a step to the network before it."""

    net: Network
    steps: int
    losses: list[float]
    seconds: float
    stopped: str | None = None
    snapshots: dict = field(default_factory=dict)


def batches(x: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator):
    """Endless mini-batches of a set whose samples are columns: each epoch a fresh
    permutation, cut in slices of `size` (the last, shorter slice of an epoch is used too);
    the whole set each step if size ≥ its samples."""
    n = x.shape[1]
    if size >= n:
        while True:
            yield x, y
    while True:
        order = rng.permutation(n)
        xs, ys = x[:, order], y[:, order]
        for start in range(0, n, size):
            yield xs[:, start : start + size], ys[:, start : start + size]


def train(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    batch: int,
    optimizer: str = "sgd",
    lr: float = 0.03,
    hyper: dict | None = None,
    l2: float = 0.0,
    l1: float = 0.0,
    seed: int = 0,
    trained=None,
    chunk: int = 0,
    on_chunk=None,
    keep=(),
    rates=None,
) -> Run:
    """`steps` mini-batch steps of `batch` samples (the columns of x and y, shuffled each
    epoch by `seed`).

    With `on_chunk(done, net)`, the steps run in chunks of `chunk` and it is called after
    each (a live view); `rates` (one per step) replaces the constant `lr`; `keep` lists steps whose network (before that step) is kept. A loss
    or parameter that stops being finite stops the run ("diverged"), Ctrl-C too
    ("interrupted"); both keep what was learned so far."""
    import time

    program = Program(net, optimizer, trained, l2=bool(l2), l1=bool(l1), targets=y)
    params = [p.copy() for p in net.arrays()]
    state = program.initial_state(params)
    h = hyper_tuple(optimizer, hyper, l2, l1)
    source = batches(x, y, batch, np.random.default_rng(seed))
    losses: list[float] = []
    marks = sorted({s for s in keep if 1 <= s <= steps})
    snapshots = {}
    size = chunk if on_chunk and chunk > 0 else steps
    done, stopped = 0, None
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            while done < steps:
                end = min(steps, done + size)
                nxt = next((m for m in marks if done < m <= end), None)
                if nxt is not None:
                    end = nxt - 1
                    if end == done:
                        snapshots[nxt] = net.with_arrays([p.copy() for p in params])
                        marks.remove(nxt)
                        continue
                mark = len(losses)
                chunk_rates = rates[done:end] if rates is not None else [lr] * (end - done)
                new, new_state = program.run(params, state, source, h, chunk_rates, done, losses)
                if not (
                    all(math.isfinite(v) for v in losses[mark:])
                    and all(np.isfinite(p).all() for p in new)
                ):
                    bad = next(
                        (i for i, v in enumerate(losses[mark:]) if not math.isfinite(v)),
                        len(losses) - mark,
                    )
                    del losses[mark + bad :]  # the net stays the last finite one (step `done`)
                    stopped = "diverged"
                    break
                params, state, done = new, new_state, end
                if on_chunk:
                    outside = time.perf_counter()
                    on_chunk(done, net.with_arrays(params))
                    start += time.perf_counter() - outside  # the loop's time only
    except KeyboardInterrupt:
        stopped = "interrupted"
        del losses[done:]
    seconds = time.perf_counter() - start
    return Run(net.with_arrays(params), done, losses, seconds, stopped, snapshots)


def tensor_layers(problem) -> Network:
    """The layers of a tensor problem written as a layered network by hand (ex18: `z1: W1 @ x
    + b1`, `a1: sigmoid(z1)`, ..., `p: softmax(z2)`, `L: -sum(y * log(p))`): each layer a
    product of a parameter with the layer before, plus a parameter bias or not, then an
    activation or none, one input and one target column, and a loss of layers.LOSSES on the
    last output; else an InputError saying it is not one. (The playground starts from these
    arrays; a `network:` file is `network_of`'s.)"""
    from tutor.language.matrix_expr import parse
    from tutor.registry.layers import ACTIVATIONS, LOSSES, tensor_loss_text

    if problem.extra.get("network"):
        return _network_of_tensor(problem)
    not_layered = InputError(f"{problem.id} is not a layered network (a `network:` block)")
    inputs, targets, params = list(problem.inputs), list(problem.targets), problem.params

    def column(value) -> bool:
        return np.ndim(value) == 2 and np.shape(value)[1] == 1

    if len(inputs) != 1 or len(targets) != 1 or problem.constants:
        raise not_layered
    x, y = inputs[0], targets[0]
    if not (column(problem.leaves[x]) and column(problem.leaves[y])):
        raise not_layered
    eqs = [eq for eq in problem.graph if eq.name != problem.loss]
    weights, biases, activations, used = [], [], [], set()
    previous, i = x, 0

    def param(op) -> str | None:
        ok = op.kind == "name" and op.name in params and op.name not in used
        return op.name if ok else None

    while i < len(eqs):
        op, bias = eqs[i].expr, None
        if op.kind == "add" and len(op.args) == 2:
            op, bias = op.args[0], param(op.args[1])
            if bias is None:
                raise not_layered
        w = param(op.args[0]) if op.kind == "matmul" and len(op.args) == 2 else None
        reads = op.args[1] if w is not None else None
        if w is None or reads.kind != "name" or reads.name != previous:
            raise not_layered
        used |= {w, bias} - {None}
        weights.append(np.array(params[w], dtype=float))
        b = None if bias is None else np.array(params[bias], dtype=float).reshape(-1, 1)
        if b is not None and b.shape != (weights[-1].shape[0], 1):
            raise not_layered
        biases.append(b)
        previous, i = eqs[i].name, i + 1
        act = "linear"
        if i < len(eqs):
            f = eqs[i].expr
            single = len(f.args) == 1 and f.args[0].kind == "name"
            if f.kind in (*ACTIVATIONS, "softmax") and single and f.args[0].name == previous:
                act, previous, i = f.kind, eqs[i].name, i + 1
        activations.append(act)
    if not weights or used != set(params):
        raise not_layered
    loss = next(eq.expr for eq in problem.graph if eq.name == problem.loss)
    kind = next(
        (k for k in LOSSES if parse(tensor_loss_text(k, previous, y)).same(loss)),
        None,
    )
    if kind is None:
        raise not_layered
    n_in, n_out = weights[0].shape[1], weights[-1].shape[0]
    out_names = ("y",) if n_out == 1 else tuple(f"y{k}" for k in range(1, n_out + 1))
    return Network(
        weights, biases, activations, kind, tuple(f"x{j}" for j in range(1, n_in + 1)), out_names
    )
