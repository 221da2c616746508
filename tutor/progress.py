"""Progress: every quiz attempt in SQLite, committed as it is made; a summary per quantity,
mastery per skill (FSRS) and a history per day.

The database lives in the user data directory (platformdirs), unless `--db PATH` or the
environment variable BPTUTOR_DB says otherwise. A database that cannot be used (locked,
read-only, corrupt, unwritable folder) never stops a quiz: `open_store` and `Store.record`
report it once as a message and the quiz goes on without saving.

Tables: `attempts` (one row per finished question: its answers, verdict, credit, tries,
hints, step and skills), `cards` (the FSRS card of each skill: stability, difficulty, due)
and `reviews` (one per skill of a finished question, with its rating). A database written
before skills existed is migrated in place (`PRAGMA user_version`), no row lost.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ENV = "BPTUTOR_DB"
TIMEOUT = 0.5  # seconds to wait for a lock held by another process

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    problem TEXT NOT NULL,
    quantity TEXT NOT NULL,
    seed INTEGER,
    answer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    time REAL NOT NULL
)
"""
VERSION = 1  # PRAGMA user_version of the schema below; 0: only `attempts` as above
# Version 1: the attempt's credit (half credit counts half), tries, hints, step, skills and
# every typed answer (JSON); the skills' FSRS cards and every review.
MIGRATION = (
    "ALTER TABLE attempts ADD COLUMN credit REAL",
    "ALTER TABLE attempts ADD COLUMN tries INTEGER",
    "ALTER TABLE attempts ADD COLUMN hints INTEGER",
    "ALTER TABLE attempts ADD COLUMN step TEXT",
    "ALTER TABLE attempts ADD COLUMN skills TEXT",
    "ALTER TABLE attempts ADD COLUMN answers TEXT",
    "ALTER TABLE attempts ADD COLUMN scaffold_of TEXT",
    # rows from before: credit from the verdict (carried forward was half credit); a reveal
    # or a skip was stored as the word typed, which is not an answer
    "UPDATE attempts SET credit = CASE verdict WHEN 'correct' THEN 1.0 "
    "WHEN 'carried' THEN 0.5 ELSE 0.0 END WHERE credit IS NULL",
    "UPDATE attempts SET answer = '' WHERE verdict IN ('revealed', 'skipped')",
    """CREATE TABLE IF NOT EXISTS cards (
        skill TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        stability REAL,
        due REAL NOT NULL,
        reviews INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS reviews (
        id INTEGER PRIMARY KEY,
        attempt INTEGER,
        problem TEXT NOT NULL,
        skill TEXT NOT NULL,
        rating INTEGER NOT NULL,
        time REAL NOT NULL
    )""",
)
CREDIT = {"correct": 1.0, "carried": 0.5}  # a verdict's credit when the outcome gives none
COMMANDS = ("hint", "?", "提示", "reveal", "答案", "skip", "跳过")  # typed, but not answers


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("bptutor")) / "progress.sqlite3"


def db_path(option: str | None = None) -> Path:
    """--db first, then BPTUTOR_DB, then the user data directory."""
    chosen = option or os.environ.get(ENV)
    return Path(chosen) if chosen else default_path()


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0]


