"""LaTeX to MathML for the HTML export, quickly, for the LaTeX the export writes.

The export's formulas use a small part of LaTeX: names with sub- and superscripts and primes,
fractions, `\\left( \\right)`, `bmatrix`, a few fonts and accents, Greek letters and operators.
`convert` turns exactly that part into the same MathML, byte for byte, as latex2mathml (whose
walker and converter it follows branch by branch) about eight times faster, and without importing
it; for anything else it returns None and the caller uses latex2mathml itself. Its tables are
latex2mathml's, copied for that vocabulary; tests/test_mathml.py checks them against it, and
every formula of the catalogue and thousands of generated ones against its output.
"""

from __future__ import annotations

import re

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


class Unsupported(Exception):
    """LaTeX outside the vocabulary handled here (latex2mathml converts it)."""


# --------------------------------------------------------------------------- tables
# from latex2mathml 3.8 (symbols_parser.convert_symbol: the hexadecimal code point)

SYMBOLS = {
    # Greek
    r"\alpha": "003B1",
    r"\beta": "003B2",
    r"\gamma": "003B3",
    r"\delta": "003B4",
    r"\epsilon": "003F5",
    r"\varepsilon": "003B5",
    r"\zeta": "003B6",
    r"\eta": "003B7",
    r"\theta": "003B8",
    r"\vartheta": "003D1",
    r"\iota": "003B9",
    r"\kappa": "003BA",
    r"\lambda": "003BB",
    r"\mu": "003BC",
    r"\nu": "003BD",
    r"\xi": "003BE",
    r"\pi": "003C0",
    r"\varpi": "003D6",
    r"\rho": "003C1",
    r"\varrho": "003F1",
    r"\sigma": "003C3",
    r"\varsigma": "003C2",
    r"\tau": "003C4",
    r"\upsilon": "003C5",
    r"\phi": "003D5",
    r"\varphi": "003C6",
    r"\chi": "003C7",
    r"\psi": "003C8",
    r"\omega": "003C9",
    r"\Gamma": "00393",
    r"\Delta": "00394",
    r"\Theta": "00398",
    r"\Lambda": "0039B",
    r"\Xi": "0039E",
    r"\Pi": "003A0",
    r"\Sigma": "003A3",
    r"\Upsilon": "003A5",
    r"\Phi": "003A6",
    r"\Psi": "003A8",
    r"\Omega": "003A9",
    # operators, relations, symbols
    r"\partial": "02202",
    r"\cdot": "000B7",
    r"\times": "000D7",
    r"\in": "02208",
    r"\top": "022A4",
    r"\odot": "02299",
    r"\oslash": "02298",
    r"\otimes": "02297",
    r"\to": "02192",
    r"\div": "000F7",
    r"\pm": "000B1",
    r"\mp": "02213",
    r"\leq": "02264",
    r"\geq": "02265",
    r"\neq": "02260",
    r"\approx": "02248",
    r"\infty": "0221E",
    r"\ell": "02113",
    r"\nabla": "02207",
    r"\sum": "02211",
    r"\prod": "0220F",
    r"\circ": "02218",
    r"\ast": "0002A",
    r"\cdots": "022EF",
    r"\ldots": "02026",
    r"\mid": "02223",
    r"\rightarrow": "02192",
    r"\leftarrow": "02190",
    r"\equiv": "02261",
    r"\propto": "0221D",
    r"\notin": "02209",
    r"\ge": "02265",
    r"\le": "02264",
    # escaped characters
    r"\prime": "02032",
    r"\dprime": "02033",
    r"\trprime": "02034",
    r"\qprime": "02057",
    r"\_": "0005F",
    r"\{": "0007B",
    r"\}": "0007D",
    # characters
    "(": "00028",
    ")": "00029",
    "=": "0003D",
    ">": "0003E",
    "<": "0003C",
    "+": "0002B",
    "-": "02212",
    ",": "0002C",
    ":": "0003A",
    "/": "0002F",
    ".": "0002E",
    "|": "0007C",
    "!": "00021",
    "*": "0002A",
    ";": "0003B",
    "?": "0003F",
    "[": None,
    "]": None,
    "'": None,
}  # fmt: skip (a table, several entries a line)
# latex2mathml's OPERATORS (converter.py), as far as SYMBOLS holds them: written as <mo>
OPERATORS = frozenset(
    ("+", "-", "*", "/", "(", ")", "=", ">", "<", ",", "?", "[", "]", "|", "!", ".", r"\{", r"\}")
    + (r"\ast", r"\cdot", r"\div", r"\times")
)
FUNCTIONS = frozenset((r"\log", r"\ln", r"\exp", r"\sin", r"\cos", r"\tan"))
FUNCTIONS |= {r"\sinh", r"\cosh", r"\tanh"}
LIMITS = {r"\max": "max", r"\min": "min", r"\sup": "sup", r"\inf": "inf", r"\lim": "lim"}
SPACES = {r"\,": "0.167em", r"\;": "0.278em", r"\:": "0.222em", r"\quad": "1em"}
SPACES[r"\qquad"] = "2em"
# \mathX{...}: the mathvariant of <mi>, <mn>, <mo> and a fence (None: none); one letter in
# braces is a character of its own
FONTS = {
    r"\mathrm": {"mi": "normal"},
    r"\mathsf": {"mi": "sans-serif"},
    **{
        font: dict.fromkeys(("mi", "mn", "mo", "mtext"), variant)
        for font, variant in (
            (r"\mathbf", "bold"),
            (r"\mathit", "italic"),
            (r"\mathbb", "double-struck"),
            (r"\mathcal", "script"),
        )
    },
}
LETTERS = {r"\mathbb{R}": "0211D", r"\mathbb{N}": "02115", r"\mathbb{Z}": "02124"}
LETTERS.update({r"\mathbb{Q}": "0211A", r"\mathbb{C}": "02102"})  # \mathrm{x}: x's own
# accents: <mover> with the accent's <mo> after the base
ACCENTS = {
    r"\hat": ({"accent": "true"}, "&#x0005E;", {}),
    r"\bar": ({}, "&#x000AF;", {"stretchy": "true"}),
    r"\tilde": ({}, "&#x0007E;", {"stretchy": "false"}),
    r"\vec": ({}, "&#x02192;", {"stretchy": "true"}),
    r"\dot": ({}, "&#x002D9;", {}),
}
FENCES = {"(", ")", "[", "]", "|", r"\{", r"\}"}  # <mo stretchy="false"> when written bare
DELIMITERS = {"(", ")", "[", "]", "|", ".", r"\{", r"\}"}  # after \left and \right
MATRICES = {r"\begin{bmatrix}": ("bmatrix", "&#x0005B;", "&#x0005D;")}
MATRICES[r"\begin{pmatrix}"] = ("pmatrix", "&#x00028;", "&#x00029;")

