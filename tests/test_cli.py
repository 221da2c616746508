"""Tests for tutor.cli: each command's exit code and output, run as a user runs it.

Commands run in process through `cli.main` (tests/cli_runner.py) with stdout captured, so
these tests also see what a pipe gets: plain text, no ANSI escape codes, 80 columns. Tests
about the process itself (a pseudo-terminal, Ctrl-C, the profiler) start a real one.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from cli_runner import invoke
from typer.testing import CliRunner

from tutor.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
ANSI = "\x1b["


def run(*args: str, stdin: str | None = None):
    result = invoke(*args, stdin=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, stdin: str | None = None) -> str:
    result = run(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert ANSI not in result.stdout, "piped output must be plain text"
    return result.stdout


def test_list_shows_the_catalogue():
    out = ok("list")
    for pid in ("ex1", "ex2", "ex3", "ex4"):
        assert pid in out
    assert "relu-mlp" in out and "sigmoid-mlp" in out


def test_show_gives_the_statement_and_given_values_only():
    out = ok("show", "ex2")
    assert "ex2" in out and "ReLU" in out
    assert "Given" in out and "parameter" in out
    for revealed in ("Forward pass", "Backward pass", "Gradients", "Update", "went down", "✓"):
        assert revealed not in out, revealed


def test_solve_ex2_shows_every_step():
    out = ok("solve", "ex2")
    assert "4 × 2 × 1 × 1 = 8" in out
    assert "4 × 2 × 1 × 2 = 16" in out
    for part in (
        "Forward pass",
        "Loss: L = 8",
        "Backward pass",
        "Gradients",
        "Update (sgd",
        "Forward pass after the update",
        "it went down",
        "all 17 published values",
    ):
        assert part in out, part


def test_solve_in_chinese():
    out = ok("solve", "ex2", "--lang", "zh")
    for part in ("前向传播", "反向传播", "梯度", "参数更新", "已下降"):
        assert part in out, part
    assert "Forward pass" not in out


def test_solve_step_by_step_stops_on_q():
    full = ok("solve", "ex2")
    out = ok("solve", "ex2", "--step", stdin="\n\nq\n")
    # statement, forward pass, loss line; then q: nothing from the backward pass on
    assert "Forward pass" in out and "Loss: L = 8" in out
    assert "Backward pass" not in out and "Update" not in out
    assert out.count("Enter") == 3
    assert len(out) < len(full)


def test_solve_step_without_a_terminal_runs_to_the_end():
    out = ok("solve", "ex2", "--step", stdin="")
    assert "it went down" in out


def test_solve_a_problem_file():
    out = ok("solve", str(FIXTURES / "relu_zero.yaml"))
    assert "relu_zero" in out and "ReLU'(0)" in out


def test_graph_shows_values_and_gradients():
    out = ok("graph", "ex2")
    assert "L = 1/2·(ŷ - y)^2 = 8  grad 1" in out
    assert "w1 = 1  grad 8" in out
    assert "w2 = 1  grad 16" in out


def test_check_lists_the_ex4_errata_and_exits_1():
    result = run("check")
    assert result.returncode == 1, result.stderr
    assert ANSI not in result.stdout
    out = result.stdout
    assert "Errata: ex4" in out
    for quantity, printed in (
        ("dC/dW2_1_1", "-0.0287"),
        ("dC/dW2_1_2", "-0.0572"),
        ("W2_1_1'", "0.50287"),
        ("adam:W2_1_1'", "0.5003"),
    ):
        assert quantity in out and printed in out, quantity
    for clean in ("ex1", "ex2", "ex3"):
        assert f"Errata: {clean}\n" not in out


def test_check_of_a_clean_problem_exits_0():
    result = run("check", "ex2")
    assert result.returncode == 0
    assert "0 of 17 published values disagree" in result.stdout


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_the_core_commands_are_registered():
    assert {"list", "show", "solve", "graph", "check"} <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_text(name):
    group = typer.main.get_command(app)
    assert (group.commands[name].help or "").strip(), f"{name} has no docstring"
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and name in result.output
    assert ANSI not in result.output


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in command_names():
        assert name in result.output


def test_version_is_the_packages():
    import re

    text = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', text, re.M)[1]  # what pip installs
    for flag in ("--version", "-V"):
        result = invoke(flag)
        assert result.returncode == 0 and result.stdout == f"bptutor {version}\n"


# -- training, schedules, graph --dot, gen (issue 5) ------------------------------------------


def test_train_ex4_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    out = ok(
        "train",
        "ex4",
        "--steps",
        "300",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--l2",
        "0.001",
        "--schedule",
        "cosine",
        "--every",
        "100",
        "--plot",
        str(png),
    )
    assert "3 parameters, 300 adam steps" in out and "dL/dw + λw" in out  # update.params
    assert "Loss during training" in out
    for row in ("  1  ", " 101 ", " 201 ", " 300 ", "end"):
        assert row in out, row
    assert "┤" in out  # the terminal curve
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_every_optimizer_and_schedule_lowers_the_loss():
    import re

    for optimizer, schedule in (
        ("sgd", "step"),
        ("momentum", "exponential"),
        ("rmsprop", "polynomial"),
    ):
        out = ok(
            "train", "ex4", "-n", "200", "--optimizer", optimizer, "--lr", "0.01", "-s", schedule
        )
        before, after = map(float, re.search(r"loss (\S+) → (\S+)", out).groups())
        assert after < before, optimizer


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "ex4", "--optimizer", "newton"], "unknown optimizer"),
        (["train", "ex4", "-s", "triangle"], "unknown schedule"),
        (["train", "ex4", "--steps", "0"], "at least 1"),
        (["train", "ex1"], "symbolic"),
        (["schedule", "cosine", "--beta", "0.5"], "does not apply"),
        (["gen", "mlp", "--sizes", "3"], "at least two"),
        (["graph", "ex4", "-o", "x.dot"], "--dot"),
    ],
)
def test_training_commands_refuse_bad_input_in_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in process: exit code, stdout and stderr exactly."""
    from tutor.cli import main as entry

    monkeypatch.setattr(sys, "argv", ["bptutor", *args])
    monkeypatch.delenv("BPTUTOR_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        entry()
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "ex17"], "ex17 has no parameters to train"),
        (["train", "ex9"], "ex9 has no parameters to train"),
        (["train", "ex15"], "ex15 has no parameters to train"),
        (["train", "ex16"], "ex16 has no parameters to train"),
        (["train", "ex4", "--lr", "-1"], "--lr must be a positive number, not -1"),
        (["train", "ex4", "--lr", "0"], "--lr must be a positive number, not 0"),
        (
            ["train", "ex4", "--steps", "0"],
            "--steps must be at least 1 and at most 1,000,000, not 0",
        ),
        (
            ["train", "ex4", "-n", "1000000000000"],
            "--steps must be at least 1 and at most 1,000,000, not 1000000000000",
        ),
        (["train", "ex4", "--l2", "-1"], "--l2 must be 0 or a positive number, not -1"),
        (
            ["train", "ex4", "-s", "step", "--milestones", "1.5"],
            "--milestones must be whole numbers separated by commas",
        ),
        (["schedule", "cosine", "--lr", "-1"], "--lr must be a positive number, not -1"),
        (
            ["schedule", "cosine", "--steps", "0"],
            "--steps must be at least 1 and at most 1,000,000, not 0",
        ),
        (
            ["schedule", "exponential", "--beta", "2"],
            "--beta must be a number in (0, 1] for the exponential schedule, not 2",
        ),
        (["solve", "ex2", "--lr", "nan"], "--lr must be a positive number, not nan"),
        (["solve", "ex2", "--l2", "-1"], "--l2 must be 0 or a positive number, not -1"),
    ],
)
def test_run_settings_are_checked_once_for_every_command_in_exactly_one_line(
    args, message, monkeypatch, capsys
):
    code, out, err = main(monkeypatch, capsys, *args)
    assert code == 2
    assert err == f"error: {message}\n"  # one line, no blank line before it
    assert out == ""


