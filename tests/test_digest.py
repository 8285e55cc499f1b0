"""Digests on their schedule (DST, downtime) with each article in exactly one; feed health."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from tests import feeds as fx
from tests.helpers import (
    COPY,
    OTHER,
    SCHEMA,
    SECRET,
    TREATY,
    Clock,
    deliver_all,
    poll,
    rows,
    webhook_sub,
)
from watcher.app import open_store
from watcher.notify.digest import due_subscribers
from watcher.notify.messages import make_renderer
from watcher.notify.notifier import Notifier
from watcher.timing import digest_due, next_digest


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "expected", "why"),
    [
        (utc(2025, 3, 28, 12), utc(2025, 3, 29, 7), "08:00 CET is 07:00 UTC in winter"),
        (utc(2025, 3, 29, 12), utc(2025, 3, 30, 6), "clocks went forward overnight: 08:00 CEST"),
        (utc(2025, 10, 25, 12), utc(2025, 10, 26, 7), "clocks went back overnight: 08:00 CET"),
        (utc(2025, 3, 29, 7), utc(2025, 3, 30, 6), "a slot is never the moment itself"),
    ],
)
def test_daily_digest_follows_the_local_clock_across_dst(after, expected, why):
    assert next_digest("daily 08:00", "Europe/Berlin", after) == expected, why


def test_cron_weekdays_count_from_sunday_like_cron():
    saturday = utc(2025, 11, 1, 12)
    assert next_digest("0 8 * * 1-5", "America/New_York", saturday) == utc(2025, 11, 3, 13)
    assert next_digest("weekly sun 09:30", "UTC", saturday) == utc(2025, 11, 2, 9, 30)


def test_missed_slots_give_one_catch_up_digest():
    last = utc(2025, 1, 13, 8)  # Monday's digest
    back = utc(2025, 1, 16, 10)  # the daemon was down until Thursday
    assert digest_due("daily 08:00", "UTC", last, back)
    assert not digest_due("daily 08:00", "UTC", back, back + timedelta(hours=1))
    assert digest_due("daily 08:00", "UTC", back, utc(2025, 1, 17, 8))


def notifier_for(config, store):
    return Notifier(config, store, make_renderer(config, "Russia–Iran treaty"))


def test_each_article_lands_in_exactly_one_digest_grouped_by_story(
    feed_server, receiver, make_config, executor
):
    wire = feed_server.set("/wire", body=fx.rss20([TREATY, OTHER]))
    paper = feed_server.set("/paper", body=fx.rss20([COPY]))
    body = webhook_sub(receiver, name="desk", extra='mode = "digest"\ndigest = "daily 08:00"')
    config = make_config([wire, paper], body=body)
    start = utc(2025, 1, 17, 7)
    with open_store(config) as store:
        assert (
            due_subscribers(config.subscribers, store, start) == []
        )  # a new subscriber starts counting
    poll(config, executor)
    assert receiver.deliveries == []  # digest subscribers get no immediate alert
    clock = Clock()
    with open_store(config) as store:
        notifier = notifier_for(config, store)
        assert notifier.send_due_digests(utc(2025, 1, 17, 7, 59)) == 0
        assert notifier.send_due_digests(utc(2025, 1, 17, 8, 1)) == 1
        assert notifier.send_due_digests(utc(2025, 1, 17, 8, 2)) == 0
    clock.now = utc(2025, 1, 17, 8, 3)
    deliver_all(config, clock)
    [digest] = receiver.payloads()
    jsonschema.validate(digest, SCHEMA)
    assert digest["type"] == "digest"
    titles = [s["title"] for s in digest["stories"]]
    assert len(titles) == 2 and OTHER.title in titles
    treaty = next(s for s in digest["stories"] if s["title"] != OTHER.title)
    assert [c["title"] for c in treaty["also_reported_by"]] in ([COPY.title], [TREATY.title])
    scores = [s["score"] for s in digest["stories"]]
    assert scores == sorted(scores, reverse=True)

    late = fx.Item(
        title="Duma ratifies the treaty with Iran",
        link="https://wire.example.org/duma",
        summary="Russia's State Duma ratified the comprehensive strategic partnership treaty with Iran.",
    )
    feed_server.set("/wire", body=fx.rss20([TREATY, OTHER, late]))
    poll(config, executor)
    with open_store(config) as store:
        assert notifier_for(config, store).send_due_digests(utc(2025, 1, 20, 9)) == 1  # catch-up
    clock.now = utc(2025, 1, 20, 9, 1)
    deliver_all(config, clock)
    second = receiver.payloads()[1]
    assert [s["title"] for s in second["stories"]] == [late.title]
    items = rows(config, "SELECT article_id, outbox_id FROM digest_items")
    assert len(items) == 4 and all(i["outbox_id"] for i in items)
    assert len({i["article_id"] for i in items}) == 4


def test_an_empty_digest_sends_nothing_unless_configured(receiver, make_config):
    quiet = webhook_sub(receiver, name="quiet", extra='mode = "digest"\ndigest = "daily 08:00"')
    chatty = webhook_sub(
        receiver, name="chatty", extra='mode = "digest"\ndigest = "daily 08:00"\nsend_empty = true'
    )
    config = make_config([], body=quiet + chatty)
    with open_store(config) as store:
        notifier = notifier_for(config, store)
        notifier.send_due_digests(utc(2025, 1, 17, 7))
        assert notifier.send_due_digests(utc(2025, 1, 18, 9)) == 1
    clock = Clock()
    clock.now = utc(2025, 1, 18, 10)
    deliver_all(config, clock)
    [empty] = receiver.payloads()
    assert empty["subscriber"] == "chatty" and empty["stories"] == []


def test_digest_dry_run_prints_and_marks_nothing(feed_server, make_config, executor, receiver):
    url = feed_server.set("/f", body=fx.rss20([TREATY]))
    body = webhook_sub(receiver, name="desk", extra='mode = "digest"')
    config = make_config([url], body=body)
    poll(config, executor)
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(config.source), "digest", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert TREATY.title in done.stdout
    assert rows(config, "SELECT outbox_id FROM digest_items") == [{"outbox_id": None}]
    assert rows(config, "SELECT * FROM outbox") == []


def test_digest_command_sends_unless_a_daemon_runs_then_leaves_it_queued(
    feed_server, make_config, executor, receiver
):
    from click.testing import CliRunner

    from watcher.cli import cli
    from watcher.store import DaemonLock

    url = feed_server.set("/f", body=fx.rss20([TREATY]))
    desk = webhook_sub(receiver, name="desk", extra='mode = "digest"')
    config = make_config([url], body=desk + webhook_sub(receiver, name="now"))
    command = ["--config", str(config.source), "digest"]
    poll(config, executor)
    alone = CliRunner().invoke(cli, command)
    assert alone.exit_code == 0 and "1 message sent" in alone.stdout, alone.output
    assert [p["type"] for p in receiver.payloads()].count("digest") == 1
    feed_server.set("/f", body=fx.rss20([TREATY, OTHER]))
    poll(config, executor)
    with DaemonLock(config.database):  # a daemon runs: it sends, or both might send one row
        beside = CliRunner().invoke(cli, command)
    assert beside.exit_code == 0 and "the running daemon sends it" in beside.stdout
    queued = rows(config, "SELECT status FROM outbox WHERE kind = 'digest' ORDER BY created_at")
    assert [r["status"] for r in queued] == ["sent", "pending"]
    assert [p["type"] for p in receiver.payloads()].count("digest") == 1
    immediate = CliRunner().invoke(cli, [*command, "--subscriber", "now"])
    assert immediate.exit_code == 2
    assert "now gets immediate alerts, not digests" in immediate.stderr


def test_ops_subscribers_hear_of_failing_and_recovered_feeds(
    feed_server, receiver, make_config, executor
):
    url = feed_server.set("/flaky", status=500)
    body = (
        webhook_sub(receiver, name="ops", extra="ops = true") + '[health]\nfailing_after = "1h"\n'
    )
    config = make_config([{"url": url, "name": "Flaky feed"}], body=body)
    poll(config, executor)
    now = datetime.now(UTC)
    with open_store(config) as store:
        notifier = notifier_for(config, store)
        assert notifier.check_health(now) == 0  # failing, but not for long yet
        assert notifier.check_health(now + timedelta(hours=2)) == 1
        assert notifier.check_health(now + timedelta(hours=3)) == 0  # told once
    feed_server.set("/flaky", body=fx.rss20(fx.items(1)))
    poll(config, executor)
    with open_store(config) as store:
        assert notifier_for(config, store).check_health(now + timedelta(hours=4)) == 1
    clock = Clock()
    clock.now = now + timedelta(hours=5)
    deliver_all(config, clock)
    # a subscriber's lane sends up to `per_subscriber` messages at once: arrival order is free
    by_event = {p["event"]: p for p in receiver.payloads()}
    assert sorted(by_event) == ["feed.failing", "feed.recovered"]
    assert "Flaky feed" in by_event["feed.failing"]["notice"]["headline"]
    for payload in receiver.payloads():
        jsonschema.validate(payload, SCHEMA)


def test_status_and_outbox_commands_show_the_queue(receiver, make_config):
    from tests.helpers import enqueue_notice

    config = make_config([], body=webhook_sub(receiver))
    enqueue_notice(config)
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "watcher", "--config", str(config.source), *a],
        capture_output=True,
        text=True,
        timeout=60,
    )
    status = json.loads(run("status", "--json").stdout)
    assert status["queue_depth"] == 1 and status["dead_letters"] == 0
    listing = json.loads(run("outbox", "--json").stdout)
    assert listing["items"][0]["status"] == "pending"
    bad = run("outbox", "retry")
    assert bad.returncode == 2 and "message id or --all-dead" in bad.stderr


def test_a_feed_silent_far_beyond_its_rhythm_is_reported():
    from dataclasses import replace

    from watcher.config import HealthConfig
    from watcher.models import FeedHealth
    from watcher.notify.health import FAILING, OK, SILENT, assess, notice

    health = HealthConfig(silent_factor=10, silent_min=86400)
    hourly = [utc(2025, 1, 10, h) for h in range(8)]  # a new item every hour
    feed = FeedHealth(
        id=1,
        name="Wire",
        url="https://w.example.org/rss",
        failing_since=None,
        last_error=None,
        last_new_at=utc(2025, 1, 10, 7),
        retired=False,
    )
    assert assess(feed, hourly, utc(2025, 1, 10, 20), health) == OK  # 13 h: under the 1-day floor
    assert assess(feed, hourly, utc(2025, 1, 11, 8), health) == SILENT
    assert assess(feed, hourly[:2], utc(2025, 1, 20), health) == OK  # too little history to judge
    assert notice(feed, OK, SILENT)[0] == "feed.silent"
    assert notice(feed, SILENT, OK)[0] == "feed.recovered"
    assert notice(feed, OK, OK) is None
    failing = replace(feed, failing_since=utc(2025, 1, 10), last_error="HTTP 500")
    assert assess(failing, hourly, utc(2025, 1, 11), health) == FAILING


def test_slack_format_posts_slack_json(receiver, make_config):
    from tests.helpers import enqueue_notice

    config = make_config([], body=webhook_sub(receiver, extra='format = "slack"'))
    enqueue_notice(config, text="Feed <b>x</b> & co")
    deliver_all(config, Clock())
    [payload] = receiver.payloads()
    assert payload["text"] == "Test"
    assert payload["blocks"][0]["type"] == "section"
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in payload["blocks"][0]["text"]["text"]


def test_notify_test_reports_the_server_answer(mail, make_config):
    from tests.helpers import mail_body

    config = make_config([], body=mail_body(mail))
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "watcher", "--config", str(config.source), *a],
        capture_output=True,
        text=True,
        timeout=60,
    )
    done = run("notify-test", "analyst")
    assert done.returncode == 0, done.stderr
    assert "250" in done.stdout and "Message accepted" in done.stdout
    assert mail.messages[0][1]["Subject"].startswith("[watcher] [test] ")
    unknown = run("notify-test", "nobody")
    assert unknown.returncode == 2 and "no subscriber named 'nobody'" in unknown.stderr
