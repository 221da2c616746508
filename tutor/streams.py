"""The standard streams as the command line writes them: what a failed write means, and what
is written where the stream's encoding cannot show a character.

`Output` wraps sys.stdout or sys.stderr (the CLI's `entry` installs it). A write that fails
(standard output closed, the disk full, the reader of a pipe gone) raises `OutputLost`, not
an OSError: the CLI turns it into one line and exit code 74, or nothing and 141 for a closed
pipe. Where the encoding cannot show a character (`PYTHONIOENCODING=ascii`, a Latin-1
terminal), `ascii_text` writes its ASCII name instead (∂ → d, δ → delta, σ → sigma, × → x,
box drawing → - | +, a CJK character → ??), and trims the spaces around it so that the
columns of a table stay in line; `Output.replaced` tells the CLI to say so once.
"""

from __future__ import annotations

import errno
import re

# Exit codes of a lost output (the BSD sysexits family, as 70 for a bug): 74 is EX_IOERR;
# a pipe closed by its reader (`| head`) is 141, what a shell reports for any program that
# the closed pipe stopped (128 + SIGPIPE).
EXIT_OUTPUT = 74
EXIT_PIPE = 141


class OutputLost(Exception):
    """Standard output (or error: `stream`) cannot be written: `errno` and the system's
    reason."""

    def __init__(self, code: int, reason: str, stream: str = "stdout"):
        super().__init__(reason)
        self.errno, self.reason, self.stream = code, reason, stream

    @property
    def pipe(self) -> bool:
        """The reader of a pipe went away (`| head`): nothing to report."""
        return self.errno == errno.EPIPE

    @property
    def closed(self) -> bool:
        """The descriptor was closed (`>&-`)."""
        return self.errno == errno.EBADF


