"""Tests for tutor.progress: attempts saved per answer, summaries, unusable databases."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor import progress

from cli_runner import Result, invoke

BPTUTOR = str(Path(sys.executable).with_name("bptutor"))
# ex2 in backprop order: forward, loss, deltas, gradients (output layer first), updates, L'
EX2_RIGHT = ("3\n3\n6\n8\n4\n8\n8\n12\n4\n8\n16\n8\n1.88\n-0.04\n0.92\n0.84\n-0.08\n"
             "3.63852288\n")  # fmt: skip


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT problem, quantity, seed, answer, verdict FROM attempts "
                         "ORDER BY id").fetchall()  # fmt: skip


def quiz(db: Path, stdin: str = "", *args: str) -> Result:
    """`bptutor quiz ex2 --db DB ARGS` in this process (a killed or interrupted quiz below
    runs as a real process)."""
    result = invoke("quiz", "ex2", "--db", str(db), *args, stdin=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_every_attempt_is_recorded(tmp_path):
    db = tmp_path / "p.db"
    store, message = progress.open_store(db)
    assert message is None and store.saving
    assert store.record("ex2", "z", None, "3", "correct") is None
    assert store.record("ex2", "z", 5, "4", "wrong") is None
    store.close()
    assert rows(db) == [("ex2", "z", None, "3", "correct"), ("ex2", "z", 5, "4", "wrong")]


def test_summary_weakest_first(tmp_path):
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    for quantity, verdicts in {"z": ["correct", "correct"], "h": ["wrong", "correct"],
                               "L": ["wrong", "wrong", "carried"]}.items():  # fmt: skip
        for v in verdicts:
            store.record("ex2", quantity, None, "1", v)
    store.close()
    summary = progress.summary(db)
    assert [(s.quantity, s.attempts, s.correct) for s in summary] == [
        ("L", 3, 0), ("h", 2, 1), ("z", 2, 2)]
    assert summary[1].accuracy == 0.5
    assert progress.summary(tmp_path / "none.db") == []


def test_db_path_option_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(progress.ENV, str(tmp_path / "env.db"))
    assert progress.db_path(str(tmp_path / "opt.db")) == tmp_path / "opt.db"
    assert progress.db_path() == tmp_path / "env.db"
    monkeypatch.delenv(progress.ENV)
    assert progress.db_path().name == "progress.sqlite3"


def test_the_quiz_records_each_answer_with_the_variant_seed(tmp_path):
    db = tmp_path / "p.db"
    quiz(db, "3\nhint\nx +\n4\nreveal\nquit\n", "--seed", "3", "--tries", "1")
    got = rows(db)
    assert [r[1] for r in got] == ["z", "h", "yhat"]
    assert [r[4] for r in got][2] == "revealed"
    assert all(r[2] == 3 for r in got)  # hint and unreadable input are not attempts


def test_environment_variable_chooses_the_database(tmp_path):
    db = tmp_path / "env.db"
    invoke("quiz", "ex2", stdin="3\nquit\n", env={progress.ENV: str(db)})
    assert rows(db) == [("ex2", "z", None, "3", "correct")]


def test_progress_survives_a_killed_process(tmp_path):
    db = tmp_path / "p.db"
    child = subprocess.Popen([BPTUTOR, "quiz", "ex2", "--tries", "1", "--db", str(db)], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        child.stdin.write("3\n4\n")  # two answers; the quiz then waits for the third
        child.stdin.flush()
        deadline = time.time() + 60
        while time.time() < deadline:
            if db.exists():
                try:
                    if len(rows(db)) == 2:
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert rows(db) == [("ex2", "z", None, "3", "correct"), ("ex2", "h", None, "4", "wrong")]


def _one_line_and_still_runs(result: Result) -> None:
    assert result.returncode == 0, result.stderr
    assert "Score: 18 / 18" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not be saved" in lines[0]


def test_a_locked_database(tmp_path):
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = quiz(db, EX2_RIGHT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _one_line_and_still_runs(result)
    assert "locked" in result.stderr


def test_a_corrupt_database(tmp_path):
    db = tmp_path / "p.db"
    db.write_bytes(b"this is not a database" * 100)
    result = quiz(db, EX2_RIGHT)
    _one_line_and_still_runs(result)
    assert db.read_bytes() == b"this is not a database" * 100


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_database(tmp_path):
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    store.record("ex2", "z", None, "3", "correct")
    store.close()
    db.chmod(0o444)
    try:
        result = quiz(db, EX2_RIGHT)
    finally:
        db.chmod(0o644)
    assert result.returncode == 0 and "Score: 18 / 18" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not" in lines[0] and "saved" in lines[0]
    assert len(rows(db)) == 1


def test_a_database_in_an_unwritable_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = quiz(blocker / "sub" / "p.db", EX2_RIGHT)
    _one_line_and_still_runs(result)


def test_progress_command(tmp_path):
    db = tmp_path / "p.db"
    quiz(db, "3\n4\n6\n")
    out = invoke("progress", "--db", str(db), width=100)
    assert out.returncode == 0
    assert "ex2" in out.stdout and "0%" in out.stdout and "100%" in out.stdout
    assert "Review next: ex2 h" in out.stdout
    empty = invoke("progress", "--db", str(tmp_path / "none.db"))
    assert empty.returncode == 0 and "no attempts" in empty.stdout
    (tmp_path / "bad.db").write_bytes(b"garbage" * 200)
    bad = invoke("progress", "--db", str(tmp_path / "bad.db"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_a_read_only_connection_stops_saving_with_one_message(tmp_path):
    # Runs as root too (where file modes do not stop writes): a read-only connection.
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    connection = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True,
                                 isolation_level=None)  # fmt: skip
    store = progress.Store(db, connection)
    message = store.record("ex2", "z", None, "3", "correct")
    assert message and "readonly" in message.replace("read-only", "readonly").replace(" ", "")
    assert not store.saving
    assert store.record("ex2", "h", None, "3", "correct") is None  # said once
    store.close()
    assert rows(db) == []


def test_ctrl_c_mid_quiz_keeps_the_answers_given(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    db = tmp_path / "p.db"
    child = pexpect.spawn(BPTUTOR, ["quiz", "ex2", "--tries", "1", "--db", str(db)], encoding="utf-8",
                          timeout=60, dimensions=(40, 100))  # fmt: skip
    child.expect_exact("z = ? ")
    child.sendline("3")
    child.expect_exact("h = ? ")
    child.sendline("5")
    child.expect_exact("ŷ = ? ")
    child.sendintr()
    child.expect_exact("interrupted: the answers you gave are saved")  # after the score
    score = child.before
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in score + child.before
    assert "Score: 1 / 18" in score and "not answered" in score
    assert rows(db) == [("ex2", "z", None, "3", "correct"), ("ex2", "h", None, "5", "wrong")]
