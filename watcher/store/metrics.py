"""SQL for /metrics and /healthz: counts the console reports, read in a few cheap queries."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from watcher.store.db import from_iso, iso

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class Counts:
    feeds_by_status: dict[str, int]
    polls_by_outcome: dict[str, int]  # fetch-log rows since the window start
    latency_buckets: list[tuple[float, int]]  # (upper bound, cumulative count)
    latency_sum: float
    latency_count: int
    articles: int
    relevant: int
    new_articles: int  # first seen since the window start
    new_relevant: int
    outbox_by_status: dict[str, int]
    model_version: str | None


def counts(db: sqlite_utils.Database, window_start: datetime) -> Counts:
    start = iso(window_start)
    feeds = {
        r["status"]: r["n"]
        for r in db.query(
            "SELECT CASE WHEN disabled_reason IS NOT NULL THEN 'disabled'"
            " WHEN gone_reason IS NOT NULL THEN 'gone' ELSE COALESCE(last_status, 'new') END"
            " AS status, COUNT(*) AS n FROM feeds GROUP BY status"
        )
    }
    polls = {
        r["outcome"]: r["n"]
        for r in db.query(
            "SELECT outcome, COUNT(*) AS n FROM fetch_log WHERE at >= ? GROUP BY outcome", [start]
        )
    }
    bucket_sql = ", ".join(
        f"SUM(elapsed <= {bound}) AS b{i}" for i, bound in enumerate(LATENCY_BUCKETS)
    )
    lat = next(
        db.query(
            f"SELECT COUNT(*) AS n, COALESCE(SUM(elapsed), 0) AS total, {bucket_sql}"
            " FROM fetch_log WHERE at >= ?",
            [start],
        )
    )
    totals = next(
        db.query(
            "SELECT (SELECT COUNT(*) FROM articles) AS articles,"
            " (SELECT COUNT(*) FROM articles WHERE relevant = 1) AS relevant,"
            " (SELECT COUNT(*) FROM articles WHERE first_seen >= :start) AS new,"
            " (SELECT COUNT(*) FROM articles WHERE relevant = 1 AND first_seen >= :start)"
            " AS new_relevant",
            {"start": start},
        )
    )
    outbox = {
        r["status"]: r["n"]
        for r in db.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    }
    version = db.execute(
        "SELECT model_version FROM articles WHERE model_version IS NOT NULL"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return Counts(
        feeds_by_status=feeds,
        polls_by_outcome=polls,
        latency_buckets=[
            (bound, int(lat[f"b{i}"] or 0)) for i, bound in enumerate(LATENCY_BUCKETS)
        ],
        latency_sum=float(lat["total"]),
        latency_count=int(lat["n"]),
        articles=totals["articles"],
        relevant=totals["relevant"],
        new_articles=totals["new"],
        new_relevant=totals["new_relevant"],
        outbox_by_status=outbox,
        model_version=version[0] if version else None,
    )


def writable(db: sqlite_utils.Database, wait: float) -> bool:
    """Whether the database takes a write within `wait` seconds: a write lock taken, a page
    written, and both given back."""
    previous = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        return _try_write(db)
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(previous)}")


def _try_write(db: sqlite_utils.Database) -> bool:
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("UPDATE search_index_state SET indexed_upto = indexed_upto")
        finally:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        return False
    return True


def beat(db: sqlite_utils.Database, at: datetime, interval: float) -> None:
    db.execute(
        "INSERT INTO heartbeat (id, at, interval) VALUES (1, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET at = excluded.at, interval = excluded.interval",
        [iso(at), interval],
    )


def last_beat(db: sqlite_utils.Database) -> tuple[datetime | None, float | None]:
    row = db.execute("SELECT at, interval FROM heartbeat WHERE id = 1").fetchone()
    return (from_iso(row[0]), float(row[1])) if row else (None, None)
