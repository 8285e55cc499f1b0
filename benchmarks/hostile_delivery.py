"""Hostile receivers, measured: peak memory and time of delivery against each (issue 9).

    .venv/bin/python benchmarks/hostile_delivery.py webhook-flood   # 200 OK with a 1.5 GB body
    .venv/bin/python benchmarks/hostile_delivery.py smtp-flood      # EHLO answered with 1.5 GB
    .venv/bin/python benchmarks/hostile_delivery.py hung 1414       # emails beside a dead webhook

Each case runs in its own process (peak RSS is per process); figures go in the README.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.hostile_servers import FloodingReceiver, ScriptedSmtp  # noqa: E402
from tests.servers import MailServer, WebhookReceiver  # noqa: E402
from watcher.app import open_channels, open_store  # noqa: E402
from watcher.config import Config, load_config  # noqa: E402
from watcher.deliver.worker import Deliverer  # noqa: E402
from watcher.notify.messages import make_renderer  # noqa: E402

NOW = datetime(2025, 1, 17, 12, tzinfo=UTC)
FLOOD = 1536 * 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configure(folder: str, body: str) -> Config:
    path = Path(folder) / "w.toml"
    path.write_text(
        f'[storage]\npath = "w.db"\n[topic]\npath = "{REPO}/config/topic.toml"\n'
        f'seeds = "{REPO}/seeds"\n{body}',
        encoding="utf-8",
    )
    return load_config(path)


def enqueue(config: Config, name: str, count: int) -> None:
    renderer = make_renderer(config, "benchmark")
    with open_store(config) as store:
        for number in range(count):
            message = renderer.notice(config.subscriber(name), "test", f"Notice {number}", "", NOW)
            store.enqueue(message, NOW)


def deliver(config: Config) -> int:
    async def run() -> int:
        with open_store(config, sync=False) as store:
            async with open_channels(config) as channels:
                return await Deliverer(config, store, channels, lambda: NOW).deliver_due()

    return asyncio.run(run())


def webhook_flood(folder: str) -> str:
    receiver = FloodingReceiver(FLOOD)
    config = configure(folder, f'[[subscribers]]\nname = "h"\nwebhook = "{receiver.url}"\n')
    enqueue(config, "h", 1)
    started = time.monotonic()
    sent = deliver(config)
    written = receiver.written / 2**20
    return f"sent {sent}; receiver got {written:.1f} MiB of 1536 out before the hang-up; " + (
        f"{time.monotonic() - started:.1f} s"
    )


def smtp_flood(folder: str) -> str:
    server = ScriptedSmtp(flood=FLOOD)
    config = configure(
        folder,
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        '[[subscribers]]\nname = "m"\nemail = "a@example.org"\n',
    )
    enqueue(config, "m", 1)
    started = time.monotonic()
    sent = deliver(config)
    took = time.monotonic() - started
    return f"sent {sent} (retried later); server wrote {server.sent / 2**20:.1f} MiB; {took:.1f} s"


def hung(folder: str, count: int) -> str:
    mail, stuck = MailServer(), WebhookReceiver(delay=3600)
    config = configure(
        folder,
        f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
        '[[subscribers]]\nname = "m"\nemail = "a@example.org"\n'
        f'[[subscribers]]\nname = "h"\nwebhook = "{stuck.url}"\n[delivery]\ndeadline = "10s"\n',
    )
    enqueue(config, "m", count)
    enqueue(config, "h", count)

    async def run() -> tuple[float, float]:
        with open_store(config, sync=False) as store:
            async with open_channels(config) as channels:
                deliverer = Deliverer(config, store, channels, lambda: NOW)
                started = time.monotonic()
                deliverer.start_due()
                while len(mail.messages) < count and time.monotonic() - started < 600:
                    await asyncio.sleep(0.1)
                took = time.monotonic() - started
                stopping = time.monotonic()
                await deliverer.drain()
                return took, time.monotonic() - stopping

    took, stop = asyncio.run(run())
    return (
        f"{len(mail.messages)} of {count} emails in {took:.1f} s beside a webhook that never "
        f"answers; shutdown took {stop:.1f} s (grace 10 s)"
    )


def main() -> None:
    case = sys.argv[1] if len(sys.argv) > 1 else "webhook-flood"
    os.environ.setdefault("WATCHER_LOG_LEVEL", "ERROR")
    with tempfile.TemporaryDirectory() as folder:
        if case == "webhook-flood":
            result = webhook_flood(folder)
        elif case == "smtp-flood":
            result = smtp_flood(folder)
        elif case == "hung":
            result = hung(folder, int(sys.argv[2]) if len(sys.argv) > 2 else 1414)
        else:
            raise SystemExit(f"unknown case {case!r}; use webhook-flood, smtp-flood or hung")
    print(f"{case}: {result}; peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
