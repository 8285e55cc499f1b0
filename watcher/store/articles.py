"""SQL for articles and their identity keys."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from watcher.models import Article, ArticleFilter, ArticleSummary, Entry, Feed, Verdict
from watcher.store.db import from_iso, iso

_KEYS_PER_QUERY = 500  # well under SQLite's limit on bound parameters


def article_from_row(row: dict[str, Any]) -> Article:
    published = from_iso(row["published"])
    first_seen = from_iso(row["first_seen"])
    assert published is not None and first_seen is not None
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        url=row["url"],
        title=row["title"],
        text=row["text"],
        author=row["author"],
        published=published,
        first_seen=first_seen,
        language=row["language"],
        content_hash=row["content_hash"],
        feed_name=row.get("feed_name") or "",
        feed_url=row.get("feed_url") or "",
    )


def insert_new(
    db: sqlite_utils.Database,
    feed: Feed,
    entries: Sequence[Entry],
    judged: Sequence[Verdict | None],
    now: datetime,
) -> list[tuple[Article, Verdict | None]]:
    """Store the entries no key of which is known yet, each with its verdict if it has one.

    Must run inside a transaction. An entry is a duplicate when any of its keys (guid,
    canonical URL, content hash) is already taken, whichever feed or poll took it.
    Returns the new articles (built from what was written, not read back) and their verdicts.
    """
    stored: list[tuple[Article, Verdict | None]] = []
    conn = db.conn
    taken = _taken_keys(conn, [key for entry in entries for key in entry.keys])
    for entry, verdict in zip(entries, judged or [None] * len(entries), strict=True):
        if not taken.isdisjoint(entry.keys):
            continue
        taken.update(entry.keys)  # a later entry of this document with one of them is a copy
        published = entry.published or now
        language = entry.language or (verdict.language if verdict else None)
        cursor = conn.execute(
            "INSERT INTO articles (feed_id, url, title, text, author, published, first_seen,"
            " language, content_hash, score, relevant, aspects, explanation, model_version,"
            " classified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                feed.id,
                entry.url,
                entry.title,
                entry.text,
                entry.author,
                iso(published),
                iso(now),
                language,
                entry.content_hash,
                *verdict_columns(verdict, now),
            ],
        )
        article_id = cursor.lastrowid
        assert article_id is not None
        conn.executemany(
            "INSERT OR IGNORE INTO article_keys (key, article_id) VALUES (?, ?)",
            [(key, article_id) for key in entry.keys],
        )
        article = Article(
            id=article_id,
            feed_id=feed.id,
            url=entry.url,
            title=entry.title,
            text=entry.text,
            author=entry.author,
            published=published,
            first_seen=now,
            language=language,
            content_hash=entry.content_hash,
            feed_name=feed.name,
            feed_url=feed.source_url,
        )
        stored.append((article, verdict))
    return stored


def _taken_keys(conn: sqlite3.Connection, keys: list[str]) -> set[str]:
    """The keys, of those given, that stored articles already hold: one query per batch."""
    taken: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        batch = keys[start : start + _KEYS_PER_QUERY]
        placeholders = ", ".join("?" for _ in batch)
        rows = conn.execute(f"SELECT key FROM article_keys WHERE key IN ({placeholders})", batch)
        taken.update(key for (key,) in rows)
    return taken


def verdict_columns(verdict: Verdict | None, now: datetime) -> tuple[Any, ...]:
    """score, relevant, aspects, explanation, model_version, classified_at."""
    if verdict is None:
        return (None,) * 6
    return (
        verdict.score,
        int(verdict.relevant),
        json.dumps(list(verdict.aspects)),
        json.dumps(verdict.explanation, ensure_ascii=False),
        verdict.model_version,
        iso(now),
    )


SELECT_ARTICLES = (
    "SELECT a.*, f.name AS feed_name, f.source_url AS feed_url"
    " FROM articles a JOIN feeds f ON f.id = a.feed_id"
)


def by_ids(db: sqlite_utils.Database, ids: Sequence[int]) -> list[Article]:
    if not ids:
        return []
    placeholders = ", ".join("?" for _ in ids)
    rows = db.query(f"{SELECT_ARTICLES} WHERE a.id IN ({placeholders}) ORDER BY a.id", list(ids))
    return [article_from_row(r) for r in rows]


def index_pending(db: sqlite_utils.Database) -> int:
    """Add the articles stored since the last batch to the full-text index. Must run inside
    a transaction. Returns how many were added."""
    done = int(db.execute("SELECT indexed_upto FROM search_index_state").fetchone()[0])
    top = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])
    if top <= done:
        return 0
    db.execute(
        "INSERT INTO articles_fts (rowid, title, text, page_text)"
        " SELECT id, title, text, page_text FROM articles WHERE id > ? AND id <= ? ORDER BY id",
        [done, top],
    )
    db.execute("UPDATE search_index_state SET indexed_upto = ?", [top])
    return top - done


def search(
    db: sqlite_utils.Database, text: str | None, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if text:
        query = db.quote_fts(text)
        if not query:  # nothing but quote marks: no word to look for
            return []
        where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(query)
    if since is not None:
        where.append("a.published >= ?")
        params.append(iso(since))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    params.append(limit)
    return list(
        db.query(f"{SELECT_ARTICLES} {clause} ORDER BY a.published DESC, a.id DESC LIMIT ?", params)
    )


def count(db: sqlite_utils.Database) -> int:
    return int(next(db.query("SELECT COUNT(*) AS n FROM articles"))["n"])


def listing(db: sqlite_utils.Database, wanted: ArticleFilter) -> list[ArticleSummary]:
    """Newest first. The search text is taken as plain words (FTS syntax is quoted away)."""
    where: list[str] = []
    params: list[Any] = []
    if wanted.search and wanted.search.strip():  # only spaces: no search, as with none
        query = db.quote_fts(wanted.search)
        if not query:
            return []
        where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(query)
    if wanted.since is not None:
        where.append("a.published >= ?")
        params.append(iso(wanted.since))
    if wanted.relevant is not None:
        where.append("a.relevant = ?")
        params.append(int(wanted.relevant))
    if wanted.aspect:
        where.append("EXISTS (SELECT 1 FROM json_each(a.aspects) WHERE value = ?)")
        params.append(wanted.aspect)
    if wanted.language:
        where.append("a.language = ?")
        params.append(wanted.language)
    if wanted.feed:
        where.append("(f.name = ? OR f.source_url = ? OR f.url = ?)")
        params += [wanted.feed] * 3
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    # The page's lead (m008); a read-only look at an older database has no pages yet.
    lead, pages = "NULL", ""
    if db["article_pages"].exists():
        lead, pages = "p.lead", " LEFT JOIN article_pages p ON p.article_id = a.id"
    rows = db.query(
        "SELECT a.id, a.title, a.url, a.published, a.first_seen, a.language, a.score,"
        f" a.relevant, a.aspects, f.name AS feed_name, {lead} AS lead FROM articles a"
        f" JOIN feeds f ON f.id = a.feed_id{pages} {clause}"
        " ORDER BY a.published DESC, a.id DESC LIMIT ?",
        [*params, wanted.limit],
    )
    return [_summary(r) for r in rows]


def _summary(row: dict[str, Any]) -> ArticleSummary:
    published, first_seen = from_iso(row["published"]), from_iso(row["first_seen"])
    assert published is not None and first_seen is not None
    return ArticleSummary(
        id=row["id"],
        feed_name=row["feed_name"],
        title=row["title"],
        url=row["url"],
        published=published,
        first_seen=first_seen,
        language=row["language"],
        score=row["score"],
        relevant=None if row["relevant"] is None else bool(row["relevant"]),
        aspects=tuple(json.loads(row["aspects"] or "[]")),
        lead=row.get("lead"),
    )
