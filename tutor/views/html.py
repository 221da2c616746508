"""The export's documents as HTML: one self-contained page per problem, math as MathML.

It serialises the blocks `export` builds (the same sections, tables and words as the
Markdown), so it decides nothing of its own. A page has its CSS inline, light and dark
(`prefers-color-scheme`), no JavaScript and nothing fetched from the network. Every rule of the
CSS is scoped to the `bptutor` element, so the same fragment in a notebook (`fragment`) does
not restyle the notebook around it. LaTeX becomes MathML as latex2mathml writes it (through
`tutor.views.mathml` where it can, else latex2mathml itself, imported on first use), which browsers
lay out natively; its output stays within MathML Core.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from html import escape, unescape

from tutor.model import Problem
from tutor.model.solution import Solution
from tutor.views.document import (
    Bullets,
    Code,
    Display,
    Emph,
    Heading,
    Link,
    Math,
    Para,
    Strong,
    Table,
    answer_key,
    document,
    handout,
    index_document,
)
from tutor.views.mathml import convert as quick_mathml

LANG_TAGS = {"en": "en", "zh": "zh-CN"}

# the marks beside checked numbers, coloured (text stays the same for a screen reader)
MARKS = {"✓": "ok", "✗": "bad", "≈": "rounded"}
_MARK = re.compile("|".join(MARKS))
_PLAIN = re.compile(r"[^&<>\n✓✗≈]*")

CSS = """
.bptutor { --bp-line: rgba(127,127,127,.35); --bp-shade: rgba(127,127,127,.10);
  --bp-ok: #1a7f37; --bp-bad: #cf222e; --bp-rounded: #9a6700; --bp-link: #0969da;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
    "PingFang SC", "Microsoft YaHei", sans-serif;
  line-height: 1.5; }
