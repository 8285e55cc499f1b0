"""Wiring: builds the store, fetcher, executor and pipeline from a config. No decisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager, contextmanager

from watcher.config import Config
from watcher.fetch import Fetcher
from watcher.models import PollReport
from watcher.pipeline import Pipeline, make_executor, utcnow
from watcher.scheduler import Daemon
from watcher.sources import feed_sources
from watcher.store import DaemonLock, Store


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
    config: Config, store: Store, executor: Executor | None = None
) -> AsyncIterator[Pipeline]:
    own_executor = executor is None
    pool = executor or make_executor(config.polling.parse_workers)
    try:
        async with Fetcher(config.polling) as fetcher:
            yield Pipeline(config, store, fetcher, pool)
    finally:
        if own_executor:
            pool.shutdown(wait=True, cancel_futures=True)


def poll_once(
    config: Config,
    *,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[PollReport], None] | None = None,
    executor: Executor | None = None,
) -> list[PollReport]:
    """One pass over the due feeds (or all of them), under the daemon lock."""

    async def run(store: Store) -> list[PollReport]:
        async with open_pipeline(config, store, executor) as pipeline:
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
            daemon = Daemon(pipeline, config.polling.tick)
            await daemon.run(stop or asyncio.Event())

    with DaemonLock(config.database), open_store(config) as store:
        asyncio.run(run(store))
