"""Progress: every quiz attempt in SQLite, committed as it is made; a summary per quantity,
mastery per skill (FSRS) and a history per day.

The database lives in the user data directory (platformdirs), unless `--db PATH` or the
environment variable BPTUTOR_DB says otherwise. A database that cannot be used (read-only,
corrupt, unwritable folder) never stops a quiz: `open_store` reports it (a `Notice`) and the
quiz goes on without saving. A lock held by another process is waited for (`TIMEOUT`); a
write that still fails is kept in memory and tried again with the next answer and when the
store closes, which reports what could not be saved at all (the CLI then exits 75).

Rows are checked when read (`RULES`, `card_ok`): a bad value (a text credit, a NULL where a
number belongs, a card that is not an FSRS card) leaves its row out of every summary, `check`
names those rows, and a bad card met by a quiz is rebuilt from its logged reviews.

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

from tutor.quiz.rows import RULES, BadRow, _columns, _tables, bad_rows, card_ok, usable  # noqa: F401 (the store's API)
from tutor.text.quiz import COMMAND_WORDS

ENV = "BPTUTOR_DB"
TIMEOUT = 5.0  # seconds a write (and a read) waits for a lock held by another process
RETRY_WAIT = 0.25  # seconds, while earlier answers wait to be saved: the quiz goes on meanwhile
OPEN_WAIT = 0.25  # seconds at the start: a database locked then is opened at the first answer

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
# typed, but not answers
COMMANDS = COMMAND_WORDS["hint"] + COMMAND_WORDS["reveal"] + COMMAND_WORDS["skip"]


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


def _locked(error: sqlite3.Error) -> bool:
    """A lock held by another process (worth waiting for), not a database that cannot work."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error)


@dataclass(frozen=True)
class Notice:
    """What to tell the user about the database, as data (`quiz_view.store_note` words it).
    `kind`: "unusable" (nothing will be saved: `reason`), "unsaved" (`count` finished
    questions could not be saved), "skipped" (`rows` left out when reading), "rebuilt"
    (`rows`: cards rebuilt from their logged reviews)."""

    kind: str
    path: str
    reason: str = ""
    count: int = 0
    rows: tuple[BadRow, ...] = ()


class Store:
    """An open progress database. Each finished question is one transaction, committed at
    once; a write that fails (a lock held longer than `TIMEOUT`) is kept, in order, and tried
    again with the next one and at `close`."""

    def __init__(
        self, path: Path, connection: sqlite3.Connection | None, failed: str | None = None
    ):
        self.path = path
        self.connection = connection
        self.failed = failed  # why nothing will be saved (told when opened)
        self.pending: list = []  # writes not committed yet, oldest first
        self.reason: str | None = None  # why the last try failed
        self.noted: set[tuple[str, int]] = set()  # bad rows the user was told about

    @property
    def saving(self) -> bool:
        return self.failed is None

    @property
    def unsaved(self) -> int:
        """Finished questions not saved yet."""
        return len(self.pending)

    def record(
        self, problem: str, quantity: str, seed: int | None, answer: str, verdict: str
    ) -> Notice | None:
        """Save one attempt (committed at once, or kept and tried again); a notice about a
        bad row met on the way. (Concept questions; a problem's questions go through
        `record_outcome`.)"""
        if verdict in ("revealed", "skipped"):
            answer = ""  # the command typed is not an answer
        now = time.time()
        credit = CREDIT.get(verdict, 0.0)

        def write(c) -> tuple[BadRow, ...]:
            _insert(c, problem, quantity, seed, answer, verdict, credit, now)
            return ()

        return self._write(write)

    def record_outcome(
        self, problem: str, seed: int | None, outcome, now: float | None = None
    ) -> Notice | None:
        """One finished question, committed at once (a kill -9 loses no answered question):
        its row, and one FSRS review per skill it exercises (`cards.rating`). An unanswered
        question is not recorded; a skipped one is, without a review."""
        from tutor.quiz import cards

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
        blamed = getattr(outcome, "blamed", None)
        if blamed is not None:  # a scaffolded gradient: its factors answer for their skills
            skills = tuple(blamed)
        rating = cards.rating(outcome)

        def write(c) -> tuple[BadRow, ...]:
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
            rebuilt: tuple[BadRow, ...] = ()
            if rating is not None:
                for skill in dict.fromkeys(skills):
                    rebuilt += cards.review_skill(c, skill, rating, now, row, problem)
            return rebuilt

        return self._write(write)

    def _write(self, action) -> Notice | None:
        if not self.saving:
            return None
        self.pending.append(action)
        # a lock already outlasted TIMEOUT: a short try now, the full wait again at `close`
        return self._flush(RETRY_WAIT if self.reason else TIMEOUT)

    def _flush(self, wait: float) -> Notice | None:
        """Commit the writes waiting, oldest first, each in its own transaction; stop at the
        first that fails (kept for the next try). A notice for bad rows rebuilt."""
        rebuilt: list[BadRow] = []
        try:
            if self.connection is None:
                self.connection = _connect(self.path, wait)
            c = self.connection
            c.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            while self.pending:
                c.execute("BEGIN IMMEDIATE")
                try:
                    rebuilt += self.pending[0](c) or ()
                    c.execute("COMMIT")
                except BaseException:
                    if c.in_transaction:
                        c.execute("ROLLBACK")
                    raise
                self.pending.pop(0)
            self.reason = None
        except sqlite3.Error as e:
            self.reason = _reason(e)
        fresh = tuple(r for r in rebuilt if (r.table, r.rowid) not in self.noted)
        self.noted.update((r.table, r.rowid) for r in fresh)
        return Notice("rebuilt", str(self.path), rows=fresh) if fresh else None

    def close(self) -> Notice | None:
        """Try the writes still waiting once more (waiting the full TIMEOUT), then close. A
        notice when finished questions could not be saved."""
        notice = None
        if self.pending and self.saving:
            self._flush(TIMEOUT)
        if self.pending and self.saving:
            notice = Notice("unsaved", str(self.path), self.reason or "", count=len(self.pending))
        self.pending = []
        if self.connection is not None:
            try:
                self.connection.close()
            except sqlite3.Error:
                pass
            self.connection = None
        return notice


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


