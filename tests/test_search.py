"""Full-text search: new articles join the index in batches, and a search never misses one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import feeds as fx
from watcher.models import FeedSource, FeedUpdate, FetchLogRow
from watcher.parse import parse_feed
from watcher.store import Store

NOW = datetime(2025, 1, 20, tzinfo=UTC)
URL = "https://news.example.org/feed"


def _store_entries(store: Store, items: list[fx.Item]) -> list[int]:
    feed = store.due_feeds(NOW, everything=True)[0]
    entries = parse_feed(fx.rss20(items), {}, URL, URL, NOW).entries
    update = FeedUpdate(next_poll_at=NOW, last_polled_at=NOW, last_status="ok", error_count=0)
    log = FetchLogRow(NOW, "ok", 200, 1, 0.1, len(entries), None)
    return [a.id for a, _ in store.finish_poll(feed, update, log, entries, NOW)]


def _consistent(store: Store) -> None:
    """FTS5 compares its index with the whole articles table (so only once every row is
    indexed); raises 'database disk image is malformed' if they disagree."""
    store.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


def _documents_with(store: Store, term: str) -> int:
    """How many index entries carry a term, read from the index itself."""
    store.db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, articles_fts, instance)"
    )
    row = store.db.execute("SELECT COUNT(*) FROM temp.terms WHERE term = ?", [term]).fetchone()
    return int(row[0]) if row else 0


def _found(store: Store, text: str) -> set[str]:
    return {row["title"] for row in store.search_articles(text)}


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "w.db")
    opened.sync_feeds([FeedSource(URL, "News", 900.0)], NOW)
    yield opened
    opened.close()


def test_articles_are_indexed_in_a_batch_and_search_sees_the_unindexed(store):
    first = fx.Item("Caspian ferry route reopens", "https://news.example.org/1", "1")
    _store_entries(store, [first])
    assert store.db.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0] == 1  # content
    assert store.db.execute("SELECT indexed_upto FROM search_index_state").fetchone()[0] == 0
    assert _found(store, "ferry") == {first.title}  # the search indexed it first
    assert store.index_for_search() == 0
    second = fx.Item("Ferry operators add winter sailings", "https://news.example.org/2", "2")
    _store_entries(store, [second])
    assert store.index_for_search() == 1
    assert _found(store, "ferry") == {first.title, second.title}
    _consistent(store)


def test_edits_before_and_after_indexing_keep_the_index_true(store):
    indexed = _store_entries(
        store, [fx.Item("Grain corridor talks", "https://n.example.org/a", "a")]
    )
    store.index_for_search()
    waiting = _store_entries(store, [fx.Item("Port tariffs cut", "https://n.example.org/b", "b")])
    with store.transaction():
        for article_id, title in ((indexed[0], "Grain barge talks"), (waiting[0], "Port fees cut")):
            store.db.execute("UPDATE articles SET title = ? WHERE id = ?", [title, article_id])
    store.index_for_search()
    _consistent(store)
    counts = {t: _documents_with(store, t) for t in ("barge", "corridor", "fees", "tariffs")}
    assert counts == {"barge": 1, "corridor": 0, "fees": 1, "tariffs": 0}
    assert _found(store, "barge") == {"Grain barge talks"}
    assert _found(store, "corridor") == set()
    assert _found(store, "fees") == {"Port fees cut"}
    assert _found(store, "tariffs") == set()
    _consistent(store)


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_search_lists_everything_like_no_search(store, blank):
    from watcher.models import ArticleFilter

    items = [fx.Item(f"Story {n}", f"https://news.example.org/{n}", str(n)) for n in range(3)]
    _store_entries(store, items)
    everything = {a.title for a in store.list_articles(ArticleFilter())}
    assert everything == {item.title for item in items}
    assert {a.title for a in store.list_articles(ArticleFilter(search=blank))} == everything
