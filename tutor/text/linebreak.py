"""Where a line of text may break: between Chinese characters, at spaces, never inside a formula.

rich wraps at ASCII spaces only, so Chinese text (which has none) is folded at the exact
width, leaving "。" or "）" at the start of a line, and formulas split at their inner spaces
("a¹ =⏎σ(z¹)", "η⏎= 0.1"). The rules here, for English and Chinese alike:
- a line may start after a space, or between two CJK characters;
- never before closing punctuation (，。）...) nor after opening punctuation (（“...);
- never inside brackets, nor at a space next to an operator (=, +, −, ×, ·, /, ^...): a
  formula such as `C = (a² − y)²` is one unit;
- a unit longer than the line breaks after a top-level `=`, `+` or `,`, then after a
  top-level `·` or `×` (a chain of factors), then one bracket deeper; only a unit still too
  long is folded by characters.
`install()` makes rich use these rules for every wrapped text (tables, panels, prompts).
"""

from __future__ import annotations

import functools
import unicodedata

OPERATORS = set("=+−-×·/*^→≈≤≥<>≠±⊙∘")
OPENING = set("([{（【「『《〈“‘")
CLOSING = set(")]}）】」』》〉”’，。、；：！？…,.;:!?%")
# formulas use ASCII brackets; full-width ones hold prose, which may break inside them
FORMULA_OPEN, FORMULA_CLOSE = "([{", ")]}"


@functools.lru_cache(maxsize=4096)
def _is_cjk(ch: str) -> bool:
    if ch in "，。、；：！？（）【】「」『』《》〈〉“”‘’…":
        return True
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC"))


@functools.lru_cache(maxsize=8192)
def breaks(text: str) -> tuple[int, ...]:
    """Indices where a new line may start (never 0), by the rules above. Cached: rich measures
    and wraps the same cell text several times per table."""
    out = []
    depth = 0
    prev_token = ""  # the last non-space character before the current position
    for i, ch in enumerate(text):
        if i and ch != " " and depth == 0:
            before = text[i - 1]
            if before == " ":
                if (
                    prev_token not in OPERATORS
                    and ch not in OPERATORS
                    and ch not in CLOSING
                    and prev_token not in OPENING
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
        if ch in FORMULA_OPEN:
            depth += 1
        elif ch in FORMULA_CLOSE and depth:
            depth -= 1
        if ch != " ":
            prev_token = ch
    return tuple(out)


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
