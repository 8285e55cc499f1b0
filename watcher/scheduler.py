"""The daemon's clock: APScheduler 3 ticks; due times live in the database, not here.

A tick asks the store what is due and starts it. Restarts and clock jumps therefore neither
lose polls nor replay missed ones: a feed that was due while the daemon slept is polled once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from watcher.display import counted
from watcher.errors import StoreWriteError
from watcher.models import Outcome, PollReport
from watcher.pipeline import Pipeline

log = logging.getLogger("watcher.daemon")

Tick = Callable[[], Awaitable[object]]
PRUNE_TICK = 3600.0
REFUSAL_LOG_EVERY = 60.0


class Daemon:
    def __init__(self, pipeline: Pipeline, poll_tick: float) -> None:
        self.pipeline = pipeline
        self.poll_tick = poll_tick
        self.extra_ticks: list[tuple[str, float, Tick]] = []
        self._inflight: dict[int, asyncio.Task[PollReport]] = {}
        self._finished: list[PollReport] = []  # since the last summary line

    def add_tick(self, name: str, seconds: float, tick: Tick) -> None:
        self.extra_ticks.append((name, seconds, tick))

    async def poll_due(self) -> None:
        """Start every due feed that is not already being polled; do not wait for them.

        While the database refuses writes, due times cannot be saved: polling pauses, and
        after each wait one feed alone probes whether writes work again.
        """
        store = self.pipeline.store
        self._log_summary()
        now = self.pipeline.clock()
        if not store.writes.may_write(now):
            return
        probing = store.writes.paused
        if not probing:
            if self.pipeline.refresh_model():
                await self.pipeline.classify_backlog()
            try:
                self.pipeline.index_for_search()  # what the polls of the last tick stored
            except StoreWriteError as exc:
                if store.write_failed(str(exc), now):
                    log.error("%s; polling is paused until it can be written again", exc)
                return
        horizon = self.pipeline.config.polling.max_backoff * 2
        for feed in store.due_feeds(now, horizon):
            if feed.id in self._inflight:
                continue
            task = asyncio.create_task(self.pipeline.poll_feed(feed), name=f"poll-{feed.id}")
            self._inflight[feed.id] = task
            task.add_done_callback(functools.partial(self._forget, feed.id))
            if probing:
                break

    async def prune(self) -> None:
        """Old fetch log rows go ([storage] fetch_log_retention); not while writes fail."""
        store = self.pipeline.store
        if store.writes.paused:
            return
        pruned = store.prune(
            self.pipeline.clock(), self.pipeline.config.storage.fetch_log_retention
        )
        if pruned:
            log.info("pruned %d fetch log rows", pruned)

    def _forget(self, feed_id: int, task: asyncio.Task[PollReport]) -> None:
        self._inflight.pop(feed_id, None)
        if not task.cancelled() and task.exception() is None:
            self._finished.append(task.result())

    def _log_summary(self) -> None:
        """One info line for the polls that finished since the last tick (none: no line)."""
        reports, self._finished = self._finished, []
        if not reports:
            return
        count = Counter(r.outcome for r in reports)
        failed = len(reports) - count[Outcome.NEW_CONTENT] - count[Outcome.NOT_MODIFIED]
        log.info(
            "polled %s: %d updated, %d not modified, %d failed; %s",
            counted(len(reports), "feed"),
            count[Outcome.NEW_CONTENT],
            count[Outcome.NOT_MODIFIED],
            failed,
            counted(sum(r.new_articles for r in reports), "new article"),
        )

    async def drain(self, *, stopping: bool = False) -> None:
        """Wait for the polls started. When `stopping`, those still waiting for a slot are
        not started (their feeds stay due for the next start): with 5,000 feeds due, a stop
        waited for every one of them."""
        if stopping:
            for feed_id, task in list(self._inflight.items()):
                if feed_id not in self.pipeline.polling:
                    task.cancel()
        if self._inflight:
            log.info("waiting for %s to finish", counted(len(self._inflight), "in-flight poll"))
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop)
        jobs: list[tuple[str, float, Tick]] = [
            ("poll", self.poll_tick, self.poll_due),
            ("prune", PRUNE_TICK, self.prune),
        ]
        jobs += self.extra_ticks
        now = self.pipeline.clock()
        for name, seconds, tick in jobs:
            scheduler.add_job(
                _guarded(name, tick),
                "interval",
                seconds=seconds,
                id=name,
                next_run_time=now,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        scheduler.start()
        log.info("daemon started; polling every %.0fs", self.poll_tick)
        try:
            await stop.wait()
        finally:
            log.info("stopping: no new work; finishing in-flight writes")
            scheduler.shutdown(wait=False)
            await self.drain(stopping=True)
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            log.info("daemon stopped")


def _guarded(name: str, tick: Tick) -> Tick:
    """A failing tick is logged and tried again on the next one; it never stops the daemon."""

    last_refusal = -REFUSAL_LOG_EVERY

    async def run() -> None:
        nonlocal last_refusal
        try:
            await tick()
        except StoreWriteError as exc:  # a full disk: one line a minute, not a traceback a tick
            if time.monotonic() - last_refusal >= REFUSAL_LOG_EVERY:
                last_refusal = time.monotonic()
                log.error("tick %s: %s; will retry on the next tick", name, exc)
        except Exception:
            log.exception("tick %s failed; will retry on the next tick", name)

    run.__name__ = f"tick_{name}"
    return run
