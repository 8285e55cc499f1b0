"""SQL for feed health: the state ops subscribers were last told about, and what decides it."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from watcher.models import FeedHealth
from watcher.store.db import from_iso, iso


def states(db: sqlite_utils.Database) -> dict[int, str]:
    return {r["feed_id"]: r["state"] for r in db.query("SELECT * FROM feed_health")}


def set_state(db: sqlite_utils.Database, feed_id: int, state: str, now: datetime) -> None:
    db.execute(
        "INSERT INTO feed_health (feed_id, state, since) VALUES (?, ?, ?)"
        " ON CONFLICT(feed_id) DO UPDATE SET state = excluded.state, since = excluded.since",
        [feed_id, state, iso(now)],
    )


def feeds(db: sqlite_utils.Database) -> list[FeedHealth]:
    rows = db.query(
        "SELECT id, name, url, failing_since, last_error, last_new_at, gone_reason,"
        " disabled_reason FROM feeds ORDER BY id"
    )
    return [
        FeedHealth(
            id=r["id"],
            name=r["name"],
            url=r["url"],
            failing_since=from_iso(r["failing_since"]),
            last_error=r["last_error"],
            last_new_at=from_iso(r["last_new_at"]),
            retired=bool(r["gone_reason"] or r["disabled_reason"]),
        )
        for r in rows
    ]


def first_seen_times(db: sqlite_utils.Database, feed_id: int, limit: int = 20) -> list[datetime]:
    """When the feed's most recent articles were first seen, newest first."""
    rows = db.query(
        "SELECT first_seen FROM articles WHERE feed_id = ? ORDER BY first_seen DESC LIMIT ?",
        [feed_id, limit],
    )
    return [t for r in rows if (t := from_iso(r["first_seen"])) is not None]