def _connect(path: Path, wait: float) -> sqlite3.Connection:
    """A connection that can write: the schema migrated, one write tried and rolled back (a
    read-only file fails here, not at the first answer)."""
    connection = sqlite3.connect(str(path), timeout=wait, isolation_level=None)
    try:
        migrate(connection)
        connection.execute("SELECT count(*) FROM attempts").fetchone()
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(f"PRAGMA user_version = {version}")
        finally:
            connection.execute("ROLLBACK")
    except BaseException:
        connection.close()
        raise
    return connection


def open_store(path: Path) -> tuple[Store, Notice | None]:
    """The store, and a notice when it cannot be used (the quiz runs on without saving). A
    database locked by another process is opened at the first answer instead."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(path, OPEN_WAIT)
    except sqlite3.Error as e:
        if _locked(e):
            return Store(path, None), None
        return Store(path, None, _reason(e)), Notice("unusable", str(path), _reason(e))
    except OSError as e:
        return Store(path, None, _reason(e)), Notice("unusable", str(path), _reason(e))
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
    """One skill: attempts at questions exercising it, credit earned, its FSRS card (its
    state: 1 learning, 2 review, 3 relearning, as fsrs.State), its last ratings (oldest
    first, at most LAST) and when it was first reviewed."""

    skill: str
    attempts: int
    credit: float
    stability: float | None
    due: float | None  # epoch seconds; None: never reviewed (new, due now)
    reviews: int
    state: int | None = None
    last: tuple[int, ...] = ()
    first: float | None = None

    @property
    def accuracy(self) -> float:
        return self.credit / self.attempts if self.attempts else 0.0


LAST = 5  # the last ratings `progress` shows of a skill


@dataclass(frozen=True)
class Day:
    """The questions finished on one day (local time)."""

    day: str  # YYYY-MM-DD
    attempts: int
    credit: float
    problems: int


def _read(path: Path, wait: float | None = None) -> sqlite3.Connection | None:
    """A read-only connection, or None when there is no database yet."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=TIMEOUT if wait is None else wait)


def check(path: Path, wait: float | None = None) -> tuple[list[BadRow], dict[str, int]]:
    """Every bad value of the database, and how many rows each table has (`progress --check`;
    `wait`: for a lock, TIMEOUT unless given).

    Raises sqlite3.Error or OSError for an unusable database (the CLI reports it)."""
    connection = _read(path, wait)
    if connection is None:
        return [], {}
    try:
        tables = _tables(connection)
        if "attempts" not in tables:
            connection.execute("SELECT count(*) FROM attempts")  # says why: no such table
        bad = [b for t in RULES for b in bad_rows(connection, t)]
        counts = {
            t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in RULES
            if t in tables
        }
    finally:
        connection.close()
    return bad, counts


