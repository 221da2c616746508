"""Run a bptutor command in this process, as `python -m tutor ...` would, and capture it.

The commands run through `tutor.cli.main` (the same error handling and exit codes as the
console script) with stdout and stderr captured and stdin from a string. Much faster than a
fresh interpreter per command; tests whose point is the process itself (a pseudo-terminal,
a signal, start-up) still use a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass

_COMMANDS: dict[int, tuple] = {}  # id(app) -> (app, its click command)


def cached_command(get_command):
    """typer's `get_command`, made once per app: `app()` builds the click command from the
    app's registered functions at every call (once per process, where bptutor runs), a few
    milliseconds that thousands of in-process runs would pay again. The command holds no
    state of a run (each run makes its own click context)."""

    def cached(app):
        made = _COMMANDS.get(id(app))
        if made is None or made[0] is not app:
            made = _COMMANDS[id(app)] = (app, get_command(app))
        return made[1]

    return cached


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def invoke(
    *args: str, stdin: str | None = None, env: dict | None = None, width: int = 80
) -> Result:
    """`bptutor ARGS` with `stdin` as its input, at `width` columns (a pipe gets 80)."""
    import typer.main

    from tutor import cli

    engine = sys.modules.get("tutor.engine.scalar")
    if engine is not None:  # a process builds each problem's graph afresh: the code cache read
        engine._BUILT.clear()
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_stdin = sys.argv, sys.stdin
    saved_env = {k: os.environ.get(k) for k in (env or {})}
    saved_widths = cli.out._width, cli.err._width
    saved_get_command = typer.main.get_command
    typer.main.get_command = cached_command(saved_get_command)
    sys.argv = ["bptutor", *args]
    sys.stdin = io.StringIO(stdin or "")
    os.environ.update(env or {})
    cli.out.width = cli.err.width = width
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        typer.main.get_command = saved_get_command
        sys.argv, sys.stdin = saved_argv, saved_stdin
        cli.out._width, cli.err._width = saved_widths
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())
