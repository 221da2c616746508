"""Tests for tutor.quiz.progress: attempts saved per answer, summaries, unusable databases."""

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

from tutor.quiz import progress

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


def test_a_database_locked_all_along_loses_the_answers_with_one_line_and_exit_75(
    tmp_path, monkeypatch
):
    # issue 23: the answers are kept and tried again, and the quiz says at the end that they
    # could not be saved (it used to say so, exit 0, and stop trying)
    monkeypatch.setattr(progress, "TIMEOUT", 0.3)  # the waits short: the lock never ends
    monkeypatch.setattr(progress, "RETRY_WAIT", 0.02)
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = quiz(db, EX2_RIGHT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75 and "Score: 18 / 18" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("answers not saved: 18 could not be written to")
    assert "locked" in line
    assert rows(db) == []
    zh = tmp_path / "zh.db"
    progress.open_store(zh)[0].close()
    holder = sqlite3.connect(zh, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = quiz(zh, "3\nquit\n", "--lang", "zh")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75
    assert result.stderr.startswith("答案未保存：有 1 个答案无法写入")


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


@pytest.mark.parametrize(
    "argv",
    [
        ("quiz", "ex2"),
        ("quiz", "ex18"),  # a tensor problem
        ("quiz", "concepts"),
        ("review", "--count", "1", "--seed", "1"),
    ],
)
def test_every_quiz_says_when_an_answer_could_not_be_saved(tmp_path, monkeypatch, argv):
    monkeypatch.setattr(progress, "TIMEOUT", 0.2)
    monkeypatch.setattr(progress, "RETRY_WAIT", 0.02)
    monkeypatch.setattr(progress, "OPEN_WAIT", 0.02)
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = invoke(*argv, "--db", str(db), stdin="skip\nquit\n")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("answers not saved: 1 could not be written to") and "locked" in line
    saved = invoke(*argv, "--db", str(db), stdin="skip\nquit\n")  # the lock gone: saved
    assert saved.returncode == 1 and saved.stderr == "" and len(rows(db)) == 1


def test_a_write_that_fails_is_kept_and_tried_again_in_order(tmp_path, monkeypatch):
    # issue 23: a lock held longer than the wait no longer stops the store for the session
    monkeypatch.setattr(progress, "TIMEOUT", 0.2)
    db = tmp_path / "p.db"
    store, _ = progress.open_store(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    assert store.record("ex2", "z", None, "3", "correct") is None
    assert store.record("ex2", "h", None, "5", "wrong") is None
    assert store.unsaved == 2 and "locked" in store.reason and store.saving
    holder.execute("ROLLBACK")
    assert store.record("ex2", "yhat", None, "6", "correct") is None  # the next answer
    assert store.unsaved == 0
    assert store.close() is None
    holder.close()
    assert rows(db) == [
        ("ex2", "z", None, "3", "correct"),
        ("ex2", "h", None, "5", "wrong"),
        ("ex2", "yhat", None, "6", "correct"),
    ]


def test_a_write_that_fails_to_the_end_is_reported_by_close(tmp_path):
    # Runs as root too (where file modes do not stop writes): a read-only connection.
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    connection = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    store = progress.Store(db, connection)
    assert store.record("ex2", "z", None, "3", "correct") is None
    assert store.record("ex2", "h", None, "3", "correct") is None
    notice = store.close()
    assert (notice.kind, notice.count, notice.path) == ("unsaved", 2, str(db))
    assert "readonly" in notice.reason.replace("read-only", "readonly").replace(" ", "")
    assert rows(db) == []


def test_a_read_only_file_is_said_when_opened(tmp_path, monkeypatch):
    # a file the user may not write (as root too): told at the start, nothing kept
    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    uri = db.resolve().as_uri() + "?mode=ro"
    connect = sqlite3.connect
    monkeypatch.setattr(progress.sqlite3, "connect", lambda _, **kw: connect(uri, uri=True, **kw))
    store, notice = progress.open_store(db)
    assert notice.kind == "unusable" and "readonly" in notice.reason.replace(" ", "")
    assert not store.saving
    assert store.record("ex2", "z", None, "3", "correct") is None and store.close() is None


def test_ctrl_c_mid_quiz_keeps_the_answers_given(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    db = tmp_path / "p.db"
    child = pexpect.spawn(
        BPTUTOR,
        ["quiz", "ex2", "--tries", "1", "--db", str(db)],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
        # Ctrl-C as a terminal sends it, even when the tests run where SIGINT is ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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


# -- issue 23: a lock waited for, writes kept and tried again, bad rows skipped ----------------

HOLD = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
"""


def test_a_database_held_for_2_s_by_another_process_loses_no_answer(tmp_path):
    # the run: held for 1 s it left 8 of 18 answers saved (a 0.5 s wait, then no
    # more saving) and exited 0
    import subprocess

    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    answers = tmp_path / "answers.txt"
    answers.write_text(EX2_RIGHT, encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), "2"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        result = quiz(db, "", "--answers", str(answers))
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "Score: 18 / 18" in result.stdout
    assert len(rows(db)) == 18 and {r[4] for r in rows(db)} == {"correct"}


def test_quizzes_and_progress_at_once_lose_no_row(tmp_path):
    # the run: 12 quizzes and 12 `progress` at once saved 874 of 936 rows; with the
    # code before issue 23, these 3 and 3 saved 36 to 38 of 54 on a busy machine
    import subprocess

    db = tmp_path / "p.db"
    progress.open_store(db)[0].close()
    answers = tmp_path / "answers.txt"
    answers.write_text(EX2_RIGHT, encoding="utf-8")
    env = {**os.environ, progress.ENV: str(db)}
    quizzes, readers = 3, 3
    runs = [[BPTUTOR, "quiz", "ex2", "--answers", str(answers)]] * quizzes + [
        [BPTUTOR, "progress"]
    ] * readers
    children = [
        subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for argv in runs
    ]
    errors = [child.communicate(timeout=120)[1].decode() for child in children]
    assert [child.returncode for child in children] == [0] * len(runs), errors
    assert errors == [""] * len(runs)
    assert len(rows(db)) == 18 * quizzes
    with sqlite3.connect(db) as c:
        per_skill = dict(c.execute("SELECT skill, count(*) FROM reviews GROUP BY skill"))
        cards = dict(c.execute("SELECT skill, reviews FROM cards"))
    assert cards == per_skill  # every review moved its card on: none lost in between


def _quizzed(tmp_path, stdin: str = EX2_RIGHT) -> Path:
    db = tmp_path / "p.db"
    assert quiz(db, stdin).returncode in (0, 1)
    return db


def _damage(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as c:
        c.execute(sql)


def test_cards_that_are_not_json_are_rebuilt_from_the_logged_reviews_in_a_quiz(tmp_path):
    # the run: `internal error: JSONDecodeError` after question 5
    db = _quizzed(tmp_path, "3\n3\n6\n8\n4\n8\nquit\n")  # six answers: the first cards
    _damage(db, "UPDATE cards SET card = 'not json'")
    with sqlite3.connect(db) as c:
        damaged = [r[0] for r in c.execute("SELECT rowid FROM cards ORDER BY rowid")]
    result = quiz(db, EX2_RIGHT)
    assert result.returncode == 0, result.stderr
    assert "Score: 18 / 18" in result.stdout and len(rows(db)) == 6 + 18
    (line,) = result.stderr.strip().splitlines()  # one line naming them, before the quiz
    assert line.startswith(f"progress: {len(damaged)} unreadable rows in {db} left out: cards ")
    assert line.split("left out: cards ")[1].split(" (")[0] == ", ".join(map(str, damaged))
    with sqlite3.connect(db) as c:
        per_skill = dict(c.execute("SELECT skill, count(*) FROM reviews GROUP BY skill"))
        cards = dict(c.execute("SELECT skill, reviews FROM cards"))
        assert all(progress.card_ok(r[0]) for r in c.execute("SELECT card FROM cards"))
    assert cards == per_skill
    assert invoke("progress", "--check", "--db", str(db)).returncode == 0


def test_a_rebuilt_card_is_the_card_its_reviews_make(tmp_path):
    # oracle: the same reviews at the same times in a database never damaged
    t = 1_800_000_000.0
    done = [
        Done("dL/dw1", "correct", 1.0, "8", skills=("mse'",)),
        Done("dL/dw3", "wrong", 0.0, "9", skills=("mse'",)),
        Done("dL/db2", "correct", 0.5, "4", tries=2, skills=("mse'",)),
    ]
    stores = {name: progress.open_store(tmp_path / f"{name}.db")[0] for name in ("kept", "hit")}
    for i, outcome in enumerate(done[:2]):
        for store in stores.values():
            assert store.record_outcome("ex2", None, outcome, now=t + 86400 * i) is None
    _damage(tmp_path / "hit.db", "UPDATE cards SET card = '{\"state\": 9}', due = 'soon'")
    assert stores["kept"].record_outcome("ex2", None, done[2], now=t + 3 * 86400) is None
    notice = stores["hit"].record_outcome("ex2", None, done[2], now=t + 3 * 86400)
    assert notice.kind == "rebuilt" and {(r.table, r.column) for r in notice.rows} == {
        ("cards", "card"),
        ("cards", "due"),
    }
    for store in stores.values():
        assert store.close() is None
    cards = {}
    for name in stores:
        with sqlite3.connect(tmp_path / f"{name}.db") as c:
            cards[name] = c.execute(
                "SELECT skill, card, stability, due, reviews FROM cards"
            ).fetchall()
    assert cards["hit"] == cards["kept"] and cards["kept"][0][4] == 3


def _credit_damaged(tmp_path) -> tuple[Path, int]:
    """ex2 quizzed with z right, h wrong (one try: credit 1 and 0), yhat, L and dL/dyhat
    right, then one more right z; the credit of the dL/dyhat row (skill mse') made text."""
    db = tmp_path / "p.db"
    assert quiz(db, "3\n5\n6\n8\n4\nquit\n", "--tries", "1").returncode == 1
    assert quiz(db, "3\nquit\n").returncode == 1
    with sqlite3.connect(db) as c:
        (bad,) = c.execute("SELECT id FROM attempts WHERE quantity = 'dL/dyhat'").fetchone()
    _damage(db, f"UPDATE attempts SET credit = 'abc' WHERE id = {bad}")
    return db, bad


def test_a_text_credit_is_left_out_of_progress_with_one_line(tmp_path):
    # the run: `progress` with a text credit gave `internal error: TypeError`
    db, bad = _credit_damaged(tmp_path)
    result = invoke("progress", "--db", str(db), width=100)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"progress: 1 unreadable rows in {db} left out: attempts {bad} "
        "(bptutor progress --check lists them)"
    )
    # the damaged row is not counted at all; the others as answered
    assert {s.quantity: (s.attempts, s.correct) for s in progress.summary(db)} == {
        "z": (2, 2),
        "h": (1, 0),
        "yhat": (1, 1),
        "L": (1, 1),
    }
    # mse' keeps its card (one review), without the attempt whose credit is unreadable
    assert [(m.skill, m.attempts, m.reviews) for m in progress.mastery(db)] == [("mse'", 0, 1)]
    assert "ex2" in result.stdout and "Skills (FSRS)" in result.stdout
    zh = invoke("progress", "--db", str(db), "--lang", "zh")
    assert zh.stderr.startswith(f"学习进度：{db} 中有 1 行无法读取，已略过：attempts {bad}")


def test_a_text_credit_is_left_out_of_a_review_with_one_line(tmp_path):
    db, bad = _credit_damaged(tmp_path)
    result = invoke("review", "--count", "1", "--seed", "1", "--db", str(db), stdin="quit\n")
    assert result.returncode == 1, result.stderr  # quit: not every answer right
    (line,) = result.stderr.strip().splitlines()
    assert f"left out: attempts {bad} " in line
    assert "Review: 1 questions" in result.stdout


def test_a_text_credit_and_a_text_due_are_named_by_a_quiz_which_saves_every_answer(tmp_path):
    db, bad = _credit_damaged(tmp_path)
    _damage(db, "UPDATE cards SET due = 'soon' WHERE rowid = 1")
    result = quiz(db, EX2_RIGHT)
    assert result.returncode == 0 and "Score: 18 / 18" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert f"left out: attempts {bad}; cards 1 " in line
    assert len(rows(db)) == 6 + 18


def test_progress_check_on_a_clean_and_on_a_damaged_database(tmp_path):
    db = _quizzed(tmp_path, "3\n3\n6\n8\n4\nquit\n")
    clean = invoke("progress", "--check", "--db", str(db))
    assert clean.returncode == 0 and clean.stderr == ""
    with sqlite3.connect(db) as c:
        n_cards = c.execute("SELECT count(*) FROM cards").fetchone()[0]
        n_reviews = c.execute("SELECT count(*) FROM reviews").fetchone()[0]
    assert clean.stdout.strip() == (
        f"no unreadable rows in {db} (attempts: 5, cards: {n_cards}, reviews: {n_reviews})"
    )
    _damage(db, "UPDATE attempts SET credit = 'abc' WHERE id = 2")
    _damage(db, "UPDATE attempts SET credit = NULL, time = 'yesterday' WHERE id = 3")
    _damage(db, "UPDATE cards SET card = 'not json' WHERE rowid = 1")
    _damage(db, "UPDATE reviews SET rating = 7 WHERE id = 1")
    damaged = invoke("progress", "--check", "--db", str(db))
    assert damaged.returncode == 1 and damaged.stderr == ""
    assert damaged.stdout.strip().splitlines() == [
        "attempts row 2: credit = 'abc': not a number from 0 to 1",
        "attempts row 3: time = 'yesterday': not a time (seconds since 1970)",
        "attempts row 3: credit = None: not a number from 0 to 1",
        "cards row 1: card = 'not json': not an FSRS card (JSON)",
        "reviews row 1: rating = 7: not a rating from 1 to 4",
        f"4 unreadable rows in {db}: left out of progress and review; a card is rebuilt "
        "from its reviews when the quiz next reviews its skill",
    ]
    zh = invoke("progress", "--check", "--db", str(db), "--lang", "zh")
    assert zh.returncode == 1
    assert zh.stdout.splitlines()[0] == "attempts 第 2 行：credit = 'abc'：应为0 到 1 之间的数"
    missing = invoke("progress", "--check", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 0
