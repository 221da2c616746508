"""Streams and signals, in real processes (`python -m tutor`): a closed or empty standard
input, a closed or full standard output, a pipe closed by its reader, Ctrl-C, an encoding
that cannot show the output. The matrix runs every command in each situation and asks for
no traceback, no exit 70 and the exit code of its kind; the tests after it look closer at
one situation each, each in a fresh interpreter. `tutor.streams.ascii_text` is tested in
process, on rich's own tables.

The matrix's hundred runs are forked from this process instead of started afresh (`forked`):
real descriptors, a real signal and a real exit, without a hundred interpreters importing
SymPy (about 45 CPU-seconds, a fifth of the suite). What a fresh interpreter does before
bptutor's code runs (the standard streams it makes, `python -m tutor`'s import) is what the
tests after the matrix check in real processes, one per situation."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import invoke

from tutor import streams
from tutor.views import charts

ROOT = Path(__file__).parents[1]
FULL = Path("/dev/full")

# exit codes: 0 fine, 2 no answers where they were required, 74 standard output lost,
# 130 Ctrl-C, 141 the reader of a pipe went away (tutor/streams.py)
ANSWERS = 2


@dataclass
class Ran:
    code: int
    stdout: bytes
    stderr: str
    seconds: float = 0.0


def _child_setup(close: tuple[int, ...]):
    """In the child before exec: Ctrl-C as a terminal would send it (a test runner started
    in the background inherits SIGINT ignored, and Python keeps it so), `close` closed."""

    def setup():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for fd in close:
            os.close(fd)

    return setup


_WARNINGS_SHOWN = warnings._showwarnmsg_impl  # as Python shows them (pytest records them)
_FORKING = threading.Lock()
READY = b"forked: ready\n"  # one fork at a time: no child copies another's half-made pipes


def _forked(args: list[str], environ: dict, close: tuple[int, ...]):
    """The child's code in place of `exec` (a `preexec_fn` that never returns): the state a
    fresh `python -m tutor ARGS` would have, then `tutor.cli.entry`, which ends the process
    with `os._exit` (as the console script does).

    The descriptors, the folder and Ctrl-C's default action are Popen's and `_child_setup`'s,
    as for a real run. Then what the interpreter's start does: SIGPIPE ignored (Popen set it
    back to the default), the environment, argv, the standard streams made from descriptors
    0–2 in the encoding PYTHONIOENCODING names (None where a descriptor is closed), Python's
    default warning filters (pytest's are in force here); then what the import of tutor.cli
    reads from the environment (its consoles' width and colours, --lang's default), read
    again by reloading it."""

    def child():
        try:
            _child_setup(close)()
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
            os.closerange(3, 65536)  # this process's other files, as exec would with CLOEXEC
            os.environ.clear()
            os.environ.update(environ)
            sys.argv = [str(ROOT / "tutor" / "__main__.py"), *args]
            _standard_streams(environ.get("PYTHONIOENCODING"))
            warnings._showwarnmsg_impl = _WARNINGS_SHOWN
            warnings.resetwarnings()
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
            for kind in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
                warnings.simplefilter("ignore", kind, append=True)
            warnings.simplefilter("ignore", ResourceWarning, append=True)
            import importlib

            from tutor import cli

            scalar = sys.modules.get("tutor.engine.scalar")
            if scalar is not None:  # the graphs this process built: a new one reads the cache
                scalar._BUILT.clear()
            cli = importlib.reload(cli)
            os.write(2, READY)  # where a new process would have imported tutor.cli
            cli.entry()
        except BaseException:  # noqa: BLE001 (the child must never return into pytest)
            import traceback

            os.write(2, f"fork: {traceback.format_exc()}".encode())
        os._exit(99)

    return child


def _standard_streams(io_encoding: str | None) -> None:
    """sys.stdin, sys.stdout and sys.stderr as Python makes them at its start: text over
    descriptors 0–2, None for one that is closed; the encoding of PYTHONIOENCODING (with its
    error handler, if given) or UTF-8 (this machine's locale), stderr's errors always
    `backslashreplace` and its lines written as they end."""
    encoding, _, errors = (io_encoding or "utf-8").partition(":")
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            stream = None
        else:
            raw = open(fd, "rb" if fd == 0 else "wb", closefd=False)  # noqa: SIM115
            stream = io.TextIOWrapper(
                raw,
                encoding=encoding,
                errors="backslashreplace" if fd == 2 else (errors or "strict"),
                line_buffering=fd == 2 or os.isatty(fd),
            )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def run(
    args,
    home: Path,
    *,
    stdin: str | bytes | None = b"",
    stdout: str = "pipe",
    close_stdin: bool = False,
    env: dict | None = None,
    sigint_after: float | None = None,
    timeout: float = 120,
    forked: bool = False,
) -> Ran:
    """`python -m tutor ARGS` with its own HOME, database and code cache under `home`;
    `stdin` bytes (b"": an empty input, None: a pipe left open), `stdout` "pipe", "closed"
    or "full"; Ctrl-C `sigint_after` seconds after bptutor's code starts. `forked`: a fork
    of this process runs it (`_forked`), not a new interpreter."""
    home.mkdir(parents=True, exist_ok=True)
    environ = {
        **os.environ,
        "HOME": str(home),
        "BPTUTOR_DB": str(home / "p.db"),
        "BPTUTOR_CACHE": str(home / ".." / "cache"),
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "100",
        **(env or {}),
    }
    environ.pop("BPTUTOR_LANG", None)
    environ.pop("BPTUTOR_DEBUG", None)
    close = ((0,) if close_stdin else ()) + ((1,) if stdout == "closed" else ())
    started = time.perf_counter()
    sink = open(FULL, "wb") if stdout == "full" else None  # noqa: SIM115 (closed below)
    if stdout == "closed":
        sink = subprocess.DEVNULL  # a descriptor 1 to close in the child
    # with Ctrl-C: -X importtime writes a line as each import ends, so the signal can wait
    # for bptutor's own code (an interrupt while Python itself starts is not ours to handle)
    flags = ["-X", "importtime"] if sigint_after is not None and not forked else []
    setup = _forked(args, environ, close) if forked else _child_setup(close)
    early = b""
    try:
        with _FORKING if forked else contextlib.nullcontext():
            child = subprocess.Popen(
                [sys.executable, *flags, "-m", "tutor", *args],
                stdin=subprocess.PIPE if stdin is None or stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE if sink is None else sink,
                stderr=subprocess.PIPE,
                cwd=home,
                env=environ,
                preexec_fn=setup,  # noqa: PLW1509 (forked: the child runs bptutor and leaves)
            )
        if sigint_after is not None:
            ready = READY if forked else b"| tutor.cli\n"
            early = _until_imported(child.stderr.fileno(), ready, timeout)
            time.sleep(sigint_after)
            child.send_signal(signal.SIGINT)
        data = stdin if isinstance(stdin, bytes) and stdin else None
        out, err = child.communicate(data, timeout=timeout)
    finally:
        if hasattr(sink, "close"):
            sink.close()
    seconds = time.perf_counter() - started
    text = (early + err).decode("utf-8", "replace")
    text = "".join(
        x for x in text.splitlines(True) if not x.startswith("import time:") and x != READY.decode()
    )
    return Ran(child.returncode, out or b"", text, seconds)


def _until_imported(fd: int, line: bytes, timeout: float) -> bytes:
    """What the child wrote to `fd` until `line` (the import of a module ending), or the end."""
    got = b""
    deadline = time.time() + timeout
    while line not in got and time.time() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            got += chunk
    return got


# -- the matrix --------------------------------------------------------------------------------

# (name, arguments, the exit code with no input, whether answers are required, whether it
# writes to standard output)
COMMANDS = [
    ("list", ["list"], 0, False, True),
    ("show", ["show", "ex2"], 0, False, True),
    ("solve", ["solve", "ex2"], 0, False, True),
    ("solve --step", ["solve", "ex2", "--step"], 0, False, True),
    ("graph", ["graph", "ex2"], 0, False, True),
    ("check", ["check", "ex2"], 0, False, True),
    ("validate", ["validate", "ex2"], 0, False, True),
    ("export", ["export", "ex2"], 0, False, True),
    ("export --all", ["export", "--all", "-o", "site"], 0, False, False),
    ("train", ["train", "ex2", "-n", "20"], 0, False, True),
    ("playground", ["playground", "--no-live", "--steps", "5", "--samples", "20"], 0, False, True),
    ("schedule", ["schedule", "cosine", "-n", "20"], 0, False, True),
    ("gen mlp", ["gen", "mlp", "--sizes", "2,2,1"], 0, False, True),
    ("quiz", ["quiz", "ex2"], ANSWERS, True, True),
    ("quiz --answers -", ["quiz", "ex2", "--answers", "-"], ANSWERS, True, True),
    ("quiz concepts", ["quiz", "concepts"], ANSWERS, True, True),
    ("quiz --guided", ["quiz", "ex2", "--guided"], ANSWERS, True, True),
    ("quiz --resume", ["quiz", "ex2", "--resume"], ANSWERS, True, True),
    ("review", ["review", "--count", "1", "--seed", "1"], ANSWERS, True, True),
    ("progress", ["progress"], 0, False, True),
]
SITUATIONS = ["stdin closed", "stdout closed", "stdout full", "SIGINT", "ascii"]


def _case(situation: str, args: list[str], home: Path, forked: bool = True) -> Ran:
    if situation == "stdin closed":
        return run(args, home, close_stdin=True, forked=forked)
    if situation == "stdout closed":
        return run(args, home, stdout="closed", forked=forked)
    if situation == "stdout full":
        return run(args, home, stdout="full", forked=forked)
    if situation == "SIGINT":  # a quiz waits at its first prompt (its input left open)
        return run(args, home, stdin=None, sigint_after=0.2, forked=forked)
    return run(args, home, env={"PYTHONIOENCODING": "ascii"}, forked=forked)


def _resume_state(home: Path) -> None:
    """An interrupted quiz of ex2 to resume: one answer kept (the state `quiz` writes)."""
    home.mkdir(parents=True, exist_ok=True)
    state = {"problem": "ex2", "seed": None, "guided": False, "tries": 2, "lines": ["3"]}
    (home / "p.quiz-ex2.json").write_text(json.dumps(state), encoding="utf-8")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Every command in every situation, run side by side; (situation, name) -> Ran. Each
    command is run here once first, so that the modules it needs are imported before the
    forks (each would import them again)."""
    base = tmp_path_factory.mktemp("matrix")
    (base / "warm").mkdir()
    with contextlib.chdir(base / "warm"):
        for _name, args, *_ in COMMANDS:
            invoke(*args, env={"HOME": str(base / "warm"), "BPTUTOR_DB": str(base / "warm.db")})
    jobs = {}
    for situation in SITUATIONS:
        if situation == "stdout full" and not FULL.exists():
            continue  # its cases skip (test_stream_matrix)
        for name, args, *_ in COMMANDS:
            home = base / f"{situation}-{name}".replace(" ", "_").replace("-", "_")
            if name == "quiz --resume":
                _resume_state(home)
            jobs[situation, name] = (situation, args, home)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(_case, *job) for key, job in jobs.items()}
        results = {key: f.result() for key, f in futures.items()}
    seconds = time.perf_counter() - started  # shown by -s, never asserted
    print(f"\nstream matrix: {len(jobs)} runs in {seconds:.1f} s")
    for key, ran in sorted(results.items(), key=lambda kv: -kv[1].seconds)[:8]:
        print(f"  {ran.seconds:5.1f} s  {key}")
    return results


def _expected(situation: str, code: int, answers: bool, writes: bool) -> set[int]:
    if situation == "stdin closed":
        return {code}
    if situation in ("stdout closed", "stdout full"):
        return {streams.EXIT_OUTPUT} if writes else {code}
    if situation == "SIGINT":  # stopped by it, or done before it (a quiz waits: never)
        return {130} if answers else {130, code}
    return {code}  # ascii: as with no input


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize(
    "name, args, code, answers, writes", COMMANDS, ids=[c[0] for c in COMMANDS]
)
def test_stream_matrix(matrix, situation, name, args, code, answers, writes):
    if situation == "stdout full" and not FULL.exists():
        pytest.skip("no /dev/full on this system")
    ran = matrix[situation, name]
    assert "Traceback" not in ran.stderr, ran.stderr
    assert "internal error" not in ran.stderr and ran.code != 70, ran.stderr
    assert ran.code in _expected(situation, code, answers, writes), (ran.code, ran.stderr)
    if ran.code not in (0, 130):  # an error is one line (and the ASCII note, if any)
        lines = [x for x in ran.stderr.splitlines() if x and not x.startswith("note: ")]
        assert len(lines) == 1, ran.stderr
    if situation == "ascii":
        ran.stdout.decode("ascii")  # every byte ASCII: nothing failed to encode


# -- standard input closed or empty ------------------------------------------------------------


def test_a_quiz_with_standard_input_closed_says_so_in_one_line(tmp_path):
    for args in (["quiz", "ex2"], ["quiz", "ex2", "--answers", "-"]):
        ran = run(args, tmp_path / args[-1], close_stdin=True)
        assert ran.code == 2, ran.stderr
        assert ran.stderr == (
            "error: no answers: standard input is closed (type them at the prompt, or give "
            "--answers FILE)\n"
        )
        assert b"not answered" in ran.stdout  # the quiz ended there: its score table
    ran = run(["quiz", "ex2", "--lang", "zh"], tmp_path / "zh", close_stdin=True)
    assert ran.code == 2 and "没有答案：标准输入已关闭" in ran.stderr


def test_a_quiz_with_no_input_at_all_exits_2_and_input_that_ends_later_1(tmp_path):
    ran = run(["quiz", "ex2"], tmp_path / "a", stdin=b"")
    assert ran.code == 2
    assert ran.stderr == "error: no answers: standard input ended before the first answer\n"
    ran = run(["quiz", "ex2"], tmp_path / "b", stdin=b"3\n")  # one answer, then the end
    assert ran.code == 1 and ran.stderr == "" and b"Score: 1 / 18" in ran.stdout


def test_solve_step_with_standard_input_closed_shows_every_step(tmp_path):
    ran = run(["solve", "ex2", "--step"], tmp_path, close_stdin=True)
    assert ran.code == 0 and ran.stderr == ""
    assert b"Backward pass" in ran.stdout and b"it went down" in ran.stdout


# -- standard output closed, full, or its pipe closed -----------------------------------------


def test_a_closed_standard_output_is_one_line_and_exit_74(tmp_path):
    ran = run(["solve", "ex2"], tmp_path, stdout="closed")
    assert ran.code == 74
    assert ran.stderr == "error: cannot write the output: standard output is closed\n"
    ran = run(["solve", "ex2", "--lang", "zh"], tmp_path, stdout="closed")
    assert ran.code == 74 and ran.stderr == "error: 无法输出：标准输出已关闭\n"


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
def test_a_full_standard_output_is_one_line_and_exit_74(tmp_path):
    reason = os.strerror(errno.ENOSPC)
    # solve writes through rich (flushed at each print); gen mlp with sys.stdout.write, a few
    # hundred bytes left in the buffer until the end
    for args in (["solve", "ex2"], ["gen", "mlp", "--sizes", "2,2,1"]):
        ran = run(args, tmp_path / args[0], stdout="full")
        assert ran.code == 74, ran.stderr
        assert ran.stderr == f"error: cannot write the output: {reason}\n"


def test_a_pipe_closed_by_its_reader_is_quiet(tmp_path):
    """`bptutor solve ex8 | head -1`: the reader takes a line and goes; no word, exit 141."""
    (tmp_path / "home").mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "tutor", "solve", "ex8"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={
            **os.environ,
            "HOME": str(tmp_path / "home"),
            "BPTUTOR_CACHE": str(tmp_path / "cache"),
            "PYTHONPATH": str(ROOT),
        },
    )
    assert child.stdout.readline()
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141 and err == ""


