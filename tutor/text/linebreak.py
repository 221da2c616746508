"""Where a line of text may break: between Chinese characters, at spaces, never inside a formula.

rich wraps at ASCII spaces only, so Chinese text (which has none) is folded at the exact
width, leaving "。" or "）" at the start of a line, and formulas split at their inner spaces
("a¹ =⏎σ(z¹)", "η⏎= 0.1"). The rules here, for English and Chinese alike:
- a line may start after a space, or between two CJK characters;
- never before closing punctuation (，。）...) nor after opening punctuation (（“...);
- never inside brackets, nor at a space next to an operator (=, +, −, ×, ·, /, ^...): a
  formula such as `C = (a² − y)²` is one unit;
- never at a space between two terms of a formula (`W1 x`, `Σ_k δ_k h_(k−1)ᵀ`, `log p`,
  `½ (y − t)²`): a term is a number, a name of a letter or two, or a word holding a digit, a
  Greek letter, a mark or a bracket; an English word of three letters or more is prose (a
  bracket holding one is prose too, and breaks inside); a comma ends a formula;
- never before a check mark (✓, ✗): it stays with the row it marks;
- a unit longer than the line breaks after a top-level `=`, `+` or `,`, then after a
  top-level `·` or `×` (a chain of factors), then one bracket deeper; only a unit still too
  long is folded by characters.
`install()` makes rich use these rules for every wrapped text (tables, panels, prompts).
"""

from __future__ import annotations

import functools
import re
import unicodedata

OPERATORS = set("=+−-×·/*^→≈≤≥<>≠±⊙∘")
OPENING = set("([{（【「『《〈“‘")
CLOSING = set(")]}）】」』》〉”’，。、；：！？…,.;:!?%✓✗")
# the function a formula writes without brackets (`log p`); any other word of three letters or
# more is prose (a function with brackets is a term by its bracket: `softmax(z2)`)
FUNCTION_WORDS = frozenset({"log", "ln", "max", "min"})
# English words of one or two letters: prose, though as short as a name
SHORT_WORDS = frozenset("an as at be by do if in is it me my no of on or so to up us we".split())
_PROSE_RUN = re.compile(r"[A-Za-z]{3,}")
# a digit or a mathematical mark makes a word a term, whatever letters it holds: the marks
# below, Greek, super- and subscripts, the mathematical operators block
_MATH_MARKS = frozenset("/_^=+*<>|′²³¹ᵀ½")
_MATH_BLOCKS = ((0x0370, 0x03FF), (0x1D00, 0x1DBF), (0x2070, 0x209F), (0x2200, 0x22FF))


def _math_mark(word: str) -> bool:
    return any(
        ch.isdigit() or ch in _MATH_MARKS or any(lo <= ord(ch) <= hi for lo, hi in _MATH_BLOCKS)
        for ch in word
    )


# formulas use ASCII brackets; full-width ones hold prose, which may break inside them
FORMULA_OPEN, FORMULA_CLOSE = "([{", ")]}"


@functools.lru_cache(maxsize=4096)
def _is_cjk(ch: str) -> bool:
    if ch in "，。、；：！？（）【】「」『』《》〈〉“”‘’…":
        return True
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC"))


def _term(word: str) -> int:
    """How surely `word` (a piece of text between spaces) is a term of a formula: 2 a term
    (a number, a word with a digit, a Greek letter, a mark or a bracket, `log`), 1 a name of
    one or two Latin letters (`x`, `wm`), 0 prose (an English word, Chinese)."""
    if not word or word[-1] in ",;:，。；：":
        return 0  # a comma, a semicolon or a colon ends a formula
    core = word.rstrip(".!?")
    if not core or any(_is_cjk(ch) for ch in core):
        return 0
    if core.isascii() and core.isalpha():
        if core in FUNCTION_WORDS:
            return 2
        return 1 if len(core) <= 2 and core.lower() not in SHORT_WORDS else 0
    if _math_mark(core):
        return 2  # ∂y/∂beta, alpha1, h_(k−1)ᵀ, 1×5×5
    if any(m[0] not in FUNCTION_WORDS for m in _PROSE_RUN.finditer(core)):
        if "(" not in core and "[" not in core:
            return 0  # an English word with a mark: one-hot, layers', "x"
        # a call: softmax(z2), flatten(m); prose if the part outside the brackets is a word
        head = core.split("(", 1)[0].split("[", 1)[0]
        if _PROSE_RUN.fullmatch(head) is None and _PROSE_RUN.search(head):
            return 0
    return 2


