"""The story of an article, told in one place.

    due feeds → fetch → read reply → parse + normalise + classify (one trip to a worker)
              → too little text and uncertain? read the article page → classify again
              → store new articles with their verdicts → route to subscribers
              → outbox (all in one transaction) → deliver

Each step lives in its own module; this one only calls them in order and decides nothing.
Classifying before the insert (rather than after, only the new ones) is measured: it saves
a second trip of every text to a worker, a second write of every row and a second commit
per feed, which made a third of the main process's work in a cold pass. Only entries the
feed's previous document did not have are judged, so steady polling judges little more.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from watcher.config import Config
from watcher.decide import after_parse, decide, read_fetch
from watcher.display import counted
from watcher.enrich.reader import Enricher
from watcher.errors import StoreWriteError
from watcher.fetch import Fetcher
from watcher.models import (
    Article,
    Feed,
    FeedUpdate,
    FetchLogRow,
    Outcome,
    ParsedFeed,
    PollReport,
    Verdict,
)
from watcher.normalize import seen_mark
from watcher.notify.notifier import Notifier
from watcher.store import Store
from watcher.timing import next_poll_after_error
from watcher.topic.relevance import current_model
from watcher.workers import WorkerError, Workers

log = logging.getLogger("watcher.pipeline")

Clock = Callable[[], datetime]
BACKLOG_BATCH = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        workers: Workers,
        notifier: Notifier,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.workers = workers
        self.notifier = notifier
        self.clock = clock
        self.rng = rng or random.Random()
        self.enricher = Enricher(config, fetcher, workers)
        window = timedelta(seconds=config.enrich.budget_window)
        self.enricher.budget.restore(store.page_attempts_since(clock() - window))
        self._feedback_stamp = store.feedback_stamp()
        # Bounds the feeds between fetch and store (their bodies wait for a parse worker),
        # not just the open connections; the daemon and `poll` share it.
        self._slots = asyncio.Semaphore(config.polling.concurrency)
        self.polling: set[int] = set()  # feeds past that gate: fetching, parsing or storing

    async def poll(
        self, feeds: Sequence[Feed], on_done: Callable[[PollReport], None] | None = None
    ) -> list[PollReport]:
        async def one(feed: Feed) -> PollReport:
            report = await self.poll_feed(feed)
            if on_done is not None:
                on_done(report)
            return report

        reports = list(await asyncio.gather(*(one(feed) for feed in feeds)))
        self.index_for_search()
        return reports

    def index_for_search(self) -> None:
        """New articles join the full-text index in one batch (cheaper than one per feed)."""
        indexed = self.store.index_for_search()
        if indexed:
            log.debug("indexed %d articles for search", indexed)

    async def poll_feed(self, feed: Feed) -> PollReport:
        """Poll one feed. Whatever happens, the feed's state is saved and nothing is raised."""
        try:
            try:
                return await self._poll_feed(feed)
            finally:
                self.polling.discard(feed.id)
        except asyncio.CancelledError:
            raise
        except StoreWriteError as exc:
            return self._write_refused(feed, exc)
        except Exception as exc:
            log.exception("internal error while polling feed=%s url=%s", feed.name, feed.url)
            return self._record_crash(feed, exc)

    def _write_refused(self, feed: Feed, exc: StoreWriteError) -> PollReport:
        """Nothing of this poll was saved, the feed's validators included: the next poll
        fetches the same document again, so nothing is lost. One log line a minute."""
        now = self.clock()
        if self.store.write_failed(str(exc), now):
            log.error("%s; polling is paused until it can be written again", exc)
        message = f"not saved: {exc}"
        return PollReport(feed.id, feed.name, feed.url, Outcome.ERROR, message=message)

    async def _poll_feed(self, feed: Feed) -> PollReport:
        async with self._slots:
            self.polling.add(feed.id)  # under way: a stop lets it finish (Daemon.drain)
            result = await self.fetcher.fetch(
                feed.url, feed.etag, feed.last_modified, configured=feed.source_url
            )
            now = self.clock()
            reply = read_fetch(result, now)
            parsed: ParsedFeed | None = None
            judged: tuple[Verdict | None, ...] = ()
            if reply.outcome is Outcome.NEW_CONTENT:
                parsed, judged = await self.workers.parse_and_judge(
                    result.body,
                    result.headers,
                    result.final_url,
                    feed.source_url,
                    now,
                    feed.seen,
                )
                reply = after_parse(reply, parsed)
        update = decide(feed, result, reply, parsed, now, self.config.polling, self.rng.random())
        entries = parsed.entries if parsed is not None and parsed.error is None else ()
        # Outside the slot: a page never holds up the poll of another feed.
        pages = await self.enricher.read_pages(feed, entries, judged, now)
        log_row = FetchLogRow(
            at=now,
            outcome=reply.outcome.value,
            http_status=result.status,
            bytes=result.bytes_transferred,
            elapsed=result.elapsed,
            entries=len(entries),
            error=reply.message,
        )
        seen = frozenset(seen_mark(entry.keys[0]) for entry in entries) if entries else None
        with self.store.transaction():
            stored = self.store.finish_poll(
                feed,
                update,
                log_row,
                entries,
                now,
                pages.verdicts if entries else (),
                seen,
                pages.reads,
            )
            enqueued = self.notifier.route_verdicts(
                [(article, verdict) for article, verdict in stored if verdict is not None], now
            )
        if self.store.write_succeeded():
            log.warning("the database takes writes again; polling resumes")
        if enqueued:
            self.notifier.on_enqueued()
        await self.classify([article for article, verdict in stored if verdict is None])
        new_ids = [article.id for article, _ in stored]
        self._log(feed, reply.outcome, reply.message, len(entries), new_ids, parsed)
        return PollReport(
            feed_id=feed.id,
            name=feed.name,
            url=feed.url,
            outcome=reply.outcome,
            new_articles=len(new_ids),
            entries=len(entries),
            message=reply.message,
            bytes_transferred=result.bytes_transferred,
        )

    async def classify(self, articles: Sequence[Article]) -> int:
        """Score stored articles, then store the verdicts and the messages they cause together.
        Returns how many were judged: none when their worker died or overran (they stay in
        the backlog, judged at the next start or model change)."""
        if not articles:
            return 0
        by_id = {article.id: article for article in articles}
        try:
            verdicts = await self.workers.classify(articles)
        except WorkerError as exc:
            log.warning("could not judge %d stored articles now: %s", len(articles), exc)
            return 0
        now = self.clock()
        with self.store.transaction():
            self.store.save_verdicts(verdicts, now)
            enqueued = self.notifier.route_verdicts([(by_id[i], v) for i, v in verdicts], now)
        if enqueued:
            self.notifier.on_enqueued()
        return len(verdicts)

    async def classify_backlog(self) -> int:
        """Articles stored but not yet judged (the daemon stopped in between) are judged now."""
        done = 0
        while batch := self.store.unclassified(BACKLOG_BATCH):
            judged = await self.classify(batch)
            if not judged:
                break
            done += judged
        return done

    def refresh_model(self) -> bool:
        """Rebuild the model when feedback changed since it was built."""
        stamp = self.store.feedback_stamp()
        if stamp == self._feedback_stamp:
            return False
        self._feedback_stamp = stamp
        self.workers.replace_model(current_model(self.config, self.store))
        log.info("feedback changed: relevance model rebuilt")
        return True

    def _log(
        self,
        feed: Feed,
        outcome: Outcome,
        message: str | None,
        entries: int,
        new_ids: Sequence[int],
        parsed: ParsedFeed | None,
    ) -> None:
        if outcome in (Outcome.NEW_CONTENT, Outcome.NOT_MODIFIED):
            # one line per feed per poll is noise at info; the daemon logs a summary per tick
            log.log(
                logging.INFO if new_ids else logging.DEBUG,
                "polled feed=%s outcome=%s entries=%d new=%d",
                feed.name,
                outcome.value,
                entries,
                len(new_ids),
            )
            if parsed is not None and parsed.warning:
                log.info("feed=%s recovered from: %s", feed.name, parsed.warning)
            if parsed is not None and parsed.skipped:
                log.info(
                    "feed=%s skipped %s, first: %s",
                    feed.name,
                    counted(len(parsed.skipped), "unreadable entry", "unreadable entries"),
                    parsed.skipped[0],
                )
        else:
            log.warning(
                "feed=%s url=%s outcome=%s: %s", feed.name, feed.url, outcome.value, message
            )

    def _record_crash(self, feed: Feed, exc: Exception) -> PollReport:
        now = self.clock()
        message = f"internal error: {type(exc).__name__}: {exc} (please report it)"
        errors = feed.error_count + 1
        update = FeedUpdate(
            next_poll_at=next_poll_after_error(
                now,
                errors,
                feed.interval,
                self.config.polling.max_backoff,
                jitter=self.rng.random(),
            ),
            last_polled_at=now,
            last_status=Outcome.ERROR.value,
            error_count=errors,
            last_error=message,
            failing_since=feed.failing_since or now,
        )
        try:
            self.store.finish_poll(
                feed, update, FetchLogRow(now, "error", None, 0, 0.0, 0, message), (), now
            )
        except Exception:
            log.exception("could not record the failure of feed=%s", feed.name)
        return PollReport(feed.id, feed.name, feed.url, Outcome.ERROR, message=message)
