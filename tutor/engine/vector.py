"""The vectorised path: layered networks trained on batches of samples, as NumPy arrays.

The scalar engine holds one SymPy node per unit and is the reference; this path runs the same
network on whole batches. What it computes comes from the same places:

- element-wise rules from the function registry: SymPy differentiates each activation once
  (`da/dz`, written with `a` where it can, e.g. σ' = a(1 − a)) and each loss term once, fused
  with the output activation in the engine's stable with-logits form (`engine._stable`), and
  lambdify turns them into NumPy functions of whole arrays;
- matrix products for the linear layers (CS231n's layout: `z = a @ W + b`, W is inputs ×
  units, so row i of a batch is sample i);
- the optimizer's rule from `optim.PER_STEP` / `optim.PER_PARAM`, printed over arrays, as
  `engine.codegen` prints it over floats (one definition of every update formula).

`Program` prints one training function for a network's shape (its source only has our
generated names, SymPy-derived rules held as functions, and `optim`'s constant text) and runs
any number of mini-batch steps in it. `network_of` recognises a problem whose equations are a
`network:` block's (layers.expand) and returns its arrays.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from .. import optim
from ..errors import InputError
from ..layers import LOSSES, loss_text

_NUMBER = re.compile(r"^-?\d")


@dataclass
class Network:
    """A layered network: per layer its weights (inputs × units), biases (or None) and
    activation (a registry activation, `linear` or `softmax`), and the loss (a layers.LOSSES
    kind) over the outputs. `inputs`/`targets` are the problem's names of x and y."""

    weights: list[np.ndarray]
    biases: list[np.ndarray | None]
    activations: list[str]
    loss: str
    inputs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    def arrays(self) -> list[np.ndarray]:
        """The parameters in Program's order: W1, b1, W2, b2, ... (biases only if present)."""
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
            for i in range(w.shape[1]):
                for j in range(w.shape[0]):
                    out[f"W{l}_{i + 1}_{j + 1}"] = float(w[j, i])
                if b is not None:
                    out[f"b{l}_{i + 1}"] = float(b[i])
        return out

    def locate(self, name: str) -> tuple[int, tuple[int, ...]]:
        """Where a parameter name (W{l}_{i}_{j}, b{l}_{i}) lives: (index in `arrays()`, index
        in that array)."""
        kind, rest = name[0], [int(k) for k in name[1:].split("_")]
        index = self.array_names().index(f"{kind}{rest[0]}")
        return index, ((rest[2] - 1, rest[1] - 1) if kind == "W" else (rest[1] - 1,))

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
        """The problem's parameter names held by array `index` (of `arrays()`)."""
        return self._all_param_names()[index]

    def _all_param_names(self) -> list[list[str]]:
        out = []
        for l, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            out.append(
                [f"W{l}_{i + 1}_{j + 1}" for i in range(w.shape[1]) for j in range(w.shape[0])]
            )
            if b is not None:
                out.append([f"b{l}_{i + 1}" for i in range(w.shape[1])])
        return out


def network_of(problem) -> Network:
    """The layers of a problem whose equations are exactly what a `network:` block expands to
    (the same text, layers.expand), else an InputError saying it is not a layered network.
    A `network:` file read as a tensor problem (tensor_network.load) gives its arrays as they
    are, without a scalar equation."""
    from . import numeric_leaves

    if problem.tensor and problem.extra.get("network"):
        return _network_of_tensor(problem)
    not_layered = InputError(
        f"{problem.id} is not a layered network (a `network:` block): the vectorised path needs one"
    )
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
        w = np.empty((len(previous), units))
        b = np.empty(units) if has_bias else None
        for i in range(1, units + 1):
            terms = [f"W{l}_{i}_{j}*{src}" for j, src in enumerate(previous, start=1)]
            if has_bias:
                terms.append(f"b{l}_{i}")
            if eqs[f"z{l}_{i}"] != " + ".join(terms):
                raise not_layered
            for j in range(1, len(previous) + 1):
                w[j - 1, i - 1] = leaves[f"W{l}_{i}_{j}"]
            if has_bias:
                b[i - 1] = leaves[f"b{l}_{i}"]
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
    """The layers of a tensor `network:` problem: W{l} (units × inputs) transposed to this
    module's inputs × units, b{l} as a vector."""
    activations = list(problem.extra["activations"])
    weights, biases = [], []
    for l in range(1, len(activations) + 1):
        weights.append(np.array(problem.params[f"W{l}"], dtype=float).T.copy())
        b = problem.params.get(f"b{l}")
        biases.append(None if b is None else np.array(b, dtype=float).reshape(-1))
    n_in, n_out = weights[0].shape[0], weights[-1].shape[1]
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
    from ..layers import ACTIVATIONS

    for name in ACTIVATIONS:
        if text == f"{name}({z})":
            return name
    return None