def _credit(connection) -> str:
    """The credit of a row as SQL: the column, or from the verdict in a database written
    before it existed (read-only: not migrated)."""
    if "credit" in _columns(connection, "attempts"):
        return "credit"
    return "CASE verdict WHEN 'correct' THEN 1.0 WHEN 'carried' THEN 0.5 ELSE 0.0 END"


def summary(path: Path, problem: str | None = None) -> list[Summary]:
    """Per problem and quantity, weakest first (lowest accuracy, then most attempts); bad
    rows left out (`check` names them).

    Raises sqlite3.Error or OSError for an unusable database (the CLI reports it).
    """
    connection = _read(path)
    if connection is None:
        return []
    try:
        where = f"WHERE ({usable(connection, 'attempts')})"
        args: tuple = ()
        if problem:
            where, args = where + " AND problem = ?", (problem,)
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
    the soonest due first. Bad rows are left out (`check` names them)."""
    connection = _read(path)
    if connection is None:
        return []
    try:
        if "skills" not in _columns(connection, "attempts"):
            return []
        tally: dict[str, list[float]] = {}
        for skills, credit in connection.execute(
            f"SELECT skills, {_credit(connection)} FROM attempts WHERE skills IS NOT NULL "
            f"AND ({usable(connection, 'attempts')})"
        ):
            for skill in skills.split():
                t = tally.setdefault(skill, [0, 0.0])
                t[0] += 1
                t[1] += credit
        cards = {
            s: (st, due, n, _state(card))
            for s, st, due, n, card in connection.execute(
                "SELECT skill, stability, due, reviews, card FROM cards "
                f"WHERE {usable(connection, 'cards')}"
            )
            if card_ok(card)
        }
        ratings: dict[str, list[int]] = {}
        first: dict[str, float] = {}
        if "reviews" in _tables(connection):
            for skill, rating, when in connection.execute(
                f"SELECT skill, rating, time FROM reviews WHERE ({usable(connection, 'reviews')}) "
                "ORDER BY time, id"
            ):
                ratings.setdefault(skill, []).append(rating)
                first.setdefault(skill, when)
    finally:
        connection.close()
    out = []
    for skill in dict.fromkeys([*tally, *cards]):
        n, credit = tally.get(skill, (0, 0.0))
        stability, due, reviews, state = cards.get(skill, (None, None, 0, None))
        last = tuple(ratings.get(skill, ())[-LAST:])
        out.append(
            Mastery(skill, n, credit, stability, due, reviews, state, last, first.get(skill))
        )
    return sorted(out, key=lambda m: (m.due if m.due is not None else 0.0, m.skill))


def _state(card: str) -> int | None:
    """An FSRS card's state (1 learning, 2 review, 3 relearning) from its JSON."""
    try:
        state = json.loads(card).get("state")
    except (ValueError, AttributeError):
        return None
    return state if state in (1, 2, 3) else None


def history(path: Path) -> list[Day]:
    """Per day (local time), the newest first; bad rows left out (`check` names them)."""
    connection = _read(path)
    if connection is None:
        return []
    try:
        rows = connection.execute(
            f"SELECT date(time, 'unixepoch', 'localtime') AS d, count(*), "
            f"sum({_credit(connection)}), count(DISTINCT problem) FROM attempts "
            f"WHERE ({usable(connection, 'attempts')}) GROUP BY d ORDER BY d DESC"
        ).fetchall()
    finally:
        connection.close()
    return [Day(d, n, c or 0.0, p) for d, n, c, p in rows]


def reset(path: Path, problem: str | None = None) -> int:
    """Forget every attempt (or one problem's) and their reviews; the skills' cards are
    rebuilt from the reviews left. Returns how many attempts were removed."""
    from tutor.quiz import cards

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
                    if isinstance(r[0], str)
                ]
                connection.execute("DELETE FROM reviews WHERE problem = ?", (problem,))
                for skill in skills:
                    cards.replay(connection, skill)
    finally:
        connection.close()
    return removed


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