# latex2mathml's tokenizer pattern, its alternatives in the same order (those this module
# refuses are kept, so that they are refused rather than read as something else)
_UNITS = "in|mm|cm|pt|em|ex|pc|bp|dd|cc|sp|mu"
_TOKEN = re.compile(
    rf"""
    %[^\n]+ |                                           # a comment
    [a-zA-Z] |
    [_^]\d |                                            # x_1: two tokens
    -?\d+(?:\.\d+)?\s*(?:{_UNITS}) |                    # a dimension
    \d+(?:\.\d+)? |
    \.\d* |
    \\[\\\[\]{{}}\s!,:>;|_%#$&] |
    \\(?:begin|end)\s*{{[a-zA-Z]+\*?}} |
    \\operatorname(?:withlimits|\*)?\s*{{[a-zA-Z\s*]+\*?\s*}} |
    \\(?:cla(?:p|ss)|color(?!box)|emph|fbox|hbox|href|llap|mbox|rlap|style
        |tag\*?|text(?:bf|color|it|md|normal|rm|sf|tt|up)?|underbar)\s*{{[^}}]*}} |
    \\[cdt]?frac\s*[.\d] |                              # \frac12
    \\math(?!ring|bin|close|inner|op|open|ord|punct|rel|strut)[a-z]+{{[a-zA-Z]}} |
    \\verb |
    \\[a-zA-Z]+ |
    \S
    """,
    re.VERBOSE,
)
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _tokens(tex: str) -> list[str]:
    out = []
    for token in _TOKEN.findall(tex):
        if token in _KNOWN:  # a letter, digit, character or command of the vocabulary
            out.append(token)
        elif token[0].isdigit():  # a number, or a dimension (2em)
            if token[-1].isalpha():
                raise Unsupported(token)
            out.append(token)
        elif token[0] in "_^" and len(token) == 2:
            out += token
        elif token.startswith((r"\begin", r"\end", r"\operatorname")) and "{" in token:
            out.append("".join(token.split(" ")))
        elif token.startswith(r"\math") and token.endswith("}"):  # \mathbb{R}: one character
            font, letter = token[:-3], token[-2]
            if font == r"\mathrm":
                out.append(f"&#x{ord(letter):05X};")
            elif token in LETTERS:
                out.append(f"&#x{LETTERS[token]};")
            else:
                raise Unsupported(token)
        else:  # a comment, \text{...}, \frac12, .5, -2em, another command or character
            raise Unsupported(token)
    return out