@media (prefers-color-scheme: dark) {
  .bptutor { --bp-ok: #3fb950; --bp-bad: #f85149; --bp-rounded: #d29922; --bp-link: #4493f8; }
}
.bptutor.bptutor-page { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
.bptutor h1 { font-size: 1.6em; margin: 0 0 .6em; }
.bptutor h2 { font-size: 1.25em; margin: 1.4em 0 .5em; padding-bottom: .2em;
  border-bottom: 1px solid var(--bp-line); }
.bptutor h3 { font-size: 1.05em; margin: 1.1em 0 .3em; }
.bptutor p { margin: .5em 0; }
.bptutor .bp-scroll { overflow-x: auto; }
.bptutor table { border-collapse: collapse; margin: .4em 0 1em; }
.bptutor .bp-scroll > table th, .bptutor .bp-scroll > table td {
  border: 1px solid var(--bp-line); padding: .25em .6em; text-align: left;
  vertical-align: middle; background: none; }
.bptutor .bp-scroll > table th { background: var(--bp-shade); font-weight: 600; }
.bptutor .bp-scroll > table .bp-num { text-align: right; font-variant-numeric: tabular-nums; }
.bptutor code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .9em; background: var(--bp-shade); padding: .05em .3em; border-radius: 3px; }
.bptutor math { font-family: "STIX Two Math", "Latin Modern Math", "DejaVu Math TeX Gyre",
  "Cambria Math", math; font-size: 1.1em; }
.bptutor h3 math { math-style: normal; }
.bptutor .bp-display { overflow-x: auto; margin: .3em 0 .3em 1.5em; }
.bptutor .bp-display math { margin: 0; display: math; math-style: normal; }
.bptutor a { color: var(--bp-link); }
.bptutor .bp-ok { color: var(--bp-ok); }
.bptutor .bp-bad { color: var(--bp-bad); font-weight: 600; }
.bptutor .bp-rounded { color: var(--bp-rounded); }
"""


# --------------------------------------------------------------------------- math


@functools.lru_cache(maxsize=4096)
def mathml(tex: str, display: bool = False) -> str:
    """`tex` as one <math> element (MathML Core, no namespace attribute: HTML needs none).
    Each distinct formula is converted once; the LaTeX the export writes by `tutor.views.mathml`
    (the same MathML, faster), anything else by latex2mathml."""
    mode = "block" if display else "inline"
    out = quick_mathml(tex, mode)
    if out is None:
        from latex2mathml.converter import convert

        out = convert(tex, display=mode)
    out = out.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    if not display:
        out = out.replace(' display="inline"', "", 1)
    return _VARIANT.sub(_core_variant, out)


# MathML Core keeps `mathvariant` only as mi's "normal"; any other style (\mathbf{1}: bold)
# is written with Unicode's mathematical alphanumeric characters instead, as Core intends.
_VARIANT = re.compile(
    r'<(mi|mn|mo|mtext)((?: [a-z-]+="[^"]*")*?) mathvariant="([a-z-]+)"'
    r'((?: [a-z-]+="[^"]*")*)>([^<]*)</\1>'
)
_DIGITS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")
_LETTERLIKE = {"double-struck": "DOUBLE-STRUCK", "script": "SCRIPT", "fraktur": "BLACK-LETTER"}


def _styled(c: str, variant: str) -> str:
    """`c` as the mathematical character of `variant` (bold 1 -> 𝟏), or `c` if none."""
    style = variant.upper()
    if c.isdigit() and c.isascii():
        names = [f"MATHEMATICAL {style} DIGIT {_DIGITS[int(c)]}"]
    elif c.isascii() and c.isalpha():
        case = "CAPITAL" if c.isupper() else "SMALL"
        names = [
            f"MATHEMATICAL {style} {case} {c.upper()}",
            f"{_LETTERLIKE.get(variant, style)} {case} {c.upper()}",
        ]
    else:
        return c
    for name in names:
        try:
            return unicodedata.lookup(name)
        except KeyError:
            continue
    return c


def _core_variant(m: re.Match) -> str:
    tag, before, variant, after, text = m.groups()
    if variant == "normal" and tag == "mi":
        return m.group(0)
    styled = "".join(_styled(c, variant) for c in unescape(text))
    return f"<{tag}{before}{after}>{escape(styled, quote=False)}</{tag}>"


# --------------------------------------------------------------------------- blocks


def _text(text: str) -> str:
    if _PLAIN.fullmatch(text):  # most table cells: nothing to escape or mark
        return text
    html = escape(text, quote=False).replace("\n", "<br>\n")
    return _MARK.sub(lambda m: f'<span class="bp-{MARKS[m.group(0)]}">{m.group(0)}</span>', html)


def inline(parts) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(_text(part))
        elif isinstance(part, Math):
            out.append(mathml(part.tex))
        elif isinstance(part, Code):
            out.append(f"<code>{escape(part.text, quote=False)}</code>")
        elif isinstance(part, Strong):
            out.append(f"<strong>{_text(part.text)}</strong>")
        elif isinstance(part, Emph):
            out.append(f"<em>{_text(part.text)}</em>")
        elif isinstance(part, Link):
            out.append(f'<a href="{escape(part.target)}.html">{_text(part.text)}</a>')
    return "".join(out)


def _table(t: Table) -> str:
    num = ' class="bp-num"'

    def row(cells, tag: str) -> str:
        return (
            "<tr>"
            + "".join(
                f"<{tag}{num if i in t.right else ''}>{inline(c)}</{tag}>"
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )

    body = "\n".join(row(r, "td") for r in t.rows)
    return (
        f'<div class="bp-scroll"><table>\n<thead>{row(t.header, "th")}</thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def block(b) -> str:
    if isinstance(b, Heading):
        return f"<h{b.level}>{inline(b.inline)}</h{b.level}>"
    if isinstance(b, Para):
        return f"<p>{inline(b.inline)}</p>"
    if isinstance(b, Display):
        return f'<div class="bp-display">{mathml(b.tex, display=True)}</div>'
    if isinstance(b, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in b.items) + "\n</ul>"
    if isinstance(b, Table):
        return _table(b)
    raise TypeError(f"not a block: {b!r}")


def _plain(parts) -> str:
    """Inline content as plain text (a page's <title>)."""
    return "".join(
        p if isinstance(p, str) else getattr(p, "text", getattr(p, "tex", "")) for p in parts
    )


# --------------------------------------------------------------------------- documents


def fragment(blocks: list, lang: str = "en", page: bool = False) -> str:
    """The blocks in one `bptutor` element with its own <style>: a notebook's output. Kept in
    the user's cache directory (`cache.cached_object`), by the blocks: a second run converts
    no formula to MathML again."""
    from tutor.cache import cached_object

    def make() -> str:
        cls = "bptutor bptutor-page" if page else "bptutor"
        body = "\n".join(block(b) for b in blocks)
        return (
            f'<div class="{cls}" lang="{LANG_TAGS[lang]}">\n<style>{CSS}</style>\n{body}\n</div>\n'
        )

    return cached_object("html", (blocks, lang, page), make)


def page(blocks: list, lang: str = "en") -> str:
    """A whole HTML document: self-contained, light or dark as the reader's system is."""
    title = _plain(blocks[0].inline) if blocks and isinstance(blocks[0], Heading) else "bptutor"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{LANG_TAGS[lang]}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{escape(title, quote=False)}</title>\n</head>\n<body>\n"
        f"{fragment(blocks, lang, page=True)}</body>\n</html>\n"
    )


def solution_page(solution: Solution, lang: str = "en") -> str:
    """The worked solution (the same sections and tables as `export.markdown`)."""
    return page(document(solution, lang), lang)


def handout_page(problem: Problem, lang: str = "en") -> str:
    """The problem without answers: statement, given values, what to work out."""
    return page(handout(problem, lang), lang)


def key_page(solution: Solution, lang: str = "en") -> str:
    """The answer key that goes with `handout_page`."""
    return page(answer_key(solution, lang), lang)


def index_page(solutions: list[Solution], lang: str = "en", key: bool = False) -> str:
    return page(index_document(solutions, lang, key), lang)
