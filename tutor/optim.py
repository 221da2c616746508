"""Parameter update rules: SGD, momentum, RMSProp and Adam, one step at a time.

Each rule follows the PyTorch definition of the same name (torch.optim), so a teacher can
check a step against it; Adam is the bias-corrected one of Kingma and Ba. L2 regularisation
adds lambda * w to each gradient before the step.
"""

from __future__ import annotations

import math

from .errors import InputError

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
DEFAULTS = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


def hyper(rule) -> dict[str, float]:
    if rule.optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer '{rule.optimizer}' (one of {', '.join(OPTIMIZERS)})")
    return {**DEFAULTS[rule.optimizer], **rule.hyper}


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
    new, shown = {}, {}
    for name, w in params.items():
        g = grads[name] + l2 * w if l2 else grads[name]
        info = {"g": g}
        if l2:
            info["l2_term"] = l2 * w  # L2 regularisation: its own term of the gradient
        if rule.optimizer == "sgd":
            new[name] = w - lr * g
        elif rule.optimizer == "momentum":
            m[name] = g if t == 1 else h["momentum"] * m[name] + g
            new[name] = w - lr * m[name]
            info["buffer"] = m[name]
        elif rule.optimizer == "rmsprop":
            v[name] = h["alpha"] * v[name] + (1 - h["alpha"]) * g * g
            new[name] = w - lr * g / (math.sqrt(v[name]) + h["eps"])
            info["v"] = v[name]
        else:  # adam
            m[name] = h["beta1"] * m[name] + (1 - h["beta1"]) * g
            v[name] = h["beta2"] * v[name] + (1 - h["beta2"]) * g * g
            m_hat = m[name] / (1 - h["beta1"] ** t)
            v_hat = v[name] / (1 - h["beta2"] ** t)
            new[name] = w - lr * m_hat / (math.sqrt(v_hat) + h["eps"])
            info.update(
                m=m[name],
                v=v[name],
                m_hat=m_hat,
                v_hat=v_hat,
                # what the step would be without bias correction (a common mistake)
                uncorrected=w - lr * m[name] / (math.sqrt(v[name]) + h["eps"]),
            )
        shown[name] = info
    return new, {"t": t, "m": m, "v": v, "shown": shown}


def shown_state(state: dict, name: str) -> dict[str, float]:
    """The per-parameter quantities an update table shows (m, v, m-hat, ...); the gradient
    actually used only when L2 made it differ from dL/dw."""
    info = dict(state.get("shown", {}).get(name, {}))
    if "l2_term" not in info:
        info.pop("g", None)
    return info