# -- an encoding that cannot show the output ---------------------------------------------------


def test_an_ascii_output_names_the_symbols_and_keeps_the_tables(tmp_path):
    ran = run(["solve", "ex2"], tmp_path / "en", env={"PYTHONIOENCODING": "ascii"})
    assert ran.code == 0
    text = ran.stdout.decode("ascii")
    assert "dL/dw1" in text and "yhat = w3*h + b2" in text and "eta = 0.01" in text
    assert "| L    | 1/2*(yhat - y)^2   | 1/2*(6 - 2)^2       |  8 ok |" in text
    forward = text.split("Forward pass")[1].split("Loss:")[0]
    rows = [line for line in forward.splitlines() if line.startswith(("|", "+"))]
    assert len(rows) == 8 and len({len(row) for row in rows}) == 1, rows  # borders in line
    assert ran.stderr.startswith("note: the output's encoding (ascii) cannot show")
    assert len(ran.stderr.splitlines()) == 1
    # Chinese cannot be shown at all: ?? per character, and the note in English
    ran = run(["show", "ex2", "--lang", "zh"], tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert ran.code == 0 and "????" in ran.stdout.decode("ascii")
    assert ran.stderr.startswith("note: the output's encoding (ascii)")


class _AsciiFile(io.StringIO):
    encoding = "ascii"  # what rich reads: it draws its boxes in ASCII, as on such a terminal


def _drawn(*rows) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="chain")
    for heading in ("dL/d·", "chain of factors", "gradient"):
        table.add_column(heading)
    for row in rows:
        table.add_row(*row)
    console = Console(file=_AsciiFile(), width=100, color_system=None)
    console.print(table)
    return console.file.getvalue()


