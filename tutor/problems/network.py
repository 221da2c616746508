"""A `network:` problem as a tensor problem: one matrix per layer, no per-weight equations.

`layers.expand` writes a network as scalar equations (z1_1 = W1_1_1*x1 + ...), which is what
the per-weight view (`solve --view scalar`) and the quiz read. The matrix view reads the same
block as the course writes it: x, W1, b1, ..., `z1: W1 @ x + b1`, `a1: sigmoid(z1)`, and the
loss of `layers.LOSSES` over whole vectors, so a 10-128-128-10 network is five NumPy
products, not 18,000 SymPy expressions.

Scalar names map onto entries (1-based, as the course writes them): x2 is x[2], W1_2_3 is
W1[2,3], b2_1 is b2[1], z1_2 is z1[2]; `published:` answers, `update.params` and the
statement's placeholders are read through that map.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from tutor.errors import ProblemError

# a scalar name of layers.expand -> (tensor name, 1-based index)
_ENTRY = re.compile(r"(?P<base>[Wbza])(?P<layer>\d+)_(?P<i>\d+)(?:_(?P<j>\d+))?")
_INPUT = re.compile(r"(?P<base>[xy])(?P<i>\d+)")


def layer_equations(activations, biases) -> list[tuple[str, str]]:
    """A network's layers in the tensor notation, the course's layout (a sample is a column
    x, a batch's samples are the columns of x): `z{l}: W{l} @ a{l-1} + b{l}` (without the bias
    where `biases[l-1]` is false) and `a{l}: f(z{l})`, `a{l}: z{l}` for a linear layer."""
    out: list[tuple[str, str]] = []
    previous = "x"
    for l, (act, bias) in enumerate(zip(activations, biases), start=1):
        out.append((f"z{l}", f"W{l} @ {previous}" + (f" + b{l}" if bias else "")))
        out.append((f"a{l}", f"z{l}" if act == "linear" else f"{act}(z{l})"))
        previous = f"a{l}"
    return out


def equations(activations, params, kind: str, loss: str = "L") -> list[tuple[str, str]]:
    """(name, equation) of a layered network and its loss of `kind` (layers.LOSSES) on the
    last layer's output: `layer_equations`, the bias where `params` has a b{l}."""
    from tutor.registry.layers import tensor_loss_text

    eqs = layer_equations(activations, [f"b{l}" in params for l in range(1, len(activations) + 1)])
    return eqs + [(loss, tensor_loss_text(kind, eqs[-1][0]))]


def is_network(path) -> bool:
    """True when the file gives a `network:` block (read as YAML only)."""
    from tutor.problems.loader import read_doc

    data = read_doc(path).data
    return isinstance(data, dict) and "network" in data


def entry(name: str, shapes: dict[str, tuple]) -> tuple[str, tuple[int, ...]] | None:
    """`W1_2_3` -> ('W1', (2, 3)), `x2` -> ('x', (2, 1)), `y` -> ('y', (1, 1)) (None: not an
    entry of these tensors)."""
    m = _ENTRY.fullmatch(name)
    if m:
        tensor = f"{m['base']}{m['layer']}"
        index = (int(m["i"]), int(m["j"]) if m["j"] else 1)
    elif (m := _INPUT.fullmatch(name)) is not None:
        tensor, index = m["base"], (int(m["i"]), 1)
    elif name == "y":
        tensor, index = "y", (1, 1)
    else:
        return None
    shape = shapes.get(tensor)
    if shape is None or len(shape) != 2 or not all(1 <= k <= n for k, n in zip(index, shape)):
        return None
    return tensor, index


def _floats(items) -> np.ndarray | None:
    """A list of plain decimals as floats (None when it is anything else)."""
    from tutor.problems.matrix_loader import _DECIMAL

    if not isinstance(items, list) or not items:
        return None
    if not all(isinstance(t, str) and _DECIMAL.fullmatch(t) for t in items):
        return None
    return np.array([float(t) for t in items])


def _arrays(net) -> tuple | None:
    """x, y and each layer's (W, b or None, activation) read straight from a `network:` block
    whose numbers are plain decimals and whose sizes fit (a 10-128-128-10 network in 20 ms).
    None for anything else: the full reading (`layers.expand`) then reads it or says why not."""
    if not isinstance(net, dict) or not isinstance(net.get("layers"), list) or not net["layers"]:
        return None
    x, y = _floats(net.get("inputs")), _floats(net.get("targets"))
    if x is None or y is None:
        return None
    layers, n_in = [], x.size
    for spec in net["layers"]:
        if not isinstance(spec, dict) or not isinstance(spec.get("weights"), list):
            return None
        rows = [_floats(row) for row in spec["weights"]]
        if not rows or any(row is None or row.size != n_in for row in rows):
            return None
        bias = None
        if spec.get("bias") is not None:
            bias = _floats(spec["bias"])
            if bias is None or bias.size != len(rows):
                return None
        activation = spec.get("activation", "linear")
        if not isinstance(activation, str):
            return None
        layers.append((np.array(rows), bias, activation))
        n_in = len(rows)
    return (x, y, layers) if y.size == n_in else None