class Closed:
    """The stream of a file descriptor closed before the start (`>&-`): nothing to write to."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        if text:
            raise OSError(errno.EBADF, "it is closed")
        return 0

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Output:
    """A text stream that raises `OutputLost` when a write fails, once (then drops the rest),
    and writes ASCII names where its encoding cannot show a character."""

    def __init__(self, stream, name: str = "stdout"):
        import codecs

        self.stream, self.name = stream, name
        try:
            encoding = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
        except LookupError:  # an encoding Python does not know: ASCII is safe
            encoding = "ascii"
        self.ascii = not encoding.startswith("utf")  # utf-8, utf-16...: every character
        self.encoding = encoding
        self.replaced = False  # some characters were written under their ASCII names
        self.lost: OutputLost | None = None

    def write(self, text: str) -> int:
        if self.lost is not None:
            return len(text)
        if self.ascii and text:
            try:
                text.encode(self.encoding)
            except UnicodeEncodeError:
                text = ascii_text(text, self.encoding)
                self.replaced = True
        try:
            return self.stream.write(text)
        except (OSError, ValueError) as e:  # ValueError: the file object was closed
            raise self._lose(e) from None

    def flush(self) -> None:
        if self.lost is not None:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError) as e:
            raise self._lose(e) from None

    def _lose(self, e: Exception) -> OutputLost:
        code = getattr(e, "errno", None) or errno.EBADF
        reason = getattr(e, "strerror", None) or "it is closed"
        self.lost = OutputLost(code, reason, self.name)
        return self.lost

    def __getattr__(self, name: str):  # isatty, fileno, buffer, errors...: the stream's own
        return getattr(self.stream, name)


# -- ASCII names -------------------------------------------------------------------------------

NAMES = {
    "∂": "d",
    "δ": "delta",
    "Δ": "Delta",
    "σ": "sigma",
    "Σ": "sum",
    "η": "eta",
    "λ": "lambda",
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "ε": "eps",
    "θ": "theta",
    "μ": "mu",
    "µ": "mu",
    "π": "pi",
    "ρ": "rho",
    "τ": "tau",
    "φ": "phi",
    "Φ": "Phi",
    "ω": "omega",
    "ŷ": "yhat",
    "ᵀ": "^T",
    "\u0302": "^",  # a combining circumflex (m̂, v̂)
    "ℓ": "l",
    "𝟏": "1",
    "ℝ": "R",
    "∈": "in",
    "·": "*",
    "⋅": "*",
    "∘": "o",
    "×": "*",
    "÷": "/",
    "⊙": "*",  # element-wise product, as NumPy writes it
    "⊘": "/",  # element-wise division
    "−": "-",
    "–": "-",
    "—": "--",
    "→": "->",
    "←": "<-",
    "↳": "->",
    "≈": "~",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "±": "+/-",
    "√": "sqrt",
    "∞": "inf",
    "½": "1/2",
    "′": "'",
    "″": "''",
    "✓": "ok",
    "✗": "x",
    "⚠": "!",
    "●": "*",
    "○": "o",
    "•": "*",
    "…": "...",
    "⋯": "...",
    "⋮": ":",
    "⏎": "Enter",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "⎡": "[",
    "⎢": "[",
    "⎣": "[",
    "⎤": "]",
    "⎥": "]",
    "⎦": "]",
    "█": "#",
    "▌": "|",
    "▐": "|",
    "▀": "'",
    "▘": "'",
    "▝": "'",
    "▄": ".",
    "▖": ".",
    "▗": ".",
}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ˡᴸⁿ", "0123456789+-()lLn"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₍₎", "0123456789+-()"))
_SCRIPT_RUN = re.compile(f"[{''.join(SUPERSCRIPTS)}]+|[{''.join(SUBSCRIPTS)}]+")


def ascii_name(char: str) -> str:
    """The ASCII for one character: its name (σ → sigma), its letters without accents, box
    drawing as - | +, else one ? per cell it fills (a CJK character: ??)."""
    import unicodedata

    if char in NAMES:
        return NAMES[char]
    if "\u2500" <= char <= "\u259f":  # box drawing and block elements
        name = unicodedata.name(char, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        if "QUADRANT" in name:
            return ":"
        return "#" if "BLOCK" in name or "SHADE" in name else "+"
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    if plain.strip() and plain.isprintable():
        return plain
    if unicodedata.combining(char):
        return ""
    return "?" * _cells(char)


def _cells(char: str) -> int:
    import unicodedata

    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def ascii_text(text: str, encoding: str = "ascii") -> str:
    """`text` with every character `encoding` cannot show written in ASCII (`ascii_name`;
    a run of superscripts as ^..., of subscripts as _...), line by line, the columns of a
    table kept: a name longer than its symbol takes its room from the nearest run of spaces
    in the same cell (between two |), one shorter gives it back."""
    return "\n".join(_line(line, encoding) for line in text.split("\n"))


def _line(line: str, encoding: str) -> str:
    """One line: in an ASCII table (rich draws a box in ASCII where the encoding is not
    UTF-8) each cell between two | gives the room its names take from its own spaces, else
    from the cells after it, so the right border stays in line."""
    parts = re.split(r"(\|)", line)
    bordered = len(parts) > 1
    carry = 0  # columns a cell could not give back, passed to the next
    out = []
    for part in parts:
        if part == "|":
            out.append(part)
            continue
        text, debt, start, end = _named(part, encoding)
        if debt:
            text, debt = _fit(text, debt, start, end, bordered)
        if carry > 0:
            text, carry = _fit(text, carry, 0, 0, bordered)
        carry += debt
        out.append(text)
    return "".join(out)


def _named(text: str, encoding: str) -> tuple[str, int, int, int]:
    """`text` with its characters named; the columns the names take beyond their symbols
    (negative: fewer), and where in the new text the names start and end."""
    pieces: list[str] = []
    debt = 0
    first = last = None
    i = 0
    while i < len(text):
        char = text[i]
        if encodes(char, encoding):
            pieces.append(char)
            i += 1
            continue
        run = _SCRIPT_RUN.match(text, i)
        if run:
            span = run.group()
            table = SUPERSCRIPTS if span[0] in SUPERSCRIPTS else SUBSCRIPTS
            name = ("^" if table is SUPERSCRIPTS else "_") + "".join(table[c] for c in span)
        else:
            span, name = char, ascii_name(char)
        debt += len(name) - sum(_cells(c) for c in span)
        first = len(pieces) if first is None else first
        pieces.append(name)
        last = len(pieces)
        i += len(span)
    if first is None:
        return text, 0, 0, 0
    return (
        "".join(pieces),
        debt,
        len("".join(pieces[:first])),
        len("".join(pieces[:last])),
    )


def _fit(text: str, debt: int, start: int, end: int, padded: bool) -> tuple[str, int]:
    """Give back `debt` columns from the runs of two or more spaces after `end`, nearest
    first, then before `start` (one space of each run stays; a leading run only if `padded`:
    in a table it is padding, elsewhere the indentation of the line); a negative debt widens
    the nearest run after `end`. The text and the debt left."""
    if debt < 0:
        match = re.compile(r" +").search(text, end)
        if match:
            return text[: match.start()] + " " * -debt + text[match.start() :], 0
        return text, debt
    runs = [m for m in re.finditer(r" {2,}", text) if m.start() >= end]
    runs += sorted(
        (m for m in re.finditer(r" {2,}", text) if m.end() <= start and (padded or m.start())),
        key=lambda m: -m.end(),
    )
    cuts: list[tuple[int, int, int]] = []
    for m in runs:
        if not debt:
            break
        take = min(debt, m.end() - m.start() - 1)
        cuts.append((m.start(), m.end(), take))
        debt -= take
    for a, b, take in sorted(cuts, reverse=True):
        text = text[:a] + " " * (b - a - take) + text[b:]
    return text, debt


def encodes(text: str, encoding: str) -> bool:
    """Whether `encoding` can write `text` (ASCII always can)."""
    if text.isascii():
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
