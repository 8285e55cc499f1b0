"""The Store façade: the only door to the database. All SQL lives in this package."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from watcher.errors import StoreWriteError
from watcher.models import (
    Article,
    ArticleFilter,
    ArticleSummary,
    DigestItem,
    Entry,
    Feed,
    FeedHealth,
    FeedSource,
    FeedUpdate,
    FetchLogRow,
    Message,
    OutboxItem,
    PageRead,
    Verdict,
)
from watcher.store import (
    articles,
    db,
    digests,
    feeds,
    health,
    outbox,
    pages,
    stories,
    subscribers,
    verdicts,
)
from watcher.store.db import DaemonLock, open_database, unwritable_as_store_error
from watcher.writepause import WritePause

__all__ = ["DaemonLock", "Store"]

FETCH_LOG_DAYS = 30


@contextmanager
def _refused() -> Iterator[None]:
    """A refused write (disk full, read-only file) as a StoreWriteError the caller can hold."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreWriteError(f"database write failed: {exc}") from exc


class Store:
    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._depth = 0  # how many transaction() blocks are open
        self.writes = WritePause()  # whether polls can save their results (see scheduler)

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Store:
        return cls(open_database(path, readonly=readonly), path)

    # refused writes ------------------------------------------------------------
    def write_failed(self, error: str, now: datetime) -> bool:
        """Record a refused write; True when it deserves a log line (one a minute)."""
        first = not self.writes.paused
        loud = self.writes.failed(error, now)
        if first and self.path is not None:
            db.save_write_failure(self.path, now, error)
        return loud

    def write_succeeded(self) -> bool:
        """Record a write the database took; True when that ends a pause."""
        ended = self.writes.succeeded()
        if ended and self.path is not None:
            db.clear_write_failure(self.path)
        return ended

    def write_failure(self) -> dict[str, str] | None:
        """The running daemon's refused-writes state, for `status` and the web console."""
        if self.writes.failing_since is not None:
            return {
                "since": str(db.iso(self.writes.failing_since)),
                "error": self.writes.error or "",
            }
        return db.read_write_failure(self.path) if self.path is not None else None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all.

        A nested call joins the open transaction rather than opening a savepoint: FTS5
        writes out its pending index at every savepoint, which measured as a third of the
        store's time in a cold pass. Nothing here rolls back part of a transaction.
        """
        if self._depth:
            yield
            return
        # The commit is where a full disk shows: it must name itself as a refused write too.
        with unwritable_as_store_error(), self.db.atomic():
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

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
        feed: Feed,
        update: FeedUpdate,
        log: FetchLogRow,
        entries: Sequence[Entry],
        now: datetime,
        judged: Sequence[Verdict | None] = (),
        seen: frozenset[str] | None = None,
        reads: Sequence[PageRead | None] = (),
    ) -> list[tuple[Article, Verdict | None]]:
        """Save the feed's new state, the log row and the new articles (with the verdicts
        and page reads given, aligned with `entries`) in one transaction; remember `seen`
        if given. Returns the new articles."""
        with unwritable_as_store_error(), self.transaction():
            stored = articles.insert_new(self.db, feed, entries, judged, now)
            if reads:
                stored = pages.save_reads(self.db, feed.id, entries, reads, stored, now)
            feeds.apply_update(self.db, feed.id, update)
            if seen is not None:
                feeds.remember_entries(self.db, feed.id, seen)
            if stored:
                feeds.mark_new_articles(self.db, feed.id, now)
            feeds.log_fetch(self.db, feed.id, log, len(stored))
        return stored

    def prune(self, now: datetime, keep: float = FETCH_LOG_DAYS * 86400.0) -> int:
        """Forget fetch log rows older than `keep` seconds; returns how many went."""
        with unwritable_as_store_error(), self.transaction():
            return feeds.prune_fetch_log(self.db, now - timedelta(seconds=keep))

    def feed_status(self) -> list[dict[str, Any]]:
        return feeds.status_rows(self.db)

    def feed_known(self, name_or_url: str) -> tuple[bool, list[str]]:
        """Whether a stored feed has this name or URL, and every stored feed's name."""
        return feeds.names_matching(self.db, name_or_url)

    # articles --------------------------------------------------------------
    def articles(self, ids: Sequence[int]) -> list[Article]:
        return articles.by_ids(self.db, ids)

    def index_for_search(self) -> int:
        """Index the articles stored since the last call (see m005); returns how many."""
        with unwritable_as_store_error(), self.transaction():
            return articles.index_pending(self.db)

    def search_articles(
        self, text: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        if text:
            self.index_for_search()  # a search sees every stored article, indexed or not yet
        return pages.attach(self.db, articles.search(self.db, text, since, limit))

    def list_articles(self, wanted: ArticleFilter) -> list[ArticleSummary]:
        """Searches see what is indexed: the daemon indexes at every tick, `poll` at its end."""
        return articles.listing(self.db, wanted)

    def article_count(self) -> int:
        return articles.count(self.db)

    def article_exists(self, article_id: int) -> bool:
        return bool(self.articles([article_id]))

    # article pages -----------------------------------------------------------
    def page_counts(self) -> dict[str, int]:
        return pages.counts(self.db)

    def page_marks(self) -> dict[int, dict[str, Any]]:
        return pages.feed_marks(self.db)

    def page_attempts_since(self, since: datetime) -> list[datetime]:
        return pages.attempts_since(self.db, since)

    # verdicts and feedback ---------------------------------------------------
    def save_verdicts(self, results: Sequence[tuple[int, Verdict]], now: datetime) -> None:
        with unwritable_as_store_error(), self.transaction():
            verdicts.save(self.db, results, now)

    def unclassified(self, limit: int = 500) -> list[Article]:
        return verdicts.unclassified(self.db, limit)

    def articles_since(self, moment: datetime | None) -> list[dict[str, Any]]:
        return verdicts.since(self.db, moment)

    def record_feedback(self, article_id: int, relevant: bool, now: datetime) -> None:
        with self.transaction():
            verdicts.record_feedback(self.db, article_id, int(relevant), now)

    def clear_feedback(self, article_id: int) -> bool:
        with self.transaction():
            return verdicts.clear_feedback(self.db, article_id)

    def feedback(self) -> list[dict[str, Any]]:
        return verdicts.feedback(self.db)

    def feedback_stamp(self) -> str:
        return verdicts.feedback_stamp(self.db)

    # stories -------------------------------------------------------------------
    def recent_stories(self, now: datetime) -> list[tuple[int, frozenset[int], str]]:
        return stories.recent(self.db, now)

    def create_story(
        self, title: str, signature: frozenset[int], article_id: int, now: datetime
    ) -> int:
        with self.transaction():
            story_id = stories.create(self.db, title, signature, article_id, now)
            stories.attach(self.db, story_id, article_id)
        return story_id

    def join_story(self, story_id: int, article_id: int, now: datetime) -> None:
        with self.transaction():
            stories.join(self.db, story_id, article_id, now)

    # outbox --------------------------------------------------------------------
    def enqueue(self, message: Message, now: datetime) -> bool:
        with self.transaction():
            return outbox.enqueue(self.db, message, now)

    def due_outbox(
        self, now: datetime, limit: int = 100, per_subscriber: int = 100
    ) -> list[OutboxItem]:
        with _refused():
            return outbox.due(self.db, now, limit, per_subscriber)

    def mark_sent(self, item_id: str, now: datetime) -> None:
        with _refused(), self.transaction():
            outbox.mark_sent(self.db, item_id, now)

    def mark_retry(
        self,
        item_id: str,
        error: str,
        next_at: datetime,
        delivered_to: frozenset[str] = frozenset(),
    ) -> None:
        with _refused(), self.transaction():
            outbox.mark_retry(self.db, item_id, error, next_at, delivered_to)

    def mark_dead(
        self, item_id: str, error: str, delivered_to: frozenset[str] = frozenset()
    ) -> None:
        with _refused(), self.transaction():
            outbox.mark_dead(self.db, item_id, error, delivered_to)

    def requeue(self, item_id: str | None, now: datetime) -> int:
        with self.transaction():
            return outbox.requeue(self.db, item_id, now)

    def outbox_items(self, status: str | None = None, limit: int = 50) -> list[OutboxItem]:
        return outbox.listing(self.db, status, limit)

    def outbox_ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        return outbox.ids_starting(self.db, prefix, limit)

    def queue_summary(self) -> dict[str, int]:
        return outbox.summary(self.db)

    # digests --------------------------------------------------------------------
    def add_digest_item(
        self, subscriber: str, article_id: int, story_id: int, now: datetime
    ) -> None:
        with self.transaction():
            digests.add_item(self.db, subscriber, article_id, story_id, now)

    def pending_digest(self, subscriber: str) -> list[DigestItem]:
        return digests.pending(self.db, subscriber)

    def close_digest(
        self, subscriber: str, article_ids: list[int], outbox_id: str | None, at: datetime
    ) -> None:
        with self.transaction():
            digests.close(self.db, subscriber, article_ids, outbox_id)
            digests.set_last_sent(self.db, subscriber, at)

    def last_digest(self, subscriber: str) -> datetime | None:
        return digests.last_sent(self.db, subscriber)

    def set_last_digest(self, subscriber: str, at: datetime) -> None:
        with self.transaction():
            digests.set_last_sent(self.db, subscriber, at)

    # subscribers -------------------------------------------------------------------
    def disabled_subscribers(self) -> dict[str, str]:
        return subscribers.disabled(self.db)

    def disable_subscriber(self, name: str, reason: str, now: datetime) -> None:
        with _refused(), self.transaction():
            subscribers.disable(self.db, name, reason, now)

    # feed health -----------------------------------------------------------------
    def health_states(self) -> dict[int, str]:
        return health.states(self.db)

    def set_health(self, feed_id: int, state: str, now: datetime) -> None:
        with self.transaction():
            health.set_state(self.db, feed_id, state, now)

    def feed_health(self) -> list[FeedHealth]:
        return health.feeds(self.db)

    def recent_first_seen(self, feed_id: int) -> list[datetime]:
        return health.first_seen_times(self.db, feed_id)
