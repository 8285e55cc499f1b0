"""Real publishers' feeds from ../shared/corpus/feeds: none may crash the pipeline; each
yields what feedparser finds, and one cut off before its first entry is a failing feed."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from tests.helpers import poll
from tests.servers import Route
from watcher.models import Outcome

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix != ".md") if CORPUS.is_dir() else []


def _expected_entries(body: bytes) -> int:
    """What feedparser finds, less entries with no title, text or link (nothing to store)."""
    entries = feedparser.parse(body).entries
    return sum(
        1
        for e in entries
        if e.get("title") or e.get("summary") or e.get("link") or e.get("content")
    )


@pytest.mark.skipif(not FILES, reason="../shared/corpus/feeds is not present")
def test_every_real_feed_is_ingested(feed_server, make_config, executor):
    urls = {}
    for path in FILES:
        content_type = "application/feed+json" if path.suffix == ".json" else "application/xml"
        urls[path] = feed_server.set(
            f"/{path.name}", route=Route(body=path.read_bytes(), content_type=content_type)
        )
    config = make_config(list(urls.values()))
    reports = poll(config, executor)
    for path, url in urls.items():
        report = reports[url]
        body = path.read_bytes()
        if path.suffix == ".json":
            assert report.outcome is Outcome.NEW_CONTENT, path.name
            assert report.entries > 0, path.name
            continue
        expected = _expected_entries(body)
        if not expected and feedparser.parse(body).bozo:
            # cut off before its first entry (a publisher's server error): a failing feed
            assert report.outcome is Outcome.ERROR, path.name
            assert report.message and report.message.startswith("not a readable feed"), path.name
            continue
        assert report.entries == expected, path.name
        assert report.outcome is Outcome.NEW_CONTENT, (path.name, report.message)
    # a second pass over unchanged feeds stores nothing twice
    again = poll(config, executor)
    assert sum(r.new_articles for r in again.values()) == 0
