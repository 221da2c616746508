"""How names, numbers and formulas are written: plain text for the terminal, LaTeX for export."""

from __future__ import annotations

import functools
import re

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PRETTY = {"yhat": "ŷ", "sigma": "σ", "eta": "η", "delta": "δ", "lambda": "λ"}


def pretty_name(name: str) -> str:
    """`yhat` -> `ŷ`, `yhat_2` -> `ŷ_2`: the names a course writes."""
    head, sep, tail = name.partition("_")
    for plain, shown in PRETTY.items():
        rest = head[len(plain) :]
        if head.startswith(plain) and (rest == "" or rest.isdigit()):
            return shown + rest + sep + tail
    return name


GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "eps": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "sigma": "σ",
}


def written_forms(name: str) -> tuple[str, ...]:
    """The ways a statement writes a name: itself, `pretty_name`'s form, a Greek letter's
    (mu: μ), a hat on a letter (Xhat: X̂), and var as σ² (a variance)."""
    forms = [name, pretty_name(name)]
    if name in GREEK:
        forms.append(GREEK[name])
    if len(name) > 3 and name.endswith("hat"):
        forms.append(name[:-3] + "\u0302")
    if name == "var":
        forms.append("σ²")
    return tuple(dict.fromkeys(forms))


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


def fmt(value: float | None, digits: int = 6, group: bool | None = None) -> str:
    """A number as a student writes it, the one format of every view: up to `digits`
    significant figures, no trailing zeros, `4.67958e-6` (no padded exponent), whole numbers
    with every digit up to 10^15 (at the default precision or more) and, with `group`,
    thousands separators from 10,000 on (`6,480,242,100`).

    `group` defaults to True at the display precision (6 digits or fewer) and to False above
    it, where a number is an exact answer to be typed back (the quiz's `fmt(v, 10)`; the
    parser reads `24810`, not `24,810`). `group=False` is also for numbers inside a formula,
    where a comma would read as an argument separator."""
    if group is None:
        group = digits <= 6
    if value is None:
        return "—"
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if value == int(value) and abs(value) < 1e15 and digits >= 6:
        text = str(int(value)) if abs(value) >= 1e6 else f"{value:.{digits}g}"
        if "e" not in text:  # a count such as 6480242100: every digit matters
            return _grouped(text) if group else text
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa}e{int(exp)}"
    return _grouped(text) if group else text


