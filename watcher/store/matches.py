"""SQL for the console's lists: matches (one row per story, keyset pages), and what the
console shows beside them. Rows come back as typed records, never as raw dicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlite_utils

from watcher.store.db import from_iso, iso

SUMMARY_CHARS = 600


@dataclass(frozen=True, slots=True)
class MatchFilter:
    """What the matches list, /matches.atom and /matches.json are narrowed to."""

    text: str | None = None
    aspect: str | None = None
    language: str | None = None
    feed_id: int | None = None
    min_score: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_irrelevant: bool = False
    after: int | None = None  # keyset cursor: the id of the last row of the previous page
    limit: int = 50


@dataclass(frozen=True, slots=True)
class Outlet:
    article_id: int
    feed_name: str
    title: str
    url: str | None


@dataclass(frozen=True, slots=True)
class MatchRow:
    """A story as the matches list shows it: its first article, and who else reported it."""

    id: int
    story_id: int | None
    title: str
    url: str | None
    feed_id: int
    feed_name: str
    score: float | None
    relevant: bool | None
    judged: bool | None  # the user's judgement, when there is one
    aspects: tuple[str, ...]
    language: str | None
    first_seen: datetime
    published: datetime
    summary: str
    also: tuple[Outlet, ...] = ()


# A row per story: an article that belongs to a story shows only as that story's first
# article. The user's judgement overrides the model's verdict.
_SHOWN = (
    "(a.story_id IS NULL"
    " OR a.id = (SELECT s.first_article_id FROM stories s WHERE s.id = a.story_id))"
)
_MODEL_SAYS_RELEVANT = (
    "a.relevant = 1 AND a.id NOT IN (SELECT article_id FROM feedback WHERE label = 0)"
)
_USER_SAYS_RELEVANT = (
    "a.relevant IS NOT 1 AND a.id IN (SELECT article_id FROM feedback WHERE label = 1)"
)
# Below this many search hits, reading the hits and sorting them beats walking the list in
# order; above it, walking the index in order and keeping the hits stops after one page.
_FEW_HITS = 5000
_COLUMNS = (
    "SELECT a.id, a.story_id, a.title, a.url, a.feed_id, f.name AS feed_name, a.score,"
    " a.relevant, a.aspects, a.language, a.first_seen, a.published,"
    f" substr(a.text, 1, {SUMMARY_CHARS}) AS summary, fb.label"
)


def matches(db: sqlite_utils.Database, query: MatchFilter) -> list[MatchRow]:
    """One page of matches, newest first; pass the last id as `after` for the next page.

    Relevant matches are two reads merged: what the model judged relevant (walking the
    relevant-by-time index) and the few the user judged relevant against the model."""
    where, params = _conditions(db, query)
    if where is None:
        return []
    few_hits = query.text is not None and _hits(db, query.text) < _FEW_HITS
    if query.include_irrelevant:
        index = "" if few_hits else "INDEXED BY articles_seen"
        found = _select(db, index, [*where], params, query.limit)
    else:
        index = "" if few_hits else "INDEXED BY articles_relevant_seen"
        found = _select(db, index, [_MODEL_SAYS_RELEVANT, *where], params, query.limit)
        found += _select(db, "", [_USER_SAYS_RELEVANT, *where], params, query.limit)
        found.sort(key=lambda r: (r["first_seen"], r["id"]), reverse=True)
    rows = [_row(r) for r in found[: query.limit]]
    return _with_outlets(db, rows)


def _conditions(
    db: sqlite_utils.Database, query: MatchFilter
) -> tuple[list[str] | None, list[Any]]:
    where = [_SHOWN]
    params: list[Any] = []
    if query.after is not None:
        cursor = db.execute("SELECT first_seen FROM articles WHERE id = ?", [query.after])
        found = cursor.fetchone()
        if found is None:
            return None, []
        where.append("(a.first_seen, a.id) < (?, ?)")
        params += [found[0], query.after]
    if query.text:
        words = db.quote_fts(query.text)
        if not words:  # nothing but quote marks: no word to look for (MATCH '' is an error)
            return None, []
        where.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(words)
    if query.aspect:
        where.append("EXISTS (SELECT 1 FROM json_each(a.aspects) WHERE value = ?)")
        params.append(query.aspect)
    if query.language:
        where.append("a.language = ?")
        params.append(query.language)
    if query.feed_id is not None:
        where.append("a.feed_id = ?")
        params.append(query.feed_id)
    if query.min_score is not None:
        where.append("a.score >= ?")
        params.append(query.min_score)
    if query.since is not None:
        where.append("a.first_seen >= ?")
        params.append(iso(query.since))
    if query.until is not None:
        where.append("a.first_seen < ?")
        params.append(iso(query.until))
    return where, params


def _hits(db: sqlite_utils.Database, text: str) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)",
        [db.quote_fts(text), _FEW_HITS],
    ).fetchone()
    return int(row[0])


def _select(
    db: sqlite_utils.Database, index: str, where: list[str], params: list[Any], limit: int
) -> list[dict[str, Any]]:
    sql = (
        f"{_COLUMNS} FROM articles a {index} JOIN feeds f ON f.id = a.feed_id"
        " LEFT JOIN feedback fb ON fb.article_id = a.id"
        f" WHERE {' AND '.join(where)} ORDER BY a.first_seen DESC, a.id DESC LIMIT ?"
    )
    return list(db.query(sql, [*params, limit]))


def feed_names(db: sqlite_utils.Database) -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in db.query("SELECT id, name FROM feeds ORDER BY name, id")]


def _row(r: dict[str, Any]) -> MatchRow:
    first_seen, published = from_iso(r["first_seen"]), from_iso(r["published"])
    assert first_seen is not None and published is not None
    return MatchRow(
        id=r["id"],
        story_id=r["story_id"],
        title=r["title"],
        url=r["url"],
        feed_id=r["feed_id"],
        feed_name=r["feed_name"],
        score=r["score"],
        relevant=None if r["relevant"] is None else bool(r["relevant"]),
        judged=None if r["label"] is None else bool(r["label"]),
        aspects=tuple(json.loads(r["aspects"] or "[]")),
        language=r["language"],
        first_seen=first_seen,
        published=published,
        summary=r["summary"],
    )


def _with_outlets(db: sqlite_utils.Database, rows: list[MatchRow]) -> list[MatchRow]:
    story_ids = [r.story_id for r in rows if r.story_id is not None]
    if not story_ids:
        return rows
    placeholders = ", ".join("?" for _ in story_ids)
    others: dict[int, list[Outlet]] = {}
    for r in db.query(
        "SELECT a.story_id, a.id, a.title, a.url, f.name AS feed_name FROM articles a"
        f" JOIN feeds f ON f.id = a.feed_id WHERE a.story_id IN ({placeholders})"
        " ORDER BY a.first_seen, a.id",
        story_ids,
    ):
        others.setdefault(r["story_id"], []).append(
            Outlet(r["id"], r["feed_name"], r["title"], r["url"])
        )
    return [
        replace(
            row, also=tuple(o for o in others.get(row.story_id or -1, []) if o.article_id != row.id)
        )
        for row in rows
    ]


def judgement(db: sqlite_utils.Database, article_id: int) -> bool | None:
    found = db.execute("SELECT label FROM feedback WHERE article_id = ?", [article_id]).fetchone()
    return None if found is None else bool(found[0])


def verdict_row(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    """The stored verdict of one article (score, relevant, aspects, explanation, version)."""
    rows = list(
        db.query(
            "SELECT score, relevant, aspects, explanation, model_version, classified_at,"
            " story_id FROM articles WHERE id = ?",
            [article_id],
        )
    )
    return rows[0] if rows else None


def recent_for_preview(
    db: sqlite_utils.Database, since: datetime, limit: int
) -> list[dict[str, Any]]:
    """The newest articles first seen since `since`: what a rescore preview judges again."""
    return list(
        db.query(
            "SELECT a.id, a.title, a.text, a.language, a.score, a.relevant FROM articles a"
            " WHERE a.first_seen >= ? ORDER BY a.first_seen DESC, a.id DESC LIMIT ?",
            [iso(since), limit],
        )
    )
