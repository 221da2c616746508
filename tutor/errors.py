"""One error family for the whole tool; the CLI maps each kind to an exit code."""

from __future__ import annotations


class TutorError(Exception):
    """Base of every error the tool reports to a user (never a traceback)."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return where + self.message


class InputError(TutorError):
    """Bad input from a user or a problem file: exit code 2."""

    exit_code = 2


class ProblemError(InputError):
    """A problem file that cannot be loaded (syntax, schema, names, cycles...)."""


class ParseError(InputError):
    """An expression the restricted parser refuses; `column` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None, **kw):
        super().__init__(message, **kw)
        self.column = column


class NotFound(InputError):
    """An unknown problem id or a missing file."""


class UndefinedError(ProblemError):
    """The mathematics is undefined (or overflows) at the given values: which quantity, its
    expression, the values it was evaluated at, and why."""

    def __init__(self, what: str, expression: str, values: str, reason: str, **kw):
        at = f" with {values}" if values else ""
        super().__init__(f"{what} is undefined at these values: {expression}{at} ({reason})", **kw)
        self.what, self.reason = what, reason
