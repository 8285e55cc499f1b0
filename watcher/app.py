"""Wiring: builds store, fetcher, workers, notifier and deliverer from a config. No decisions."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from watcher.ceilings import Limits
from watcher.config import Config
from watcher.deliver.base import Sender
from watcher.deliver.registry import CHANNELS
from watcher.deliver.registry import check as check_channels
from watcher.deliver.worker import Deliverer
from watcher.fetch import Fetcher
from watcher.models import PollReport
from watcher.notify.messages import make_renderer
from watcher.notify.notifier import Notifier
from watcher.pipeline import Pipeline, utcnow
from watcher.scheduler import Daemon
from watcher.services.database import open_store
from watcher.store import DaemonLock, Store
from watcher.topic.relevance import current_model
from watcher.workers import Workers

__all__ = ["open_channels", "open_store", "poll_once", "run_daemon"]

log = logging.getLogger("watcher.daemon")

HEALTH_TICK = 60.0
DIGEST_TICK = 30.0


def worker_limits(config: Config) -> Limits:
    return Limits(memory=config.polling.worker_memory, cpu=config.polling.worker_cpu)


@dataclass
class Runtime:
    pipeline: Pipeline
    deliverer: Deliverer
    notifier: Notifier


@asynccontextmanager
async def open_channels(config: Config) -> AsyncIterator[dict[str, Sender]]:
    """A sender for each channel type the subscribers use, checked first (ConfigError)."""
    check_channels(config)
    used = {s.channel.type for s in config.subscribers}
    channels = {c.type: c.open(config) for c in CHANNELS if c.type in used}
    try:
        yield channels
    finally:
        for channel in channels.values():
            await channel.aclose()


@asynccontextmanager
async def open_runtime(
    config: Config, store: Store, workers: Workers | None = None
) -> AsyncIterator[Runtime]:
    own = workers is None
    pool = workers or Workers(
        current_model(config, store), config.polling.parse_workers, worker_limits(config)
    )
    try:
        fetcher = Fetcher(config.polling, pages=config.enrich.concurrency)
        async with fetcher, open_channels(config) as channels:
            deliverer = Deliverer(config, store, channels, utcnow)
            renderer = make_renderer(config, pool.model.topic.topic.name)
            notifier = Notifier(config, store, renderer, deliverer.kick)
            pipeline = Pipeline(config, store, fetcher, pool, notifier)
            try:
                yield Runtime(pipeline, deliverer, notifier)
            finally:
                await deliverer.drain(config.delivery.shutdown_grace)
    finally:
        if own:
            pool.shutdown()


def poll_once(
    config: Config,
    *,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[PollReport], None] | None = None,
    workers: Workers | None = None,
) -> list[PollReport]:
    """One pass over the due feeds (or all of them) under the daemon lock; due messages are
    sent once at the end, and what fails stays queued for the daemon."""

    async def run(store: Store) -> list[PollReport]:
        async with open_runtime(config, store, workers) as runtime:
            pipeline = runtime.pipeline
            pipeline.refresh_model()
            await pipeline.classify_backlog()
            feeds = store.due_feeds(utcnow(), config.polling.max_backoff * 2, everything=everything)
            if on_start is not None:
                on_start(len(feeds))
            reports = await pipeline.poll(feeds, on_done)
            await runtime.deliverer.deliver_due()
            return reports

    check_channels(config)  # a channel that can never work is one line now, not retries later
    with DaemonLock(config.database), open_store(config) as store:
        reports = asyncio.run(run(store))
        store.index_for_search()  # so that read-only commands find what this pass stored
        store.prune(utcnow(), config.storage.fetch_log_retention)
        return reports


def run_daemon(config: Config, stop: asyncio.Event | None = None) -> None:
    started = time.monotonic()
    log.info("loading: config %s, database %s", config.source, config.database)
    if not config.subscribers:
        log.warning("no subscriber is configured: alerts go nowhere (add [[subscribers]])")
    from watcher.services.health import record_tick

    async def run(store: Store) -> None:
        console = None
        if config.web.listen:  # before any work: a missing login stops the daemon here
            from watcher.web.serve import background_console

            console = background_console(config, utcnow)
        if console is not None:
            console.start()
        try:
            await run_ticks(store)
        finally:
            if console is not None:
                await console.stop()

    async def run_ticks(store: Store) -> None:
        async with open_runtime(config, store) as runtime:
            await runtime.pipeline.classify_backlog()
            log.info(
                "ready in %.1fs: %d feeds, %d subscribers",
                time.monotonic() - started,
                len(store.feed_status()),
                len(config.subscribers),
            )
            daemon = Daemon(runtime.pipeline, config.polling.tick)
            notifier, clock = runtime.notifier, runtime.pipeline.clock

            async def digests() -> None:
                notifier.send_due_digests(clock())

            async def health() -> None:
                notifier.check_health(clock())

            daemon.add_tick("deliver", config.delivery.tick, runtime.deliverer.tick)
            daemon.add_tick("digests", DIGEST_TICK, digests)
            daemon.add_tick("health", HEALTH_TICK, health)

            async def heartbeat() -> None:  # what /healthz and /metrics read
                record_tick(store, clock(), config.polling.tick)

            daemon.add_tick("heartbeat", config.polling.tick, heartbeat)
            await daemon.run(stop or asyncio.Event())

    check_channels(config)
    with DaemonLock(config.database), open_store(config) as store:
        asyncio.run(run(store))