class Store:
    """An open progress database; after a failure it stops saving and says so once."""

    def __init__(self, path: Path, connection: sqlite3.Connection | None):
        self.path = path
        self.connection = connection
        self.failed: str | None = None if connection is not None else "not opened"

    @property
    def saving(self) -> bool:
        return self.connection is not None and self.failed is None

    def record(
        self, problem: str, quantity: str, seed: int | None, answer: str, verdict: str
    ) -> str | None:
        """Save one attempt at once (committed); a message the first time saving fails.
        (Concept questions; a problem's questions go through `record_outcome`.)"""
        if verdict in ("revealed", "skipped"):
            answer = ""  # the command typed is not an answer
        return self._write(
            lambda c: _insert(c, problem, quantity, seed, answer, verdict, CREDIT.get(verdict, 0.0))
        )

    def record_outcome(
        self, problem: str, seed: int | None, outcome, now: float | None = None
    ) -> str | None:
        """One finished question, committed at once (a kill -9 loses no answered question):
        its row, and one FSRS review per skill it exercises (`review.rating`). An unanswered
        question is not recorded; a skipped one is, without a review."""
        from . import review

        verdict = outcome.verdict
        if verdict == "unanswered":
            return None
        now = time.time() if now is None else now
        answers = [
            a
            for a in getattr(outcome, "answers", ())
            or ((outcome.answer,) if outcome.answer else ())
            if a.strip().lower() not in COMMANDS
        ]
        answer = (
            ""
            if verdict in ("revealed", "skipped")
            else (outcome.answer or (answers[-1] if answers else ""))
        )
        credit = outcome.credit if outcome.credit or verdict not in CREDIT else CREDIT[verdict]
        skills = tuple(getattr(outcome, "skills", ()) or ())
        rating = review.rating(outcome)

        def write(c):
            row = _insert(
                c,
                problem,
                outcome.key,
                seed,
                answer,
                verdict,
                credit,
                now,
                tries=getattr(outcome, "tries", None),
                hints=getattr(outcome, "hints", None),
                step=getattr(outcome, "step", None),
                skills=skills,
                answers=answers,
                scaffold_of=getattr(outcome, "scaffold_of", None),
            )
            if rating is not None:
                for skill in dict.fromkeys(skills):
                    review.review_skill(c, skill, rating, now, row, problem)

        return self._write(write)

    def _write(self, action) -> str | None:
        if not self.saving:
            return None
        try:
            with self.connection:  # one transaction, committed on leaving
                self.connection.execute("BEGIN IMMEDIATE")
                action(self.connection)
        except sqlite3.Error as e:
            self.failed = _reason(e)
            return f"progress not saved from now on ({self.path}: {self.failed})"
        return None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except sqlite3.Error:
                pass


def _insert(
    c,
    problem,
    quantity,
    seed,
    answer,
    verdict,
    credit,
    now=None,
    *,
    tries=None,
    hints=None,
    step=None,
    skills=(),
    answers=(),
    scaffold_of=None,
) -> int:
    cursor = c.execute(
        "INSERT INTO attempts (problem, quantity, seed, answer, verdict, time, credit, tries, "
        "hints, step, skills, answers, scaffold_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            problem,
            quantity,
            seed,
            answer,
            verdict,
            time.time() if now is None else now,
            float(credit),
            tries,
            hints,
            step,
            " ".join(skills) or None,
            json.dumps(list(answers), ensure_ascii=False),
            scaffold_of,
        ),
    )
    return cursor.lastrowid


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the schema to VERSION in one transaction (rows kept; nothing if it is there)."""
    connection.execute(SCHEMA)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version >= VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        have = {r[1] for r in connection.execute("PRAGMA table_info(attempts)")}
        for statement in MIGRATION:
            column = (
                statement.split("ADD COLUMN ")[1].split()[0] if "ADD COLUMN" in statement else None
            )
            if column is None or column not in have:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def open_store(path: Path) -> tuple[Store, str | None]:
    """The store, and a one-line message when it cannot be used (the quiz runs on)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=TIMEOUT, isolation_level=None)
        try:
            migrate(connection)
            connection.execute("SELECT count(*) FROM attempts").fetchone()
        except sqlite3.Error:
            connection.close()
            raise
    except (sqlite3.Error, OSError) as e:
        return Store(path, None), f"progress will not be saved ({path}: {_reason(e)})"
    return Store(path, connection), None


@dataclass(frozen=True)
class Summary:
    """Attempts at one quantity of one problem; `correct` is the credit earned (half credit
    counts half)."""

    problem: str
    quantity: str
    attempts: int
    correct: float
    last: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Mastery:
    """One skill: attempts at questions exercising it, credit earned, its FSRS card."""

    skill: str
    attempts: int
    credit: float
    stability: float | None
    due: float | None  # epoch seconds; None: never reviewed (new, due now)
    reviews: int

    @property
    def accuracy(self) -> float:
        return self.credit / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Day:
    """The questions finished on one day (local time)."""

    day: str  # YYYY-MM-DD
    attempts: int
    credit: float
    problems: int