# --------------------------------------------------------------------------- the tree
# a node is (token, children or None, delimiter, modifier), as latex2mathml's walker makes it

BRACES, SUBSUP, PRIME = "{}", "_^", r"\prime"
_PRIMES = {r"\prime": r"\dprime", r"\dprime": r"\trprime", r"\trprime": r"\qprime"}


def _walk(tokens, terminator=None, limit=0, block=False) -> list[tuple]:
    group: list[tuple] = []
    seen = False
    for token in tokens:
        seen = True
        if token in _PLAIN:  # most tokens: a letter, digit or symbol
            group.append((token, None, None, None))
            if limit and len(group) >= limit:
                break
            continue
        if token == terminator:
            if terminator == r"\right":
                delimiter = next(tokens, None)
                if delimiter not in DELIMITERS:
                    raise Unsupported(delimiter)
                group.append((token, None, delimiter, None))
            else:
                group.append((token, None, None, None))
            break
        if token == r"\left":
            delimiter = next(tokens, None)
            if delimiter not in DELIMITERS:
                raise Unsupported(delimiter)
            children = _walk(tokens, r"\right")
            if not children or children[-1][0] != r"\right":
                raise Unsupported(r"\left without \right")
            node = (token, tuple(children), delimiter, None)
        elif token == "{":
            children = _walk(tokens, "}")
            if not children or children[-1][0] != "}":
                raise Unsupported("{ without }")
            node = (BRACES, tuple(children[:-1]), None, None)
        elif token in ("_", "^"):
            if not group:
                raise Unsupported("nothing before " + token)
            previous = group.pop()
            p_token, p_children = previous[0], previous[1]
            if token == p_token == "_":
                raise Unsupported("double subscript")
            if token == p_token == "^" and p_children is not None and p_children[1][0] != PRIME:
                raise Unsupported("double superscript")
            modifier = r"\limits" if block and p_token in (r"\sum", r"\prod") else None
            argument = _argument(tokens, terminator, 1)
            if token == "_" and p_token == "^" and p_children is not None:
                node = (SUBSUP, (p_children[0], *argument, p_children[1]), None, previous[3])
            elif token == "^" and p_token == "_" and p_children is not None:
                node = (SUBSUP, (*p_children, *argument), None, previous[3])
            elif token == "^" and p_token == "^" and p_children is not None:  # x'^2
                primed = (BRACES, (p_children[1], *argument), None, None)
                node = ("^", (p_children[0], primed), None, previous[3])
            else:
                node = (token, (previous, *argument), None, modifier)
        elif token == "'":
            if not group:
                raise Unsupported("nothing before '")
            previous = group.pop()
            p_token, p_children = previous[0], previous[1]
            if p_token == "^" and p_children is not None and len(p_children) >= 2:
                prime = p_children[1][0]
                if prime not in _PRIMES:
                    raise Unsupported("a prime after a superscript")
                node = ("^", (p_children[0], (_PRIMES[prime], None, None, None)), None, None)
            elif p_token == "_" and p_children is not None:
                node = (SUBSUP, (*p_children, (PRIME, None, None, None)), None, previous[3])
            else:
                node = ("^", (previous, (PRIME, None, None, None)), None, None)
        elif token == r"\frac":
            node = (token, tuple(_argument(tokens, terminator, 2)), None, None)
        elif token == r"\sqrt":
            argument = _argument(tokens, terminator, 1)
            if argument[0][0] == "[":
                raise Unsupported("a root's index")
            node = (token, tuple(argument), None, None)
        elif token in ACCENTS or token in FONTS:
            node = (token, tuple(_argument(tokens, terminator, 1)), None, None)
        elif token in MATRICES:
            end = r"\end{" + MATRICES[token][0] + "}"
            children = _walk(tokens, end, block=block)
            if not children or children[-1][0] != end:
                raise Unsupported("no " + end)
            children = children[:-1]
            if children and (children[0][0] == "[" or children[0][0] == BRACES):
                raise Unsupported("a column alignment")  # or a leading {}: read as one
            node = ("\\" + MATRICES[token][0], tuple(children), None, None)
        elif token.startswith(("&#x", r"\operatorname{")) or _NUMBER.fullmatch(token):
            node = (token, None, None, None)
        else:
            raise Unsupported(token)
        group.append(node)
        if limit and len(group) >= limit:
            break
    if not seen:
        raise Unsupported("no tokens")
    return group


