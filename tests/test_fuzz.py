"""Mutated feeds (ours and, when present, real ones from ../shared/corpus/feeds): parsing never
raises, and whatever it returns can be stored and sent within the documented limits."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import feeds as fx
from tests import hostile
from watcher.normalize import MAX_AUTHOR, MAX_TEXT, MAX_TITLE, MAX_URL
from watcher.parse import parse_feed

NOW = datetime(2025, 1, 20, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"


@functools.cache
def seeds() -> list[tuple[str, bytes]]:
    written = fx.items(4)
    documents = [
        ("application/rss+xml", fx.rss20(written)),
        ("application/rdf+xml", fx.rss10(written)),
        ("application/atom+xml", fx.atom(written)),
        ("application/feed+json", fx.jsonfeed(written)),
        ("application/rss+xml", hostile.XML_ENTRIES["surrogate pair references"]),
    ]
    if CORPUS.is_dir():  # a few small real feeds: the suite must stay fast
        real = sorted(p for p in CORPUS.glob("*") if p.suffix != ".md")
        for path in sorted(real, key=lambda p: p.stat().st_size)[:12]:
            kind = "application/feed+json" if path.suffix == ".json" else "application/xml"
            documents.append((kind, path.read_bytes()))
    return documents


def check_storable(parsed) -> None:
    for entry in parsed.entries:
        for text in (entry.title, entry.text, entry.author or "", entry.url or "", *entry.keys):
            text.encode("utf-8")  # no lone surrogate: SQLite and SMTP can take it
            assert "\x00" not in text
        assert len(entry.title) <= MAX_TITLE and len(entry.text) <= MAX_TEXT
        assert len(entry.author or "") <= MAX_AUTHOR and len(entry.url or "") <= MAX_URL
        assert entry.keys
    if parsed.title:
        parsed.title.encode("utf-8")


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.integers(min_value=0), rng=st.randoms(use_true_random=False))
def test_a_mutated_feed_never_breaks_parsing(seed, rng):
    content_type, document = seeds()[seed % len(seeds())]
    mutated = hostile.mutate(document, rng)
    parsed = parse_feed(mutated, {"content-type": content_type}, "https://e.org/f", "k", NOW)
    check_storable(parsed)
