"""Hostile documents cost at most their own bad entry, and never unbounded memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import hostile
from tests.helpers import feed_row, poll, rows, status_table
from watcher.models import Outcome
from watcher.normalize import MAX_AUTHOR, MAX_TITLE
from watcher.parse import parse_feed
from watcher.xmlguard import ENTITY_BUDGET, bound_entities, entity_expansion, repair_charrefs

NOW = datetime(2025, 1, 20, tzinfo=UTC)
GOOD_TITLES = {title for title, _ in hostile.GOOD}


def parse(body: bytes, content_type: str = "application/rss+xml"):
    return parse_feed(body, {"content-type": content_type}, "https://e.org/feed", "k", NOW)


@pytest.mark.parametrize("name", sorted(hostile.XML_ENTRIES))
def test_a_hostile_xml_entry_costs_at_most_itself(name):
    parsed = parse(hostile.XML_ENTRIES[name])
    assert parsed.error is None, parsed.error
    assert {e.title for e in parsed.entries} >= GOOD_TITLES
    assert len(parsed.entries) + len(parsed.skipped) == 3


@pytest.mark.parametrize("name", sorted(hostile.JSON_ENTRIES))
def test_a_hostile_json_feed_entry_costs_at_most_itself(name):
    parsed = parse(hostile.json_feed_with(hostile.JSON_ENTRIES[name]), "application/feed+json")
    assert parsed.error is None, parsed.error
    assert {e.title for e in parsed.entries} >= GOOD_TITLES
    assert len(parsed.entries) + len(parsed.skipped) == 3


def test_character_references_are_repaired_not_fatal():
    titles = {e.title for e in parse(hostile.XML_ENTRIES["surrogate pair references"]).entries}
    assert "Odd 😀 entry" in titles
    for name in ("lone surrogate reference", "code point past U+10FFFF", "NUL reference"):
        titles = {e.title for e in parse(hostile.XML_ENTRIES[name]).entries}
        assert "Odd \ufffd entry" in titles, name


def test_repair_charrefs_keeps_valid_references_byte_for_byte():
    text = b"&#8220;a&#x41;&#10;&#xD83D;&#xDE00;&#65;&#xDE00;&#x110000;&#0000000000065;"
    assert repair_charrefs(text) == (
        b"&#8220;a&#x41;&#10;&#x1F600;&#65;&#xFFFD;&#xFFFD;&#0000000000065;"
    )


def test_links_that_cannot_be_parsed_are_dropped_not_the_entry():
    for name in ("port 99999", "broken IPv6 host"):
        entries = parse(hostile.XML_ENTRIES[name]).entries
        odd = [e for e in entries if e.title == "Odd entry"]
        assert len(odd) == 1 and odd[0].url is None, name


def test_field_sizes_are_bounded():
    entries = parse(hostile.XML_ENTRIES["two-megabyte title"]).entries
    assert max(len(e.title) for e in entries) == MAX_TITLE
    long_author = hostile.rss_with(
        f"<item><title>By many</title><author>{'a' * 5000}</author></item>"
    )
    authors = [e.author for e in parse(long_author).entries if e.author]
    assert authors and len(authors[0]) == MAX_AUTHOR


def test_an_entry_with_nothing_to_store_is_counted_as_skipped():
    parsed = parse(hostile.rss_with("<item><description></description></item>"))
    assert len(parsed.entries) == 2
    assert parsed.skipped == ("an entry with no title, text or link",)


def test_a_document_broken_before_its_first_entry_is_an_error_not_an_empty_feed():
    whole = hostile.rss_with("")
    broken = parse(whole[: whole.index(b"<item>") + 20])
    assert broken.entries == () and broken.error
    assert broken.error.startswith("not a readable feed (SAXParseException")
    kept = parse(whole[: whole.index(b"</item>") + 7])  # cut after a whole entry: it is kept
    assert kept.error is None and len(kept.entries) == 1 and kept.warning


def test_an_entity_bomb_is_not_expanded():
    small = hostile.entity_bomb(entity_size=1000, references=2000)  # 2 MB if expanded
    parsed = parse(small)
    assert parsed.error is None
    bomb = next(e for e in parsed.entries if e.title == "Bomb")
    assert "AAAA" not in bomb.text
    assert {e.title for e in parsed.entries} >= GOOD_TITLES


def test_small_entities_within_the_budget_still_expand():
    prolog = '<!DOCTYPE rss [\n<!ENTITY org "Example Org">\n]>\n'
    body = hostile.rss_with("<item><title>News from &org;</title></item>", prolog)
    assert entity_expansion(body) < ENTITY_BUDGET
    assert bound_entities(body) == body
    assert "News from Example Org" in {e.title for e in parse(body).entries}


def test_the_full_size_bomb_is_measured_and_refused_cheaply():
    body = hostile.entity_bomb()
    assert entity_expansion(body) == 100_000 * 95_000
    assert b"<!ENTITY" not in bound_entities(body)
    parsed = parse(body)
    assert parsed.error is None and len(parsed.entries) == 3


def test_a_feed_with_bad_entries_stores_the_others_and_status_counts_them(
    feed_server, make_config, executor
):
    bad_link = hostile.XML_ENTRIES["port 99999"]
    empty = hostile.rss_with("<item><description></description></item>")
    first = feed_server.set("/links", body=bad_link)
    second = feed_server.set("/empty", body=empty)
    json_url = feed_server.set(
        "/json",
        body=hostile.json_feed_with(hostile.JSON_ENTRIES["deeply nested arrays"]),
        content_type="application/feed+json",
    )
    config = make_config([first, second, json_url])
    reports = poll(config, executor)
    assert {r.outcome for r in reports.values()} == {Outcome.NEW_CONTENT}
    assert [r.entries for r in (reports[first], reports[second], reports[json_url])] == [3, 2, 3]
    stored = rows(config, "SELECT feed_id, title FROM articles")
    assert {r["title"] for r in stored} == GOOD_TITLES | {"Odd entry"}
    assert len(stored) == 4  # the good two once (shared links), the odd one of each format
    feed = feed_row(config, second)
    assert feed["skipped_entries"] == 1
    assert feed["skip_reason"] == "an entry with no title, text or link"
    shown = status_table(config)
    assert "1 entry skipped: an entry with no title, text or link" in shown, shown