def _edge(word: str, last: bool) -> str:
    """The part of a word next to a space that could be a formula's term: after the last
    Chinese character of the word before it (`last`), before the first one of the word after."""
    if last:
        k = len(word)
        while k and not _is_cjk(word[k - 1]):
            k -= 1
        return word[k:]
    k = 0
    while k < len(word) and not _is_cjk(word[k]):
        k += 1
    return word[:k]


def _bracket_words(text: str) -> dict[int, int]:
    """For each ASCII "(" that starts a word: how many English words it holds before it
    closes (Chinese in it counts as three: prose)."""
    out = {}
    for i, ch in enumerate(text):
        if ch != "(" or (i and text[i - 1] != " " and not _is_cjk(text[i - 1])):
            continue
        depth, j = 0, i
        while j < len(text):
            depth += text[j] in FORMULA_OPEN
            depth -= text[j] in FORMULA_CLOSE
            if depth == 0:
                break
            j += 1
        inside = text[i + 1 : j]
        words = (w.strip(",;:.!?'\"()[]") for w in inside.split())
        english = sum(bool(_PROSE_RUN.fullmatch(w)) and w not in FUNCTION_WORDS for w in words)
        out[i] = 3 if any(_is_cjk(c) for c in inside) else english
    return out


@functools.lru_cache(maxsize=8192)
def breaks(text: str) -> tuple[int, ...]:
    """Indices where a new line may start (never 0), by the rules above. Cached: rich measures
    and wraps the same cell text several times per table."""
    out = []
    depth = 0
    prev_token = ""  # the last non-space character before the current position
    # a bracket of prose ("(the rules above are right.)", "(2×2 windows, stride 2, each
    # 1×2×2)": three English words or Chinese) breaks inside; one with a word or two ("(1 − p1
    # for k = i)") stays whole, but is not joined to the formula before it
    words = _bracket_words(text) if "(" in text else {}
    prose = {k for k, n in words.items() if n >= 3}
    opened: list[bool] = []  # for each open bracket: whether it counts (a formula's)
    word_start = 0  # where the word before the current spaces starts
    for i, ch in enumerate(text):
        if i and ch != " " and depth == 0:
            before = text[i - 1]
            if before == " ":
                if (
                    prev_token not in OPERATORS
                    and ch not in OPERATORS
                    and ch not in CLOSING
                    and prev_token not in OPENING
                    and (
                        text[i - 2 : i] == "  "
                        or words.get(i, 0) > 0
                        or not _joined(text, text[word_start:i].rstrip(), i)
                    )
                ):
                    out.append(i)
            elif (
                (_is_cjk(before) or _is_cjk(ch))
                and ch not in CLOSING
                and before not in OPENING
                and before not in OPERATORS
                and ch not in OPERATORS
            ):
                out.append(i)
        if i and ch != " " and text[i - 1] == " " and depth == 0:
            word_start = i
        if ch in FORMULA_OPEN:
            counts = i not in prose
            opened.append(counts)
            depth += counts
        elif ch in FORMULA_CLOSE and opened:
            depth -= opened.pop()
        if ch != " ":
            prev_token = ch
    return tuple(out)


def _word_after(text: str, i: int) -> str:
    """The word starting at i: up to the next space outside brackets."""
    depth, j = 0, i
    while j < len(text) and (text[j] != " " or depth > 0):
        if text[j] in FORMULA_OPEN:
            depth += 1
        elif text[j] in FORMULA_CLOSE and depth:
            depth -= 1
        j += 1
    return text[i:j]


def _joined(text: str, before: str, i: int) -> bool:
    """Whether the space between the word `before` and text[i] sits between two terms of one
    formula (`W1 x`)."""
    left = _term(_edge(before, last=True))
    if not left:
        return False
    after = _word_after(text, i)
    if re.match(r"\[+[-−0-9.]", after):  # a value written out (an answer, a matrix)
        return False
    right = _term(_edge(after, last=False).rstrip(",;:，。；："))
    return bool(right)


# where an over-long formula may still break, after the mark and a space: first after a
# top-level `=`, `+`, `−` or `,`, then after a top-level product sign (a chain of factors), then
# the same one bracket deeper, and so on
TIERS = [(depth, marks) for depth in range(4) for marks in ("=+−-,，", "·×")]


def _fallback(text: str, start: int, end: int, depth_limit: int, marks: str) -> list[int]:
    """Inside text[start:end], starts of lines after one of `marks` and a space at bracket
    depth `depth_limit` or less."""
    out, depth = [], 0
    for i in range(start, end - 1):
        ch = text[i]
        if ch in FORMULA_OPEN:
            depth += 1
        elif ch in FORMULA_CLOSE and depth:
            depth -= 1
        elif depth <= depth_limit and ch in marks and text[i + 1] == " " and i + 2 < end:
            out.append(i + 2)
    return out