_PLAIN = frozenset(
    [*(s for s in SYMBOLS if s != "'"), *FUNCTIONS, *LIMITS, *SPACES, "\\\\", "&", r"\arg"]
    + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + [str(d) for d in range(10)]
)


_KNOWN = _PLAIN | {
    "{",
    "}",
    "_",
    "^",
    "'",
    r"\left",
    r"\right",
    r"\frac",
    r"\sqrt",
    *ACCENTS,
    *FONTS,
}


def _argument(tokens, terminator, count: int) -> list[tuple]:
    """The next `count` nodes (a command's arguments), none of them the end of a group."""
    children = _walk(tokens, terminator, limit=count)
    if len(children) != count or any(c[1] is None and c[0] == terminator for c in children):
        raise Unsupported("missing argument")
    return children


# --------------------------------------------------------------------------- MathML


def _element(tag: str, attributes: dict, inner: str) -> str:
    """As ElementTree writes it: an element with nothing inside is closed as `<tag />`."""
    attrs = "".join([f' {k}="{v}"' for k, v in attributes.items()]) if attributes else ""
    return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs} />"


def _font(attributes: dict, key: str, font: str | None) -> dict:
    variant = FONTS[font].get(key) if font is not None else None
    if variant is not None:
        attributes["mathvariant"] = variant
    return attributes


def _group(nodes, font: str | None) -> str:
    return "".join([_node(n, font) for n in nodes])


