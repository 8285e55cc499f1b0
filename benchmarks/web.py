"""The web console over a large database: server time of the matches page and the feeds
(p50/p95 over loopback, so an upper bound of the server's own time) and the memory of
`watcher serve` (RSS and PSS after the runs).

    .venv/bin/python benchmarks/web.py [--articles 200000] [--requests 200] [--keep DIR]

Builds a synthetic database (feeds, articles with verdicts, stories of several outlets,
feedback, the full-text index) with the watcher's own migrations, then starts `watcher serve`
on it as a separate process. Targets: ≤ 100 ms p95 per page, ≤ 80 MB for the server.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.store.db import open_database  # noqa: E402

TOPIC_WORDS = [
    "russia",
    "iran",
    "treaty",
    "partnership",
    "strategic",
    "comprehensive",
    "moscow",
    "tehran",
    "energy",
    "gas",
    "transport",
    "corridor",
    "sanctions",
    "ratification",
    "duma",
    "majlis",
    "defence",
    "cooperation",
]
VOCABULARY = 30_000  # words of a news corpus, used with Zipf's law like real text
ASPECTS = ["energy", "transport", "defence", "ratification", "finance", "nuclear"]
FEEDS = 60


class Words:
    """Zipf-distributed pseudo-words, with the topic's words spread over the ranks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = [f"w{i}" for i in range(VOCABULARY)]
        for word in TOPIC_WORDS:
            self.words[rng.randrange(50, 3000)] = word
        self.weights = list(
            itertools.accumulate(1 / (rank + 1) ** 1.07 for rank in range(VOCABULARY))
        )

    def text(self, count: int, topic: bool = False) -> str:
        words = self.rng.choices(self.words, cum_weights=self.weights, k=count)
        if topic:
            words += self.rng.sample(TOPIC_WORDS, 8)
            self.rng.shuffle(words)
        return " ".join(words)


def build(path: Path, articles: int, seed: int = 7) -> None:
    """A database shaped like a year of polling: ~10 % relevant, stories of 1-4 outlets."""
    open_database(path).close()  # the watcher's own schema and migrations
    rng = random.Random(seed)
    words = Words(rng)
    conn = sqlite3.connect(path)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with conn:
        conn.executemany(
            "INSERT INTO feeds (source_url, url, name, interval, next_poll_at, last_status,"
            " last_success_at, created_at) VALUES (?, ?, ?, 900, ?, 'ok', ?, ?)",
            [
                (
                    f"https://feed{i}.example.org/rss",
                    f"https://feed{i}.example.org/rss",
                    f"Outlet {i}",
                    now.isoformat(),
                    now.isoformat(),
                    now.isoformat(),
                )
                for i in range(FEEDS)
            ],
        )
        rows = []
        stories = []
        story_of: dict[int, int] = {}
        story_id = 0
        for i in range(1, articles + 1):
            seen = now - timedelta(seconds=(articles - i) * 150)  # one every 2.5 min
            relevant = rng.random() < 0.10
            score = rng.uniform(0.5, 1.0) if relevant else rng.uniform(0.0, 0.5)
            aspects = rng.sample(ASPECTS, rng.randint(0, 2)) if relevant else []
            story = None
            if relevant:
                if story_of and rng.random() < 0.5:  # a copy of a recent story
                    story = rng.choice(list(story_of)[-20:])
                else:
                    story_id += 1
                    story = story_id
                    story_of[story] = i
                    stories.append((story, f"story {story}", "[]", i, seen.isoformat()))
            title = words.text(9, topic=relevant).capitalize()
            rows.append(
                (
                    i,
                    rng.randrange(1, FEEDS + 1),
                    f"https://news.example.org/a/{i}",
                    title,
                    words.text(140, topic=relevant),
                    seen.isoformat(),
                    seen.isoformat(),
                    rng.choice(["en", "en", "en", "ru", "fa", "de"]),
                    f"h{i}",
                    round(score, 4),
                    int(relevant),
                    json.dumps(aspects),
                    json.dumps({"nearest_seed": "001.txt", "seed_similarity": 0.3}),
                    "bench",
                    seen.isoformat(),
                    story,
                )
            )
        conn.executemany(
            "INSERT INTO stories (id, title, signature, first_article_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(s, t, sig, first, at, at) for s, t, sig, first, at in stories],
        )
        conn.executemany(
            "INSERT INTO articles (id, feed_id, url, title, text, published, first_seen, language,"
            " content_hash, score, relevant, aspects, explanation, model_version, classified_at,"
            " story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        judged = rng.sample(range(1, articles + 1), 200)
        conn.executemany(
            "INSERT INTO feedback (article_id, label, at) VALUES (?, ?, ?)",
            [(a, rng.randint(0, 1), now.isoformat()) for a in judged],
        )
        conn.execute(
            "INSERT INTO articles_fts (rowid, title, text) SELECT id, title, text FROM articles"
        )
        conn.execute("UPDATE search_index_state SET indexed_upto = ?", [articles])
    conn.execute("ANALYZE")
    conn.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return rss / 1024, pss / 1024


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as reply:
        reply.read()
        assert reply.status == 200, (url, reply.status)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the database in this folder.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="watcher-web-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "watcher.db"
    if not database.exists():
        started = time.perf_counter()
        build(database, args.articles)
        print(f"built {args.articles} articles in {time.perf_counter() - started:.0f}s")
    port = _free_port()
    config = folder / "watcher.toml"
    config.write_text(
        f'[storage]\npath = "watcher.db"\n[topic]\npath = "{REPO / "config" / "topic.toml"}"\n'
        f'seeds = "{REPO / "seeds"}"\n[web]\nlisten = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watcher",
            "--config",
            str(config),
            "--log-level",
            "WARNING",
            "serve",
        ],
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _get(base + "/robots.txt")
                break
            except OSError:
                time.sleep(0.1)
        cursor = (
            sqlite3.connect(database)
            .execute(
                "SELECT id FROM articles WHERE relevant = 1 ORDER BY first_seen DESC, id DESC"
                " LIMIT 1 OFFSET 5000"
            )
            .fetchone()[0]
        )
        pages = {
            "matches": "/",
            "matches, page 100 (keyset)": f"/?after={cursor}",
            "matches incl. not relevant": "/?all=1",
            "matches, search 'treaty'": "/?q=treaty",
            "matches, search, common word": "/?q=w3",
            "matches, search, rare words": "/?q=w2000%20w2500",
            "matches, aspect + language": "/?aspect=energy&language=ru",
            "matches incl. not relevant, search": "/?all=1&q=w2000",
            "/matches.atom": "/matches.atom",
            "/matches.atom, search": "/matches.atom?q=treaty",
            "/matches.json": "/matches.json",
        }
        print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, path in pages.items():
            _get(base + path)  # warm
            times = sorted(_get(base + path) for _ in range(args.requests))
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{name:32} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
        rss, pss = _memory(server.pid)
        print(f"watcher serve memory after the runs: RSS {rss:.1f} MB, PSS {pss:.1f} MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
