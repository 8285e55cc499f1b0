"""What several test modules share: stories written for the tests, subscriber snippets for
the loopback receivers, delivery with a fixed clock, and looks into the database."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests import feeds as fx
from watcher.app import open_channels, open_store, poll_once
from watcher.config import Config
from watcher.deliver.worker import Deliverer
from watcher.models import PollReport
from watcher.notify.messages import make_renderer
from watcher.workers import Workers

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs" / "webhook.schema.json").read_text())
SECRET = "whsec_" + base64.b64encode(b"a test secret of 32 bytes, really").decode()

TREATY = fx.Item(
    title="Putin and Pezeshkian sign comprehensive strategic partnership treaty",
    link="https://wire.example.org/treaty",
    guid="wire-1",
    summary="Russia and Iran signed a 20-year comprehensive strategic partnership treaty in the "
    "Kremlin on Friday. The treaty covers energy, transport and security cooperation.",
)
COPY = fx.Item(
    title="Russia and Iran sign comprehensive strategic partnership treaty",
    link="https://paper.example.org/world/russia-iran-treaty",
    guid="paper-77",
    summary=TREATY.summary,
)
OTHER = fx.Item(
    title="Iran's parliament ratifies strategic partnership treaty with Russia",
    link="https://wire.example.org/majlis",
    guid="wire-2",
    summary="Iranian lawmakers voted to ratify the comprehensive strategic partnership treaty "
    "with Russia; the Guardian Council must now approve it.",
)


def webhook_sub(receiver, name="hook", extra=""):
    return (
        f'[[subscribers]]\nname = "{name}"\nwebhook = "{receiver.url}"\n'
        f'secret_env = "WATCHER_TEST_SECRET"\n{extra}\n'
    )


def mail_body(mail, extra="", name="analyst"):
    return (
        f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
        'from = "watcher@example.org"\ntimeout = "5s"\n'
        f'[[subscribers]]\nname = "{name}"\nemail = "analyst@example.org"\n{extra}\n'
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 17, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def deliver_all(config, clock):
    async def run():
        with open_store(config, sync=False) as store:
            async with open_channels(config) as channels:
                return await Deliverer(config, store, channels, clock).deliver_due()

    return asyncio.run(run())


def enqueue_notice(config, name="hook", text="hello"):
    with open_store(config) as store:
        subscriber = config.subscriber(name)
        message = make_renderer(config, "topic").notice(
            subscriber, "test", "Test", text, datetime(2025, 1, 17, 12, tzinfo=UTC)
        )
        store.enqueue(message, datetime(2025, 1, 17, 12, tzinfo=UTC))
        return message.id


def poll(config: Config, executor: Workers, everything: bool = True) -> dict[str, PollReport]:
    reports = poll_once(config, everything=everything, workers=executor)
    return {r.url: r for r in reports}


def rows(config: Config, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(config.database)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def feed_row(config: Config, source_url: str) -> dict[str, Any]:
    return rows(config, "SELECT * FROM feeds WHERE source_url = ?", (source_url,))[0]


def titles(config: Config) -> list[str]:
    return [r["title"] for r in rows(config, "SELECT title FROM articles ORDER BY id")]


def status_table(config: Config) -> str:
    """`watcher status` as a user sees it, from a process of its own."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(config.source), "status"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "250"},
    ).stdout