def _node(node: tuple, font: str | None) -> str:
    token, children, delimiter, modifier = node
    if token in ("_", "^", SUBSUP):
        tag = {"_": "msub", "^": "msup", SUBSUP: "msubsup"}[token]
        if modifier == r"\limits":
            tag = {"_": "munder", "^": "mover", SUBSUP: "munderover"}[token]
        return _element(tag, {}, _group(children, font))
    if token == r"\frac":
        return _element("mfrac", {}, _group(children, font))
    if token == r"\sqrt":
        return _element("msqrt", {}, _group(children, font))
    if token == r"\left":
        opening = _delimiter(delimiter, "prefix")
        return _element("mrow", {}, opening + _group(children, font))
    if token == r"\right":
        return _delimiter(delimiter, "postfix")
    if token in ACCENTS:
        attributes, accent, accent_attributes = ACCENTS[token]
        inner = _group(children, font) + _element("mo", accent_attributes, accent)
        return _element("mover", attributes, inner)
    if token in (r"\bmatrix", r"\pmatrix"):
        _, opening, closing = MATRICES[r"\begin{" + token[1:] + "}"]
        return f"<mo>{opening}</mo>{_matrix(children)}<mo>{closing}</mo>"
    if token in SPACES:
        return f'<mspace width="{SPACES[token]}" />'
    if token in LIMITS:
        return f"<mo>{LIMITS[token]}</mo>"
    if token in FONTS and children is not None:
        return _group(children, token)
    if children is None:
        key = (token, font)
        out = _SYMBOL_CACHE.get(key)
        if out is None:
            out = _SYMBOL_CACHE[key] = _symbol(token, font)
        return out
    return _element("mrow", {}, _group(children, font))  # braces


def _delimiter(delimiter: str, form: str) -> str:
    attributes = {"stretchy": "true", "fence": "true", "form": form}
    if delimiter == ".":
        return _element("mo", attributes, "")
    code = SYMBOLS.get(delimiter)
    return _element("mo", attributes, delimiter if code is None else f"&#x{code};")


def _matrix(nodes) -> str:
    rows: list[list[str]] = []
    row: list[str] | None = None
    cell: list[str] | None = None
    for node in nodes:
        if row is None:
            row = []
            rows.append(row)
        if cell is None:
            cell = []
            row.append(cell)
        if node[0] == "&":
            cell = []
            row.append(cell)
        elif node[0] == r"\\":
            row, cell = [], []
            rows.append(row)
            row.append(cell)
        else:
            cell.append(_node(node, None))  # a matrix's cells are written in no font
    if row is not None and cell is not None and not cell:
        rows.pop()  # a last row whose last cell is empty is left out whole
    body = "".join(
        _element("mtr", {}, "".join(_element("mtd", {}, "".join(c)) for c in r)) for r in rows
    )
    return _element("mtable", {}, body)


_SYMBOL_CACHE: dict[tuple, str] = {}  # (token, font) -> its element: a few hundred


def _symbol(token: str, font: str | None) -> str:
    if token in (r"\\", "&"):
        raise Unsupported(token + " outside a matrix")
    code = SYMBOLS.get(token)
    if _NUMBER.match(token):
        return _element("mn", _font({}, "mn", font), token)
    if token in OPERATORS:
        text = token if code is None else f"&#x{code};"
        if token in FENCES:
            return _element("mo", _font({"stretchy": "false"}, "fence", font), text)
        return _element("mo", _font({}, "mo", font), text)
    if code is not None and ("02190" <= code <= "022FF" or code == "."):
        return _element("mo", _font({}, "mo", font), f"&#x{code};")
    if token.startswith(r"\operatorname{"):
        return _element("mo", {}, token[len(r"\operatorname{") : -1])
    if token.startswith("\\"):
        text = f"&#x{code};" if code else token[1:] if token in FUNCTIONS else token
        return _element("mi", _font({}, "mi", font), text)
    return _element("mi", _font({}, "mi", font), token)


def convert(tex: str, display: str = "inline") -> str | None:
    """`tex` as a <math> element, as latex2mathml.converter.convert writes it; None when `tex`
    is outside the LaTeX handled here."""
    try:
        body = _group(_walk(iter(_tokens(tex)), block=display == "block"), None)
    except Unsupported:
        return None
    return f'<math xmlns="{MATHML_NS}" display="{display}">{_element("mrow", {}, body)}</math>'
