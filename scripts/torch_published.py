"""The `published:` answers of the tensor catalogue (problems/ex18..ex25) and of the strided
convolution fixture (tests/fixtures/tensor/conv_stride.yaml), from PyTorch float64.

Each problem is rebuilt here by hand with torch.nn.functional (linear, conv2d, max_pool2d,
avg_pool2d, batch_norm in training mode, cross_entropy, binary_cross_entropy) and a hand-written
tanh RNN, straight from the numbers of its YAML file (read with yaml.safe_load, never through
tutor's engine), differentiated by autograd, stepped by SGD, and printed as a teacher prints
them: 4 significant figures.

    /work/main/.venv/bin/python scripts/torch_published.py            # print every block
    /work/main/.venv/bin/python scripts/torch_published.py ex21        # one problem
    /work/main/.venv/bin/python scripts/torch_published.py --write     # replace the blocks

`--write` replaces each file's `published:` block, which is the last key of the file.
tests/test_tensor_catalogue.py imports `BUILDERS` to compare the engine with torch live.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 (torch's own spelling)
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
FIGURES = 4


def column(v: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1)


def linear(W, a, b):
    """W a + b for column vectors (or a batch's columns), by F.linear on rows."""
    return F.linear(a.T, W, column(b)).T


def ex18(t):
    z1 = linear(t["W1"], t["x"], t["b1"])
    a1 = torch.sigmoid(z1)
    z2 = linear(t["W2"], a1, t["b2"])
    p = F.softmax(z2, dim=0)
    L = F.cross_entropy(z2.T, t["y"].T.argmax(1))
    return dict(z1=z1, a1=a1, z2=z2, p=p, L=L)


def ex19(t):
    h1 = linear(t["W1"], t["x"], t["b1"])
    h2 = linear(t["W2"], h1, t["b2"])
    h3 = linear(t["W3"], h2, t["b3"])
    return dict(
        h1=h1, h2=h2, h3=h3, yhat=F.softmax(h3, dim=0), L=F.cross_entropy(h3.T, t["y"].T.argmax(1))
    )


def ex20(t):
    z1 = F.conv2d(t["x"][None], t["K1"], column(t["b1"]))[0]
    a1 = F.relu(z1)
    z2 = F.conv2d(a1[None], t["K2"], column(t["b2"]))[0]
    return dict(z1=z1, a1=a1, z2=z2, L=((z2 - t["t"]) ** 2).sum() / 2)


def ex21(t):
    z = F.conv2d(t["x"][None], t["K"], column(t["b"]))[0]
    m = F.max_pool2d(z[None], 2)[0]
    v = F.avg_pool2d(z[None], 2)[0]
    ym = linear(t["wm"], m.reshape(-1, 1), t["cm"])
    yv = linear(t["wv"], v.reshape(-1, 1), t["cv"])
    L = (
        F.mse_loss(ym, t["t"].reshape(ym.shape), reduction="sum")
        + F.mse_loss(yv, t["t"].reshape(yv.shape), reduction="sum")
    ) / 2
    return dict(z=z, m=m, v=v, ym=ym, yv=yv, L=L)


def ex22(t):
    Z1 = linear(t["W1"], t["X"], t["b1"])
    A1 = torch.sigmoid(Z1)
    Z2 = linear(t["W2"], A1, t["b2"])
    A2 = torch.sigmoid(Z2)
    return dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2, L=F.binary_cross_entropy(A2, t["Y"]))


def ex23(t):
    out, h = {}, t["h0"]
    for step in (1, 2, 3):
        z = t["W"] @ h + t["U"] @ t[f"x{step}"] + t["b"]
        h = torch.tanh(z)
        out[f"z{step}"], out[f"h{step}"] = z, h
    y = linear(t["V"], h, t["c"])
    return dict(out, y=y, L=((y - t["t"]) ** 2).sum() / 2)


def ex24(t):
    X, eps = t["X"], float(t["eps"].detach())
    # the library's training-mode BatchNorm (samples as rows) gives Y and the loss ...
    Y = F.batch_norm(
        X.T, None, None, column(t["gamma"]), column(t["beta"]), training=True, eps=eps
    ).T
    # ... and the same steps by hand give the inner nodes (μ, σ², X̂) and their gradients
    mu = X.mean(dim=1, keepdim=True)
    var = ((X - mu) ** 2).mean(dim=1, keepdim=True)
    Xhat = (X - mu) / torch.sqrt(var + eps)
    by_hand = t["gamma"] * Xhat + t["beta"]
    assert torch.allclose(Y, by_hand, rtol=1e-12, atol=1e-14)
    L = F.mse_loss(by_hand, t["Yt"])
    assert torch.allclose(L, F.mse_loss(Y, t["Yt"]), rtol=1e-12)
    return dict(mu=mu, var=var, Xhat=Xhat, Y=by_hand, L=L)


