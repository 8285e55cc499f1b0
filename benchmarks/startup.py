"""Start-up benchmark: how long `watcher --help` and the read-only commands take, as a user
runs them (a fresh process each time), on a database of 1,000 feeds and 40,000 articles.

.venv/bin/python benchmarks/startup.py [--runs 10] [--feeds 1000] [--articles-per-feed 40]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.config import load_config
from watcher.models import Entry, FeedUpdate, FetchLogRow
from watcher.services.database import open_store

WATCHER = [sys.executable, "-m", "watcher"]
TARGETS = {"--help": 0.3, "status": 0.5, "articles": 0.5, "outbox": 0.5}
SUBSCRIBERS = """
[smtp]
host = "smtp.example.org"
[[subscribers]]
name = "mail"
channel = { type = "email", to = "desk@example.org" }
[[subscribers]]
name = "hook"
channel = { type = "webhook", url = "https://hooks.example.org/w" }
[[subscribers]]
name = "chat"
channel = { type = "slack", url = "https://hooks.example.org/s" }
[[subscribers]]
name = "many"
mode = "digest"
digest = "0 8 * * 1-5"
channel = { type = "apprise", urls_env = "SOME_APPRISE_URLS" }
"""


def build(folder: Path, feeds: int, per_feed: int) -> Path:
    """A config of `feeds` feeds and a database holding `per_feed` articles for each."""
    config_path = folder / "watcher.toml"
    lines = ['[storage]\npath = "watcher.db"\n']
    for n in range(feeds):
        lines.append(f'[[feeds]]\nname = "Feed {n}"\nurl = "https://feeds.example.org/{n}.xml"\n')
    config_path.write_text("".join(lines), encoding="utf-8")
    config = load_config(config_path)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with open_store(config) as store:
        for feed in store.due_feeds(now, everything=True):
            entries = [
                Entry(
                    keys=(f"https://news.example.org/{feed.id}/{i}",),
                    url=f"https://news.example.org/{feed.id}/{i}",
                    title=f"Story {i} of feed {feed.id}",
                    text="Some words of text about a story. " * 20,
                    author=None,
                    published=now - timedelta(minutes=i),
                    language="en",
                    content_hash=f"{feed.id}-{i}",
                )
                for i in range(per_feed)
            ]
            update = FeedUpdate(
                next_poll_at=now + timedelta(minutes=15),
                last_polled_at=now,
                last_status="ok",
                error_count=0,
                last_http_status=200,
                last_success_at=now,
            )
            log = FetchLogRow(now, "ok", 200, 50_000, 0.2, per_feed, None)
            store.finish_poll(feed, update, log, entries, now)
        store.index_for_search()
    return config_path


# As on a user's machine: Python caches compiled modules (this session's may forbid it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run. On a busy machine wall time mostly measures
    the wait for a core; CPU time is what the command itself costs."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(args, check=True, capture_output=True, env=ENV)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--articles-per-feed", type=int, default=40)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        config = build(Path(folder), options.feeds, options.articles_per_feed)
        print(
            f"database: {options.feeds} feeds, {options.feeds * options.articles_per_feed} "
            f"articles, built in {time.perf_counter() - started:.1f}s"
        )
        # the same database, with one subscriber of every channel: their settings are validated
        subscribed = config.with_name("subscribed.toml")
        subscribed.write_text(config.read_text(encoding="utf-8") + SUBSCRIBERS, encoding="utf-8")
        for path in (config, subscribed):  # compile and cache every module, warm the file cache
            for command in TARGETS:
                measure([*WATCHER, "--config", str(path), command], 1)
        for label, path in (("", config), (" +4 subscribers", subscribed)):
            for command, target in TARGETS.items():
                if command == "--help" and label:
                    continue
                args = [*WATCHER, "--config", str(path), command]
                walls, cpus = measure(args, options.runs)
                print(
                    f"watcher {command + label:31} wall min {min(walls):.3f}s "
                    f"median {statistics.median(walls):.3f}s max {max(walls):.3f}s | "
                    f"CPU median {statistics.median(cpus):.3f}s  (target {target}s, "
                    f"{options.runs} runs)"
                )


if __name__ == "__main__":
    main()
