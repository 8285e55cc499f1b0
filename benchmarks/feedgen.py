"""Generated feeds and a loopback server for the benchmarks (no third-party text)."""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = [
    "minister",
    "delegation",
    "talks",
    "signed",
    "cooperation",
    "energy",
    "corridor",
    "railway",
    "bank",
    "payment",
    "sanctions",
    "parliament",
    "vote",
    "ratified",
    "statement",
    "visit",
    "summit",
    "capital",
    "trade",
    "turnover",
    "supplies",
    "pipeline",
    "port",
    "security",
    "agreement",
    "officials",
    "reported",
    "analysts",
    "said",
    "according",
    "spokesman",
    "week",
    "region",
    "plans",
    "project",
    "investment",
    "nuclear",
    "plant",
    "construction",
    "customs",
    "tariffs",
    "currency",
    "exchange",
    "freight",
]


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_feed(index: int, items: int, rng: random.Random, start: int = 0) -> bytes:
    now = datetime(2025, 1, 17, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
        f"<title>Bench feed {index}</title><link>https://bench{index}.example.org/</link>",
        "<description>generated</description>",
    ]
    for n in range(start, start + items):
        body = "".join(f"&lt;p&gt;{paragraph(rng, 28)}&lt;/p&gt;" for _ in range(7))
        parts.append(
            f"<item><title>Feed {index} story {n}: {paragraph(rng, 8)}</title>"
            f"<link>https://bench{index}.example.org/story/{n}?utm_source=rss</link>"
            f"<guid>bench-{index}-{n}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate>"
            f"<description>{body}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # read by listen() in __init__, so it must be a class attribute


class BenchServer:
    """Serves /feed/N with ETag support, gzip and a fixed latency; counts requests and bytes."""

    def __init__(self, feeds: list[bytes], latency: float) -> None:
        self.latency = latency
        self.bodies = [gzip.compress(f, 6) for f in feeds]
        self.etags = [f'"{hashlib.sha1(f).hexdigest()[:16]}"' for f in feeds]
        self.requests = 0
        self.bytes = 0
        self.lock = threading.Lock()
        bench = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                bench.handle(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed/{index}"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path == "/stats":
            body = f"{self.requests} {self.bytes}".encode()
            handler.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            return
        if self.latency:
            time.sleep(self.latency)
        index = int(handler.path.rsplit("/", 1)[-1])
        etag = self.etags[index]
        if handler.headers.get("If-None-Match") == etag:
            status, body, extra = 304, b"", {}
        else:
            status, body = 200, self.bodies[index]
            extra = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        head = f"HTTP/1.1 {status}\r\nETag: {etag}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items()) + "\r\n"
        handler.wfile.write(head.encode() + body)
        with self.lock:
            self.requests += 1
            self.bytes += len(head) + len(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_in_child(feeds: list[bytes], latency: float) -> tuple[str, Any]:
    """Run the server in its own process so it does not share a GIL with the poller."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()

    def target() -> None:
        server = BenchServer(feeds, latency)
        child.send(f"http://127.0.0.1:{server.httpd.server_address[1]}")
        child.recv()
        server.close()

    process = ctx.Process(target=target, daemon=True)
    process.start()
    base = parent.recv()
    return base, (process, parent)


def stats(base: str) -> tuple[int, int]:
    import urllib.request

    with urllib.request.urlopen(base + "/stats") as reply:
        requests, sent = reply.read().split()
    return int(requests), int(sent)


STORY_WORDS = [
    "railway",
    "bankers",
    "customs",
    "envoys",
    "grain",
    "corridor",
    "tariffs",
    "pipeline",
    "engineers",
    "shipping",
    "ports",
    "insurers",
    "lawyers",
    "students",
    "pilgrims",
    "freight",
    "drills",
    "ministers",
    "auditors",
    "surveyors",
]


def relevant_item(n: int) -> Any:
    """A relevant article unlike all others (a story of its own), written for the benchmarks."""
    from tests.feeds import Item

    rng = random.Random(n)
    picked = rng.sample(STORY_WORDS, 4)
    tag = " ".join(f"{w}{n}" for w in rng.sample(STORY_WORDS, 6))  # words no other item has
    return Item(
        title=f"{' '.join(picked).capitalize()} cite Russia-Iran treaty: {tag}",
        link=f"https://wire.example.org/bulletin/{n}",
        summary=f"{picked[0].capitalize()} and {picked[1]} referred to the comprehensive strategic "
        f"partnership treaty between Russia and Iran when discussing {picked[2]} and {picked[3]}.",
    )
