"""m008: the search index gains the page text without losing what it already held."""

from __future__ import annotations

import sqlite_utils

from watcher.store import Store
from watcher.store.migrations import migrations


def test_articles_indexed_before_m008_are_still_found_and_pages_are_searchable(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m008_article_pages")
    db.execute(
        "INSERT INTO feeds (source_url, url, name, interval, next_poll_at, created_at)"
        " VALUES ('http://f', 'http://f', 'f', 900, '2025-01-01', '2025-01-01')"
    )
    db.execute(
        "INSERT INTO articles (feed_id, title, text, published, first_seen, content_hash)"
        " VALUES (1, 'Kremlin signs accord', 'old body', '2025-01-01', '2025-01-01', 'h1')"
    )
    db.execute("UPDATE search_index_state SET indexed_upto = 0")
    db.execute("INSERT INTO articles_fts (rowid, title, text) SELECT id, title, text FROM articles")
    db.execute("UPDATE search_index_state SET indexed_upto = 1")
    db.conn.commit()
    db.close()

    store = Store.open(path)  # applies m008
    try:
        assert [r["id"] for r in store.search_articles("accord")] == [1]
        store.db.execute("UPDATE articles SET page_text = 'ratified by the Majlis' WHERE id = 1")
        assert [r["id"] for r in store.search_articles("Majlis")] == [1]
        assert store.search_articles("accord")[0]["lead"] is None
    finally:
        store.close()
