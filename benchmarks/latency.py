"""Latency: from the poll that finds a relevant article to the webhook receiving its alert.

.venv/bin/python benchmarks/latency.py --samples 20
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.feedgen import relevant_item as item  # noqa: E402
from tests.feeds import Item, rss20  # noqa: E402
from tests.servers import FeedServer, WebhookReceiver  # noqa: E402
from watcher.app import poll_once  # noqa: E402
from watcher.config import load_config  # noqa: E402
from watcher.topic import build_model  # noqa: E402
from watcher.workers import Workers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    os.environ["WATCHER_BENCH_SECRET"] = "whsec_" + base64.b64encode(b"x" * 32).decode()
    feeds, receiver = FeedServer(), WebhookReceiver()
    served: list[float] = []
    original = feeds._handle

    def handle(handler):  # record when the feed body with the new item left the server
        original(handler)
        served.append(time.time())

    feeds._handle = handle  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.toml"
        path.write_text(
            '[web]\nlisten = ""\n'  # no console: daemons here would all want port 8080
            f'[storage]\npath = "w.db"\n[topic]\npath = "{REPO}/config/topic.toml"\n'
            f'seeds = "{REPO}/seeds"\n[[feeds]]\nurl = "{feeds.url("/f")}"\n'
            f'[[subscribers]]\nname = "hook"\nwebhook = "{receiver.url}"\n'
            'secret_env = "WATCHER_BENCH_SECRET"\n'
        )
        config = load_config(path)
        workers = Workers(build_model(config), 2)
        entries: list[Item] = []
        latencies = []
        for n in range(args.samples):
            entries.insert(0, item(n))
            feeds.set("/f", body=rss20(entries))
            before = len(receiver.received_at)
            poll_once(config, everything=True, workers=workers)
            if len(receiver.received_at) != before + 1:
                raise SystemExit(
                    f"sample {n}: expected one alert, got {len(receiver.received_at) - before}"
                )
            latencies.append(receiver.received_at[-1] - served[-1])
        workers.shutdown()
    feeds.close()
    receiver.close()
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"{len(ms)} alerts: poll→webhook median {statistics.median(ms):.0f} ms, "
        f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
