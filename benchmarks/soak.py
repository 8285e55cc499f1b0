"""Soak: the daemon (`watcher run`) polls 5,000 loopback feeds for 10 minutes while new items
keep appearing. Memory must stay flat and every item published must be stored.

A server process serves generated feeds with ETags and gzip; once every feed has been polled,
every `--every` seconds it adds one new item to `--changing` random feeds. The daemon's process tree (daemon, forkserver,
workers) is sampled for summed PSS every 10 s. At the end the server stops changing feeds and
the run waits (up to `--settle` minutes) until every feed has been polled once more, then
compares the items stored with every item ever published.

    .venv/bin/python benchmarks/soak.py --feeds 5000 --minutes 10
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.feedgen import make_feed  # noqa: E402
from benchmarks.memory import descendants, pss_mb  # noqa: E402


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def serve(feeds: int, items: int, changing: int, every: float, conn: Connection) -> None:
    """The feed server, in its own process. Answers "stop changing" and "count" on `conn`."""
    rng = random.Random(5)
    counts = [items] * feeds  # items published so far, per feed
    bodies: list[bytes] = []
    etags: list[str] = []
    for index in range(feeds):
        raw = make_feed(index, items, random.Random(index))
        bodies.append(gzip.compress(raw, 6))
        etags.append(f'"{hashlib.sha1(raw).hexdigest()[:16]}"')
    lock = threading.Lock()
    changing_on = threading.Event()  # set by "go": once every feed has been polled once

    def change() -> None:
        while changing_on.wait() and not stop.is_set():
            time.sleep(every)
            if not changing_on.is_set():
                continue
            for index in rng.sample(range(feeds), changing):
                with lock:
                    counts[index] += 1
                    n = counts[index]
                # the newest `items` items: one new at the top, the oldest falls off
                raw = make_feed(index, items, random.Random(index * 7919 + n), start=n - items)
                with lock:
                    bodies[index] = gzip.compress(raw, 6)
                    etags[index] = f'"{hashlib.sha1(raw).hexdigest()[:16]}"'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            index = int(self.path.rsplit("/", 1)[-1])
            with lock:
                etag, body = etags[index], bodies[index]
            if self.headers.get("If-None-Match") == etag:
                status, body, extra = 304, b"", ""
            else:
                status = 200
                extra = "Content-Encoding: gzip\r\nContent-Type: application/rss+xml\r\n"
            head = (
                f"HTTP/1.1 {status}\r\nETag: {etag}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            )
            self.wfile.write(head.encode() + body)

    stop = threading.Event()
    httpd = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    threading.Thread(target=change, daemon=True).start()
    conn.send(httpd.server_address[1])
    while True:
        command = conn.recv()
        if command == "go":
            changing_on.set()
        elif command == "freeze":
            changing_on.clear()
            time.sleep(0.1)
            with lock:
                conn.send(sum(counts))
        elif command == "stop":
            stop.set()
            changing_on.set()
            httpd.shutdown()
            return


def tree_pss(root: int) -> float:
    return pss_mb(root) + sum(pss_mb(pid) for pid in descendants(root, set()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", default="2m", help="each feed's poll interval")
    parser.add_argument("--changing", type=int, default=50, help="feeds given a new item ...")
    parser.add_argument("--every", type=float, default=30.0, help="... every this many seconds")
    parser.add_argument("--settle", type=float, default=10.0, help="minutes to let polls catch up")
    args = parser.parse_args()
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    server = context.Process(
        target=serve, args=(args.feeds, args.items, args.changing, args.every, theirs)
    )
    server.start()
    port = mine.recv()
    print(f"{args.feeds} feeds of {args.items} items on 127.0.0.1:{port}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "soak.toml"
        lines = [
            f'[storage]\npath = "soak.db"\n[polling]\nper_host = 64\n'
            f'[topic]\npath = "{REPO}/config/topic.toml"\nseeds = "{REPO}/seeds"\n'
        ]
        base = f"http://127.0.0.1:{port}/feed"
        lines += [
            f'[[feeds]]\nurl = "{base}/{i}"\ninterval = "{args.interval}"\n'
            for i in range(args.feeds)
        ]
        config.write_text("".join(lines))
        log = Path(tmp) / "daemon.log"
        started = time.monotonic()
        with log.open("w") as out:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "watcher", "--config", str(config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        database = Path(tmp) / "soak.db"
        samples: list[tuple[float, float, int]] = []
        going = False
        never = "SELECT COUNT(*) FROM feeds WHERE last_polled_at IS NULL"
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(10)
            if (
                not going
                and count(database, "SELECT COUNT(*) FROM feeds")
                and not count(database, never)
            ):
                # New items only once every feed was read: an item that falls off a feed
                # before its first poll is lost to any reader, not to the watcher.
                mine.send("go")
                going = True
            articles = count(database, "SELECT COUNT(*) FROM articles")
            samples.append((time.monotonic() - started, tree_pss(daemon.pid), articles))
            minute, pss, stored = samples[-1]
            print(f"{minute / 60:5.1f} min  {pss:6.0f} MB PSS  {stored} articles", flush=True)
        mine.send("freeze")
        published = mine.recv()
        frozen = datetime.now(UTC).isoformat(timespec="microseconds")
        print(f"changes stopped: {published} items published in all", flush=True)
        # every feed polled once more since then: whatever it published is in by now
        behind = "SELECT COUNT(*) FROM feeds WHERE last_polled_at IS NULL OR last_polled_at < ?"
        deadline = time.monotonic() + args.settle * 60
        while time.monotonic() < deadline:
            if not count(database, behind, (frozen,)):
                break
            time.sleep(5)
        print(f"feeds not polled since: {count(database, behind, (frozen,))}", flush=True)
        stored = count(database, "SELECT COUNT(*) FROM articles")
        polls = count(database, "SELECT COUNT(*) FROM fetch_log")
        errors = count(database, "SELECT COUNT(*) FROM fetch_log WHERE outcome = 'error'")
        os.kill(daemon.pid, signal.SIGTERM)
        daemon.wait(60)
        internal = log.read_text().count("internal error")
    mine.send("stop")
    server.join(10)
    settled = [pss for at, pss, _ in samples if at >= 180]
    third = max(1, len(settled) // 3)
    print(
        f"polls {polls}, errors {errors}, internal errors {internal}; "
        f"published {published}, stored {stored}, lost {max(published - stored, 0)}"
    )
    if settled:
        print(
            f"PSS after the cold pass: first third max {max(settled[:third]):.0f} MB, "
            f"last third max {max(settled[-third:]):.0f} MB, peak {max(settled):.0f} MB"
        )
    print("PASS" if stored >= published and not internal else "FAIL")


def count(database: Path, sql: str, params: tuple[str, ...] = ()) -> int:
    try:
        db = sqlite3.connect(database, timeout=30)
        try:
            return int(db.execute(sql, params).fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


if __name__ == "__main__":
    main()
