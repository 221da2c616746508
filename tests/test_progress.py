"""Tests for tutor.progress: attempts saved per answer, summaries, unusable databases."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import shared
from cli_runner import Result, invoke

from tutor import progress

BPTUTOR = str(Path(sys.executable).with_name("bptutor"))
# ex2 in backprop order: forward, loss, deltas, gradients (output layer first), updates, L'
EX2_RIGHT = "3\n3\n6\n8\n4\n8\n8\n12\n4\n8\n16\n8\n1.88\n-0.04\n0.92\n0.84\n-0.08\n3.63852288\n"


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT problem, quantity, seed, answer, verdict FROM attempts ORDER BY id"
        ).fetchall()


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
    for quantity, verdicts in {
        "z": ["correct", "correct"],
        "h": ["wrong", "correct"],
        "L": ["wrong", "wrong", "carried"],
    }.items():
        for v in verdicts:
            store.record("ex2", quantity, None, "1", v)
    store.close()
    summary = progress.summary(db)
    assert [(s.quantity, s.attempts, s.correct) for s in summary] == [
        ("L", 3, 0.5),
        ("h", 2, 1),
        ("z", 2, 2),
    ]  # carried forward: half credit
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
    # two answers; the quiz then waits for the third
    code = shared.killed_when(
        [BPTUTOR, "quiz", "ex2", "--tries", "1", "--db", str(db)],
        "3\n4\n",
        lambda: db.exists() and len(rows(db)) == 2,
    )
    assert code == -signal.SIGKILL
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
    connection = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
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
    child = pexpect.spawn(
        BPTUTOR,
        ["quiz", "ex2", "--tries", "1", "--db", str(db)],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
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


# -- issue 10: credit, skills, FSRS reviews, migration, reset -----------------------------------

OLD_SCHEMA = progress.SCHEMA  # the attempts table as it was before skills


def test_an_old_database_is_migrated_without_losing_rows(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as c:
        c.execute(OLD_SCHEMA)
        c.executemany(
            "INSERT INTO attempts (problem, quantity, seed, answer, verdict, time) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("ex2", "z", None, "3", "correct", 1.0),
                ("ex2", "h", 4, "5", "carried", 2.0),
                ("ex2", "L", None, "reveal", "revealed", 3.0),
                ("ex3", "z", None, "skip", "skipped", 4.0),
            ],
        )
    store, message = progress.open_store(db)
    assert message is None
    store.close()
    with sqlite3.connect(db) as c:
        got = c.execute(
            "SELECT problem, quantity, seed, answer, verdict, credit FROM attempts ORDER BY id"
        ).fetchall()
        assert c.execute("PRAGMA user_version").fetchone()[0] == progress.VERSION
    assert got == [
        ("ex2", "z", None, "3", "correct", 1.0),
        ("ex2", "h", 4, "5", "carried", 0.5),
        ("ex2", "L", None, "", "revealed", 0.0),
        ("ex3", "z", None, "", "skipped", 0.0),
    ]
    progress.open_store(db)[0].close()  # a second open changes nothing
    assert len(rows(db)) == 4
    s = {x.quantity: x for x in progress.summary(db, "ex2")}
    assert s["h"].accuracy == 0.5


def test_a_read_only_old_database_is_summarised_unmigrated(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as c:
        c.execute(OLD_SCHEMA)
        c.execute(
            "INSERT INTO attempts (problem, quantity, seed, answer, verdict, time) "
            "VALUES ('ex2', 'z', NULL, '3', 'carried', 1.0)"
        )
    assert progress.summary(db)[0].correct == 0.5
    assert progress.mastery(db) == [] and len(progress.history(db)) == 1


@dataclass(frozen=True)
class Done:
    """A finished question with the fields the quiz loop's Outcome carries (issue 10)."""

    key: str
    verdict: str
    credit: float = 0.0
    answer: str = ""
    tries: int = 1
    hints: int = 0
    answers: tuple = ()
    skills: tuple = ()
    step: str = "gradient"
    scaffold_of: str | None = None


