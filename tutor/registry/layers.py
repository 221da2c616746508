"""The layer shorthand for MLPs, expanded into plain equations.

A `network:` block gives weight matrices, bias vectors, an activation per layer and a loss;
this module writes the same scalar equations an author would, so the engine only ever sees
one representation. Names: inputs x1.., weights W{l}_{i}_{j} (unit i of layer l, input j),
biases b{l}_{i}, pre-activations z{l}_{i}, activations a{l}_{i}, targets y1.. (y if one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NETWORK_KEYS = ("inputs", "layers", "targets", "loss", "loss_name")
LAYER_KEYS = ("weights", "bias", "activation")


@dataclass(frozen=True)
class Loss:
    """One loss of a `network:` block, declared once; every form of it is derived from this.

    term: one output's term in the tensor notation, over `{a}` (the output) and `{y}` (its
    target); scale: how a sample's terms make its loss ("1" their sum, "1/2" half of it, "-1"
    minus it, "mean" their mean); logits: the same loss of one sample (a column) written from
    the logits `{z}` of the output activation `output`, in the stable form (log-softmax,
    softplus), and then δ(z) = p − y is the fused rule (engine.tensor.Fused), claimed where the
    numbers agree; en: what it is, for the help."""

    term: str
    scale: str
    en: str
    logits: str | None = None
    output: str | None = None


LOSSES = {
    "squared_error": Loss("({a} - {y})^2", "1", "sum of (a - y)^2"),
    "half_squared_error": Loss("({a} - {y})^2", "1/2", "1/2 * sum of (a - y)^2"),
    "mse": Loss("({a} - {y})^2", "mean", "mean of (a - y)^2"),
    "cross_entropy": Loss(
        "{y} * log({a})",
        "-1",
        "-sum of y * log(a) (softmax outputs)",
        logits="-sum({y} * log_softmax({z}))",
        output="softmax",
    ),
    "binary_cross_entropy": Loss(
        "{y} * log({a}) + (1 - {y}) * log(1 - {a})",
        "-1",
        "-sum of y*log(a) + (1-y)*log(1-a) (sigmoid outputs)",
        logits="sum(softplus({z}) - {y} * {z})",
        output="sigmoid",
    ),
    "hinge": Loss(
        "max(0, 1 - {y} * {a})", "1", "sum of max(0, 1 - y*a) (labels ±1, linear outputs)"
    ),
}


def loss_text(kind: str, outputs: list[str], targets: list[str]) -> str:
    """The loss as scalar equations write it, one term per output: `1/2*((a1 - y1)^2 + ...)`."""
    loss = LOSSES[kind]
    terms = [loss.term.replace(" * ", "*").format(a=a, y=y) for a, y in zip(outputs, targets)]
    total = " + ".join(terms)
    several = len(terms) > 1
    if loss.scale == "1/2":
        return f"1/2*({total})" if several else f"1/2*{total}"
    if loss.scale == "mean":
        return f"({total})/{len(terms)}" if several else total
    if loss.scale == "-1":
        return f"-({total})"
    return total


def tensor_loss_text(kind: str, output: str, target: str = "y") -> str:
    """The loss of one sample over whole vectors: `1/2 * sum((a2 - y)^2)`."""
    loss = LOSSES[kind]
    term = loss.term.format(a=output, y=target)
    return {"1": "sum({})", "1/2": "1/2 * sum({})", "mean": "mean({})", "-1": "-sum({})"}[
        loss.scale
    ].format(term)


def batch_loss_text(kind: str, outputs: int, output: str, logits: str | None = None) -> str:
    """The sum over a batch (samples are columns) of each sample's loss, from the output or,
    when `logits` names the output activation's argument and the loss has a logits form, from
    the logits (what the vectorised step computes; the batch's mean divides it by N)."""
    loss = LOSSES[kind]
    if logits is not None and loss.logits is not None:
        return loss.logits.format(z=logits, y="y")
    term = loss.term.format(a=output, y="y")
    if loss.scale == "mean":
        return f"sum({term}) / {outputs}" if outputs > 1 else f"sum({term})"
    return tensor_loss_text(kind, output)


def activations() -> tuple[str, ...]:
    """The registry's elementwise activations, then the two a layer adds: none, and softmax.
    Asked on first use (also as `layers.ACTIVATIONS`): the registry imports SymPy, which
    `show` does without."""
    from tutor.registry import functions

    return (*functions.ACTIVATIONS, "linear", "softmax")


def __getattr__(name: str):
    if name == "ACTIVATIONS":
        return activations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _vector(r, path: tuple) -> list:
    items = r.get(path)
    if not isinstance(items, list) or not items:
        raise r.fail(f"'{'.'.join(map(str, path))}' must be a non-empty list of numbers", path)
    return [None if v is None else r.number(path + (i,)) for i, v in enumerate(items)]


def _matrix(r, path: tuple) -> list[list]:
    rows = r.get(path)
    if not isinstance(rows, list) or not rows or not all(isinstance(x, list) for x in rows):
        raise r.fail("'weights' must be a list of rows, one row per unit", path)
    return [_vector(r, path + (i,)) for i in range(len(rows))]


def expand(r, path: tuple) -> dict:
    """inputs, targets, params, constants (name -> value), graph [(name, text, recipe)] and
    the loss name. A recipe (see `expression`) builds the equation's SymPy form directly, the
    same as parsing its text gives, at a fraction of the cost; None: parse the text."""
    net = r.mapping(path, NETWORK_KEYS)
    for key in ("inputs", "layers", "targets"):
        if key not in net:
            raise r.fail(f"missing 'network.{key}'", path)
    x = _vector(r, path + ("inputs",))
    inputs = {f"x{j + 1}": v for j, v in enumerate(x)}
    previous = list(inputs)
    params, graph = {}, []
    specs = r.get(path + ("layers",))
    if not isinstance(specs, list) or not specs:
        raise r.fail("'network.layers' must be a list of layers", path + ("layers",))
    for l, _ in enumerate(specs, start=1):
        lp = path + ("layers", l - 1)
        r.mapping(lp, LAYER_KEYS)
        w = _matrix(r, lp + ("weights",))
        for i, row in enumerate(w):
            if len(row) != len(previous):
                raise r.fail(
                    f"layer {l}: row {i + 1} has {len(row)} weights but the layer receives "
                    f"{len(previous)} values",
                    lp + ("weights", i),
                )
        bias = _vector(r, lp + ("bias",)) if r.get(lp).get("bias") is not None else None
        if bias is not None and len(bias) != len(w):
            raise r.fail(f"layer {l}: {len(w)} units but {len(bias)} biases", lp + ("bias",))
        activation = r.string(lp + ("activation",), "linear")
        if not r.light and activation not in activations():  # the registry: full stage only
            raise r.fail(
                f"unknown activation '{activation}' (one of {', '.join(activations())})",
                lp + ("activation",),
            )
        zs = []
        for i, row in enumerate(w, start=1):
            terms, row_names = [], []
            for j, (value, src) in enumerate(zip(row, previous), start=1):
                params[f"W{l}_{i}_{j}"] = value
                terms.append(f"W{l}_{i}_{j}*{src}")
                row_names.append((f"W{l}_{i}_{j}", src))
            if bias is not None:
                params[f"b{l}_{i}"] = bias[i - 1]
                terms.append(f"b{l}_{i}")
            graph.append(
                (
                    f"z{l}_{i}",
                    " + ".join(terms),
                    ("sum", row_names, f"b{l}_{i}" if bias is not None else None),
                )
            )
            zs.append(f"z{l}_{i}")
        outs = []
        for i, z in enumerate(zs, start=1):
            recipe = None  # parsed from its text
            if activation == "softmax":
                text = f"softmax({', '.join(zs)})[{i}]"
            elif activation == "linear":
                text, recipe = z, ("name", z)
            else:
                text, recipe = f"{activation}({z})", ("call", activation, z)
            graph.append((f"a{l}_{i}", text, recipe))
            outs.append(f"a{l}_{i}")
        previous = outs

    y = _vector(r, path + ("targets",))
    if len(y) != len(previous):
        raise r.fail(f"{len(y)} targets for {len(previous)} outputs", path + ("targets",))
    targets = {("y" if len(y) == 1 else f"y{k + 1}"): v for k, v in enumerate(y)}
    kind = r.string(path + ("loss",), "half_squared_error")
    if kind not in LOSSES:
        raise r.fail(f"unknown loss '{kind}' (one of {', '.join(LOSSES)})", path + ("loss",))
    loss_name = r.name(r.string(path + ("loss_name",), "L"), path + ("loss_name",))
    graph.append((loss_name, loss_text(kind, previous, list(targets)), None))
    return {
        "inputs": inputs,
        "targets": targets,
        "params": params,
        "constants": {},
        "graph": graph,
        "loss": loss_name,
    }


def expression(recipe: tuple, names: dict):
    """The SymPy expression of a generated equation, built from its recipe without parsing:
    ("sum", [(weight, source)...], bias or None) is Σ weight·source (+ bias), ("call",
    activation, z) is activation(z), ("name", z) is z. Equal to what `expr.parse` makes of the
    equation's text (tests/test_layers.py checks it), in about a twentieth of the time:
    each product of two symbols is made from its factors in SymPy's order (by name), and the
    terms are put in the order SymPy sorts a sum into (the bias, a symbol, first, then the
    products by their factors' names), so none of SymPy's general comparisons run."""
    import sympy as sp

    from tutor.registry.functions import CALLABLE

    kind = recipe[0]
    if kind == "name":
        return names[recipe[1]]
    if kind == "call":
        return CALLABLE[recipe[1]][0](names[recipe[2]])
    _, pairs, bias = recipe
    factors = sorted(tuple(sorted(pair)) for pair in pairs)
    products = [sp.Mul._from_args((names[a], names[b])) for a, b in factors]
    terms = ([names[bias]] if bias is not None else []) + products
    if len(terms) == 1:
        return terms[0]
    return sp.Add._from_args(terms)


def matrix_name(name: str) -> str | None:
    """The matrix view's name of a scalar view's name: W2_1_1 -> W2, z1_2 -> z1, x3 -> x."""
    m = re.fullmatch(r"([Wbza])(\d+)_\d+(?:_\d+)?", name)
    if m is not None:
        return m[1] + m[2]
    if re.fullmatch(r"x\d+", name):
        return "x"
    return "y" if re.fullmatch(r"y\d+", name) else None


def first_entry(name: str) -> str | None:
    """The scalar view's name of a matrix's first entry: W2 -> W2_1_1, b1 -> b1_1, x -> x1."""
    m = re.fullmatch(r"([Wbza])(\d+)", name)
    if m is not None:
        return f"{name}_1_1" if m[1] == "W" else f"{name}_1"
    return {"x": "x1", "y": "y1"}.get(name)
