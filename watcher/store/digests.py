"""SQL for digests: the articles waiting in each subscriber's next digest, and when it last went."""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from watcher.models import DigestItem
from watcher.store.articles import article_from_row
from watcher.store.db import from_iso, iso


def add_item(
    db: sqlite_utils.Database, subscriber: str, article_id: int, story_id: int, now: datetime
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO digest_items (subscriber, article_id, story_id, added_at)"
        " VALUES (?, ?, ?, ?)",
        [subscriber, article_id, story_id, iso(now)],
    )


def pending(db: sqlite_utils.Database, subscriber: str) -> list[DigestItem]:
    rows = db.query(
        "SELECT d.story_id, a.*, f.name AS feed_name, f.url AS feed_url"
        " FROM digest_items d JOIN articles a ON a.id = d.article_id"
        " JOIN feeds f ON f.id = a.feed_id"
        " WHERE d.subscriber = ? AND d.outbox_id IS NULL ORDER BY a.score DESC, a.id",
        [subscriber],
    )
    return [
        DigestItem(
            article=article_from_row(row),
            story_id=row["story_id"],
            score=row["score"] or 0.0,
            aspects=tuple(json.loads(row["aspects"] or "[]")),
        )
        for row in rows
    ]


def close(
    db: sqlite_utils.Database, subscriber: str, article_ids: list[int], outbox_id: str | None
) -> None:
    db.conn.executemany(
        "UPDATE digest_items SET outbox_id = ? WHERE subscriber = ? AND article_id = ?",
        [(outbox_id or "empty", subscriber, i) for i in article_ids],
    )


def last_sent(db: sqlite_utils.Database, subscriber: str) -> datetime | None:
    rows = list(
        db.query("SELECT last_digest_at FROM digest_state WHERE subscriber = ?", [subscriber])
    )
    return from_iso(rows[0]["last_digest_at"]) if rows else None


def set_last_sent(db: sqlite_utils.Database, subscriber: str, at: datetime) -> None:
    db.execute(
        "INSERT INTO digest_state (subscriber, last_digest_at) VALUES (?, ?)"
        " ON CONFLICT(subscriber) DO UPDATE SET last_digest_at = excluded.last_digest_at",
        [subscriber, iso(at)],
    )
