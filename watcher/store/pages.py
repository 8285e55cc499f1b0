"""SQL for article pages: the extracted text with its article, and what each read gave."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from watcher.models import Article, Entry, PageOutcome, PageRead, Verdict
from watcher.store.db import from_iso, iso

FETCHED = (PageOutcome.READ.value, PageOutcome.UNUSABLE.value)


def save_reads(
    db: sqlite_utils.Database,
    feed_id: int,
    entries: Sequence[Entry],
    reads: Sequence[PageRead | None],
    stored: list[tuple[Article, Verdict | None]],
    now: datetime,
) -> list[tuple[Article, Verdict | None]]:
    """Record the page reads of the newly stored articles (must run inside the transaction
    that stored them); returns them with the lead of each page read."""
    by_hash = {e.content_hash: r for e, r in zip(entries, reads, strict=True) if r is not None}
    result: list[tuple[Article, Verdict | None]] = []
    for article, verdict in stored:
        read = by_hash.get(article.content_hash)
        if read is not None:
            opening = _save(db, feed_id, article.id, read, now)
            article = dataclasses.replace(article, lead=opening)
        result.append((article, verdict))
    return result


def _save(
    db: sqlite_utils.Database, feed_id: int, article_id: int, read: PageRead, now: datetime
) -> str | None:
    page = read.page
    used = read.outcome is PageOutcome.READ and page is not None and bool(page.text)
    opening = page.lead or None if used and page is not None else None
    db.execute(
        "INSERT OR REPLACE INTO article_pages (article_id, feed_id, url, outcome, reason,"
        " final_url, canonical_url, title, published, language, lead, bytes, elapsed, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            article_id,
            feed_id,
            read.url,
            read.outcome.value,
            read.reason,
            page.final_url if page else None,
            page.canonical_url if page else None,
            page.title if page else None,
            iso(page.published) if page else None,
            page.language if page else None,
            opening,
            read.bytes,
            read.elapsed,
            iso(now),
        ],
    )
    if used and page is not None:
        db.execute("UPDATE articles SET page_text = ? WHERE id = ?", [page.text, article_id])
    return opening


def attempts_since(db: sqlite_utils.Database, since: datetime) -> list[datetime]:
    """When each page read the budget paid for (all but the skipped) happened, oldest first."""
    rows = db.execute(
        "SELECT at FROM article_pages WHERE outcome != ? AND at >= ? ORDER BY at",
        [PageOutcome.SKIPPED.value, iso(since)],
    )
    return [at for (value,) in rows if (at := from_iso(value)) is not None]


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Pages fetched (read or unusable), failed, refused and skipped (budget), in all."""
    found = {o.value: 0 for o in PageOutcome}
    if not db["article_pages"].exists():  # a read-only look at a database before m008
        return {}
    for outcome, n in db.execute("SELECT outcome, COUNT(*) FROM article_pages GROUP BY outcome"):
        found[outcome] = n
    return {
        "pages_fetched": sum(found[o] for o in FETCHED),
        "pages_read": found[PageOutcome.READ.value],
        "pages_failed": found[PageOutcome.FAILED.value],
        "pages_refused": found[PageOutcome.REFUSED.value],
        "pages_skipped": found[PageOutcome.SKIPPED.value],
    }


def feed_marks(db: sqlite_utils.Database) -> dict[int, dict[str, Any]]:
    """Per feed: pages read, failed and refused, and the latest refusal's reason."""
    marks: dict[int, dict[str, Any]] = {}
    if not db["article_pages"].exists():
        return marks
    rows = db.execute(
        "SELECT feed_id, outcome, COUNT(*), MAX(at) FROM article_pages GROUP BY feed_id, outcome"
    )
    for feed_id, outcome, n, _at in rows:
        mark = marks.setdefault(
            feed_id, {"pages_read": 0, "pages_failed": 0, "pages_refused": 0, "page_refusal": None}
        )
        key = f"pages_{outcome}"
        if key in mark:
            mark[key] = n
    for feed_id, reason in db.execute(
        "SELECT feed_id, reason FROM article_pages p WHERE outcome = 'refused'"
        " AND at = (SELECT MAX(at) FROM article_pages q"
        "           WHERE q.feed_id = p.feed_id AND q.outcome = 'refused')"
    ):
        marks[feed_id]["page_refusal"] = reason
    return marks


def attach(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Article rows with their page read (`page`: outcome, URLs, reason, lead) instead of the
    full page text."""
    ids = [row["id"] for row in rows]
    found: dict[int, dict[str, Any]] = {}
    if ids:
        placeholders = ", ".join("?" for _ in ids)
        query = (
            "SELECT article_id, outcome, url, final_url, canonical_url, reason, lead"
            f" FROM article_pages WHERE article_id IN ({placeholders})"
        )
        for record in db.query(query, ids):
            found[record.pop("article_id")] = record
    result = []
    for row in rows:
        row = {key: value for key, value in row.items() if key != "page_text"}
        page = found.get(row["id"])
        row["lead"] = page["lead"] if page else None
        row["page"] = page
        result.append(row)
    return result