def test_train_honours_update_params_and_says_1_parameter(monkeypatch, capsys):
    # the fixture trains w and keeps b: by hand, one step takes L from 2 to 0.72
    # (training b too would give 0.5)
    code, out, err = main(
        monkeypatch, capsys, "train", str(FIXTURES / "untrained_bias.yaml"), "-n", "1"
    )
    assert code == 0, err
    assert out.startswith("untrained_bias: 1 parameter, 1 sgd step, η0 = 0.1")
    assert "loss 2 → 0.72\n" in out


def test_train_with_l2_says_the_loss_column_leaves_the_penalty_out(monkeypatch, capsys):
    # by hand: dL/dw + λw = 4 + 0.5, w' = 1 − 0.1·4.5 = 0.55, yhat' = 2.1, L' = ½·1.1² = 0.605
    # (with the penalty λ/2·w'² it would be 0.680625)
    code, out, err = main(
        monkeypatch,
        capsys,
        "train",
        str(FIXTURES / "untrained_bias.yaml"),
        "-n",
        "1",
        "--l2",
        "0.5",
    )
    assert code == 0, err
    assert "loss (no L2 term)" in out and "leaves out the penalty λ/2·Σw²" in out
    assert "loss 2 → 0.605\n" in out


def test_train_divergence_keeps_the_table_and_says_what_overflowed(monkeypatch, capsys):
    # by hand (see the fixture): the loss before step k is 2·361^(k−1), past the largest
    # float at step 122
    code, out, err = main(
        monkeypatch,
        capsys,
        "train",
        str(FIXTURES / "untrained_bias.yaml"),
        "-n",
        "400",
        "--lr",
        "5",
        "--every",
        "40",
    )
    assert code == 2
    assert err == (
        "error: the loss overflowed at step 122; the learning rate 5 is too large "
        "for this problem\n"
    )
    table = out.split("Loss during training")[1].split("┌")[0]
    rows = [line.split() for line in table.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "41", "81", "121"]
    assert float(rows[-1][2]) == pytest.approx(2 * 361.0**120, rel=1e-5)
    assert "end" not in out and "loss 2 →" not in out


