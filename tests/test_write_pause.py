"""A database that refuses writes pauses polling (no flood), says so, and loses nothing."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from tests import feeds as fx
from tests.helpers import rows, status_table
from watcher.app import open_runtime, open_store
from watcher.models import FetchLogRow
from watcher.pipeline import utcnow
from watcher.scheduler import Daemon
from watcher.store.db import write_failure_note


def test_polling_pauses_while_the_database_refuses_writes(
    feed_server, make_config, executor, caplog
):
    urls = [
        feed_server.set(f"/f{i}", body=fx.rss20(fx.items(2, prefix=f"https://n.example/{i}")))
        for i in range(3)
    ]
    config = make_config(urls)
    clock = [utcnow() + timedelta(seconds=1)]

    def fetches() -> int:
        return len(feed_server.requests)

    async def tick(daemon: Daemon) -> None:
        await daemon.poll_due()
        await daemon.drain()

    async def run() -> None:
        with open_store(config) as store:
            async with open_runtime(config, store, executor) as runtime:
                runtime.pipeline.clock = lambda: clock[0]
                daemon = Daemon(runtime.pipeline, 1.0)
                store.db.execute("PRAGMA query_only = 1")  # as a read-only file would
                await tick(daemon)
                assert fetches() == 3 and store.writes.paused
                for _ in range(10):  # the old code polled every feed again on every tick
                    clock[0] += timedelta(seconds=1)
                    await tick(daemon)
                assert fetches() == 3
                shown = status_table(config)
                assert "cannot be written since" in shown and "polling paused" in shown, shown
                clock[0] += timedelta(seconds=61)
                await tick(daemon)
                assert fetches() == 4  # one feed probes
                store.db.execute("PRAGMA query_only = 0")
                clock[0] += timedelta(seconds=61)
                await tick(daemon)  # the probe is saved: writes work again
                assert fetches() == 5 and not store.writes.paused
                await tick(daemon)  # the others follow
                assert fetches() == 7

    with caplog.at_level(logging.INFO, logger="watcher"):
        asyncio.run(run())
    refused = [r for r in caplog.records if "polling is paused" in r.getMessage()]
    assert len(refused) == 2  # one line a minute, not one per feed per tick
    assert any("polling resumes" in r.getMessage() for r in caplog.records)
    assert len(rows(config, "SELECT id FROM articles")) == 6  # nothing lost
    assert not write_failure_note(config.database).exists()


def test_the_daemon_prunes_the_fetch_log(make_config, executor):
    config = make_config(["http://127.0.0.1:9/never"], body="")
    now = utcnow()

    async def run() -> int:
        with open_store(config) as store:
            feed = store.due_feeds(now, everything=True)[0]
            for age in (40, 31, 29, 1):
                row = FetchLogRow(now - timedelta(days=age), "ok", 200, 0, 0.0, 0, None)
                with store.transaction():
                    store.db.execute(
                        "INSERT INTO fetch_log (feed_id, at, outcome) VALUES (?, ?, ?)",
                        [feed.id, row.at.isoformat(), row.outcome],
                    )
            async with open_runtime(config, store, executor) as runtime:
                await Daemon(runtime.pipeline, 1.0).prune()
            return len(rows(config, "SELECT id FROM fetch_log"))

    assert asyncio.run(run()) == 2  # the default keeps 30 days
