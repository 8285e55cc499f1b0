"""Polling against a real HTTP server on 127.0.0.1, storing into a real SQLite file."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from tests import feeds as fx
from tests.helpers import feed_row, poll, rows, titles
from tests.servers import FeedServer, Route
from watcher.models import Outcome

FORMATS = {
    "rss20": (fx.rss20, "application/rss+xml"),
    "rss10": (fx.rss10, "application/rdf+xml"),
    "rss091": (fx.rss091, "application/rss+xml"),
    "atom": (fx.atom, "application/atom+xml"),
    "json11": (fx.jsonfeed, "application/feed+json"),
    "json10": (lambda e: fx.jsonfeed(e, "1"), "application/json"),
}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_format_stores_every_entry_with_its_fields(feed_server, make_config, executor, kind):
    render, content_type = FORMATS[kind]
    url = feed_server.set("/feed", body=render(fx.items(3)), content_type=content_type)
    config = make_config([url])
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.NEW_CONTENT
    assert report.new_articles == 3
    stored = rows(config, "SELECT * FROM articles ORDER BY url")
    assert [r["url"] for r in stored] == [f"https://news.example.org/story/{i}" for i in range(3)]
    assert stored[0]["title"] == "Story number 0"
    assert stored[0]["text"] == "Body of story 0, with bold words."
    if kind != "rss091":  # RSS 0.91 items carry no date: first-seen time stands in
        assert stored[1]["published"].startswith("2025-01-17T09:01:00")


def test_rss091_without_dates_uses_first_seen_and_feed_language(feed_server, make_config, executor):
    url = feed_server.set("/old", body=fx.rss091(fx.items(2)))
    config = make_config([url])
    before = datetime.now(UTC)
    poll(config, executor)
    stored = rows(config, "SELECT published, first_seen, language FROM articles")
    assert all(r["published"] == r["first_seen"] for r in stored)
    assert datetime.fromisoformat(stored[0]["published"]) >= before - timedelta(seconds=1)
    assert {r["language"] for r in stored} == {"de"}


def test_not_modified_sends_validators_and_writes_no_article(feed_server, make_config, executor):
    url = feed_server.set(
        "/feed",
        body=fx.rss20(fx.items(5)),
        etag='"v1"',
        last_modified="Fri, 17 Jan 2025 09:00:00 GMT",
    )
    config = make_config([url])
    assert poll(config, executor)[url].new_articles == 5
    second = poll(config, executor)[url]
    request = feed_server.hits("/feed")[-1]
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Fri, 17 Jan 2025 09:00:00 GMT"
    assert second.outcome is Outcome.NOT_MODIFIED
    assert second.entries == 0 and second.new_articles == 0
    log = rows(config, "SELECT outcome, entries, new_articles FROM fetch_log ORDER BY id")
    assert log[-1] == {"outcome": "not_modified", "entries": 0, "new_articles": 0}
    assert len(titles(config)) == 5


def test_validators_are_only_saved_from_a_200(feed_server, make_config, executor):
    url = feed_server.set("/feed", status=500, etag='"broken"', body=b"oops")
    config = make_config([url])
    poll(config, executor)
    assert feed_row(config, url)["etag"] is None


def test_dedupe_across_polls_and_across_feeds(feed_server, make_config, executor):
    first = feed_server.set("/a", body=fx.rss20(fx.items(3)))
    tracked = [
        fx.Item(
            title=f"Copy of story {i}",
            link=f"https://news.example.org/story/{i}?utm_source=rss&utm_medium=feed#top",
            guid=f"other-{i}",
        )
        for i in range(3)
    ]
    second = feed_server.set("/b", body=fx.rss20(tracked))
    config = make_config([first, second])
    reports = poll(config, executor)
    assert reports[first].new_articles + reports[second].new_articles == 3
    feed_server.set("/a", body=fx.rss20(fx.items(4)))  # one new item, three old ones
    reports = poll(config, executor)
    assert reports[first].new_articles == 1
    assert reports[second].new_articles == 0
    assert len(titles(config)) == 4


def test_duplicate_entries_inside_one_document_are_stored_once(feed_server, make_config, executor):
    one = fx.items(1)[0]
    url = feed_server.set("/dup", body=fx.rss20([one, one, one]))
    config = make_config([url])
    assert poll(config, executor)[url].new_articles == 1


def test_a_guid_shared_by_different_entries_does_not_swallow_them(
    feed_server, make_config, executor
):
    shared = [
        fx.Item(title=f"Episode {i}", link=f"https://pod.example.org/{i}", guid="same-guid")
        for i in range(3)
    ]
    url = feed_server.set("/shared-guid", body=fx.rss20(shared))
    config = make_config([url])
    assert poll(config, executor)[url].new_articles == 3
    assert poll(config, executor)[url].new_articles == 0


def test_missing_guids_fall_back_to_link_then_content(feed_server, make_config, executor):
    no_guid = [fx.Item(title=f"Note {i}", link=f"https://x.example.org/{i}") for i in range(2)]
    same_link = [
        fx.Item(title=f"Release {i}", link="https://x.example.org/news.html") for i in range(3)
    ]
    url = feed_server.set("/noguid", body=fx.rss20(no_guid + same_link))
    config = make_config([url])
    assert poll(config, executor)[url].new_articles == 5
    assert poll(config, executor)[url].new_articles == 0


def test_permanent_redirect_updates_the_stored_url(feed_server, make_config, executor):
    target = feed_server.set("/new-home", body=fx.rss20(fx.items(1)))
    old = feed_server.set("/old-home", status=301, headers={"Location": target})
    temporary = feed_server.set("/tmp-home", status=302, headers={"Location": target})
    config = make_config([old, temporary])
    poll(config, executor)
    assert feed_row(config, old)["url"] == target
    assert feed_row(config, temporary)["url"] == temporary


def test_too_many_redirects_is_a_clear_error(feed_server, make_config, executor):
    for i in range(8):
        feed_server.set(f"/r{i}", status=302, headers={"Location": feed_server.url(f"/r{i + 1}")})
    url = feed_server.url("/r0")
    config = make_config([url])
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.ERROR
    assert "more than 5 redirects" in (report.message or "")


def test_gone_feed_stops_being_polled(feed_server, make_config, executor):
    url = feed_server.set("/gone", status=410, body=b"")
    config = make_config([url])
    assert poll(config, executor)[url].outcome is Outcome.GONE
    row = feed_row(config, url)
    assert "410" in row["gone_reason"]
    poll(config, executor)
    assert len(feed_server.hits("/gone")) == 1


def test_retry_after_is_honoured(feed_server, make_config, executor):
    url = feed_server.set("/busy", status=429, headers={"Retry-After": "7200"})
    config = make_config([url])
    before = datetime.now(UTC)
    assert poll(config, executor)[url].outcome is Outcome.RATE_LIMITED
    next_poll = datetime.fromisoformat(feed_row(config, url)["next_poll_at"])
    assert next_poll >= before + timedelta(seconds=7200)


def test_server_error_backs_off_then_recovers(feed_server, make_config, executor):
    url = feed_server.set("/flaky", status=500, body=b"down")
    config = make_config([url])
    poll(config, executor)
    poll(config, executor)
    row = feed_row(config, url)
    assert row["error_count"] == 2
    assert "HTTP 500" in row["last_error"]
    feed_server.set("/flaky", body=fx.rss20(fx.items(2)))
    assert poll(config, executor)[url].new_articles == 2
    row = feed_row(config, url)
    assert row["error_count"] == 0 and row["last_error"] is None and row["failing_since"] is None


def test_read_timeout(feed_server, make_config, executor):
    url = feed_server.set("/slow", body=fx.rss20(fx.items(1)), delay=3)
    config = make_config([url], read_timeout="1s")
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.ERROR
    assert "timed out" in (report.message or "")


def test_slow_drip_body_stops_at_the_deadline(feed_server, make_config, executor):
    url = feed_server.set("/drip", body=fx.rss20(fx.items(20)), drip=0.05)
    config = make_config([url], deadline="1.5s", read_timeout="1s")
    started = datetime.now(UTC)
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.ERROR
    assert "deadline" in (report.message or "")
    assert datetime.now(UTC) - started < timedelta(seconds=4)


def test_oversized_body_is_refused(feed_server, make_config, executor):
    url = feed_server.set("/big", body=fx.rss20(fx.items(400)))
    config = make_config([url], max_body="20KB")
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.ERROR
    assert "exceeds" in (report.message or "") and "max_body" in (report.message or "")


def test_gzip_bomb_stops_at_the_cap(feed_server, make_config, executor):
    bomb = gzip.compress(b"<rss>" + b" " * 200_000_000)
    url = feed_server.set("/bomb", route=Route(raw=bomb, headers={"Content-Encoding": "gzip"}))
    config = make_config([url], max_body="1MB")
    report = poll(config, executor)[url]
    assert len(bomb) < 300_000
    assert report.outcome is Outcome.ERROR
    assert "exceeds 1.0 MB once decoded" in (report.message or "")


def test_gzip_encoded_feed_is_read(feed_server, make_config, executor):
    url = feed_server.set("/gz", body=fx.rss20(fx.items(30)), gzip=True)
    config = make_config([url])
    report = poll(config, executor)[url]
    assert report.new_articles == 30
    assert report.bytes_transferred < len(fx.rss20(fx.items(30))) / 2


def test_invalid_xml_is_an_error_but_recoverable_xml_keeps_its_entries(
    feed_server, make_config, executor
):
    broken = feed_server.set("/broken", body=b"\x00\x01 this is <not> xml at all &&&")
    recoverable = fx.rss20(fx.items(2)).replace(b"Story number 1", b"Story &nbsp; number 1")
    sloppy = feed_server.set("/sloppy", body=recoverable)
    config = make_config([broken, sloppy])
    reports = poll(config, executor)
    assert reports[broken].outcome is Outcome.ERROR
    assert "not a readable feed" in (reports[broken].message or "")
    assert reports[sloppy].new_articles == 2
    assert feed_row(config, broken)["etag"] is None


def test_html_page_instead_of_a_feed(feed_server, make_config, executor):
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body>hi</body></html>"
    url = feed_server.set("/page", body=page, content_type="text/html", etag='"page"')
    config = make_config([url])
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.ERROR
    assert "HTML page, not a feed" in (report.message or "")
    assert feed_row(config, url)["etag"] is None  # so the next poll re-reads it


def test_empty_feed_is_fine(feed_server, make_config, executor):
    url = feed_server.set("/empty", body=fx.rss20([]))
    config = make_config([url])
    report = poll(config, executor)[url]
    assert report.outcome is Outcome.NEW_CONTENT and report.entries == 0
    assert feed_row(config, url)["error_count"] == 0


def test_unreachable_feed_does_not_stop_the_others(feed_server, make_config, executor):
    good = feed_server.set("/good", body=fx.rss20(fx.items(2)))
    dead = "http://127.0.0.1:9/feed"  # discard port: connection refused
    config = make_config([dead, good])
    reports = poll(config, executor)
    assert reports[dead].outcome is Outcome.ERROR
    assert "cannot connect" in (reports[dead].message or "")
    assert reports[good].new_articles == 2


def test_restart_keeps_state(feed_server, make_config, executor):
    url = feed_server.set("/feed", body=fx.rss20(fx.items(3)), etag='"e1"')
    config = make_config([url])
    poll(config, executor)
    # a new process would open the same file: nothing is held in memory between polls
    assert poll(config, executor, everything=False) == {}  # not due yet
    assert poll(config, executor)[url].outcome is Outcome.NOT_MODIFIED
    assert len(titles(config)) == 3


def test_feed_removed_from_config_is_disabled_not_forgotten(feed_server, make_config, executor):
    keep = feed_server.set("/keep", body=fx.rss20(fx.items(1)))
    drop = feed_server.set("/drop", body=fx.rss20(fx.items(1, prefix="https://d.example.org")))
    poll(make_config([keep, drop]), executor)
    config = make_config([keep])
    reports = poll(config, executor)
    assert set(reports) == {keep}
    assert feed_row(config, drop)["disabled_reason"] == "removed from the configuration"
    assert len(titles(config)) == 2


def test_user_agent_names_the_project(feed_server, make_config, executor):
    url = feed_server.set("/ua", body=fx.rss20([]))
    poll(make_config([url]), executor)
    assert feed_server.hits("/ua")[0].headers["user-agent"].startswith("watcher/")


def test_ttl_stretches_the_interval_within_the_bound(feed_server, make_config, executor):
    body = fx.rss20(fx.items(1), extra="<ttl>600</ttl>")  # ten hours
    url = feed_server.set("/ttl", body=body)
    config = make_config([{"url": url, "interval": "15m"}], max_stretch="2h")
    before = datetime.now(UTC)
    poll(config, executor)
    wait = datetime.fromisoformat(feed_row(config, url)["next_poll_at"]) - before
    assert timedelta(hours=2) <= wait <= timedelta(hours=2, minutes=7)


def test_bad_feed_server_leaves_clear_status(feed_server: FeedServer, make_config, executor):
    url = feed_server.set("/page", body=b"<html><body>nope</body></html>", content_type="text/html")
    config = make_config([url])
    poll(config, executor)
    row = feed_row(config, url)
    assert row["last_status"] == "error"
    assert row["error_count"] == 1
    assert row["failing_since"] is not None