@pytest.mark.parametrize(
    "args",
    [
        ("ex4",),
        (
            "ex4",
            "-n",
            "300",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--l2",
            "0.01",
            "-s",
            "cosine",
            "--every",
            "25",
        ),
        ("ex6", "-n", "80", "--optimizer", "rmsprop", "-s", "step"),
        ("GEN", "-n", "10", "--optimizer", "momentum"),
    ],
)
def test_train_prints_the_same_on_the_vectorised_path_as_on_the_scalar_loop(
    args, monkeypatch, capsys, tmp_path
):
    from tutor.playground import training
    from tutor.variants import generate

    if args[0] == "GEN":
        f = tmp_path / "net.yaml"
        f.write_text(generate.mlp([3, 6, 2], "sigmoid", "mse", 3), encoding="utf-8")
        args = (str(f),) + args[1:]
    vectorised = main(monkeypatch, capsys, "train", *args)
    monkeypatch.setattr(training, "_layered", lambda *a: None)  # the generated scalar loop
    scalar = main(monkeypatch, capsys, "train", *args)
    assert vectorised[0] == 0 and vectorised == scalar


def test_ctrl_c_during_train_prints_the_table_so_far_and_exits_130():
    pexpect = pytest.importorskip("pexpect")
    import os

    child = pexpect.spawn(
        sys.executable,
        ["-m", "tutor", "train", "ex4", "-n", "1000000"],
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 100),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        # Ctrl-C as a terminal sends it, even when the tests run where SIGINT is ignored
        # (a background job of a non-interactive shell passes SIG_IGN on to its children)
        preexec_fn=_default_sigint,
    )
    child.expect(r" [1-9]\d*/1000000")  # the progress bar: some steps are done
    child.sendintr()  # a real SIGINT from the terminal
    child.expect(pexpect.EOF)
    child.close()
    text = child.before
    assert child.exitstatus == 130
    assert "Loss during training" in text and "0.169004" in text
    assert "interrupted after " in text and "Traceback" not in text


def test_schedule_cosine_table_and_curve():
    out = ok("schedule", "cosine", "--lr", "0.1", "--steps", "100")
    assert "cos(π·t/T)" in out
    assert "  50         0.05" in out
    assert "┤" in out


def test_graph_dot_to_stdout_and_file(tmp_path):
    out = ok("graph", "ex4", "--dot")
    assert out.startswith('digraph "ex4" {') and out.rstrip().endswith("}")
    assert "->" in out and "grad" in out
    target = tmp_path / "g.dot"
    ok("graph", "ex4", "--dot", "-o", str(target))
    assert target.read_text(encoding="utf-8") == out


