"""Relevance benchmark: articles per second on one core, model build time, peak memory.

.venv/bin/python benchmarks/classify.py
"""

from __future__ import annotations

import json
import platform
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.feedgen import make_feed  # noqa: E402
from watcher.config import load_config  # noqa: E402
from watcher.parse import parse_feed  # noqa: E402
from watcher.topic import build_model  # noqa: E402
from watcher.topic.language import detect  # noqa: E402


def rate(model, items, language_known: bool) -> float:
    started = time.process_time()
    for title, text, lang in items:
        model.classify(title, text, lang if language_known else None)
    return len(items) / (time.process_time() - started)


def main() -> None:
    config = load_config(REPO / "config" / "watcher.toml")
    builds = []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        model = build_model(config)
        builds.append((time.perf_counter() - started, time.process_time() - cpu))
    build, build_cpu = min(builds)
    started = time.perf_counter()
    detect("warm up the language model")
    langid = time.perf_counter() - started
    labelled = [
        json.loads(line)
        for path in (REPO / "seeds" / "labelled.jsonl", REPO / "tests" / "data" / "heldout.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    short = [(r["title"], r["text"], r["lang"]) for r in labelled] * 20
    headlines = [
        (r["title"], "", r["lang"])
        for path in (
            REPO / "seeds" / "headlines.jsonl",
            REPO / "tests" / "data" / "heldout-headlines.jsonl",
        )
        for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    ] * 10
    seeds = [
        (*p.read_text(encoding="utf-8").partition("\n")[::2], "en")
        for p in sorted((REPO / "seeds").glob("*.txt"))
    ] * 40
    rng = random.Random(3)
    now = datetime.now(UTC)
    generated = [
        (e.title, e.text, "en")
        for i in range(50)
        for e in parse_feed(make_feed(i, 40, rng), {}, "http://b/", "k", now).entries
    ]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, one core")
    print(
        f"model build {build:.2f}s wall, {build_cpu:.2f}s CPU (best of 3; "
        f"+ language model load {langid:.2f}s on first use)"
    )
    for name, items in (
        ("labelled headlines, no text", headlines),
        ("labelled records (~60 words)", short),
        ("generated feed items (~1.4 KB)", generated),
        ("seed articles (5-9 KB, page noise)", seeds),
    ):
        known, unknown = rate(model, items, True), rate(model, items, False)
        print(f"{name:38} {known:7.0f}/s  ({unknown:.0f}/s when the language must be detected)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