def reviews(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT problem, skill, rating FROM reviews ORDER BY id").fetchall()


def test_record_outcome_one_row_and_one_review_per_skill(tmp_path):
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    t = 1_800_000_000.0
    assert (
        store.record_outcome(
            "ex2",
            7,
            Done("dL/dw1", "correct", 1.0, "8", answers=("8",), skills=("relu'", "mse'")),
            now=t,
        )
        is None
    )
    store.record_outcome(
        "ex2",
        7,
        Done("dL/dw3", "correct", 0.75, "4", tries=2, answers=("5", "hint", "4"), skills=("mse'",)),
        now=t + 1,
    )
    store.record_outcome(
        "ex2", 7, Done("dL/db2", "revealed", answers=("3", "reveal"), skills=("mse'",)), now=t + 2
    )
    store.record_outcome(
        "ex2", 7, Done("dL/db1", "skipped", answers=("skip",), skills=("relu'",)), now=t + 3
    )
    store.record_outcome("ex2", 7, Done("w1'", "unanswered", skills=("sgd",)), now=t + 4)
    store.close()
    with sqlite3.connect(db) as c:
        got = c.execute(
            "SELECT quantity, answer, verdict, credit, tries, answers, skills "
            "FROM attempts ORDER BY id"
        ).fetchall()
    assert got == [
        ("dL/dw1", "8", "correct", 1.0, 1, '["8"]', "relu' mse'"),
        ("dL/dw3", "4", "correct", 0.75, 2, '["5", "4"]', "mse'"),  # the hint is no answer
        ("dL/db2", "", "revealed", 0.0, 1, '["3"]', "mse'"),  # reveal stored as such
        ("dL/db1", "", "skipped", 0.0, 1, "[]", "relu'"),
    ]  # the unanswered question is not recorded
    # Good = 3 (first try), Hard = 2 (after a retry), Again = 1 (revealed); skip: no review
    assert reviews(db) == [
        ("ex2", "relu'", 3),
        ("ex2", "mse'", 3),
        ("ex2", "mse'", 2),
        ("ex2", "mse'", 1),
    ]
    m = {x.skill: x for x in progress.mastery(db)}
    assert (m["mse'"].attempts, m["mse'"].credit, m["mse'"].reviews) == (3, 1.75, 3)
    assert m["relu'"].attempts == 2 and m["relu'"].accuracy == 0.5  # the skip counts 0
    # FSRS: a first Good review schedules the next one later than an Again does
    assert m["relu'"].due > m["mse'"].due > t
    assert m["relu'"].stability > m["mse'"].stability > 0


def test_reset_one_problem_keeps_the_others_and_rebuilds_the_cards(tmp_path):
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    t = 1_800_000_000.0
    store.record_outcome("ex3", None, Done("dL/dw1", "correct", 1.0, "1", skills=("mse'",)), now=t)
    store.record_outcome(
        "ex2", None, Done("dL/dw3", "wrong", 0.0, "9", skills=("mse'",)), now=t + 60
    )
    store.close()
    before = {x.skill: x for x in progress.mastery(db)}["mse'"]
    assert progress.reset(db, "ex2") == 1
    assert [r[0] for r in rows(db)] == ["ex3"] and reviews(db) == [("ex3", "mse'", 3)]
    after = {x.skill: x for x in progress.mastery(db)}["mse'"]
    assert after.reviews == 1 and after.due != before.due
    assert after.stability > before.stability  # the Again of ex2 is forgotten
    assert progress.reset(db) == 1 and rows(db) == [] and progress.mastery(db) == []


def test_progress_reset_command(tmp_path):
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    store.record("ex2", "z", None, "3", "correct")
    store.record("ex3", "z", None, "3", "correct")
    store.close()
    out = invoke("progress", "ex2", "--reset", "--db", str(db))
    assert out.returncode == 0 and "removed 1 attempts of ex2" in out.stdout
    assert [r[0] for r in rows(db)] == ["ex3"]
