"""Article pages benchmark: how many pages a cold pass reads, and what reading them is worth.

.venv/bin/python benchmarks/enrich.py --feeds 1000 --title-only 0.1

1. A cold pass over N generated feeds on loopback, a share of them title-only (a headline and
   a link, as Google News gives); some of their headlines name the topic's handles, so their
   pages are worth reading. Reported: page fetches against title-only entries and candidates,
   with the budget and per-poll cap that bound them, and the cold pass's wall time with pages
   on and off.
2. Relevance on title-only items with and without their pages, on our own held-out labelled
   articles (tests/data/heldout.jsonl, never fitted on): each becomes a title-only item whose
   link serves the article's text as a web page.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.feedgen import make_feed, paragraph
from watcher.app import open_store, poll_once
from watcher.config import load_config
from watcher.topic import build_model
from watcher.workers import Workers

REPO = Path(__file__).resolve().parent.parent
HELDOUT = REPO / "tests" / "data" / "heldout.jsonl"
RUSSIA = ["Moscow", "Kremlin", "Russia", "Putin", "Lavrov"]
IRAN = ["Tehran", "Iran", "Pezeshkian", "Araghchi"]
VERBS = ["discuss", "review", "weigh", "seal", "mark", "plan"]
THINGS = ["corridor", "payments", "gas deal", "rail link", "partnership", "port project"]


def page_html(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{escape(title)}</h1>{paragraphs}</article>"
        "<footer>Bench wire</footer></body></html>"
    ).encode()


def title_only_feed(index: int, items: int, rng: random.Random, base: str) -> tuple[bytes, int]:
    """A feed of headlines and links; about one headline in ten names both parties."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
        f"<title>Headlines {index}</title><link>https://h{index}.example.org/</link>",
    ]
    published = format_datetime(datetime(2025, 1, 17, tzinfo=UTC))
    topical = 0
    for n in range(items):
        if rng.random() < 0.1:
            topical += 1
            title = f"{rng.choice(RUSSIA)} and {rng.choice(IRAN)} {rng.choice(VERBS)} "
            title += f"{rng.choice(THINGS)} ({index}.{n})"
        else:
            title = f"Headline {index}.{n}: {paragraph(rng, 8)}"
        parts.append(
            f"<item><title>{escape(title)}</title><link>{base}/page/{index}/{n}</link>"
            f"<guid>h-{index}-{n}</guid><pubDate>{published}</pubDate>"
            "<description></description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode(), topical


class Server:
    """/feed/N serves a feed, /page/... an article page; counts both. Bound here, served by a
    child process (`start`), so it does not share a GIL with the poller."""

    def __init__(self, latency: float) -> None:
        self.feeds: list[bytes] = []
        self.pages: dict[str, bytes] = {}
        self.latency = latency
        self.counts = {"feed": 0, "page": 0}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        class Threading(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024

        self.httpd = Threading(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._process: Any = None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path == "/stats":
            body, kind = json.dumps(self.counts).encode(), "application/json"
        else:
            time.sleep(self.latency)
            what = path.split("/")[1]
            with self.lock:
                self.counts[what] = self.counts.get(what, 0) + 1
            if what == "feed":
                body, kind = self.feeds[int(path.rsplit("/", 1)[1])], "application/rss+xml"
            else:
                text = "\n".join(paragraph(random.Random(path), 40) for _ in range(6))
                body = self.pages.get(path) or page_html("A generated page", text)
                kind = "text/html; charset=utf-8"
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        handler.wfile.write(head.encode() + body)

    def start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._process = ctx.Process(target=self.httpd.serve_forever, daemon=True)
        self._process.start()
        self.httpd.socket.close()  # the child serves; the parent keeps no copy

    def stats(self) -> dict[str, int]:
        import urllib.request

        with urllib.request.urlopen(self.base + "/stats") as reply:
            return dict(json.loads(reply.read()))

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)


def write_config(tmp: Path, feeds: list[str], mode: str, extra: str = "") -> Any:
    path = tmp / f"{mode}.toml"
    lines = [
        f'[storage]\npath = "{mode}.db"\n[polling]\nconcurrency = 64\nper_host = 64\n',
        f'[topic]\npath = "{REPO / "config" / "topic.toml"}"\nseeds = "{REPO / "seeds"}"\n',
        f'[enrich]\nmode = "{mode}"\nallow_private = ["127.0.0.1/32"]\n{extra}\n',
    ]
    lines += [f'[[feeds]]\nurl = "{url}"\n' for url in feeds]
    path.write_text("".join(lines))
    return load_config(path)


def cold_pass(args: argparse.Namespace, workers: Workers) -> None:
    for mode in ("never", "auto"):
        rng = random.Random(args.seed)  # the same feeds for both runs
        server = Server(args.latency)
        headline_feeds = set(rng.sample(range(args.feeds), int(args.feeds * args.title_only)))
        sizes = [rng.randint(20, 60) for _ in range(args.feeds)]
        topical = 0
        for i in range(args.feeds):
            if i in headline_feeds:
                feed, found = title_only_feed(i, sizes[i], rng, server.base)
                topical += found
            else:
                feed = make_feed(i, sizes[i], rng)
            server.feeds.append(feed)
        server.start()
        if mode == "never":
            print(
                f"{args.feeds} feeds, {len(headline_feeds)} title-only with "
                f"{sum(sizes[i] for i in headline_feeds)} entries ({topical} naming both "
                f"parties); {sum(sizes)} entries in all; latency {args.latency * 1000:.0f} ms"
            )
        with tempfile.TemporaryDirectory() as tmp:
            urls = [f"{server.base}/feed/{i}" for i in range(args.feeds)]
            config = write_config(Path(tmp), urls, mode)
            started = time.perf_counter()
            reports = poll_once(config, everything=True, workers=workers)
            wall = time.perf_counter() - started
            with open_store(config, sync=False) as store:
                pages = store.page_counts()
                reasons = store.db.execute(
                    "SELECT substr(reason, 1, 90), COUNT(*) FROM article_pages"
                    " WHERE reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3"
                ).fetchall()
        served = server.stats()
        server.stop()
        print(
            f"cold pass, pages {mode:5}: wall {wall:6.2f}s  feeds {len(reports)}  "
            f"new {sum(r.new_articles for r in reports)}  feed requests {served['feed']}  "
            f"page fetches {served['page']} (read {pages['pages_read']}, unusable "
            f"{pages['pages_fetched'] - pages['pages_read']}, failed {pages['pages_failed']}, "
            f"not read for the budget {pages['pages_skipped']})"
        )
        for reason, n in reasons:
            print(f"    {n} × {reason}")
    print(
        f"bounds: at most {config.enrich.per_poll} pages per feed poll and "
        f"{config.enrich.budget} per {config.enrich.budget_window:.0f}s for all feeds"
    )


def relevance(workers: Workers) -> None:
    records = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    labelled = [r for r in records if r["label"] in (0, 1)]
    print(f"\nheld-out labelled articles as title-only items: {len(labelled)} (never fitted on)")
    print("| pages | precision | recall | F1 | tp | fp | fn | pages read | not usable |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in ("never", "auto", "always"):
        server = Server(0.0)
        server.pages = {f"/page/{r['id']}": page_html(r["title"], r["text"]) for r in labelled}
        items = "".join(
            f"<item><title>{escape(r['title'])}</title><link>{server.base}/page/{r['id']}</link>"
            f"<guid>{r['id']}</guid><description></description></item>"
            for r in labelled
        )
        server.feeds = [
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>".encode()
        ]
        server.start()
        with tempfile.TemporaryDirectory() as tmp:
            # The held-out texts are short (median 160 characters): min_text lets them count.
            extra = 'per_poll = 100\nbudget = 1000\ndeadline = "120s"\nmin_text = 30'
            config = write_config(Path(tmp), [f"{server.base}/feed/0"], mode, extra)
            poll_once(config, everything=True, workers=workers)
            with open_store(config, sync=False) as store:
                rows = store.search_articles(None, None, 10_000)
                pages = store.page_counts()
        server.stop()
        judged = {row["title"]: bool(row["relevant"]) for row in rows}
        tp = sum(1 for r in labelled if r["label"] == 1 and judged.get(r["title"]))
        fp = sum(1 for r in labelled if r["label"] == 0 and judged.get(r["title"]))
        fn = sum(1 for r in labelled if r["label"] == 1 and not judged.get(r["title"]))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(
            f"| {mode} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {tp} | {fp} | {fn} "
            f"| {pages['pages_read']} | {pages['pages_fetched'] - pages['pages_read']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--title-only", type=float, default=0.1, help="share of title-only feeds")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per reply")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    config = write_config(Path(tempfile.gettempdir()), [], "never")
    workers = Workers(build_model(config), config.polling.parse_workers)
    try:
        relevance(workers)
        cold_pass(args, workers)
    finally:
        workers.shutdown()


if __name__ == "__main__":
    main()
