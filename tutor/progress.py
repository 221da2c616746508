"""Progress: every quiz attempt in SQLite, committed as it is made; a summary per quantity.

The database lives in the user data directory (platformdirs), unless `--db PATH` or the
environment variable BPTUTOR_DB says otherwise. A database that cannot be used (locked,
read-only, corrupt, unwritable folder) never stops a quiz: `open_store` and `Store.record`
report it once as a message and the quiz goes on without saving.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
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

    def record(self, problem: str, quantity: str, seed: int | None, answer: str,
               verdict: str) -> str | None:  # fmt: skip
        """Save one attempt at once (committed); a message the first time saving fails."""
        if not self.saving:
            return None
        try:
            with self.connection:
                self.connection.execute(
                    "INSERT INTO attempts (problem, quantity, seed, answer, verdict, time) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (problem, quantity, seed, answer, verdict, time.time()),
                )
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


def open_store(path: Path) -> tuple[Store, str | None]:
    """The store, and a one-line message when it cannot be used (the quiz runs on)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=TIMEOUT, isolation_level=None)
        try:
            connection.execute(SCHEMA)
            connection.execute("SELECT count(*) FROM attempts").fetchone()
        except sqlite3.Error:
            connection.close()
            raise
    except (sqlite3.Error, OSError) as e:
        return Store(path, None), f"progress will not be saved ({path}: {_reason(e)})"
    return Store(path, connection), None


@dataclass(frozen=True)
class Summary:
    """Attempts at one quantity of one problem."""

    problem: str
    quantity: str
    attempts: int
    correct: int
    last: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0


SOLVED = ("correct",)


def summary(path: Path) -> list[Summary]:
    """Per problem and quantity, weakest first (lowest accuracy, then most attempts).

    Raises sqlite3.Error or OSError for an unusable database (the CLI reports it).
    """
    if not path.exists():
        return []
    uri = path.resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=TIMEOUT)
    try:
        rows = connection.execute(
            "SELECT problem, quantity, count(*), "
            "sum(verdict IN ({})), max(time) FROM attempts "
            "GROUP BY problem, quantity".format(",".join("?" * len(SOLVED))),
            SOLVED,
        ).fetchall()
    finally:
        connection.close()
    out = [Summary(p, q, n, c or 0, t) for p, q, n, c, t in rows]
    return sorted(out, key=lambda s: (s.accuracy, -s.attempts, s.problem, s.quantity))
