"""cli.py stays thin (issue 20): no function in it is over 40 lines.

A function's length runs from its `def` line (decorators left out) to its last line, the
signature, docstring, blank lines and nested functions included, as `ast` reports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tutor.cli

LIMIT = 40


def long_functions(source: str, limit: int = LIMIT) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function of `source` longer than `limit` lines,
    nested ones and methods included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_in_cli_is_over_40_lines():
    source = Path(tutor.cli.__file__).read_text(encoding="utf-8")
    assert long_functions(source) == []


def test_the_count_runs_from_def_to_the_last_line_without_decorators():
    body = "\n".join(f"    x{i} = {i}" for i in range(38))  # def + docstring + 38 = 40
    source = '@app.command()\n@other\ndef fits():\n    """Doc."""\n' + body + "\n"
    assert long_functions(source) == []
    longer = source + "    return x0\n"  # 41 lines: over
    assert long_functions(longer) == [("fits", 3, 41)]
    nested = "def outer():\n    def inner():\n" + "\n".join(
        f"        y{i} = {i}" for i in range(40)
    )
    assert long_functions(nested) == [("outer", 1, 42), ("inner", 2, 41)]
