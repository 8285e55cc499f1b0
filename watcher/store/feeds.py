"""SQL for the feeds table and the fetch log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from watcher.models import Feed, FeedSource, FeedUpdate, FetchLogRow
from watcher.store.db import from_iso, iso

REMOVED = "removed from the configuration"


def _feed(row: dict[str, Any]) -> Feed:
    next_poll = from_iso(row["next_poll_at"])
    assert next_poll is not None
    return Feed(
        id=row["id"],
        source_url=row["source_url"],
        url=row["url"],
        name=row["name"],
        interval=row["interval"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_poll_at=next_poll,
        error_count=row["error_count"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        last_success_at=from_iso(row["last_success_at"]),
        failing_since=from_iso(row["failing_since"]),
        gone_reason=row["gone_reason"],
        seen=frozenset(json.loads(row["seen_entries"] or "[]")),
    )


def sync(db: sqlite_utils.Database, sources: Sequence[FeedSource], now: datetime) -> None:
    """Make the feeds table match the configuration, keeping each feed's history."""
    wanted = {s.url: s for s in sources}
    with db.atomic():
        existing = {r["source_url"]: r for r in db.query("SELECT * FROM feeds")}
        for url, source in wanted.items():
            row = existing.get(url)
            if row is None:
                db.execute(
                    "INSERT INTO feeds (source_url, url, name, interval, next_poll_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [url, url, source.name, source.interval, iso(now), iso(now)],
                )
            elif (
                row["name"] != source.name
                or row["interval"] != source.interval
                or row["disabled_reason"] is not None
            ):
                db.execute(
                    "UPDATE feeds SET name = ?, interval = ?, disabled_reason = NULL WHERE id = ?",
                    [source.name, source.interval, row["id"]],
                )
        for url, row in existing.items():
            if url not in wanted and row["disabled_reason"] is None:
                db.execute(
                    "UPDATE feeds SET disabled_reason = ? WHERE id = ?", [REMOVED, row["id"]]
                )


def due(
    db: sqlite_utils.Database, now: datetime, horizon: float, *, everything: bool = False
) -> list[Feed]:
    """Feeds whose poll time has come, or lies beyond any wait we ever set (a clock jump)."""
    clause = "" if everything else "AND (next_poll_at <= ? OR next_poll_at > ?)"
    params = [] if everything else [iso(now), iso(now + timedelta(seconds=horizon))]
    rows = db.query(
        "SELECT * FROM feeds WHERE gone_reason IS NULL AND disabled_reason IS NULL "
        f"{clause} ORDER BY next_poll_at, id",
        params,
    )
    return [_feed(r) for r in rows]


def get(db: sqlite_utils.Database, feed_id: int) -> Feed:
    return _feed(next(db.query("SELECT * FROM feeds WHERE id = ?", [feed_id])))


def apply_update(db: sqlite_utils.Database, feed_id: int, update: FeedUpdate) -> None:
    values: dict[str, Any] = {
        "next_poll_at": iso(update.next_poll_at),
        "last_polled_at": iso(update.last_polled_at),
        "last_status": update.last_status,
        "last_http_status": update.last_http_status,
        "last_error": update.last_error,
        "error_count": update.error_count,
        "failing_since": iso(update.failing_since),
    }
    if update.last_success_at is not None:
        values["last_success_at"] = iso(update.last_success_at)
    if update.url is not None:
        values["url"] = update.url
    if update.save_validators:
        values["etag"] = update.etag
        values["last_modified"] = update.last_modified
    if update.title:
        values["title"] = update.title
    if update.gone_reason is not None:
        values["gone_reason"] = update.gone_reason
    if update.skipped is not None:
        values["skipped_entries"] = len(update.skipped)
        values["skip_reason"] = update.skipped[0] if update.skipped else None
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", [*values.values(), feed_id])


def remember_entries(db: sqlite_utils.Database, feed_id: int, marks: frozenset[str]) -> None:
    db.execute(
        "UPDATE feeds SET seen_entries = ? WHERE id = ?", [json.dumps(sorted(marks)), feed_id]
    )


def mark_new_articles(db: sqlite_utils.Database, feed_id: int, at: datetime) -> None:
    db.execute("UPDATE feeds SET last_new_at = ? WHERE id = ?", [iso(at), feed_id])


def log_fetch(db: sqlite_utils.Database, feed_id: int, row: FetchLogRow, new: int) -> None:
    db.execute(
        "INSERT INTO fetch_log (feed_id, at, outcome, http_status, bytes, elapsed, entries,"
        " new_articles, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            feed_id,
            iso(row.at),
            row.outcome,
            row.http_status,
            row.bytes,
            row.elapsed,
            row.entries,
            new,
            row.error,
        ],
    )


def prune_fetch_log(db: sqlite_utils.Database, before: datetime) -> int:
    """Delete the log rows older than `before`; returns how many.

    Rows are written in time order, so the first one to keep bounds the rest by id: the
    scan stops there, where `WHERE at < ?` read the whole table (millions of rows) each time.
    """
    first_kept = db.execute(
        "SELECT id FROM fetch_log WHERE at >= ? ORDER BY id LIMIT 1", [iso(before)]
    ).fetchone()
    if first_kept is None:
        return db.execute("DELETE FROM fetch_log").rowcount
    return db.execute("DELETE FROM fetch_log WHERE id < ?", [first_kept[0]]).rowcount


def names_matching(db: sqlite_utils.Database, name_or_url: str) -> tuple[bool, list[str]]:
    """Whether a stored feed has this name or URL, and every stored feed's name."""
    found = db.execute(
        "SELECT 1 FROM feeds WHERE name = ? OR source_url = ? OR url = ? LIMIT 1",
        [name_or_url] * 3,
    ).fetchone()
    names = [r[0] for r in db.execute("SELECT DISTINCT name FROM feeds ORDER BY name")]
    return found is not None, names


def status_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            """
            SELECT f.id, f.name, f.url, f.source_url, f.last_status, f.last_http_status,
                   f.last_success_at, f.last_polled_at, f.last_error, f.error_count,
                   f.failing_since, f.next_poll_at, f.gone_reason, f.disabled_reason,
                   f.last_new_at, f.interval, f.skipped_entries, f.skip_reason,
                   (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS articles
            FROM feeds f ORDER BY f.name, f.id
            """
        )
    )