def _read(path: Path) -> sqlite3.Connection | None:
    """A read-only connection, or None when there is no database yet."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=TIMEOUT)


def _columns(connection, table: str) -> set[str]:
    return {r[1] for r in connection.execute(f"PRAGMA table_info({table})")}


def _credit(connection) -> str:
    """The credit of a row as SQL: the column, or from the verdict in a database written
    before it existed (read-only: not migrated)."""
    if "credit" in _columns(connection, "attempts"):
        return "coalesce(credit, 0)"
    return "CASE verdict WHEN 'correct' THEN 1.0 WHEN 'carried' THEN 0.5 ELSE 0.0 END"


def summary(path: Path, problem: str | None = None) -> list[Summary]:
    """Per problem and quantity, weakest first (lowest accuracy, then most attempts).

    Raises sqlite3.Error or OSError for an unusable database (the CLI reports it).
    """
    connection = _read(path)
    if connection is None:
        return []
    try:
        where, args = ("WHERE problem = ?", (problem,)) if problem else ("", ())
        rows = connection.execute(
            f"SELECT problem, quantity, count(*), sum({_credit(connection)}), max(time) "
            f"FROM attempts {where} GROUP BY problem, quantity",
            args,
        ).fetchall()
    finally:
        connection.close()
    out = [Summary(p, q, n, c or 0.0, t) for p, q, n, c, t in rows]
    return sorted(out, key=lambda s: (s.accuracy, -s.attempts, s.problem, s.quantity))


def mastery(path: Path) -> list[Mastery]:
    """Per skill: attempts and credit of the questions tagged with it, and its FSRS card;
    the soonest due first."""
    connection = _read(path)
    if connection is None:
        return []
    try:
        if "skills" not in _columns(connection, "attempts"):
            return []
        tally: dict[str, list[float]] = {}
        for skills, credit in connection.execute(
            f"SELECT skills, {_credit(connection)} FROM attempts WHERE skills IS NOT NULL"
        ):
            for skill in skills.split():
                t = tally.setdefault(skill, [0, 0.0])
                t[0] += 1
                t[1] += credit
        cards = {
            s: (st, due, n)
            for s, st, due, n in connection.execute(
                "SELECT skill, stability, due, reviews FROM cards"
            )
        }
    finally:
        connection.close()
    out = []
    for skill in dict.fromkeys([*tally, *cards]):
        n, credit = tally.get(skill, (0, 0.0))
        stability, due, reviews = cards.get(skill, (None, None, 0))
        out.append(Mastery(skill, n, credit, stability, due, reviews))
    return sorted(out, key=lambda m: (m.due if m.due is not None else 0.0, m.skill))


def history(path: Path) -> list[Day]:
    """Per day (local time), the newest first."""
    connection = _read(path)
    if connection is None:
        return []
    try:
        rows = connection.execute(
            f"SELECT date(time, 'unixepoch', 'localtime') AS d, count(*), "
            f"sum({_credit(connection)}), count(DISTINCT problem) FROM attempts "
            "GROUP BY d ORDER BY d DESC"
        ).fetchall()
    finally:
        connection.close()
    return [Day(d, n, c or 0.0, p) for d, n, c, p in rows]


def reset(path: Path, problem: str | None = None) -> int:
    """Forget every attempt (or one problem's) and their reviews; the skills' cards are
    rebuilt from the reviews left. Returns how many attempts were removed."""
    from . import review

    if not path.exists():
        return 0
    connection = sqlite3.connect(str(path), timeout=TIMEOUT, isolation_level=None)
    try:
        migrate(connection)
        with connection:
            connection.execute("BEGIN IMMEDIATE")
            if problem is None:
                removed = connection.execute("DELETE FROM attempts").rowcount
                connection.execute("DELETE FROM reviews")
                connection.execute("DELETE FROM cards")
            else:
                removed = connection.execute(
                    "DELETE FROM attempts WHERE problem = ?", (problem,)
                ).rowcount
                skills = [
                    r[0]
                    for r in connection.execute(
                        "SELECT DISTINCT skill FROM reviews WHERE problem = ?", (problem,)
                    )
                ]
                connection.execute("DELETE FROM reviews WHERE problem = ?", (problem,))
                for skill in skills:
                    review.replay(connection, skill)
    finally:
        connection.close()
    return removed


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
