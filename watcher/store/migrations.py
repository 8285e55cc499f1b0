"""Versioned schema. Append new migrations; never edit one that has shipped."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("watcher")


@migrations()
def m001_feeds_articles(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            source_url TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            name TEXT NOT NULL,
            interval REAL NOT NULL,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            next_poll_at TEXT NOT NULL,
            last_polled_at TEXT,
            last_success_at TEXT,
            last_new_at TEXT,
            last_status TEXT,
            last_http_status INTEGER,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            gone_reason TEXT,
            disabled_reason TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE gone_reason IS NULL
            AND disabled_reason IS NULL;

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            url TEXT,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            author TEXT,
            published TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            language TEXT,
            content_hash TEXT NOT NULL
        );
        CREATE INDEX articles_feed ON articles (feed_id, first_seen);
        CREATE INDEX articles_published ON articles (published);

        CREATE TABLE article_keys (
            key TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id)
        ) WITHOUT ROWID;

        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            bytes INTEGER NOT NULL DEFAULT 0,
            elapsed REAL NOT NULL DEFAULT 0,
            entries INTEGER NOT NULL DEFAULT 0,
            new_articles INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE INDEX fetch_log_feed ON fetch_log (feed_id, at);
        """
    )
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@migrations()
def m002_verdicts_feedback(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN score REAL;
        ALTER TABLE articles ADD COLUMN relevant INTEGER;
        ALTER TABLE articles ADD COLUMN aspects TEXT;
        ALTER TABLE articles ADD COLUMN explanation TEXT;
        ALTER TABLE articles ADD COLUMN model_version TEXT;
        ALTER TABLE articles ADD COLUMN classified_at TEXT;
        CREATE INDEX articles_unclassified ON articles (id) WHERE classified_at IS NULL;
        CREATE INDEX articles_relevant ON articles (relevant, published);

        CREATE TABLE feedback (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            label INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations()
def m003_stories_outbox_digests(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            signature TEXT NOT NULL,
            first_article_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX stories_recent ON stories (updated_at);
        ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories(id);

        CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            subscriber TEXT NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            body BLOB NOT NULL,
            article_id INTEGER,
            story_id INTEGER,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
        CREATE UNIQUE INDEX outbox_one_alert_per_story
            ON outbox (subscriber, story_id) WHERE kind = 'alert';

        CREATE TABLE digest_items (
            subscriber TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            story_id INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            outbox_id TEXT,
            PRIMARY KEY (subscriber, article_id)
        );
        CREATE INDEX digest_items_pending ON digest_items (subscriber) WHERE outbox_id IS NULL;

        CREATE TABLE digest_state (
            subscriber TEXT PRIMARY KEY,
            last_digest_at TEXT NOT NULL
        );

        CREATE TABLE subscriber_state (
            subscriber TEXT PRIMARY KEY,
            disabled_reason TEXT,
            disabled_at TEXT
        );

        CREATE TABLE feed_health (
            feed_id INTEGER PRIMARY KEY REFERENCES feeds(id),
            state TEXT NOT NULL,
            since TEXT NOT NULL
        );
        """
    )


@migrations()
def m004_fts_only_on_text_changes(db: sqlite_utils.Database) -> None:
    """The FTS index re-tokenised an article on every update, verdicts included: measured,
    that doubled the store's CPU in a cold pass. Re-index only when title or text change."""
    db.executescript(
        """
        DROP TRIGGER IF EXISTS articles_au;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.rowid, old.title, old.text);
          INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END;
        """
    )


@migrations()
def m005_search_index_in_batches(db: sqlite_utils.Database) -> None:
    """New articles join the full-text index in batches, not one feed's commit at a time:
    FTS5 writes a segment per commit, which measured as a third of the store's CPU in a cold
    pass; batched, indexing costs 3x less. Rows above `indexed_upto` wait for the next batch;
    the update and delete triggers must not touch them, since they are not in the index."""
    db.executescript(
        """
        CREATE TABLE search_index_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            indexed_upto INTEGER NOT NULL
        );
        INSERT INTO search_index_state (id, indexed_upto)
            VALUES (1, COALESCE((SELECT MAX(id) FROM articles), 0));
        DROP TRIGGER IF EXISTS articles_ai;
        DROP TRIGGER IF EXISTS articles_au;
        DROP TRIGGER IF EXISTS articles_ad;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles
        WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
          INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles
        WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        """
    )


@migrations()
def m006_feeds_remember_their_last_document(db: sqlite_utils.Database) -> None:
    """Fingerprints of the entries in each feed's last document: entries seen there before
    are not new and need no verdict, across restarts and one-shot `poll` runs too."""
    db.execute("ALTER TABLE feeds ADD COLUMN seen_entries TEXT")


@migrations()
def m007_feeds_count_skipped_entries(db: sqlite_utils.Database) -> None:
    """How many entries of each feed's last document could not be read, and why the first
    could not: one bad entry is skipped, not its feed, and `status` says so."""
    db.execute("ALTER TABLE feeds ADD COLUMN skipped_entries INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN skip_reason TEXT")


@migrations()
def m008_article_pages(db: sqlite_utils.Database) -> None:
    """Article pages read when the feed said too little: the extracted text is stored with
    the article (`page_text`, beside the feed's own text) and joins the search index; what
    each read gave (read, unusable, failed, refused, skipped and why) is kept beside it.
    FTS5 cannot add a column, so the index is rebuilt with the rows it already held (the
    rows above `indexed_upto` still wait for their batch, see m005)."""
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN page_text TEXT;
        CREATE TABLE article_pages (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            feed_id INTEGER NOT NULL REFERENCES feeds(id),
            url TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT,
            final_url TEXT,
            canonical_url TEXT,
            title TEXT,
            published TEXT,
            language TEXT,
            lead TEXT,
            bytes INTEGER NOT NULL DEFAULT 0,
            elapsed REAL NOT NULL DEFAULT 0,
            at TEXT NOT NULL
        );
        CREATE INDEX article_pages_feed ON article_pages (feed_id, outcome);

        DROP TRIGGER IF EXISTS articles_au;
        DROP TRIGGER IF EXISTS articles_ad;
        DROP TABLE IF EXISTS articles_fts;
        CREATE VIRTUAL TABLE articles_fts USING FTS5 (
            title, text, page_text, tokenize='unicode61', content='articles'
        );
        INSERT INTO articles_fts (rowid, title, text, page_text)
            SELECT id, title, text, page_text FROM articles
            WHERE id <= (SELECT indexed_upto FROM search_index_state) ORDER BY id;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text, page_text ON articles
        WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, text, page_text)
            VALUES ('delete', old.id, old.title, old.text, old.page_text);
          INSERT INTO articles_fts (rowid, title, text, page_text)
            VALUES (new.id, new.title, new.text, new.page_text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles
        WHEN old.id <= (SELECT indexed_upto FROM search_index_state) BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, title, text, page_text)
            VALUES ('delete', old.id, old.title, old.text, old.page_text);
        END;
        """
    )


@migrations()
def m010_console_indexes(db: sqlite_utils.Database) -> None:
    """The web console lists matches newest first with keyset pages (relevant ones by default),
    groups them by story, and /metrics reads the last hour of the fetch log. The daemon's
    scheduler leaves a heartbeat so that /healthz (in this or another process) sees it tick."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS articles_seen ON articles (first_seen, id);
        CREATE INDEX IF NOT EXISTS articles_relevant_seen ON articles (relevant, first_seen, id);
        CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id) WHERE story_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS fetch_log_at ON fetch_log (at);
        CREATE TABLE IF NOT EXISTS heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at TEXT NOT NULL,
            interval REAL NOT NULL
        );
        """
    )


@migrations()
def m011_outbox_remembers_partial_delivery(db: sqlite_utils.Database) -> None:
    """A channel with several services per subscriber (Apprise) records which of them already
    accepted a message, by fingerprint, so that a retry goes only to the ones that failed."""
    db.execute("ALTER TABLE outbox ADD COLUMN delivered_to TEXT NOT NULL DEFAULT ''")
