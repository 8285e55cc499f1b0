"""Entries are judged in the worker that parses them, and stored with their verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests import feeds as fx
from tests.helpers import OTHER, SECRET, TREATY, poll, rows, webhook_sub
from watcher.app import open_store
from watcher.normalize import seen_mark
from watcher.workers import parse_and_judge

NOW = datetime(2025, 1, 20, tzinfo=UTC)
URL = "https://news.example.org/feed"


def test_only_entries_the_previous_document_lacked_are_judged(model):
    before = fx.items(3)
    earlier, _ = parse_and_judge(fx.rss20(before), {}, URL, URL, NOW, frozenset(), model)
    seen = frozenset(seen_mark(entry.keys[0]) for entry in earlier.entries)
    parsed, judged = parse_and_judge(fx.rss20([TREATY, *before]), {}, URL, URL, NOW, seen, model)
    first = parsed.entries[0]
    assert first.title == TREATY.title and len(parsed.entries) == 4
    assert judged[1:] == (None, None, None)
    assert judged[0] == model.classify(first.title, first.text, first.language)
    assert judged[0] is not None and judged[0].relevant


def test_every_new_article_is_stored_judged(feed_server, make_config, executor):
    url = feed_server.set("/f", body=fx.rss20([TREATY, *fx.items(4)]))
    config = make_config([url])
    poll(config, executor)
    stored = rows(config, "SELECT title, relevant, classified_at, explanation FROM articles")
    assert len(stored) == 5
    assert all(r["classified_at"] and r["explanation"] for r in stored)
    assert [r["title"] for r in stored if r["relevant"]] == [TREATY.title]


def test_a_feed_remembers_its_last_document_across_runs(feed_server, make_config, executor, model):
    before = fx.items(3)
    url = feed_server.set("/f", body=fx.rss20(before))
    config = make_config([url])
    poll(config, executor)
    feed_server.set("/f", body=fx.rss20([TREATY, *before]))
    poll(config, executor)  # a new run: nothing is carried over in memory
    with open_store(config) as store:
        seen = store.feed(store.due_feeds(NOW, everything=True)[0].id).seen
    document = fx.rss20([TREATY, *before, OTHER])
    parsed, judged = parse_and_judge(document, {}, url, url, NOW, seen, model)
    assert len(seen) == 4
    assert [e.title for e, v in zip(parsed.entries, judged, strict=True) if v] == [OTHER.title]


class _VerdictsLost:
    """The real worker pool, except that parsing returns no verdicts (as when judging fails)."""

    def __init__(self, pool):
        self._pool = pool

    def __getattr__(self, name):
        return getattr(self._pool, name)

    async def parse_and_judge(self, *args, **kwargs):
        parsed, judged = await self._pool.parse_and_judge(*args, **kwargs)
        return parsed, (None,) * len(judged)


def test_articles_without_a_verdict_are_judged_after_the_insert_and_alerted(
    feed_server, receiver, make_config, executor, monkeypatch
):
    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)
    url = feed_server.set("/f", body=fx.rss20([OTHER, *fx.items(2)]))
    config = make_config([url], body=webhook_sub(receiver))
    poll(config, _VerdictsLost(executor))
    stored = rows(config, "SELECT title, relevant, classified_at FROM articles")
    assert len(stored) == 3 and all(r["classified_at"] for r in stored)
    titles = [json.loads(d.body)["article"]["title"] for d in receiver.deliveries]
    assert titles == [OTHER.title]
