"""`solve --step`: moving through the worked solution one step at a time, as data.

The keys a student presses become actions (next, back, quit); `run` walks the steps with
them. No I/O here: the CLI passes `show(i)` and `ask(i)` (a key from click's getchar on a
terminal, a line elsewhere), so the logic is tested in process.
"""

from __future__ import annotations

from collections.abc import Callable

# Enter (CR or LF), space, → (both cursor-key encodings)
NEXT = frozenset({"\r", "\n", " ", "\x1b[C", "\x1bOC"})
# b, ← (both encodings)
BACK = frozenset({"b", "B", "\x1b[D", "\x1bOD"})
# q, Ctrl-C, Ctrl-D (when the terminal passes them through as characters)
QUIT = frozenset({"q", "Q", "\x03", "\x04"})


def key_action(key: str | None) -> str | None:
    """The action of one key press: "next", "back", "quit" (None at the end of input is
    "quit" too), or None for a key that does nothing."""
    if key is None or key in QUIT:
        return "quit"
    if key in NEXT:
        return "next"
    if key in BACK:
        return "back"
    return None


def line_action(line: str | None) -> str:
    """The action of one typed line (input that is not a terminal): empty or anything else
    is "next", `b` "back", `q` "quit"; the end of the input shows the rest ("rest")."""
    if line is None:
        return "rest"
    word = line.strip().lower()
    if word in ("q", "quit", "exit"):
        return "quit"
    return "back" if word in ("b", "back") else "next"


def run(count: int, show: Callable[[int], None], ask: Callable[[int], str]) -> int:
    """Show step 0, then follow `ask(i)`'s actions: "next" shows step i + 1, "back" step
    i − 1 again, "rest" every remaining step, "quit" stops. Returns the last step shown."""
    i = 0
    if count:
        show(0)
    while i < count - 1:
        action = ask(i)
        if action == "quit":
            break
        if action == "rest":
            for j in range(i + 1, count):
                show(j)
            return count - 1
        if action == "next":
            i += 1
            show(i)
        elif action == "back" and i > 0:
            i -= 1
            show(i)
    return i