def ex25(t):
    out = {}
    for act, c, a in ((torch.sigmoid, "s", "s"), (F.relu, "r", "r"), (F.relu, "h", "h")):
        prev = t["x"]
        for layer in range(1, 7):
            out[f"z{c}{layer}"] = t[f"W{c}{layer}"] @ prev
            prev = out[f"{a}{layer}"] = act(out[f"z{c}{layer}"])
    return dict(out, L=out["s6"].sum() + out["r6"].sum() + out["h6"].sum())


def conv_stride(t):
    """tests/fixtures/tensor/conv_stride.yaml: stride 2, padding 1, tanh, squared error."""
    z = F.conv2d(t["x"][None], t["K"], column(t["b"]), stride=2, padding=1)[0]
    a = torch.tanh(z)
    return dict(z=z, a=a, L=((a - t["t"]) ** 2).sum() / 2)


BUILDERS = {f.__name__: f for f in (ex18, ex19, ex20, ex21, ex22, ex23, ex24, ex25, conv_stride)}
FIXTURES = {"conv_stride": ROOT / "tests" / "fixtures" / "tensor" / "conv_stride.yaml"}

# what each problem publishes: values, gradients (dL/dname), values after the SGD step (name')
PUBLISHED = {
    "ex18": [
        "z1",
        "a1",
        "z2",
        "p",
        "L",
        "dL/dz2",
        "dL/da1",
        "dL/dz1",
        "dL/dW2",
        "dL/db2",
        "dL/dW1",
        "dL/db1",
        "dL/dW1[2,3]",
        "W2'",
        "b2'",
        "W1'[2,3]",
        "L'",
    ],
    "ex19": [
        "h1",
        "h2",
        "h3",
        "yhat",
        "L",
        "dL/dh3",
        "dL/dW3",
        "dL/db3",
        "dL/dh2",
        "dL/dW2",
        "dL/db2",
        "dL/dh1",
        "dL/dW1",
        "dL/db1",
        "dL/dW1[3,4]",
        "W3'",
        "W1'",
        "L'",
    ],
    "ex20": [
        "z1",
        "a1",
        "z2",
        "L",
        "dL/dz2",
        "dL/da1",
        "dL/dz1",
        "dL/dK2",
        "dL/db2",
        "dL/dK1",
        "dL/db1",
        "dL/dK1[2,1,2,2]",
        "K1'",
        "K2'",
        "L'",
    ],
    "ex21": [
        "z",
        "m",
        "v",
        "ym",
        "yv",
        "L",
        "dL/dym",
        "dL/dyv",
        "dL/dm",
        "dL/dv",
        "dL/dz",
        "dL/dK",
        "dL/db",
        "dL/dwm",
        "dL/dwv",
        "K'",
        "wm'",
        "wv'",
        "L'",
    ],
    "ex22": [
        "Z1",
        "A1",
        "Z2",
        "A2",
        "L",
        "dL/dZ2",
        "dL/dA1",
        "dL/dZ1",
        "dL/dW2",
        "dL/db2",
        "dL/dW1",
        "dL/db1",
        "dL/dW1[2,1]",
        "W1'",
        "b1'",
        "W2'",
        "b2'",
        "L'",
    ],
    "ex23": [
        "h1",
        "h2",
        "h3",
        "y",
        "L",
        "dL/dy",
        "dL/dh3",
        "dL/dz3",
        "dL/dh2",
        "dL/dz2",
        "dL/dh1",
        "dL/dz1",
        "dL/dW",
        "dL/dU",
        "dL/db",
        "dL/dV",
        "dL/dc",
        "dL/dW[1,2]",
        "W'",
        "U'",
        "b'",
        "L'",
    ],
    "ex24": [
        "mu",
        "var",
        "Xhat",
        "Y",
        "L",
        "dL/dY",
        "dL/dXhat",
        "dL/dvar",
        "dL/dmu",
        "dL/dX",
        "dL/dgamma",
        "dL/dbeta",
        "gamma'",
        "beta'",
        "L'",
    ],
    "conv_stride": [
        "z",
        "a",
        "L",
        "dL/da",
        "dL/dz",
        "dL/dK",
        "dL/db",
        "dL/dx",
        "dL/dK[1,2,2,3]",
        "dL/dx[1,2,2]",
    ],
    "ex25": ["s6", "r6", "h6", "L"]
    + [f"dL/dz{c}{layer}" for c in "srh" for layer in range(6, 0, -1)]
    + [f"dL/dW{c}{layer}" for c in "srh" for layer in (6, 1)]
    + ["dL/dWs1[1,1]", "dL/dWr1[1,1]"],
}