# --------------------------------------------------------------------------- rules (SymPy once)

_MODULES = None


def _modules():
    global _MODULES
    if _MODULES is None:
        from ..functions import NUMERIC

        _MODULES = [{**NUMERIC, "pi": math.pi, "E": math.e}]
    return _MODULES


def _call(activation: str, z):
    from ..functions import CALLABLE

    return CALLABLE[activation][0](z)


@functools.cache
def hidden_rule(activation: str):
    """(f, f') for an element-wise activation: NumPy functions f(z) and f'(z, a), the
    derivative SymPy takes of the registry's function, written with a = f(z) where it can."""
    import sympy as sp

    from ..functions import entry

    if activation == "linear":
        return None, None
    z, a = sp.symbols("z a", real=True)
    fz = _call(activation, z)
    derivative = sp.diff(fz, z).xreplace({fz: a})
    return entry(activation).numpy, sp.lambdify((z, a), derivative, modules=_modules())


def _term(loss: str, a, y, outputs: int):
    """One output's term of the loss (layers.LOSSES), as SymPy."""
    import sympy as sp

    if loss == "squared_error":
        return (a - y) ** 2
    if loss == "half_squared_error":
        return (a - y) ** 2 / 2
    if loss == "mse":
        return (a - y) ** 2 / outputs
    if loss == "cross_entropy":
        return -y * sp.log(a)
    if loss == "binary_cross_entropy":
        return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    if loss == "hinge":
        from ..functions import maximum

        return maximum(sp.S.Zero, 1 - y * a)
    raise InputError(f"unknown loss '{loss}'")


@functools.cache
def output_rule(activation: str, loss: str, outputs: int):
    """(ℓ(z, a, y), ∂ℓ/∂z(z, a, y)) for an element-wise output activation, or
    (ℓ(a, y), ∂ℓ/∂a(a, y)) for softmax outputs (the softmax's own rule is applied apart).

    The loss term is rewritten by the engine's `_stable` (log σ → −softplus(−z)), so SymPy
    derives the with-logits forms: for σ with cross-entropy, ∂ℓ/∂z = σ(z) − y."""
    import sympy as sp

    from . import _stable

    z, a, y = sp.symbols("z a y", real=True)
    term = _term(loss, a, y, outputs)
    if activation == "softmax":
        return (
            sp.lambdify((a, y), term, modules=_modules()),
            sp.lambdify((a, y), sp.diff(term, a), modules=_modules()),
        )
    fz = z if activation == "linear" else _call(activation, z)
    value = _stable(term, {a: fz}).xreplace({a: fz})
    derivative = sp.diff(value, z)
    if fz is not z:
        value, derivative = value.xreplace({fz: a}), derivative.xreplace({fz: a})
    return (
        sp.lambdify((z, a, y), value, modules=_modules()),
        sp.lambdify((z, a, y), derivative, modules=_modules()),
    )


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_vjp(g, a):
    """∂L/∂z of a = softmax(z) from g = ∂L/∂a, row by row: a ⊙ (g − Σ g ⊙ a)."""
    return a * (g - (g * a).sum(axis=1, keepdims=True))


def _softmax_ce(z, a, y):
    """Cross-entropy of softmax(z) per sample, summed over outputs: Σ y (logsumexp(z) − z)."""
    top = z.max(axis=1, keepdims=True)
    lse = top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))
    return y * (lse - z)


def _softmax_ce_grad(z, a, y):
    return a * y.sum(axis=1, keepdims=True) - y


# --------------------------------------------------------------------------- forward, loss