def load(path, settings: list[str] | None = None, per_weight: bool = False):
    """The tensor Problem of a `network:` file (with `--set NAME=VALUE` on scalar names).

    `per_weight` (what `train` reads): `update.params` keeps the file's scalar names (W2_1_1,
    b2_1...), partial matrices included, and `published:` is not read."""
    from tutor.problems import loader
    from tutor.problems.loader import Reader, read_doc
    from tutor.registry.layers import LAYER_KEYS, NETWORK_KEYS

    doc = read_doc(path)
    r = Reader(doc, light=True)
    fast = None if settings else _arrays(doc.data.get("network"))
    if fast is not None:  # the keys are checked as the full reading checks them
        r.mapping(("network",), NETWORK_KEYS)
        for i in range(len(fast[2])):
            r.mapping(("network", "layers", i), LAYER_KEYS)
    if fast is None:
        return _load_from_sheet(path, doc, r, settings, per_weight)
    x, y, specs = fast
    names = {f"x{j}" for j in range(1, x.size + 1)} | (
        {"y"} if y.size == 1 else {f"y{k}" for k in range(1, y.size + 1)}
    )
    params: dict[str, np.ndarray] = {}
    for l, (w, b, _) in enumerate(specs, start=1):
        params[f"W{l}"] = w
        names |= {
            f"W{l}_{i}_{j}" for i in range(1, w.shape[0] + 1) for j in range(1, w.shape[1] + 1)
        }
        if b is not None:
            params[f"b{l}"] = b.reshape(-1, 1)
            names |= {f"b{l}_{i}" for i in range(1, b.size + 1)}
    pid = r.name(r.string(("id",)), ("id",))
    statement = r.text(("statement",))
    loader._check_placeholders(r, statement, names)
    meta = (pid, r.text(("title",)), statement, r.string(("kind",), ""), names)
    return _problem(
        doc,
        r,
        meta,
        x.reshape(-1, 1),
        y.reshape(-1, 1),
        params,
        [a for _, _, a in specs],
        settings,
        per_weight,
    )


def _load_from_sheet(path, doc, r, settings, per_weight=False):
    """The same Problem through the loader's sheet (`--set`, and every file the fast reading
    does not take: its messages are the loader's)."""
    from tutor.problems import loader

    sheet = loader.load_sheet(path)
    if settings:
        sheet = replace(sheet, **loader.set_values(sheet, settings))
    specs = r.mapping(("network",))["layers"]
    activations = [
        r.string(("network", "layers", i, "activation"), "linear") for i in range(len(specs))
    ]
    scalar = {**sheet.inputs, **sheet.targets, **sheet.params}

    def column(prefix: str, n: int) -> np.ndarray:
        return np.array([[float(scalar[f"{prefix}{k}"])] for k in range(1, n + 1)])

    x = column("x", len(sheet.inputs))
    y = np.array([[float(sheet.targets[n])] for n in sheet.targets])
    params: dict[str, np.ndarray] = {}
    n_in = len(sheet.inputs)
    for l in range(1, len(activations) + 1):
        rows = 0
        while f"W{l}_{rows + 1}_1" in sheet.params:
            rows += 1
        params[f"W{l}"] = np.array(
            [
                [float(sheet.params[f"W{l}_{i}_{j}"]) for j in range(1, n_in + 1)]
                for i in range(1, rows + 1)
            ]
        )
        if f"b{l}_1" in sheet.params:
            params[f"b{l}"] = np.array(
                [[float(sheet.params[f"b{l}_{i}"])] for i in range(1, rows + 1)]
            )
        n_in = rows
    meta = (sheet.id, sheet.title, sheet.statement, sheet.kind, set(sheet.params))
    return _problem(doc, r, meta, x, y, params, activations, settings, per_weight)


def _problem(doc, r, meta, x, y, params, activations, settings, per_weight=False):
    """The Problem from the arrays: `z{l}: W{l} @ a{l-1} + b{l}`, `a{l}: f(z{l})`, the loss."""
    from tutor.engine import tensor
    from tutor.language.matrix_expr import parse
    from tutor.model import Equation, Problem
    from tutor.problems import loader
    from tutor.problems.loader import check_targets
    from tutor.registry.layers import LOSSES, matrix_name
    from tutor.registry.layers import activations as known

    pid, title, statement, kind_name, scalar_params = meta
    for i, act in enumerate(activations):
        if act not in known():
            raise r.fail(
                f"unknown activation '{act}' (one of {', '.join(known())})",
                ("network", "layers", i, "activation"),
            )
    kind = r.string(("network", "loss"), "half_squared_error")
    if kind not in LOSSES:
        raise r.fail(f"unknown loss '{kind}' (one of {', '.join(LOSSES)})", ("network", "loss"))
    loss = r.name(r.string(("network", "loss_name"), "L"), ("network", "loss_name"))
    graph_src = equations(activations, set(params), kind, loss)

    leaves = {"x": x, "y": y, **params}
    names = set(leaves) | {n for n, _ in graph_src}
    line = doc.line(("network",))
    graph = tuple(Equation(n, t, parse(t, names), line) for n, t in graph_src)
    shapes = {n: v.shape for n, v in leaves.items()}
    top = doc.data
    asks = loader.asks_of(r)
    loader.check_counted(r, asks, graph, params)
    update = None
    if "update" in top:
        update = loader._update(r, scalar_params)
        if update.params is not None and not per_weight:
            update = replace(update, params=_whole(update.params, params, shapes, r))
    problem = Problem(
        id=pid,
        title=title,
        statement=statement,
        kind=kind_name or "network",
        inputs={"x": x},
        targets={"y": y},
        params=params,
        constants={},
        graph=graph,
        loss=loss,
        asks=asks,
        update=update,
        tolerance=float(r.number(("tolerance",))) if "tolerance" in top else None,
        source=loader._source(r),
        file=doc.file,
        extra={
            "tensor": True,
            "network": True,
            "loss_kind": kind,
            "activations": tuple(activations),
        },
        remarks=loader.remarks_of(r, names, loss, rename=matrix_name),
    )
    values = tensor.forward(problem, problem.leaves)
    check_targets(problem)
    shapes.update({n: v.shape for n, v in values.items()})
    published = ()
    if "published" in top and not settings and not per_weight:
        published = _published(doc, problem, shapes)
    return replace(problem, published=published)