# ------------------------------------------------------------------------------- reading


def tensor_of(value) -> torch.Tensor:
    """A YAML value as the loader reads it: a number, a list (a column) or nested lists."""
    t = torch.tensor(_numbers(value), dtype=torch.float64)
    return t.reshape(-1, 1) if t.ndim == 1 else t


def _numbers(value):
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return float(value)  # PyYAML reads 1e-5 as a string


def path_of(pid: str) -> Path:
    return FIXTURES.get(pid, PROBLEMS / f"{pid}.yaml")


def read(pid: str) -> dict:
    return yaml.safe_load(path_of(pid).read_text(encoding="utf-8"))


def leaves_of(doc: dict) -> dict[str, torch.Tensor]:
    groups = ("inputs", "targets", "params", "constants")
    return {k: tensor_of(v) for g in groups for k, v in (doc.get(g) or {}).items()}


def params_of(doc: dict) -> list[str]:
    listed = (doc.get("update") or {}).get("params")
    return list(listed) if listed else list(doc.get("params") or {})


# ------------------------------------------------------------------------------- solving


def solve(pid: str, leaves: dict[str, torch.Tensor], params: list[str], lr: float | None):
    """Values, gradients of every leaf and node, and (with lr) values after one SGD step."""
    t = {k: v.clone().requires_grad_(True) for k, v in leaves.items()}
    nodes = BUILDERS[pid](t)
    for v in nodes.values():
        if v.requires_grad and v.grad_fn is not None:
            v.retain_grad()
    nodes["L"].backward()
    values = {**{k: v.detach() for k, v in t.items()}, **{k: v.detach() for k, v in nodes.items()}}
    grads = {
        k: (v.grad if v.grad is not None else torch.zeros_like(v)).detach()
        for k, v in {**t, **nodes}.items()
    }
    after = {}
    if lr is not None:
        moved = {k: (v - lr * grads[k] if k in params else v) for k, v in leaves.items()}
        with torch.no_grad():
            after = {**moved, **BUILDERS[pid](dict(moved))}
    return values, grads, after


def printed(x: float, scale: float) -> str:
    """4 significant figures; a value that is rounding noise next to its tensor prints as 0."""
    if abs(x) <= 1e-12 * max(scale, 1.0):
        return "0"
    text = f"{x:.{FIGURES}g}"
    return text


def written(t: torch.Tensor) -> str:
    """A tensor as the YAML writes it: a column as a flat list, a matrix or map nested."""
    scale = float(t.abs().max()) if t.numel() else 0.0
    if t.numel() == 1:
        return printed(float(t.reshape(())), scale)
    if t.ndim == 2 and t.shape[1] == 1:
        t = t.reshape(-1)

    def nest(u):
        if u.ndim == 0:
            return printed(float(u), scale)
        return "[" + ", ".join(nest(v) for v in u) + "]"

    return nest(t)


def block(pid: str) -> str:
    doc = read(pid)
    update = doc.get("update")
    asks = doc.get("ask") or ["forward", "loss", "gradients", "update"]
    lr = float(update.get("lr", 0.1)) if update and "update" in asks else None
    values, grads, after = solve(pid, leaves_of(doc), params_of(doc), lr)
    lines = [
        "published:",
        "  # PyTorch float64 (scripts/torch_published.py), 4 significant figures",
    ]
    for key in PUBLISHED[pid]:
        name, index = key, None
        if "[" in key:
            name, rest = key.split("[")
            index = tuple(int(i) - 1 for i in rest.rstrip("]").split(","))
        if name.startswith("dL/d"):
            source, name = grads, name[4:]
        elif name.endswith("'"):
            source, name = after, name[:-1]
        else:
            source = values
        value = source[name]
        if index is not None:
            if value.ndim == 2 and value.shape[1] == 1 and len(index) == 1:
                index = (index[0], 0)
            value = value[index]
        lines.append(f"  {key}: {written(value)}")
    return "\n".join(lines) + "\n"


def write(pid: str, text: str) -> None:
    path = path_of(pid)
    old = path.read_text(encoding="utf-8")
    head = old.split("\npublished:\n")[0].rstrip("\n") + "\n"
    path.write_text(head + text, encoding="utf-8")


def main(argv: list[str]) -> None:
    torch.set_default_dtype(torch.float64)
    chosen = [a for a in argv if not a.startswith("--")] or list(BUILDERS)
    for pid in chosen:
        text = block(pid)
        if "--write" in argv:
            write(pid, text)
        print(f"# {pid}\n{text}")


if __name__ == "__main__":
    main(sys.argv[1:])