def _layer_rules(net: Network):
    """Per layer: (activation f, derivative f'), softmax as its own functions."""
    rules = []
    for act in net.activations:
        rules.append((_softmax, None) if act == "softmax" else hidden_rule(act))
    return rules


def forward(net: Network, x: np.ndarray) -> np.ndarray:
    """The outputs for a batch x (samples × inputs)."""
    a = x
    for (f, _), w, b in zip(_layer_rules(net), net.weights, net.biases):
        z = a @ w if b is None else a @ w + b
        a = z if f is None else f(z)
    return a


def _loss_functions(net: Network):
    act, n = net.activations[-1], net.sizes[-1]
    if act == "softmax" and net.loss == "cross_entropy":
        return _softmax_ce, _softmax_ce_grad, True
    value, grad = output_rule(act, net.loss, n)
    if act == "softmax":
        return (lambda z, a, y: value(a, y)), (lambda z, a, y: _softmax_vjp(grad(a, y), a)), True
    return value, grad, False


def losses(net: Network, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss of each sample (summed over the outputs), for a batch."""
    a = x
    z = None
    for (f, _), w, b in zip(_layer_rules(net), net.weights, net.biases):
        z = a @ w if b is None else a @ w + b
        a = z if f is None else f(z)
    value, _, _ = _loss_functions(net)
    with np.errstate(all="ignore"):
        out = np.broadcast_to(value(z, a, y), a.shape)
    return out.sum(axis=1)


def loss(net: Network, x: np.ndarray, y: np.ndarray) -> float:
    """The mean loss over a batch."""
    return float(losses(net, x, y).mean())


def gradients(net: Network, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """∂(mean loss)/∂(each array of `net.arrays()`) for a batch: one plain backward pass."""
    program = Program(net, "sgd")
    grads = program._function("grads")(net.arrays(), x, y)
    return list(grads)


# --------------------------------------------------------------------------- generated step


@dataclass
class Program:
    """One network shape's training step, printed once as NumPy code and reused.

    `trained`: which arrays of `net.arrays()` the optimizer updates (default all); `l2`, `l1`:
    whether the code adds λw or λ·sign(w) to the gradients (λ arrives in `hyper`)."""

    net: Network
    optimizer: str
    trained: tuple[bool, ...] | None = None
    l2: bool = False
    l1: bool = False
    _compiled: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        message = optim.unknown(self.optimizer)
        if message:
            raise InputError(message)
        self.names = self.net.array_names()
        if self.trained is None:
            self.trained = (True,) * len(self.names)

    # -- code pieces
    def _forward(self) -> list[str]:
        lines, previous = [], "x"
        for l, (act, b) in enumerate(zip(self.net.activations, self.net.biases), start=1):
            bias = f" + b{l}" if b is not None else ""
            lines.append(f"z{l} = {previous} @ W{l}{bias}")
            lines.append(f"a{l} = z{l}" if act == "linear" else f"a{l} = f{l}(z{l})")
            previous = f"a{l}"
        return lines

    def _backward(self) -> list[str]:
        depth = len(self.net.weights)
        lines = [f"gz{depth} = dloss(z{depth}, a{depth}, y) * (1.0 / x.shape[0])"]
        for l in range(depth, 0, -1):
            below = "x" if l == 1 else f"a{l - 1}"
            lines.append(f"gW{l} = {below}.T @ gz{l}")
            if self.net.biases[l - 1] is not None:
                lines.append(f"gb{l} = gz{l}.sum(axis=0)")
            if l > 1 and self._needs_below(l):
                lines.append(f"ga{l - 1} = gz{l} @ W{l}.T")
                act = self.net.activations[l - 2]
                if act == "linear":
                    lines.append(f"gz{l - 1} = ga{l - 1}")
                elif act == "softmax":
                    lines.append(f"gz{l - 1} = softmax_vjp(ga{l - 1}, a{l - 1})")
                else:
                    lines.append(f"gz{l - 1} = ga{l - 1} * d{l - 1}(z{l - 1}, a{l - 1})")
            elif l > 1:
                break
        return lines

    def _needs_below(self, l: int) -> bool:
        """Whether any trained array lies below layer l (else the backward pass stops)."""
        below = [i for i, n in enumerate(self.names) if int(n[1:]) < l]
        return any(self.trained[i] for i in below)

    def _update(self) -> list[str]:
        out = []
        for i, name in enumerate(self.names):
            if not self.trained[i]:
                continue
            g = f"g{name}"
            if self.l2:
                out.append(f"{g} = {g} + l2*{name}")
            if self.l1:
                out.append(f"{g} = {g} + l1*sign({name})")
            out += optim.printed(
                self.optimizer, {"w": name, "g": g, "m": f"m{name}", "v": f"v{name}"}
            )
        return out

    def _source(self, kind: str) -> str:
        names = self.names
        body = ["    " + ", ".join(names) + ", = params"]
        depth = len(self.net.weights)
        if kind == "grads":
            body += ["    " + line for line in self._forward() + self._backward()]
            body.append(
                "    return ["
                + ", ".join(f"g{n}" if t else "None" for n, t in zip(names, self.trained))
                + "]"
            )
            return "def grads(params, x, y):\n" + "\n".join(body) + "\n"
        body.append("    " + ", ".join(f"m{n}" for n in names) + ", = state[0]")
        body.append("    " + ", ".join(f"v{n}" for n in names) + ", = state[1]")
        body.append("    " + ", ".join(optim.HYPERS) + ", l2, l1 = hyper")
        body.append("    append = losses.append")
        body.append("    t = t0")
        body.append("    for lr, (x, y) in zip(rates, batches):")
        body.append("        t += 1")
        for target, value in optim.PER_STEP.get(self.optimizer, ()):
            body.append(f"        {target} = {value}")
        lines = self._forward()
        lines.append(f"append(lossof(z{depth}, a{depth}, y).sum() / x.shape[0])")
        lines += self._backward() + self._update()
        body += ["        " + line for line in lines]
        body.append(
            "    return ["
            + ", ".join(names)
            + "], [["
            + ", ".join(f"m{n}" for n in names)
            + "], ["
            + ", ".join(f"v{n}" for n in names)
            + "]]"
        )
        return (
            "def run(params, state, batches, hyper, rates, t0, losses):\n" + "\n".join(body) + "\n"
        )

    @property
    def source(self) -> str:
        return self._source("run")

    def _function(self, kind: str):
        if kind not in self._compiled:
            value, grad, _ = _loss_functions(self.net)
            namespace = {
                "sqrt": np.sqrt,
                "sign": np.sign,
                "softmax_vjp": _softmax_vjp,
                "lossof": value,
                "dloss": grad,
            }
            for l, (f, d) in enumerate(_layer_rules(self.net), start=1):
                namespace[f"f{l}"], namespace[f"d{l}"] = f, d
            code = compile(self._source(kind), f"<bptutor vector {kind}>", "exec")
            exec(code, namespace)  # noqa: S102 (our generated source only: see the module docstring)
            self._compiled[kind] = namespace[kind]
        return self._compiled[kind]

    def initial_state(self, params) -> list[list]:
        return [[np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]]

    def run(self, params, state, batches, hyper, rates, t0, losses):
        """len(rates) steps, one batch (x, y) each; the mean loss before each step is appended
        to `losses`. Returns the new params and state (the inputs are not changed)."""
        return self._function("run")(params, state, batches, hyper, rates, t0, losses)


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
    """Endless mini-batches: each epoch a fresh permutation, cut in slices of `size` (the
    last, shorter slice of an epoch is used too); the whole set each step if size ≥ len(x)."""
    n = len(x)
    if size >= n:
        while True:
            yield x, y
    while True:
        order = rng.permutation(n)
        xs, ys = x[order], y[order]
        for start in range(0, n, size):
            yield xs[start : start + size], ys[start : start + size]


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
    """`steps` mini-batch steps of `batch` samples (shuffled each epoch by `seed`).

    With `on_chunk(done, net)`, the steps run in chunks of `chunk` and it is called after
    each (a live view); `rates` (one per step) replaces the constant `lr`; `keep` lists steps whose network (before that step) is kept. A loss
    or parameter that stops being finite stops the run ("diverged"), Ctrl-C too
    ("interrupted"); both keep what was learned so far."""
    import time

    program = Program(net, optimizer, trained, l2=bool(l2), l1=bool(l1))
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