def _split(text: str, a: int, b: int, width: int, tier: int = 0) -> list[int]:
    """Starts of the pieces of an over-long unit text[a:b], gentlest breaks first."""
    from rich.cells import cell_len

    if cell_len(text[a:b].rstrip()) <= width or tier >= len(TIERS):
        return [a]
    cuts = [a, *_fallback(text, a, b, *TIERS[tier]), b]
    if len(cuts) == 2:
        return _split(text, a, b, width, tier + 1)
    out = []
    for p, q in zip(cuts, cuts[1:]):
        out += _split(text, p, q, width, tier + 1)
    return out


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """rich's `divide_line` with these rules: offsets where the lines of `text` start."""
    from rich.cells import cell_len, chop_cells

    starts = [0, *breaks(text), len(text)]
    units = [(a, b) for a, b in zip(starts, starts[1:]) if b > a]
    out: list[int] = []
    offset = 0  # cells used on the current line
    for a, b in units:
        unit = text[a:b]
        length = cell_len(unit.rstrip())
        if offset + length <= width:
            offset += cell_len(unit)
            continue
        if length <= width:
            if offset:
                out.append(a)
            offset = cell_len(unit)
            continue
        # longer than a line: after top-level = + , first, then deeper, then by characters
        pieces = [*_split(text, a, b, width), b]
        for p, q in zip(pieces, pieces[1:]):
            piece = text[p:q]
            plen = cell_len(piece.rstrip())
            if offset + plen <= width:
                offset += cell_len(piece)
                continue
            if offset and p:
                out.append(p)
                offset = 0
            if plen <= width or not fold:
                offset = cell_len(piece)
                continue
            chunks = chop_cells(piece, width)
            for k, chunk in enumerate(chunks):
                if k:
                    p += len(chunks[k - 1])
                    out.append(p)
                offset = cell_len(chunk)
    return [o for o in out if 0 < o < len(text)]


@functools.lru_cache(maxsize=8192)
def unit_width(text: str) -> int:
    """The widest unit of `text` kept whole (a formula unbroken, a word unfolded): the width
    a table column needs so that none of its formulas breaks inside."""
    from rich.cells import cell_len

    widest = 0
    for line in text.splitlines() or [""]:
        starts = [0, *breaks(line), len(line)]
        for a, b in zip(starts, starts[1:]):
            widest = max(widest, cell_len(line[a:b].rstrip()))
    return widest


@functools.lru_cache(maxsize=8192)
def min_width(text: str) -> int:
    """The narrowest `text` can be laid out without folding a word or breaking a formula
    deeper than it must (rich's minimum width of a text): its widest unit, a unit counted by
    its pieces between the gentlest marks it has (its top-level `=`, `+`, `−`, `,`, else its
    top-level `·`, `×`, else those one bracket deeper...), where `divide_line` breaks it first."""
    from rich.cells import cell_len

    widest = 0
    for line in text.splitlines() or [""]:
        starts = [0, *breaks(line), len(line)]
        for a, b in zip(starts, starts[1:]):
            if " " not in line[a:b].rstrip():  # a word or a number: it has no break inside
                widest = max(widest, cell_len(line[a:b].rstrip()))
                continue
            cuts = next((c for tier in TIERS if (c := _fallback(line, a, b, *tier))), [])
            cuts = [a, *cuts, b]
            for p, q in zip(cuts, cuts[1:]):
                widest = max(widest, cell_len(line[p:q].rstrip()))
    return widest


_SAVED: dict = {}


def install() -> None:
    """Make rich wrap and measure every Text with these rules (idempotent)."""
    import rich.text
    from rich.measure import Measurement

    if getattr(rich.text, "_bptutor_linebreak", False):
        return
    _SAVED.update(divide=rich.text.divide_line, measure=rich.text.Text.__rich_measure__)
    rich.text.divide_line = divide_line

    def measure(self, console, options):
        text = self.plain
        lines = text.splitlines()
        widest = max((cell_len(line) for line in lines), default=0)
        return Measurement(min(min_width(text), widest) if lines else 0, widest)

    from rich.cells import cell_len

    rich.text.Text.__rich_measure__ = measure
    rich.text._bptutor_linebreak = True


def uninstall() -> None:
    """rich's own rules again (for tests)."""
    import rich.text

    if getattr(rich.text, "_bptutor_linebreak", False):
        rich.text.divide_line = _SAVED["divide"]
        rich.text.Text.__rich_measure__ = _SAVED["measure"]
        rich.text._bptutor_linebreak = False