def _grouped(text: str) -> str:
    """`6480242100` -> `6,480,242,100`; four-digit numbers (1000, 2024) stay as they are."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, frac = digits.partition(".")
    if len(whole) < 5:
        return text
    return f"{sign}{int(whole):,}{dot}{frac}"


# `{n}` in a statement stands for the current value of the given value n; `{{` and `}}` are
# literal braces. Any other brace is kept as it is.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(template: str) -> list[str]:
    """The names a statement refers to with `{name}`, in order."""
    return [m[1] for m in PLACEHOLDER.finditer(template) if m[1]]


def fill(template: str, values: dict) -> str:
    """A statement with each `{name}` replaced by that given value as the tables print it,
    so that after `--set n=1000` the text reads `n = 1000` too. A name without a number
    (a symbolic problem) is shown as its name."""

    def repl(m: re.Match) -> str:
        if not m[1]:
            return m[0][0]
        if m[1] not in values:
            return m[0]  # the loader refuses unknown names; keep the text if one slips by
        value = values[m[1]]
        return pretty_name(m[1]) if value is None else fmt(float(value))

    return PLACEHOLDER.sub(repl, template)


@functools.lru_cache(maxsize=1 << 16, typed=True)
def _inline(value) -> str:
    return fmt(value, group=False)


def substitute(text: str, values: dict[str, float]) -> str:
    """The equation as written, with each known name replaced by its value."""

    def repl(m: re.Match) -> str:
        name = m.group(0)
        if name not in values:
            return name
        value = values[name]
        # a layer's values recur in every unit's row: each is formatted once (0.0 and -0.0
        # are equal keys, so zeros are formatted each time)
        shown = _inline(value) if value else fmt(value, group=False)
        if not shown.startswith("-"):
            return shown
        # the characters around the name, spaces skipped (looked at in place: a layer's
        # sum has a hundred names, and copying the text around each one is quadratic)
        i, j, n = m.start() - 1, m.end(), len(text)
        while i >= 0 and text[i].isspace():
            i -= 1
        while j < n and text[j].isspace():
            j += 1
        before, after = text[i] if i >= 0 else "", text[j] if j < n else ""
        whole = before in ("(", ",", "") and after in (")", ",", "")  # `f(-1, 2)`, `(-1)`, `-1`
        return shown if whole else f"({shown})"

    return IDENT.sub(repl, text)


def _positive_first(printer, expr, order=None):
    """Terms of a sum with the positive ones first: `ŷ - y`, not `-y + ŷ`."""
    terms = list(expr.as_ordered_terms())
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


_PRINTERS = {}


def _printers():
    """The text and LaTeX printers, made once (SymPy is imported only when needed)."""
    if not _PRINTERS:
        import sympy as sp
        from sympy.printing.latex import LatexPrinter
        from sympy.printing.str import StrPrinter

        class Literal(sp.Symbol):
            """A number as the file writes it (`0.5`, not 1/2), for the written-order LaTeX."""

        class TextPrinter(StrPrinter):
            _as_ordered_terms = _positive_first

            def _print_Symbol(self, s):
                return pretty_name(s.name)

        class TexPrinter(LatexPrinter):
            _as_ordered_terms = _positive_first

            def _print_Symbol(self, s, style="plain"):
                if not isinstance(s, Literal):
                    return latex_name(s.name)
                mantissa, e, exponent = s.name.lower().partition("e")
                return rf"{mantissa} \times 10^{{{int(exponent)}}}" if e else mantissa

        class WrittenTexPrinter(TexPrinter):
            """Terms and factors in the order of their (unevaluated) arguments."""

            def _as_ordered_terms(self, expr, order=None):
                return list(expr.args)

        _PRINTERS["text"] = TextPrinter()
        _PRINTERS["latex"] = TexPrinter({"mul_symbol": "dot"})
        _PRINTERS["written"] = WrittenTexPrinter({"mul_symbol": "dot", "order": "none"})
        _PRINTERS["literal"] = Literal
    return _PRINTERS


def text(expr) -> str:
    """A SymPy expression as readable terminal text: `ŷ·(1 - ŷ)`, `w3`, `step(z)`."""
    out = _printers()["text"].doprint(expr)
    return out.replace("**", "^").replace("*", "·")


_LATEX: dict = {}  # expr -> (the very expr printed, its LaTeX)
_LATEX_KEPT = 4096


def latex(expr) -> str:
    """LaTeX from SymPy's printer, with the course's names for symbols. The same expression
    object printed again (a shared graph's local derivative, in each of a problem's variants)
    is looked up, not printed again: found by equality, used only if it is that object."""
    try:
        kept = _LATEX.get(expr)
    except TypeError:  # not hashable
        return _printers()["latex"].doprint(expr)
    if kept is not None and kept[0] is expr:
        return kept[1]
    tex = _printers()["latex"].doprint(expr)
    if len(_LATEX) >= _LATEX_KEPT:
        _LATEX.clear()
    _LATEX[expr] = (expr, tex)
    return tex


def printer(kind: str):
    """One of the course's SymPy printers: "text", "latex", "written" (LaTeX in argument
    order) or "literal" (the class of a number kept as typed)."""
    return _printers()[kind]


def tensor_text(texts) -> str:
    """A tensor as the course and the quiz write one, with its entries as printed (or, for
    an array of numbers, as `fmt` writes them): `0.5`,
    `[1, −2]` for a column (its entries top to bottom), `[0.1, −0.2; 0.3, 0.4]` for a
    matrix (rows by `;`), blocks of a map or kernel by ` | `."""
    import numpy as np

    if hasattr(texts, "dtype") and texts.dtype.kind in "biuf":  # numbers, as `fmt` writes them
        texts = np.vectorize(lambda v: fmt(float(v)), otypes=[object])(texts)
    a = np.asarray(texts, dtype=object)

    def entry(t) -> str:
        t = str(t).strip()
        return "−" + t[1:] if t.startswith("-") else t

    if a.ndim == 0:
        return entry(a[()])
    if a.ndim == 1:
        return "[" + ", ".join(entry(t) for t in a) + "]"
    if a.ndim == 2:
        if a.shape[1] == 1:
            return "[" + ", ".join(entry(t) for t in a[:, 0]) + "]"
        return "[" + "; ".join(", ".join(entry(t) for t in row) for row in a) + "]"
    return " | ".join(tensor_text(block) for block in a)
