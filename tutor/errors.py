"""One error family for the whole tool; the CLI maps each kind to an exit code."""

from __future__ import annotations


class TutorError(Exception):
    """Base of every error the tool reports to a user (never a traceback)."""

    exit_code = 1

    key: str | None = None  # a key of the message catalogue, when the error has one
    fields: dict = {}

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    @classmethod
    def keyed(cls, key: str, *, file: str | None = None, line: int | None = None, **fields):
        """The error whose sentence is the catalogue's `key` (tutor/text/), its fields filled:
        `message` in English, `say(lang)` in either language."""
        from tutor.text.messages import say

        error = cls(say("en", key, **fields), file=file, line=line)
        error.key, error.fields = key, fields
        return error

    def _where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}: " if self.line else f"{self.file}: "

    def __str__(self) -> str:
        return self._where() + self.message

    def say(self, lang: str) -> str:
        """The error in `lang` where the catalogue has its sentence, else as raised."""
        if self.key is None:
            return str(self)
        from tutor.text.messages import say

        return self._where() + say(lang, self.key, **self.fields)


class InputError(TutorError):
    """Bad input from a user or a problem file: exit code 2."""

    exit_code = 2


class ProblemError(InputError):
    """A problem file that cannot be loaded (syntax, schema, names, cycles...)."""


class ParseError(InputError):
    """An expression the restricted parser refuses: why, as a key of the message catalogue
    (tutor/text/parsing.py) and its fields, and where (`column`, 1-based when known).
    `message` is the English sentence; `say(lang)` words it in either language."""

    def __init__(self, key: str, column: int | None = None, **fields):
        from tutor.text.messages import say

        super().__init__(say("en", key, **fields))
        self.key, self.fields = key, fields
        self.column = column

    def why(self):
        """The reason as a catalogue Message, to word inside another sentence."""
        from tutor.text.messages import Message

        return Message(self.key, self.fields)

    def where(self):
        """` (column 5)` as a catalogue Message, or "" when the column is not known."""
        from tutor.text.messages import Message

        return Message("at_column", {"column": self.column}) if self.column else ""


class NotFound(InputError):
    """An unknown problem id or a missing file."""


class UndefinedError(ProblemError):
    """The mathematics is undefined (or overflows) at the given values, as data: which
    quantity (`kind`: node, derivative, gradient or update; `node`, `parent`), its expression
    (a SymPy expression or the equation as written), the values it was evaluated at (name ->
    float, in the order to show them), why (`reason`, a key of REASONS) and whether it was after
    the update. The engine raises it; the sentence is made here."""

    REASONS = {
        "division_by_zero": "division by zero",
        "log_of_zero": "log of 0",
        "log_of_negative": "log of a negative number",
        "sqrt_of_negative": "square root of a negative number",
        "power_of_negative": "fractional power of a negative number",
        "overflow": "overflow past ±1.8e308",
    }

    def __init__(
        self,
        kind: str,
        node: str,
        *,
        parent: str = "",
        expression=None,
        values: dict | None = None,
        reason: str = "overflow",
        loss: str = "L",
        after_update: bool = False,
        **kw,
    ):
        self.kind, self.node, self.parent, self.reason = kind, node, parent, reason
        self.expression, self.values, self.after_update = (
            expression,
            dict(values or {}),
            after_update,
        )
        super().__init__(self._sentence(loss), **kw)

    def _sentence(self, loss: str) -> str:
        from tutor.text.notation import fmt, text

        what = {
            "node": f"node '{self.node}'",
            "derivative": f"the derivative ∂{self.node}/∂{self.parent}",
            "gradient": f"the gradient ∂{loss}/∂{self.node}",
            "update": f"the update of {self.node}",
        }[self.kind]
        if self.after_update:
            what = "after the update, " + what
        if self.expression is None:
            shown = {
                "gradient": "the product of its chain-rule factors",
                "update": f"{self.node} − η·∂{loss}/∂{self.node}",
            }.get(self.kind, "")
        else:
            shown = self.expression if isinstance(self.expression, str) else text(self.expression)
        at = ", ".join(f"{n} = {fmt(v)}" for n, v in self.values.items())
        at = f" with {at}" if at else ""
        return (
            f"{what} is undefined at these values: {shown}{at} "
            f"({self.REASONS.get(self.reason, self.reason)})"
        )


def cannot_write(path, error: Exception) -> InputError:
    """The one-line error for a file or folder that could not be written, and why."""
    return InputError.keyed("cannot_write", path=str(path), why=why(error))


def why(error: Exception) -> str:
    """Why a file could not be read or written, as words: the system's reason for an OSError
    ("No such file or directory"), "not UTF-8 text", else the first line of the message;
    never a Python error's repr ("[Errno 2] ...")."""
    if isinstance(error, UnicodeError):
        return "not UTF-8 text"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error) or type(error).__name__
    return text.splitlines()[0]
