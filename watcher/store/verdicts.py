"""SQL for verdicts (stored on the article rows) and user feedback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from watcher.models import Article, Verdict
from watcher.store.articles import SELECT_ARTICLES as _SELECT
from watcher.store.articles import article_from_row, verdict_columns
from watcher.store.db import iso


def save(db: sqlite_utils.Database, verdicts: Sequence[tuple[int, Verdict]], now: datetime) -> None:
    """Must run inside a transaction (routing writes its outbox rows in the same one)."""
    db.conn.executemany(
        "UPDATE articles SET score = ?, relevant = ?, aspects = ?, explanation = ?,"
        " model_version = ?, classified_at = ?, language = COALESCE(language, ?) WHERE id = ?",
        [(*verdict_columns(v, now), v.language, article_id) for article_id, v in verdicts],
    )


def unclassified(db: sqlite_utils.Database, limit: int) -> list[Article]:
    rows = db.query(f"{_SELECT} WHERE a.classified_at IS NULL ORDER BY a.id LIMIT ?", [limit])
    return [article_from_row(r) for r in rows]


def since(db: sqlite_utils.Database, moment: datetime | None) -> list[dict[str, Any]]:
    clause, params = ("WHERE a.first_seen >= ?", [iso(moment)]) if moment else ("", [])
    return list(db.query(f"{_SELECT} {clause} ORDER BY a.id", params))


def record_feedback(db: sqlite_utils.Database, article_id: int, label: int, now: datetime) -> None:
    db.execute(
        "INSERT INTO feedback (article_id, label, at) VALUES (?, ?, ?)"
        " ON CONFLICT(article_id) DO UPDATE SET label = excluded.label, at = excluded.at",
        [article_id, label, iso(now)],
    )


def clear_feedback(db: sqlite_utils.Database, article_id: int) -> bool:
    """Forget the judgement on one article; False when there was none."""
    return db.execute("DELETE FROM feedback WHERE article_id = ?", [article_id]).rowcount > 0


def feedback(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT a.id, a.title, a.text, fb.label, fb.at FROM feedback fb"
            " JOIN articles a ON a.id = fb.article_id ORDER BY fb.at, a.id"
        )
    )


def feedback_stamp(db: sqlite_utils.Database) -> str:
    """Changes whenever feedback changes, so a running daemon knows to rebuild its model."""
    row = next(db.query("SELECT COUNT(*) AS n, MAX(at) AS last FROM feedback"))
    return f"{row['n']}:{row['last']}"
