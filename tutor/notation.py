"""How names, numbers and formulas are written: plain text for the terminal, LaTeX for export."""

from __future__ import annotations

import re

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PRETTY = {"yhat": "ŷ", "sigma": "σ", "eta": "η", "delta": "δ", "lambda": "λ"}


def pretty_name(name: str) -> str:
    """`yhat` -> `ŷ`, `yhat_2` -> `ŷ_2`: the names a course writes."""
    head, sep, tail = name.partition("_")
    for plain, shown in PRETTY.items():
        rest = head[len(plain):]
        if head.startswith(plain) and (rest == "" or rest.isdigit()):
            return shown + rest + sep + tail
    return name


def pretty_equation(text: str, times: str = "·") -> str:
    """An equation as a problem file writes it, for the terminal: `1/2*(yhat - y)^2` ->
    `1/2·(ŷ - y)^2`, the names as in every table; `times="×"` for a line of numbers."""
    shown = IDENT.sub(lambda m: pretty_name(m.group(0)), text)
    return shown.replace("**", "^").replace("*", times)


def latex_name(name: str) -> str:
    """LaTeX for a name: `W2_1_1` -> `W^{(2)}_{1,1}`, `yhat1` -> `\\hat{y}_{1}`, `x1` -> `x_{1}`."""
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)_(\d+)_(\d+)", name)
    if m:  # layer-expanded weights: W2_1_1
        return rf"{_base(m[1])}^{{({m[2]})}}_{{{m[3]},{m[4]}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)_(\d+)", name)
    if m:  # layer-expanded units: z1_2, a2_1, b1_2
        return rf"{_base(m[1])}^{{({m[2]})}}_{{{m[3]}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name)
    if m:
        return rf"{_base(m[1])}_{{{m[2]}}}"
    parts = name.split("_")
    out = _base(parts[0])
    if len(parts) > 1:
        out += "_{" + ",".join(parts[1:]) + "}"
    return out


def _base(head: str) -> str:
    if head == "yhat":
        return r"\hat{y}"
    if head in ("sigma", "eta", "delta", "lambda", "alpha", "beta", "theta"):
        return "\\" + head
    if len(head) > 1:
        return rf"\mathrm{{{head}}}"
    return head


def fmt(value: float | None, digits: int = 6) -> str:
    """A number as a student writes it: up to `digits` significant figures, no trailing zeros."""
    if value is None:
        return "—"
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if value == int(value) and 1e6 <= abs(value) < 1e15:
        return str(int(value))  # a count such as 6400040000: every digit matters
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa}e{int(exp)}"
    return text


def substitute(text: str, values: dict[str, float]) -> str:
    """The equation as written, with each known name replaced by its value."""

    def repl(m: re.Match) -> str:
        name = m.group(0)
        if name not in values:
            return name
        shown = fmt(values[name])
        before = m.string[: m.start()].rstrip()[-1:]
        after = m.string[m.end() :].lstrip()[:1]
        whole = before in ("(", ",", "") and after in (")", ",", "")  # `f(-1, 2)`, `(-1)`, `-1`
        return f"({shown})" if shown.startswith("-") and not whole else shown

    return IDENT.sub(repl, text)


def _positive_first(printer, expr, order=None):
    """Terms of a sum with the positive ones first: `ŷ - y`, not `-y + ŷ`."""
    terms = list(expr.as_ordered_terms())
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


_PRINTERS = {}


def _printers():
    """The text and LaTeX printers, made once (SymPy is imported only when needed)."""
    if not _PRINTERS:
        from sympy.printing.latex import LatexPrinter
        from sympy.printing.str import StrPrinter

        class TextPrinter(StrPrinter):
            _as_ordered_terms = _positive_first

            def _print_Symbol(self, s):
                return pretty_name(s.name)

        class TexPrinter(LatexPrinter):
            _as_ordered_terms = _positive_first

            def _print_Symbol(self, s, style="plain"):
                return latex_name(s.name)

        _PRINTERS["text"] = TextPrinter()
        _PRINTERS["latex"] = TexPrinter({"mul_symbol": "dot"})
    return _PRINTERS


def text(expr) -> str:
    """A SymPy expression as readable terminal text: `ŷ·(1 - ŷ)`, `w3`, `step(z)`."""
    out = _printers()["text"].doprint(expr)
    return out.replace("**", "^").replace("*", "·")


def latex(expr) -> str:
    """LaTeX from SymPy's printer, with the course's names for symbols."""
    return _printers()["latex"].doprint(expr)
