"""The Store façade: the only door to the database. All SQL lives in this package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from watcher.models import Article, Entry, Feed, FeedSource, FeedUpdate, FetchLogRow, Verdict
from watcher.store import articles, feeds, verdicts
from watcher.store.db import DaemonLock, open_database

__all__ = ["DaemonLock", "Store"]

FETCH_LOG_DAYS = 30


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path) -> Store:
        return cls(open_database(path))

    def close(self) -> None:
        self.db.close()

    # feeds -----------------------------------------------------------------
    def sync_feeds(self, sources: Sequence[FeedSource], now: datetime) -> None:
        feeds.sync(self.db, sources, now)

    def due_feeds(
        self, now: datetime, horizon: float = 7 * 86400.0, *, everything: bool = False
    ) -> list[Feed]:
        return feeds.due(self.db, now, horizon, everything=everything)

    def feed(self, feed_id: int) -> Feed:
        return feeds.get(self.db, feed_id)

    def finish_poll(
        self,
        feed_id: int,
        update: FeedUpdate,
        log: FetchLogRow,
        entries: Sequence[Entry],
        now: datetime,
    ) -> list[int]:
        """Save the feed's new state, the log row and the new articles in one transaction."""
        with self.db.atomic():
            new_ids = articles.insert_new(self.db, feed_id, entries, now)
            feeds.apply_update(self.db, feed_id, update)
            if new_ids:
                feeds.mark_new_articles(self.db, feed_id, now)
            feeds.log_fetch(self.db, feed_id, log, len(new_ids))
        return new_ids

    def prune(self, now: datetime) -> None:
        with self.db.atomic():
            feeds.prune_fetch_log(self.db, now - timedelta(days=FETCH_LOG_DAYS))

    def feed_status(self) -> list[dict[str, Any]]:
        return feeds.status_rows(self.db)

    # articles --------------------------------------------------------------
    def articles(self, ids: Sequence[int]) -> list[Article]:
        return articles.by_ids(self.db, ids)

    def search_articles(
        self, text: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        return articles.search(self.db, text, since, limit)

    def article_count(self) -> int:
        return articles.count(self.db)

    def article_exists(self, article_id: int) -> bool:
        return bool(self.articles([article_id]))

    # verdicts and feedback ---------------------------------------------------
    def save_verdicts(self, results: Sequence[tuple[int, Verdict]], now: datetime) -> None:
        with self.db.atomic():
            verdicts.save(self.db, results, now)

    def unclassified(self, limit: int = 500) -> list[Article]:
        return verdicts.unclassified(self.db, limit)

    def articles_since(self, moment: datetime | None) -> list[dict[str, Any]]:
        return verdicts.since(self.db, moment)

    def record_feedback(self, article_id: int, relevant: bool, now: datetime) -> None:
        with self.db.atomic():
            verdicts.record_feedback(self.db, article_id, int(relevant), now)

    def feedback(self) -> list[dict[str, Any]]:
        return verdicts.feedback(self.db)

    def feedback_stamp(self) -> str:
        return verdicts.feedback_stamp(self.db)
