"""Wiring: builds the store, fetcher, workers and pipeline from a config. No decisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from watcher.config import Config
from watcher.fetch import Fetcher
from watcher.models import PollReport
from watcher.pipeline import Pipeline, utcnow
from watcher.relevance import current_model
from watcher.scheduler import Daemon
from watcher.sources import feed_sources
from watcher.store import DaemonLock, Store
from watcher.workers import Workers


@contextmanager
def open_store(config: Config, *, sync: bool = True) -> Iterator[Store]:
    store = Store.open(config.database)
    try:
        if sync:
            store.sync_feeds(feed_sources(config), utcnow())
        yield store
    finally:
        store.close()


@asynccontextmanager
async def open_pipeline(
    config: Config, store: Store, workers: Workers | None = None
) -> AsyncIterator[Pipeline]:
    own = workers is None
    pool = workers or Workers(current_model(config, store), config.polling.parse_workers)
    try:
        async with Fetcher(config.polling) as fetcher:
            yield Pipeline(config, store, fetcher, pool)
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
    """One pass over the due feeds (or all of them), under the daemon lock."""

    async def run(store: Store) -> list[PollReport]:
        async with open_pipeline(config, store, workers) as pipeline:
            pipeline.refresh_model()
            await pipeline.classify_backlog()
            feeds = store.due_feeds(utcnow(), config.polling.max_backoff * 2, everything=everything)
            if on_start is not None:
                on_start(len(feeds))
            return await pipeline.poll(feeds, on_done)

    with DaemonLock(config.database), open_store(config) as store:
        reports = asyncio.run(run(store))
        store.prune(utcnow())
        return reports


def run_daemon(config: Config, stop: asyncio.Event | None = None) -> None:
    async def run(store: Store) -> None:
        async with open_pipeline(config, store) as pipeline:
            await pipeline.classify_backlog()
            daemon = Daemon(pipeline, config.polling.tick)
            await daemon.run(stop or asyncio.Event())

    with DaemonLock(config.database), open_store(config) as store:
        asyncio.run(run(store))
