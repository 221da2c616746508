"""Parameter update rules: SGD, momentum, RMSProp and Adam, one step at a time.

Each rule follows the PyTorch definition of the same name (torch.optim), so a teacher can
check a step against it; Adam is the bias-corrected one of Kingma and Ba. L2 regularisation
adds lambda * w to each gradient before the step.
"""

from __future__ import annotations

import math
import re

from tutor.errors import InputError

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
DEFAULTS = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


def unknown(optimizer: str) -> str | None:
    """The message for an optimizer name that is not one of ours (None if it is)."""
    if optimizer in OPTIMIZERS:
        return None
    return f"unknown optimizer '{optimizer}' (one of {', '.join(OPTIMIZERS)})"


def hyper(rule) -> dict[str, float]:
    """The rule's hyperparameters with the optimizer's defaults (torch's)."""
    message = unknown(rule.optimizer)
    if message:
        raise InputError(message)
    return {**DEFAULTS[rule.optimizer], **rule.hyper}


# The one definition of each rule: assignments, in order, over the parameter w, its gradient g
# (L2 term included), its state m and v, the rate lr and the hyperparameters above; the
# per-step ones also see the step number t (from 1). `step` runs them (exactly, when the
# numbers are exact); the training loop prints them into its generated code. Our own constant
# text, never a problem file's.
PER_STEP = {
    "adam": (("c1", "1 - beta1**t"), ("c2", "1 - beta2**t")),  # the bias corrections
}
PER_PARAM = {
    "sgd": (("w", "w - lr*g"),),
    # a zero buffer makes step 1 give m = g, as torch does
    "momentum": (("m", "momentum*m + g"), ("w", "w - lr*m")),
    "rmsprop": (("v", "alpha*v + (1 - alpha)*g*g"), ("w", "w - lr*g/(sqrt(v) + eps)")),
    "adam": (
        ("m", "beta1*m + (1 - beta1)*g"),
        ("v", "beta2*v + (1 - beta2)*g*g"),
        ("m_hat", "m/c1"),
        ("v_hat", "v/c2"),
        ("w", "w - lr*m_hat/(sqrt(v_hat) + eps)"),
    ),
}
# what an update table shows of each rule's quantities, by the names it shows them under
SHOWN = {
    "momentum": {"m": "buffer"},
    "rmsprop": {"v": "v"},
    "adam": {"m": "m", "v": "v", "m_hat": "m_hat", "v_hat": "v_hat"},
}
HYPERS = tuple(sorted({k for d in DEFAULTS.values() for k in d}))  # alpha, beta1, ...
INPUTS = ("w", "g", "m", "v", "lr", "t", *HYPERS)


_IDENT = re.compile(r"[A-Za-z_]\w*")


def printed(optimizer: str, names: dict[str, str]) -> list[str]:
    """One parameter's rule (`PER_PARAM`) as assignment lines with its quantities renamed
    (`names`: w, g, m, v... to the generated code's names): what the scalar training loop
    and the vectorised path print."""

    def rename(text: str) -> str:
        return _IDENT.sub(lambda m: names.get(m[0], m[0]), text)

    return [f"{rename(target)} = {rename(value)}" for target, value in PER_PARAM[optimizer]]


def _function(optimizer: str):
    """The rule as a Python function of one parameter's step (compiled once)."""
    if optimizer not in _FUNCTIONS:
        lines = [
            f"    {name} = {value}"
            for name, value in PER_STEP.get(optimizer, ()) + PER_PARAM[optimizer]
        ]
        keep = ", ".join(f"'{n}': {n}" for n in ("w", "m", "v", "m_hat", "v_hat"))
        source = (
            f"def rule({', '.join(INPUTS)}, m_hat=None, v_hat=None):\n"
            + "\n".join(lines)
            + f"\n    return {{{keep}}}\n"
        )
        namespace = {"sqrt": _sqrt}
        exec(compile(source, f"<optim {optimizer}>", "exec"), namespace)  # noqa: S102 (our text)
        _FUNCTIONS[optimizer] = namespace["rule"]
    return _FUNCTIONS[optimizer]


_FUNCTIONS: dict = {}


def _sqrt(x):
    """math.sqrt for numbers, element-wise for a tensor parameter's arrays."""
    return x**0.5 if hasattr(x, "shape") else math.sqrt(x)


def initial_state(rule, names) -> dict:
    """Zero moments for every parameter, and the step counter t = 0."""
    return {"t": 0, "m": dict.fromkeys(names, 0), "v": dict.fromkeys(names, 0)}


def step(rule, params: dict[str, float], grads: dict[str, float], state: dict, lr=None):
    """One update of `params`; returns the new values and the new state (inputs untouched)."""
    h = hyper(rule)
    lr = rule.lr if lr is None else lr
    l2 = h.get("l2", 0)
    t = state["t"] + 1
    m, v = dict(state["m"]), dict(state["v"])
    function = _function(rule.optimizer)
    constants = {k: h.get(k, 0) for k in HYPERS}
    new, shown = {}, {}
    for name, w in params.items():
        g = grads[name] + l2 * w if l2 else grads[name]
        info = {"g": g}
        if l2:
            info["l2_term"] = l2 * w  # L2 regularisation: its own term of the gradient
        out = function(w=w, g=g, m=m[name], v=v[name], lr=lr, t=t, **constants)
        new[name], m[name], v[name] = out["w"], out["m"], out["v"]
        info.update({label: out[key] for key, label in SHOWN.get(rule.optimizer, {}).items()})
        if rule.optimizer == "adam":
            # what the step would be without bias correction (a common mistake)
            info["uncorrected"] = w - lr * out["m"] / (_sqrt(out["v"]) + h["eps"])
        shown[name] = info
    return new, {"t": t, "m": m, "v": v, "shown": shown}


def shown_state(state: dict, name: str) -> dict[str, float]:
    """The per-parameter quantities an update table shows (m, v, m-hat, ...); the gradient
    actually used only when L2 made it differ from dL/dw."""
    info = dict(state.get("shown", {}).get(name, {}))
    if "l2_term" not in info:
        info.pop("g", None)
    return info