def test_gen_mlp_file_is_accepted_by_every_command(tmp_path):
    target = tmp_path / "net.yaml"
    ok(
        "gen",
        "mlp",
        "--sizes",
        "3,4,2",
        "--activation",
        "tanh",
        "--loss",
        "mse",
        "--seed",
        "2",
        "-o",
        str(target),
    )
    assert "Forward pass" in ok("solve", str(target))
    assert "Given" in ok("show", str(target))
    assert "digraph" in ok("graph", str(target), "--dot")
    assert "Loss during training" in ok("train", str(target), "-n", "50")
    assert ok(
        "gen", "mlp", "--sizes", "3,4,2", "--activation", "tanh", "--seed", "2"
    ) == target.read_text(encoding="utf-8")


def test_solve_ex4_with_adam_shows_moments_and_the_uncorrected_step():
    out = ok("solve", "ex4", "--optimizer", "adam", "--view", "scalar")
    assert "Update (adam" in out
    for column in ("m̂", "v̂", "bias"):
        assert column in out, column
    assert "Without them the step would give W2_1_1' = 0.816226 instead of 0.6" in " ".join(
        line.strip(" │") for line in out.splitlines()
    )


def test_solve_with_l2_shows_the_term_and_checks_no_published_step():
    out = ok("solve", "ex4", "--l2", "0.1", "--view", "scalar")
    assert "λ·w" in out and "∂L/∂w + λ·w" in out
    # W2_1_1: dC/dW = -0.0575363, λw = 0.05, so the step uses -0.00753635
    assert "-0.00753635" in out and "0.500754" in out
    assert "source" not in out.split("Update")[1].split("Forward pass after")[0]


# -- errors: one line, the right exit code, user text printed as written -------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["solve", "ex2", "--lang", "fr"], "unknown language 'fr'"),
        (["solve", "problems"], "not a problem file"),
        (["solve", "ex2", "--lr", "-1"], "--lr must be a positive number"),
    ],
)
def test_solve_refuses_bad_input(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_user_text_is_never_read_as_markup(tmp_path):
    bad = tmp_path / "p[red]x.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    result = run("solve", str(bad))
    assert result.returncode == 2
    assert "p[red]x.yaml:" in result.stderr  # rich would have eaten "[red]" as a style


def test_a_bug_is_one_line_and_exit_70(monkeypatch, capsys):
    import tutor.engine.scalar
    from tutor.cli import main

    def broken(*args, **kwargs):
        raise ValueError("something the engine did not expect")

    monkeypatch.setattr(tutor.engine.scalar, "solve", broken)
    monkeypatch.setattr(sys, "argv", ["bptutor", "solve", "ex2"])
    monkeypatch.delenv("BPTUTOR_DEBUG", raising=False)
    monkeypatch.setenv("BPTUTOR_CACHE", "off")  # the engine runs: no worked solution kept
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    assert "internal error: ValueError: something the engine did not expect" in err
    assert "Traceback" not in err


def test_quiz_shows_equations_and_hints_with_course_names_and_no_question_mark_for_bad_input(
    tmp_path,
):
    out = run(
        "quiz",
        "ex2",
        "--db",
        str(tmp_path / "p.db"),
        "--answers",
        "-",
        stdin="?\n?\n3\nabc\nquit\n",
    ).stdout
    assert "hint 1/1: z = 1·1 + 1·2 + 0" in out  # the equation is in the question already
    assert "⚠ can't read that" in out and "? can't read that" not in out
    out = run(
        "quiz", "ex2", "--db", str(tmp_path / "p.db"), "--answers", "-", stdin="3\n3\n6\nquit\n"
    ).stdout
    assert "L = 1/2·(ŷ - y)^2" in out and "yhat" not in out


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show"],
        ["solve"],
        ["graph"],
        ["check"],
        ["export"],
        ["validate"],
        ["train"],
        ["schedule"],
        ["quiz"],
        ["progress"],
        ["gen", "mlp"],
    ],
)
def test_help_names_what_each_option_takes(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "<str>" not in result.output and "<int>" not in result.output
    assert "<float>" not in result.output and "{problem}" not in result.output


def test_help_metavars_say_file_name_rate():
    def helptext(*args):
        return CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "100"}).output

    assert "--answers FILE" in helptext("quiz") and "--db FILE" in helptext("quiz")
    assert (
        "--optimizer NAME" in helptext("solve")
        and "-o, --optimizer" not in helptext("solve")
        and "--lr RATE" in helptext("solve")
    )
    assert "-l, --lang en|zh" in helptext("solve")
    assert "--plot FILE.png" in helptext("train") and "--sizes N,N,..." in helptext("gen", "mlp")
    assert "PROBLEM" in helptext("solve") and "-o, --output FILE" in helptext("export")


