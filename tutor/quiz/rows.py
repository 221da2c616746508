"""The rules of the progress database's rows: what each column of each table must hold
(`RULES`), as SQL that keeps the usable rows (`usable`) and as the list of the rows that are
not (`bad_rows`). Below the store (`progress`) and the cards (`cards`), which both read by
them."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class BadRow:
    """A row of the database whose `column` holds a value the tool cannot use (`rule`: what
    belongs there, a key the views word); `value` as read, shortened."""

    table: str
    rowid: int
    column: str
    rule: str
    value: str


def _tables(connection) -> set[str]:
    return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _columns(connection, table: str) -> set[str]:
    return {r[1] for r in connection.execute(f"PRAGMA table_info({table})")}


# -- what a row must hold ----------------------------------------------------------------------

_TEXT = "typeof({c}) = 'text'"
_TEXT_OR_NULL = "typeof({c}) IN ('text', 'null')"
_INTEGER_OR_NULL = "typeof({c}) IN ('integer', 'null')"
_TIME = "typeof({c}) IN ('integer', 'real') AND {c} BETWEEN 0 AND 32503680000"  # 1970 to 3000
RULES: dict[str, dict[str, tuple[str, str]]] = {
    # table -> column -> (rule key, SQL true when the value is usable); a column missing from
    # an older database is not checked
    "attempts": {
        "problem": ("text", _TEXT),
        "quantity": ("text", _TEXT),
        "answer": ("text", _TEXT),
        "verdict": ("text", _TEXT),
        "seed": ("integer_or_null", _INTEGER_OR_NULL),
        "time": ("time", _TIME),
        "credit": ("credit", "typeof({c}) IN ('integer', 'real') AND {c} BETWEEN 0 AND 1"),
        "tries": ("integer_or_null", _INTEGER_OR_NULL),
        "hints": ("integer_or_null", _INTEGER_OR_NULL),
        "step": ("text_or_null", _TEXT_OR_NULL),
        "skills": ("text_or_null", _TEXT_OR_NULL),
        "answers": ("text_or_null", _TEXT_OR_NULL),
        "scaffold_of": ("text_or_null", _TEXT_OR_NULL),
    },
    "cards": {
        "skill": ("text", _TEXT),
        "card": ("card", _TEXT),  # and an FSRS card: `card_ok`
        "stability": (
            "stability",
            "typeof({c}) = 'null' OR (typeof({c}) IN ('integer', 'real') AND {c} > 0 "
            "AND {c} < 1e12)",
        ),
        "due": ("time", _TIME),
        "reviews": ("count", "typeof({c}) = 'integer' AND {c} >= 0"),
    },
    "reviews": {
        "attempt": ("integer_or_null", _INTEGER_OR_NULL),
        "problem": ("text", _TEXT),
        "skill": ("text", _TEXT),
        "rating": ("rating", "typeof({c}) = 'integer' AND {c} BETWEEN 1 AND 4"),
        "time": ("time", _TIME),
    },
}
MAX_CARD = 4096  # characters of a card's JSON (one is ~250)


def _rules(connection, table: str) -> list[tuple[str, str, str]]:
    """(column, rule key, SQL) for the columns `table` has."""
    have = _columns(connection, table)
    return [(c, key, sql.format(c=c)) for c, (key, sql) in RULES[table].items() if c in have]


def usable(connection, table: str) -> str:
    """SQL true for the rows of `table` whose values can be used (its cards' JSON aside)."""
    rules = _rules(connection, table)
    return " AND ".join(f"coalesce(({sql}), 0)" for _, _, sql in rules) or "1"


def card_ok(text) -> bool:
    """Whether `text` is an FSRS card as `fsrs.Card.from_json` reads it (fields and types),
    without importing fsrs."""
    from datetime import datetime as dt

    if not isinstance(text, str) or len(text) > MAX_CARD:
        return False
    try:
        card = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(card, dict):
        return False

    def number(x, low: float, high: float) -> bool:
        return x is None or (
            isinstance(x, (int, float)) and not isinstance(x, bool) and low <= x <= high
        )

    def when(x, optional: bool) -> bool:
        if x is None:
            return optional
        try:
            return isinstance(x, str) and dt.fromisoformat(x).tzinfo is not None
        except ValueError:
            return False

    step = card.get("step", 0)
    return (
        type(card.get("card_id")) is int
        and card.get("state") in (1, 2, 3)
        and type(card.get("state")) is int
        and (step is None or (type(step) is int and 0 <= step < 1000))
        and number(card.get("stability", 0), 0, 1e12)
        and number(card.get("difficulty", 0), 0, 100)
        and when(card.get("due"), optional=False)
        and when(card.get("last_review"), optional=True)
        and {"card_id", "state", "step", "stability", "difficulty", "due", "last_review"}
        <= card.keys()
    )


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def bad_rows(connection, table: str, limit: int | None = None) -> list[BadRow]:
    """The rows of `table` holding a value that cannot be used, one BadRow per bad value,
    by row id (at most `limit` rows)."""
    if table not in _tables(connection):
        return []
    rules = _rules(connection, table)
    if not rules:
        return []
    columns = ", ".join(c for c, _, _ in rules)
    checks = ", ".join(f"coalesce(({sql}), 0)" for _, _, sql in rules)
    where = "" if table == "cards" else f"WHERE NOT ({usable(connection, table)})"
    query = f"SELECT rowid, {columns}, {checks} FROM {table} {where} ORDER BY rowid"
    out: list[BadRow] = []
    rows = 0
    for row in connection.execute(query):
        values, oks = row[1 : 1 + len(rules)], row[1 + len(rules) :]
        found = [
            BadRow(table, row[0], c, key, _shown(v))
            for (c, key, _), v, ok in zip(rules, values, oks)
            if not ok or (c == "card" and not card_ok(v))
        ]
        if found:
            out += found
            rows += 1
            if limit is not None and rows >= limit:
                break
    return out
