"""Stopping the daemon finishes the polls under way and starts no other."""

from __future__ import annotations

import asyncio

from tests import feeds as fx
from tests.helpers import rows
from tests.servers import Route
from watcher.app import open_runtime, open_store
from watcher.scheduler import Daemon


def test_a_stop_waits_for_polls_under_way_not_for_every_due_feed(
    feed_server, make_config, executor
):
    urls = [
        feed_server.set(f"/slow{i}", route=Route(body=fx.rss20(fx.items(1)), delay=1.0))
        for i in range(4)
    ]
    config = make_config(urls, concurrency="1", tick="1s")

    async def run() -> None:
        with open_store(config) as store:
            async with open_runtime(config, store, executor) as runtime:
                stop = asyncio.Event()
                daemon = asyncio.create_task(Daemon(runtime.pipeline, 1.0).run(stop))
                while not feed_server.requests:
                    await asyncio.sleep(0.02)
                stop.set()
                await daemon

    asyncio.run(run())
    assert len(feed_server.requests) == 1  # the others waited for a slot: not started
    polled = rows(config, "SELECT COUNT(*) AS n FROM feeds WHERE last_polled_at IS NOT NULL")
    assert polled[0]["n"] == 1  # the poll under way finished and was saved