def _bars(line: str) -> list[int]:
    return [i for i, c in enumerate(line) if c in "|+"]


def test_ascii_text_names_symbols_and_keeps_a_tables_borders():
    symbols = [
        ("w1", "∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z", "8 ✓"),
        ("η", "σ(z)·(1 − σ(z)) · δ₂ · x²", "−0.5"),
        ("λ", "Σ_c δ_c · Wᵀ", "1/2"),
    ]
    roomy = _drawn(
        *symbols, ("a long name", "a chain longer than any of the others, by far", "a lot")
    )
    assert "+---" in roomy and "│" not in roomy  # rich's ASCII box
    text = streams.ascii_text(roomy)
    assert text.isascii()
    assert "dL/dyhat * dyhat/dh * dh/dz" in text and "8 ok" in text
    assert "sigma(z)*(1 - sigma(z)) * delta_2 * x^2" in text
    assert "sum_c delta_c * W^T" in text and "| lambda " in text and "-0.5" in text
    # room in every cell: every border where it was
    for before, after in zip(roomy.splitlines(), text.splitlines(), strict=True):
        assert _bars(after) == _bars(before), (before, after)
    # too little room in the chain's cell: the names take the rest from the cell after, the
    # outer borders stay in line
    tight = _drawn(("w1", "∂L/∂ŷ · ∂ŷ/∂h", "8 ✓"))
    assert "| dL/dyhat * dyhat/dh | 8 ok" in streams.ascii_text(tight)
    for before, after in zip(tight.splitlines(), streams.ascii_text(tight).splitlines()):
        assert len(after) == len(before) and after[-1:] == before[-1:], (before, after)
        assert _bars(after)[:1] == _bars(before)[:1]


