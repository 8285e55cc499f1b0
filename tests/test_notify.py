"""Alerts, stories, digests and delivery, against a real webhook receiver and a real SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta

import jsonschema
import pytest
from standardwebhooks.webhooks import Webhook

from tests import feeds as fx
from tests.helpers import (
    COPY,
    OTHER,
    SCHEMA,
    SECRET,
    TREATY,
    Clock,
    deliver_all,
    enqueue_notice,
    mail_body,
    poll,
    rows,
    webhook_sub,
)
from watcher.app import open_store

pytestmark = pytest.mark.usefixtures("webhook_secret")


def test_immediate_webhook_alert_is_signed_versioned_and_schema_valid(
    feed_server, receiver, make_config, executor
):
    url = feed_server.set("/f", body=fx.rss20([TREATY, fx.items(1)[0]]))
    config = make_config([url], body=webhook_sub(receiver))
    poll(config, executor)
    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    payload = Webhook(SECRET).verify(delivery.body, delivery.headers)
    jsonschema.validate(payload, SCHEMA)
    assert payload["type"] == "alert" and payload["version"] == 1
    assert payload["id"] == delivery.headers["webhook-id"]
    assert payload["article"]["title"] == TREATY.title
    assert payload["article"]["explanation"]["entities"]["Iran"]
    outbox = rows(config, "SELECT id, status FROM outbox")
    assert outbox == [{"id": payload["id"], "status": "sent"}]


def test_a_tampered_body_fails_verification(feed_server, receiver, make_config, executor):
    url = feed_server.set("/f", body=fx.rss20([TREATY]))
    poll(make_config([url], body=webhook_sub(receiver)), executor)
    delivery = receiver.deliveries[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(delivery.body.replace(b"Putin", b"Biden"), delivery.headers)


def test_one_alert_per_story_and_copies_join_it(feed_server, receiver, make_config, executor):
    wire = feed_server.set("/wire", body=fx.rss20([TREATY]))
    paper = feed_server.set("/paper", body=fx.rss20([COPY]))
    config = make_config([wire, paper], body=webhook_sub(receiver))
    poll(config, executor)
    assert len(receiver.deliveries) == 1
    stored = rows(config, "SELECT story_id FROM articles WHERE relevant = 1")
    assert len(stored) == 2 and len({r["story_id"] for r in stored}) == 1
    feed_server.set("/wire", body=fx.rss20([TREATY, OTHER]))
    poll(config, executor)
    first, second = (p["article"]["title"] for p in receiver.payloads())
    assert first in (TREATY.title, COPY.title)  # whichever feed was judged first
    assert second == OTHER.title


def test_an_edited_headline_never_realerts(feed_server, receiver, make_config, executor):
    url = feed_server.set("/f", body=fx.rss20([TREATY]))
    config = make_config([url], body=webhook_sub(receiver))
    poll(config, executor)
    edited = fx.Item(
        title=TREATY.title + " (updated)",
        link=TREATY.link,
        guid=TREATY.guid,
        summary=TREATY.summary,
    )
    feed_server.set("/f", body=fx.rss20([edited]))
    poll(config, executor)
    changed_guid = fx.Item(
        title=TREATY.title, link=TREATY.link + "?ref=home", guid="new-guid", summary=TREATY.summary
    )
    feed_server.set("/f", body=fx.rss20([changed_guid]))
    poll(config, executor)
    assert len(receiver.deliveries) == 1


def test_email_alert_multipart_with_stable_message_id_and_no_header_injection(
    feed_server, mail, make_config, executor
):
    hostile = fx.Item(
        title="Russia and Iran sign strategic partnership treaty\r\nBcc: victim@evil.example",
        link="https://wire.example.org/hostile",
        summary='<p onclick="steal()">Putin and Pezeshkian signed the comprehensive strategic '
        "partnership treaty.</p><script>alert(1)</script>"
        '<a href="javascript:alert(2)">click</a><img src=x onerror="boom()">',
    )
    url = feed_server.set("/f", body=fx.rss20([hostile]))
    config = make_config([url], body=mail_body(mail))
    poll(config, executor)
    assert len(mail.messages) == 1
    envelope, message = mail.messages[0]
    assert envelope.rcpt_tos == ["analyst@example.org"]
    assert message.get_all("Bcc") is None
    subjects = message.get_all("Subject")
    assert len(subjects) == 1 and "\n" not in subjects[0] and "\r" not in subjects[0]
    outbox_id = rows(config, "SELECT id FROM outbox")[0]["id"]
    assert message["Message-ID"] == f"<{outbox_id}@watcher>"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Russia and Iran sign strategic partnership treaty" in plain
    for text in (plain, html):
        assert "<script" not in text and "onclick" not in text and "javascript:" not in text
        assert "onerror" not in text
    assert "Score:" in plain and "nearest seed article" in plain and "Aspects:" in plain
    assert "https://wire.example.org/hostile" in html


def test_receiver_down_then_up_gets_everything_once_with_the_same_ids(receiver, make_config):
    config = make_config([], body=webhook_sub(receiver) + '[delivery]\nbase_backoff = "10s"\n')
    ids = [enqueue_notice(config, text=str(i)) for i in range(3)]
    receiver.fail_with = [503] * 6  # down for a while: two failed rounds
    clock = Clock()
    assert deliver_all(config, clock) == 0
    clock.now += timedelta(minutes=1)
    assert deliver_all(config, clock) == 0
    state = rows(config, "SELECT attempts, last_error, status FROM outbox")
    assert all(r["attempts"] == 2 and "503" in r["last_error"] for r in state)
    clock.now += timedelta(minutes=1)
    assert deliver_all(config, clock) == 3
    assert sorted(receiver.ids()) == sorted(ids)
    clock.now += timedelta(hours=1)
    assert deliver_all(config, clock) == 0
    assert len(receiver.deliveries) == 3


def test_429_retry_after_is_honoured(receiver, make_config):
    config = make_config([], body=webhook_sub(receiver))
    enqueue_notice(config)
    receiver.fail_with, receiver.retry_after = [429], "600"
    clock = Clock()
    deliver_all(config, clock)
    next_at = datetime.fromisoformat(
        rows(config, "SELECT next_attempt_at FROM outbox")[0]["next_attempt_at"]
    )
    assert next_at >= clock.now + timedelta(seconds=600)
    clock.now += timedelta(seconds=300)
    assert deliver_all(config, clock) == 0 and receiver.deliveries == []
    clock.now += timedelta(seconds=301)
    assert deliver_all(config, clock) == 1


def test_permanent_failures_are_dead_at_once_and_410_disables(receiver, make_config):
    config = make_config([], body=webhook_sub(receiver))
    enqueue_notice(config)
    receiver.fail_with = [400]
    deliver_all(config, Clock())
    assert rows(config, "SELECT status, attempts FROM outbox") == [
        {"status": "dead", "attempts": 1}
    ]
    enqueue_notice(config)
    receiver.fail_with = [410]
    deliver_all(config, Clock())
    assert (
        rows(config, "SELECT subscriber, disabled_reason FROM subscriber_state")[0]["subscriber"]
        == "hook"
    )
    enqueue_notice(config)
    deliver_all(config, Clock())
    statuses = [r["status"] for r in rows(config, "SELECT status FROM outbox ORDER BY created_at")]
    assert statuses == ["dead", "dead", "dead"]
    assert len(receiver.deliveries) == 0


def test_gives_up_after_max_attempts_and_retry_requeues_with_same_id(receiver, make_config):
    config = make_config(
        [], body=webhook_sub(receiver) + '[delivery]\nmax_attempts = 2\nbase_backoff = "1s"\n'
    )
    message_id = enqueue_notice(config)
    receiver.fail_with = [500, 500]
    clock = Clock()
    deliver_all(config, clock)
    clock.now += timedelta(minutes=5)
    deliver_all(config, clock)
    assert rows(config, "SELECT status FROM outbox")[0]["status"] == "dead"
    with open_store(config, sync=False) as store:
        assert store.requeue(None, clock.now) == 1
    assert deliver_all(config, clock) == 1
    assert receiver.ids() == [message_id]


def test_smtp_4xx_retries_and_5xx_is_dead(mail, make_config):
    config = make_config([], body=mail_body(mail))
    enqueue_notice(config, name="analyst")
    mail.fail_with = [451]
    clock = Clock()
    deliver_all(config, clock)
    row = rows(config, "SELECT status, last_error FROM outbox")[0]
    assert row["status"] == "pending" and "451" in row["last_error"]
    clock.now += timedelta(hours=1)
    assert deliver_all(config, clock) == 1
    enqueue_notice(config, name="analyst")
    mail.fail_with = [550]
    deliver_all(config, clock)
    assert "dead" in [r["status"] for r in rows(config, "SELECT status FROM outbox")]


def test_smtp_server_down_keeps_the_message(make_config):
    config = make_config(
        [],
        body='[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n'
        '[[subscribers]]\nname = "analyst"\nemail = "a@example.org"\n',
    )
    enqueue_notice(config, name="analyst")
    deliver_all(config, Clock())
    row = rows(config, "SELECT status, attempts, last_error FROM outbox")[0]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "smtp 127.0.0.1:9" in row["last_error"]


def test_a_new_feeds_back_catalogue_is_stored_but_not_sent(
    feed_server, receiver, make_config, executor, caplog
):
    """A feed added with months of relevant articles alerts only on what was published within
    the subscriber's max_age (3 days by default) of being found; the rest is kept."""
    now = datetime.now().astimezone()
    archive = [
        fx.Item(
            title="Duma ratifies the comprehensive strategic partnership treaty with Iran",
            link="https://wire.example.org/ratified",
            published=now - timedelta(days=40),
        ),
        fx.Item(
            title="Iran's Majlis approves the 20-year strategic partnership treaty with Russia",
            link="https://wire.example.org/majlis",
            published=now - timedelta(days=35),
        ),
        fx.Item(
            title="Russia–Iran strategic partnership treaty enters into force",
            link="https://wire.example.org/in-force",
            published=now - timedelta(hours=2),
        ),
    ]
    url = feed_server.set("/f", body=fx.rss20(archive))
    everything = webhook_sub(receiver, name="archive", extra='max_age = "off"')
    config = make_config([url], body=webhook_sub(receiver) + everything)
    with caplog.at_level("INFO", logger="watcher.notify"):
        poll(config, executor)
    sent = [(p["subscriber"], p["article"]["url"]) for p in receiver.payloads()]
    assert sorted(sent) == sorted(
        [("hook", "https://wire.example.org/in-force")]
        + [("archive", item.link) for item in archive]
    )
    stored = rows(config, "SELECT url FROM articles WHERE relevant = 1")
    assert len(stored) == 3
    assert "2 relevant article(s) published more than max_age before" in caplog.text
