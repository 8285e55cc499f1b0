"""SQL for the outbox: messages waiting to be sent, their attempts and their fate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from watcher.models import Message, OutboxItem
from watcher.store.db import from_iso, iso


def _item(row: dict[str, Any]) -> OutboxItem:
    next_at, created = from_iso(row["next_attempt_at"]), from_iso(row["created_at"])
    assert next_at is not None and created is not None
    return OutboxItem(
        id=row["id"],
        subscriber=row["subscriber"],
        channel=row["channel"],
        kind=row["kind"],
        subject=row["subject"],
        body=bytes(row["body"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=next_at,
        created_at=created,
        last_error=row["last_error"],
        sent_at=from_iso(row["sent_at"]),
        delivered_to=frozenset(row["delivered_to"].split()),
    )


def enqueue(db: sqlite_utils.Database, message: Message, now: datetime) -> bool:
    """Add a message; False when it would be a second alert for the same story."""
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO outbox (id, subscriber, channel, kind, subject, body, article_id,"
        " story_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            message.id,
            message.subscriber,
            message.channel,
            message.kind,
            message.subject,
            message.body,
            message.article_id,
            message.story_id,
            iso(now),
            iso(now),
        ],
    )
    return cursor.rowcount == 1


def due(
    db: sqlite_utils.Database, now: datetime, limit: int, per_subscriber: int
) -> list[OutboxItem]:
    """The oldest due messages, at most `per_subscriber` of each subscriber's, so one
    subscriber's backlog never hides another's messages."""
    rows = db.query(
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY subscriber"
        " ORDER BY next_attempt_at, created_at) AS lane_position FROM outbox"
        " WHERE status = 'pending' AND next_attempt_at <= ?)"
        " WHERE lane_position <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
        [iso(now), per_subscriber, limit],
    )
    return [_item(r) for r in rows]


def mark_sent(db: sqlite_utils.Database, item_id: str, now: datetime) -> None:
    db.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " last_error = NULL WHERE id = ?",
        [iso(now), item_id],
    )


def mark_retry(
    db: sqlite_utils.Database,
    item_id: str,
    error: str,
    next_at: datetime,
    delivered_to: frozenset[str] = frozenset(),
) -> None:
    """Try again at `next_at`; `delivered_to` adds the services that accepted it this time."""
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
        " WHERE id = ?",
        [error, iso(next_at), item_id],
    )
    _add_delivered(db, item_id, delivered_to)


def mark_dead(
    db: sqlite_utils.Database,
    item_id: str,
    error: str,
    delivered_to: frozenset[str] = frozenset(),
) -> None:
    """Give up; services that accepted it are remembered, so a manual retry skips them."""
    db.execute(
        "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
        [error, item_id],
    )
    _add_delivered(db, item_id, delivered_to)


def _add_delivered(db: sqlite_utils.Database, item_id: str, delivered_to: frozenset[str]) -> None:
    if not delivered_to:
        return
    row = db.execute("SELECT delivered_to FROM outbox WHERE id = ?", [item_id]).fetchone()
    known = set(row[0].split()) if row else set()
    db.execute(
        "UPDATE outbox SET delivered_to = ? WHERE id = ?",
        [" ".join(sorted(known | delivered_to)), item_id],
    )


def requeue(db: sqlite_utils.Database, item_id: str | None, now: datetime) -> int:
    """Dead messages back to pending (one, or all when item_id is None); returns the count."""
    clause, params = ("AND id = ?", [item_id]) if item_id else ("", [])
    cursor = db.conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?"
        f" WHERE status = 'dead' {clause}",
        [iso(now), *params],
    )
    return cursor.rowcount


def listing(db: sqlite_utils.Database, status: str | None, limit: int) -> list[OutboxItem]:
    clause, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows = db.query(
        f"SELECT * FROM outbox {clause} ORDER BY created_at DESC LIMIT ?", [*params, limit]
    )
    return [_item(r) for r in rows]


def summary(db: sqlite_utils.Database) -> dict[str, int]:
    counts = {
        row["status"]: row["n"]
        for row in db.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    }
    return {
        "queue_depth": counts.get("pending", 0),
        "dead_letters": counts.get("dead", 0),
        "sent": counts.get("sent", 0),
    }


def ids_starting(db: sqlite_utils.Database, prefix: str, limit: int) -> list[str]:
    """Message ids that begin with `prefix` (with or without the "msg_" every id starts with)."""
    full = prefix if prefix.startswith("msg_") else f"msg_{prefix}"
    rows = db.execute(
        "SELECT id FROM outbox WHERE substr(id, 1, ?) = ? OR substr(id, 1, ?) = ?"
        " ORDER BY id LIMIT ?",
        [len(prefix), prefix, len(full), full, limit],
    )
    return [row[0] for row in rows]