def test_ascii_names():
    assert streams.ascii_name("δ") == "delta" and streams.ascii_name("∂") == "d"
    assert streams.ascii_name("─") == "-" and streams.ascii_name("│") == "|"
    assert streams.ascii_name("┼") == "+" and streams.ascii_name("é") == "e"
    assert streams.ascii_name("梯") == "??"  # a CJK character fills two cells
    assert streams.ascii_text("W⁽ˡ⁺¹⁾ᵀ, x₁₂") == "W^(l+1)^T, x_12"


# -- Ctrl-C ------------------------------------------------------------------------------------


def test_no_steps_no_rows():
    assert charts.rows_every(0, None) == []
    assert charts.rows_every(3, None) == [0, 1, 2]


def test_ctrl_c_during_train_on_data_keeps_the_table(tmp_path):
    """As `train` without --data: the loss table of the steps done, then exit 130."""
    problem, data = tmp_path / "net.yaml", tmp_path / "d.csv"
    assert (
        invoke(
            "gen", "mlp", "--sizes", "3,4,1", "--loss", "binary_cross_entropy", "-o", str(problem)
        ).returncode
        == 0
    )
    rows = ["y,x1,x2,x3"]
    for i in range(200):  # a fixed, separable set: y = [x1 + x2 - x3 > 0]
        x = ((i * 37 % 101) / 50 - 1, (i * 53 % 97) / 48 - 1, (i * 71 % 89) / 44 - 1)
        rows.append(f"{float(x[0] + x[1] - x[2] > 0)},{x[0]},{x[1]},{x[2]}")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "tutor", "train", str(problem), "--data", str(data)]
        + ["--steps", "1000000"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        preexec_fn=_child_setup(()),  # noqa: PLW1509
    )
    deadline = time.time() + 30
    while time.time() < deadline:  # the heading comes when training starts
        if select.select([child.stdout], [], [], 0.2)[0]:
            break
    time.sleep(1.0)  # a few chunks of steps
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    out, err = out.decode(), err.decode()
    assert child.returncode == 130, err
    assert "200 samples from" in out and "Batch loss during training" in out
    done = int(re.search(r"interrupted after ([\d,]+) steps", err).group(1).replace(",", ""))
    assert done > 0 and re.search(rf"^ +{done} ", out, re.M)  # the last row: the last step
    assert "Traceback" not in err and "internal error" not in err


