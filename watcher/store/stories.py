"""SQL for stories: near-duplicate groups of articles and their signatures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlite_utils

from watcher.store.db import iso

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
