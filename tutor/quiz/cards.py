"""The FSRS cards of the skills: a finished question's rating (`rating`), one review of a
skill inside the store's transaction (`review_skill`), a card rebuilt from its logged
reviews (`replay`). The scheduler is the `fsrs` package without interval fuzz, so that a
schedule can be checked."""

from __future__ import annotations

from datetime import datetime, timezone

from tutor.quiz import rows

GOOD, HARD, AGAIN = 3, 2, 1  # fsrs.Rating values
RIGHT = ("correct", "right", "carried")


def rating(outcome) -> int | None:
    """The FSRS rating of a finished question (fsrs.Rating's value), None for no review."""
    verdict = outcome.verdict
    if verdict in ("wrong", "revealed"):
        return AGAIN
    if verdict not in RIGHT:
        return None  # skipped, unanswered
    tries = getattr(outcome, "tries", 1) or 1
    hints = getattr(outcome, "hints", 0) or 0
    if verdict == "carried" or tries > 1 or hints > 0:
        return HARD
    return GOOD


# -- the scheduler ---------------------------------------------------------------------------


def scheduler():
    import fsrs

    return fsrs.Scheduler(enable_fuzzing=False)


_SCHEDULER = None


def _scheduler():
    global _SCHEDULER
    if _SCHEDULER is None:
        _SCHEDULER = scheduler()
    return _SCHEDULER


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _new_card(now: float):
    import fsrs

    return fsrs.Card(card_id=1, due=_utc(now))


def review_skill(
    connection, skill: str, value: int, now: float, attempt: int | None, problem: str
) -> tuple:
    """One review of a skill inside the caller's transaction: the card moved on, the review
    logged (so that `replay` can rebuild the card). A card row that cannot be used (not an
    FSRS card, a text due...) is rebuilt from the skill's logged reviews first; the bad
    values found are returned (`rows.BadRow`s) so that the user is told."""
    import fsrs

    row = connection.execute(
        f"SELECT rowid, card, {rows.usable(connection, 'cards')} FROM cards WHERE skill = ?",
        (skill,),
    ).fetchone()
    bad: tuple = ()
    if row is not None and not (row[2] and rows.card_ok(row[1])):
        bad = tuple(b for b in rows.bad_rows(connection, "cards") if b.rowid == row[0])
        connection.execute("DELETE FROM cards WHERE rowid = ?", (row[0],))
        logged = _logged(connection, skill)
        if logged:
            card = _fold(logged)
            connection.execute(
                "INSERT INTO cards (skill, card, stability, due, reviews) VALUES (?, ?, ?, ?, ?)",
                (skill, card.to_json(), card.stability, card.due.timestamp(), len(logged)),
            )
            row = (None, card.to_json(), 1)
        else:
            row = None
    card = fsrs.Card.from_json(row[1]) if row else _new_card(now)
    card, _ = _scheduler().review_card(card, fsrs.Rating(value), review_datetime=_utc(now))
    _save(connection, skill, card, 1 if row is None else None)
    connection.execute(
        "INSERT INTO reviews (attempt, problem, skill, rating, time) VALUES (?, ?, ?, ?, ?)",
        (attempt, problem, skill, value, now),
    )
    return bad


def _save(connection, skill: str, card, first: int | None) -> None:
    due = card.due.timestamp()
    if first:
        connection.execute(
            "INSERT INTO cards (skill, card, stability, due, reviews) VALUES (?, ?, ?, ?, 1)",
            (skill, card.to_json(), card.stability, due),
        )
    else:
        connection.execute(
            "UPDATE cards SET card = ?, stability = ?, due = ?, "
            "reviews = reviews + 1 WHERE skill = ?",
            (card.to_json(), card.stability, due, skill),
        )


def _logged(connection, skill: str) -> list[tuple[int, float]]:
    """The skill's logged reviews (rating, time) in order; rows that cannot be used left out."""
    return connection.execute(
        f"SELECT rating, time FROM reviews WHERE skill = ? AND "
        f"({rows.usable(connection, 'reviews')}) ORDER BY time, id",
        (skill,),
    ).fetchall()


def _fold(logged: list[tuple[int, float]]):
    """The card the reviews `logged` lead to, from a new one."""
    import fsrs

    card = _new_card(logged[0][1])
    for value, when in logged:
        card, _ = _scheduler().review_card(card, fsrs.Rating(value), review_datetime=_utc(when))
    return card


def replay(connection, skill: str) -> None:
    """Rebuild a skill's card from its logged reviews, in order (after a reset)."""
    rows = _logged(connection, skill)
    connection.execute("DELETE FROM cards WHERE skill = ?", (skill,))
    if not rows:
        return
    card = _fold(rows)
    connection.execute(
        "INSERT INTO cards (skill, card, stability, due, reviews) VALUES (?, ?, ?, ?, ?)",
        (skill, card.to_json(), card.stability, card.due.timestamp(), len(rows)),
    )