def _export_until_busy(target: Path, home: Path):
    """`export --all -o target` in a terminal, Ctrl-C once its progress bar has moved."""
    pexpect = pytest.importorskip("pexpect")
    home.mkdir(exist_ok=True)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tutor", "export", "--all", "--format", "html", "-o", str(target)],
        cwd=str(home),
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 100),
        # its own empty code cache: with the session's (warm) one the whole export can end
        # between the first percentage and Ctrl-C (seen once)
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOME": str(home),
            "BPTUTOR_CACHE": str(home / "cache"),
        },
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    child.expect(r" ([1-9]\d?)%")  # some problems written (into the staging folder)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


def test_ctrl_c_during_export_all_leaves_no_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    code, text = _export_until_busy(work / "site", tmp_path / "home")
    assert code == 130
    assert "interrupted: nothing exported; no folder" in text and "Traceback" not in text
    assert list(work.iterdir()) == []  # neither the folder nor the staging one


def test_ctrl_c_during_export_all_leaves_the_old_folder_as_it_was(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old index", encoding="utf-8")
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    code, text = _export_until_busy(site, tmp_path / "home")
    assert code == 130 and "is as it was" in text and "Traceback" not in text
    assert sorted(p.name for p in site.iterdir()) == ["index.html", "notes.txt"]
    assert (site / "index.html").read_text(encoding="utf-8") == "old index"
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_export_all_replaces_files_and_keeps_the_others(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.md").write_text("old index", encoding="utf-8")
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("export", "--all", "-o", str(site))
    assert result.returncode == 0, result.stderr
    assert (site / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "ex2" in (site / "index.md").read_text(encoding="utf-8")
    assert (site / "ex2.md").is_file()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    fresh = tmp_path / "a" / "b"
    assert invoke("export", "--all", "-o", str(fresh)).returncode == 0
    assert (fresh / "index.md").is_file()
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o777 & ~mask  # as mkdir makes it, not 0700


def test_export_all_into_a_folder_it_cannot_make_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("a file", encoding="utf-8")
    result = invoke("export", "--all", "-o", "README.md/sub")
    assert result.returncode == 2
    assert result.stderr == (
        "error: cannot make the folder README.md/sub: README.md is not a folder\n"
    )
    zh = invoke("export", "--all", "-o", "README.md/sub", "--lang", "zh")
    assert zh.returncode == 2 and "README.md 不是文件夹" in zh.stderr
    if os.geteuid() == 0:  # root writes through permission bits: a read-only file system
        target = Path("/sys/bptutor-test/sub")
        try:
            target.parent.mkdir()
        except OSError:
            pass
        else:
            target.parent.rmdir()
            pytest.skip("no read-only folder to write into")
    else:
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(0o555)
        target = readonly / "sub"
    result = invoke("export", "--all", "-o", str(target))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: cannot make the folder {target}: ")
    assert not target.exists()


def test_a_ctrl_c_wrapped_in_another_error_is_an_interruption(monkeypatch):
    """Python 3.11 wraps a KeyboardInterrupt raised in a class's __set_name__ (a dataclass
    being made while a module imports) in a RuntimeError: seen as exit 70 in the matrix."""
    from cli_runner import invoke

    from tutor import cli

    def wrapped(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from e

    monkeypatch.setattr(cli, "app", wrapped)
    result = invoke("list")
    assert result.returncode == 130 and result.stderr.strip() == "interrupted"


def test_ctrl_c_in_a_finalizer_ends_the_run_without_a_traceback():
    # plotext frees its pixels in __del__; Ctrl-C landing there was printed by Python as
    # "Exception ignored in ... Traceback" (found by the stream matrix's schedule-SIGINT)
    code = (
        "import sys\n"
        "from tutor import cli\n"
        "sys.unraisablehook = cli._unraisable\n"
        "class Pixel:\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt\n"
        "print('drawn so far')\n"
        "Pixel()\n"
        "print('never')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130
    assert done.stdout == "drawn so far\n"
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr


def test_plotext_half_made_by_a_ctrl_c_is_freed_without_a_traceback():
    # Ctrl-C inside plotext's colorize() constructor leaves an object without `_pointer`;
    # its __del__ then raises AttributeError, which Python printed as "Exception ignored ...
    # Traceback" (the stream matrix's schedule-SIGINT, found once in CI); another library's
    # or our own finalizer error is still shown
    code = (
        "import sys\n"
        "from tutor import cli\n"
        "sys.unraisablehook = cli._unraisable\n"
        "from plotext._primitives.colorize import colorize\n"
        "half = colorize.__new__(colorize)\n"
        "del half\n"
        "class Ours:\n"
        "    def __del__(self):\n"
        "        raise AttributeError('ours')\n"
        "Ours()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "_pointer" not in done.stderr and "colorize" not in done.stderr
    assert "AttributeError: ours" in done.stderr
