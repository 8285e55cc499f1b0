"""SQL for stories, digest items, digest times, subscriber state and feed health."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from watcher.store.db import from_iso, iso

STORY_WINDOW = timedelta(days=7)


def recent(db: sqlite_utils.Database, now: datetime) -> list[tuple[int, frozenset[int], str]]:
    rows = db.query(
        "SELECT id, signature, title FROM stories WHERE updated_at >= ? ORDER BY id",
        [iso(now - STORY_WINDOW)],
    )
    return [(r["id"], frozenset(json.loads(r["signature"])), r["title"]) for r in rows]


def create(
    db: sqlite_utils.Database, title: str, signature: frozenset[int], article_id: int, now: datetime
) -> int:
    cursor = db.conn.execute(
        "INSERT INTO stories (title, signature, first_article_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [title, json.dumps(sorted(signature)), article_id, iso(now), iso(now)],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def join(db: sqlite_utils.Database, story_id: int, article_id: int, now: datetime) -> None:
    db.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [iso(now), story_id])
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])


def attach(db: sqlite_utils.Database, story_id: int, article_id: int) -> None:
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])


def add_digest_item(
    db: sqlite_utils.Database, subscriber: str, article_id: int, story_id: int, now: datetime
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO digest_items (subscriber, article_id, story_id, added_at)"
        " VALUES (?, ?, ?, ?)",
        [subscriber, article_id, story_id, iso(now)],
    )


def pending_digest(db: sqlite_utils.Database, subscriber: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT d.story_id, s.title AS story_title, a.*, f.name AS feed_name"
            " FROM digest_items d JOIN articles a ON a.id = d.article_id"
            " JOIN feeds f ON f.id = a.feed_id JOIN stories s ON s.id = d.story_id"
            " WHERE d.subscriber = ? AND d.outbox_id IS NULL ORDER BY a.score DESC, a.id",
            [subscriber],
        )
    )


def close_digest(
    db: sqlite_utils.Database, subscriber: str, article_ids: list[int], outbox_id: str | None
) -> None:
    db.conn.executemany(
        "UPDATE digest_items SET outbox_id = ? WHERE subscriber = ? AND article_id = ?",
        [(outbox_id or "empty", subscriber, i) for i in article_ids],
    )


def last_digest(db: sqlite_utils.Database, subscriber: str) -> datetime | None:
    rows = list(
        db.query("SELECT last_digest_at FROM digest_state WHERE subscriber = ?", [subscriber])
    )
    return from_iso(rows[0]["last_digest_at"]) if rows else None


def set_last_digest(db: sqlite_utils.Database, subscriber: str, at: datetime) -> None:
    db.execute(
        "INSERT INTO digest_state (subscriber, last_digest_at) VALUES (?, ?)"
        " ON CONFLICT(subscriber) DO UPDATE SET last_digest_at = excluded.last_digest_at",
        [subscriber, iso(at)],
    )


def disabled_subscribers(db: sqlite_utils.Database) -> dict[str, str]:
    return {
        r["subscriber"]: r["disabled_reason"]
        for r in db.query("SELECT * FROM subscriber_state WHERE disabled_reason IS NOT NULL")
    }


def disable_subscriber(db: sqlite_utils.Database, name: str, reason: str, now: datetime) -> None:
    db.execute(
        "INSERT INTO subscriber_state (subscriber, disabled_reason, disabled_at) VALUES (?, ?, ?)"
        " ON CONFLICT(subscriber) DO UPDATE SET disabled_reason = excluded.disabled_reason,"
        " disabled_at = excluded.disabled_at",
        [name, reason, iso(now)],
    )


def health_states(db: sqlite_utils.Database) -> dict[int, str]:
    return {r["feed_id"]: r["state"] for r in db.query("SELECT * FROM feed_health")}


def set_health(db: sqlite_utils.Database, feed_id: int, state: str, now: datetime) -> None:
    db.execute(
        "INSERT INTO feed_health (feed_id, state, since) VALUES (?, ?, ?)"
        " ON CONFLICT(feed_id) DO UPDATE SET state = excluded.state, since = excluded.since",
        [feed_id, state, iso(now)],
    )


def recent_gaps(db: sqlite_utils.Database, feed_id: int, limit: int = 20) -> list[str]:
    return [
        r["first_seen"]
        for r in db.query(
            "SELECT first_seen FROM articles WHERE feed_id = ? ORDER BY first_seen DESC LIMIT ?",
            [feed_id, limit],
        )
    ]