def _whole(names: tuple[str, ...], params: dict, shapes: dict, r) -> tuple[str, ...]:
    """`update.params` written per weight (W2_1_1, W2_1_2, b2_1): the matrices they make up.
    A matrix only partly listed cannot be shown as one matrix step."""
    listed: dict[str, set] = {}
    for n in names:
        where = entry(n, shapes)
        if where is not None:
            listed.setdefault(where[0], set()).add(where[1])
    for t, idx in listed.items():
        if len(idx) != params[t].size:
            raise ProblemError(
                f"update.params lists part of {t} only: the matrix view updates "
                "whole matrices (use --view scalar)",
                file=r.doc.file,
                line=r.doc.line(("update", "params")),
            )
    return tuple(t for t in params if t in listed)


def _published(doc, problem, shapes: dict) -> tuple:
    """The file's per-weight answers as entries of the tensors (values, gradients, values
    after the update); local factors and optimizer states have no matrix entry and are left
    to the scalar view."""
    from tutor.model import Quantity
    from tutor.problems.matrix_loader import TensorPublished

    out = []
    for key, value in doc.data["published"].items():
        try:
            q = Quantity.parse(key, problem.loss)
        except ValueError:
            continue
        if q.optimizer or q.kind not in ("value", "gradient", "after"):
            continue
        name = q.names[-1]
        if name == problem.loss:
            tensor, index = name, None
        else:
            found = entry(name, shapes)
            if found is None:
                continue
            tensor, index = found
        if (
            q.kind == "after"
            and tensor not in (problem.update.params or problem.params)
            and tensor not in {eq.name for eq in problem.graph}
        ):
            continue
        texts = value if isinstance(value, list) else [value]
        text = str(texts[-1])  # of several printed forms, the most precise is the last
        try:
            number = float(text)
        except ValueError:
            continue
        tkey = tensor if index is None else f"{tensor}[{_index_text(index, shapes[tensor])}]"
        tkey = {"after": f"{tkey}'", "gradient": f"d{problem.loss}/d{tkey}"}.get(q.kind, tkey)
        line = doc.key_line(("published", key)) or doc.line(("published", key))
        out.append(
            TensorPublished(
                tkey, q.kind, tensor, index, np.asarray(number), np.array(text, dtype=str), line
            )
        )
    return tuple(out)


def _index_text(index: tuple[int, int], shape: tuple) -> str:
    """[2] for an entry of a column vector, [2,3] for a matrix's."""
    return str(index[0]) if shape[1] == 1 else f"{index[0]},{index[1]}"


def with_rule(
    problem, optimizer: str | None = None, lr: float | None = None, l2: float | None = None
):
    """A tensor problem and its update rule under `--optimizer/--lr/--l2` (as
    `variants.with_rule` for scalar problems): another optimizer or an L2 term drops the
    published values after the update, which belonged to the file's own rule."""
    from tutor.model import UpdateRule
    from tutor.registry.schedules import check_run

    rule = problem.update
    if not (optimizer or lr is not None or l2 is not None):
        return problem, rule
    check_run(lr=lr, l2=l2)
    base = rule or UpdateRule()
    hyper = {} if optimizer and optimizer != base.optimizer else dict(base.hyper)
    if l2 is not None:
        hyper["l2"] = l2
    rule = replace(
        base, optimizer=optimizer or base.optimizer, lr=base.lr if lr is None else lr, hyper=hyper
    )
    from tutor.registry.optim import unknown

    if unknown(rule.optimizer):
        from tutor.errors import InputError

        raise InputError(unknown(rule.optimizer))
    if "update" not in problem.asks:
        problem = replace(problem, asks=problem.asks + ("update",))
    if rule.optimizer != base.optimizer or l2 is not None or lr is not None:
        problem = replace(
            problem, published=tuple(p for p in problem.published if p.kind != "after")
        )
    return problem, rule