def test_quiz_hint_in_chinese_uses_the_full_width_colon(tmp_path):
    out = run(
        "quiz",
        "ex2",
        "--lang",
        "zh",
        "--db",
        str(tmp_path / "p.db"),
        "--answers",
        "-",
        stdin="?\nquit\n",
    ).stdout
    assert "提示 1/1：z = 1·1" in out and "提示 1/1:" not in out


def test_concept_options_and_explanations_wrap_under_their_own_text(tmp_path):
    result = run(
        "quiz",
        "concepts",
        "--seed",
        "1",
        "--db",
        str(tmp_path / "p.db"),
        "--answers",
        "-",
        stdin="a\nquit\n",
    )  # a pipe: 80 columns
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("[1/"))
    end = (
        next(i for i, line in enumerate(lines) if line.startswith("[2/"))
        if any(line.startswith("[2/") for line in lines)
        else len(lines)
    )
    for line in lines[start + 1 : end]:
        if not line.strip() or line.startswith(("> ", "✓", "✗", "→ ")):
            continue  # "→ see it with numbers: …" (a question with `see:`) is its own line
        assert line.startswith("  "), f"wrapped back to column 0: {line!r}"


def test_profiling_with_cprofile_reports():
    """entry() leaves with os._exit for speed, except under cProfile (docs/architecture.md)."""
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-s", "tottime", "-m", "tutor", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "function calls" in result.stdout and "Ordered by" in result.stdout


def test_help_list_and_show_do_not_import_sympy_or_numpy():
    """`--help`, `list` and `show` start fast: none loads SymPy or NumPy (the bench times
    them); `show` reads a problem's light stage, with `--set` and `--full` too."""
    probe = (
        "import sys; from tutor import cli; sys.argv = ['bptutor', {}]; "
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: cli.main()\n"
        "    except SystemExit: pass\n"
        "print(sorted(m for m in ('sympy', 'numpy') if m in sys.modules))"
    )
    for command in (
        ["--help"],
        ["list"],
        ["show", "ex2"],
        ["show", "ex4", "--set", "x1=1/3"],
        ["show", "ex8", "--full", "--lang", "zh"],
    ):
        result = subprocess.run(
            [sys.executable, "-c", probe.format(repr(command)[1:-1])],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip().splitlines()[-1] == "[]", (command, result.stdout)


# --------------------------------------------------------------------------- other people's text

HOSTILE = [FIXTURES / "hostile.yaml", FIXTURES / "tensor" / "hostile.yaml"]
# C0 controls but tab and newline, DEL, C1 controls, bidi controls
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", HOSTILE, ids=["scalar", "tensor"])
def test_no_control_character_of_a_file_reaches_the_terminal(path, lang, tmp_path, monkeypatch):
    """Issue 23: a title or statement written with "\\e]0;…" (window title), "\\e[2J" (clear
    screen), OSC 8 (a link), C1 controls or a bidi override printed them raw. Every view of
    the file (show, solve, graph, check, the quiz with answers typed, export, validate, and
    list of a catalogue holding it) prints none, and still shows the text around them."""
    answers = "0\n?\n0\nreveal\n" * 30
    runs = [
        run(*args, str(path), *(("--lang", lang) if args[0] != "validate" else ()), stdin=stdin)
        for args, stdin in [
            (("show",), None),
            (("solve",), None),
            (("solve", "--full"), None),
            (("graph",), None),
            (("check",), None),
            (("quiz", "--db", str(tmp_path / "p.db")), answers),
            (("export",), None),
            (("validate",), None),
        ]
    ]
    catalogue = tmp_path / "problems"
    catalogue.mkdir()
    (catalogue / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr("tutor.problems.catalog.builtin_dir", lambda: catalogue)
    runs.append(invoke("list", "--lang", lang, width=200))  # a title column wide enough
    for result in runs:
        assert result.returncode in (0, 1), result.stderr  # check: 1, a published value is off
        assert not CONTROL.search(result.stdout + result.stderr), CONTROL.findall(result.stdout)
    title = {"en": "<script>alert(1)</script> ]0;pwned[2Jevil", "zh": "onerror=alert(2)> 2J0;t标题"}
    for result in runs[:3] + runs[-1:]:  # show, solve, solve --full, list: the title as text
        assert title[lang] in result.stdout
    assert "<b onmouseover=alert(14)>kind</b>" in runs[-1].stdout


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
