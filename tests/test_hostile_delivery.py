"""Hostile feed text and hostile or stuck receivers, each on loopback (issue 9, delivery)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import rows
from tests.hostile_servers import FloodingReceiver, ScriptedSmtp
from tests.servers import WebhookReceiver
from tests.test_notify import SECRET, Clock, deliver_all, enqueue_notice, mail_body, webhook_sub
from watcher.app import open_channels, open_store
from watcher.deliver.worker import Deliverer
from watcher.models import Article, Verdict
from watcher.notify.messages import make_renderer

NOW = datetime(2025, 1, 17, 12, tzinfo=UTC)
EVIL = "victim@evil.example"


def b64_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


HOSTILE_TITLES = {
    "q-encoded CRLF": f"Treaty signed =?utf-8?q?x=0D=0ABcc:_{EVIL}?=",
    "b-encoded CRLF": "Treaty signed " + b64_word(f"x\r\nBcc: {EVIL}"),
    "nested encoded word": "Treaty " + b64_word(f"=?utf-8?q?x=0D=0ABcc:_{EVIL}?="),
    "encoded blank line then body": "Treaty " + b64_word("x\r\n\r\nInjected body"),
    "raw CRLF": f"Treaty signed\r\nBcc: {EVIL}",
    "NUL byte": f"Treaty\x00signed\x00Bcc: {EVIL}",
    "line separator": f"Treaty\u2028Bcc: {EVIL}",
    "two megabytes": "Treaty " + "long " * 400_000,
}
EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "x-watcher-id",
    "mime-version",
    "content-type",
}


def article(title: str, number: int = 1) -> Article:
    return Article(
        id=number,
        feed_id=1,
        url=f"https://wire.example.org/{number}",
        title=title,
        text="Russia and Iran signed the comprehensive strategic partnership treaty.",
        author=None,
        published=NOW,
        first_seen=NOW,
        language="en",
        content_hash=str(number),
        feed_name="Wire",
        feed_url="https://wire.example.org/rss",
    )


VERDICT = Verdict(
    score=0.9,
    relevant=True,
    aspects=("signing",),
    language="en",
    explanation={"entities": {"Iran": ["iran"]}, "notes": ["decided from the headline alone"]},
    model_version="test",
)


def enqueue_alerts(config, titles, name="analyst"):
    renderer = make_renderer(config, "Russia–Iran treaty")
    with open_store(config) as store:
        subscriber = config.subscriber(name)
        for number, title in enumerate(titles, 1):
            message = renderer.alert(subscriber, article(title, number), VERDICT, number, NOW)
            assert store.enqueue(message, NOW)


def test_no_feed_title_can_add_a_header_or_a_body(mail, make_config):
    config = make_config([], body=mail_body(mail))
    enqueue_alerts(config, HOSTILE_TITLES.values())
    assert deliver_all(config, Clock()) == len(HOSTILE_TITLES)
    assert len(mail.messages) == len(HOSTILE_TITLES)
    for (envelope, message), case in zip(mail.messages, HOSTILE_TITLES, strict=True):
        assert envelope.rcpt_tos == ["analyst@example.org"], case
        assert {k.lower() for k in message} == EXPECTED_HEADERS, case
        assert message.get_all("Bcc") is None, case
        [subject] = message.get_all("Subject")
        assert not any(c in subject for c in "\r\n\x00\u2028"), case
        assert subject.startswith("[watcher] Treaty") and len(subject) <= 200, case
        plain = message.get_body(("plain",)).get_content()
        assert not plain.startswith("Injected"), case
        assert len(envelope.content) < 100_000, case  # a 2 MB title does not make a 4 MB mail


def test_slack_text_is_escaped_so_titles_cannot_mention_or_hide_links(receiver, make_config):
    config = make_config([], body=webhook_sub(receiver, extra='format = "slack"'))
    enqueue_alerts(config, ["<!channel> treaty & <http://evil.example|click here>"], name="hook")
    deliver_all(config, Clock())
    [payload] = receiver.payloads()
    everything = payload["text"] + payload["blocks"][0]["text"]["text"]
    assert "<!channel>" not in everything and "<http://evil" not in everything
    assert payload["text"] == "&lt;!channel&gt; treaty &amp; &lt;http://evil.example|click here&gt;"
    assert "decided from the headline alone" in payload["blocks"][0]["text"]["text"]


def test_a_flooding_webhook_reply_is_read_only_up_to_its_limit(make_config):
    flood = FloodingReceiver(size=256 * 2**20)
    try:
        config = make_config([], body=webhook_sub(flood))
        enqueue_notice(config)
        assert deliver_all(config, Clock()) == 1
        assert flood.written < 32 * 2**20  # the daemon hung up instead of reading 256 MB
    finally:
        flood.close()


def smtp_body(port: int, extra: str = "") -> str:
    return (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = "10s"\n{extra}'
        '[[subscribers]]\nname = "analyst"\nemail = "analyst@example.org"\n'
    )


def test_a_flooding_smtp_reply_is_refused_at_its_limit(make_config):
    server = ScriptedSmtp(flood=16 * 2**20)
    try:
        config = make_config([], body=smtp_body(server.port))
        enqueue_notice(config, name="analyst")
        assert deliver_all(config, Clock()) == 0
        [row] = rows(config, "SELECT status, last_error FROM outbox")
        assert row["status"] == "pending" and "SMTP reply longer than 64 KiB" in row["last_error"]
        assert server.sent < 16 * 2**20
    finally:
        server.close()


def test_a_server_echoing_the_password_never_stores_or_shows_it(make_config, monkeypatch):
    password = "hunter2-very-secret-password"
    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", password)
    server = ScriptedSmtp(echo_auth=True)
    try:
        extra = 'username = "watcher"\npassword_env = "WATCHER_TEST_SMTP_PASSWORD"\n'
        config = make_config([], body=smtp_body(server.port, extra))
        enqueue_notice(config, name="analyst")
        deliver_all(config, Clock())
        [row] = rows(config, "SELECT status, last_error FROM outbox")
        assert row["status"] == "dead" and "535" in row["last_error"]
        assert password not in row["last_error"] and "***" in row["last_error"]
        shown = subprocess.run(
            [sys.executable, "-m", "watcher", "--config", str(config.source), "outbox", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0 and "535" in shown.stdout
        assert password not in shown.stdout + shown.stderr
    finally:
        server.close()


def test_a_hung_receiver_delays_only_its_own_messages(mail, make_config):
    hung = WebhookReceiver(delay=30)
    try:
        body = (
            mail_body(mail)
            + webhook_sub(hung, name="stuck")
            + '[delivery]\ndeadline = "1s"\nper_subscriber = 3\n'
        )
        config = make_config([], body=body)
        stuck = [enqueue_notice(config, name="stuck", text=str(i)) for i in range(6)]
        mailed = [enqueue_notice(config, name="analyst", text=str(i)) for i in range(3)]
        started = time.monotonic()
        assert deliver_all(config, Clock()) == 3
        assert time.monotonic() - started < 15  # two deadlines (3 at a time), not 6 × 30 s
        assert sorted(m["Message-ID"] for _, m in mail.messages) == sorted(
            f"<{i}@watcher>" for i in mailed
        )
        state = {r["id"]: r for r in rows(config, "SELECT id, status, last_error FROM outbox")}
        assert all(state[i]["status"] == "pending" for i in stuck)
        assert all("no answer within 1s" in state[i]["last_error"] for i in stuck)
    finally:
        hung.close()


def test_shutdown_waits_a_bounded_time_and_leaves_the_message_due(make_config):
    hung = WebhookReceiver(delay=30)
    try:
        config = make_config([], body=webhook_sub(hung))
        message_id = enqueue_notice(config)

        async def start_then_stop() -> float:
            with open_store(config, sync=False) as store:
                async with open_channels(config) as channels:
                    deliverer = Deliverer(config, store, channels, Clock())
                    deliverer.start_due()
                    await asyncio.sleep(0.2)
                    began = time.monotonic()
                    await deliverer.drain(grace=0.5)
                    return time.monotonic() - began

        assert asyncio.run(start_then_stop()) < 5
        [row] = rows(config, "SELECT id, status, attempts FROM outbox")
        assert row == {"id": message_id, "status": "pending", "attempts": 0}
    finally:
        hung.close()
    receiver = WebhookReceiver()
    try:
        config = make_config([], body=webhook_sub(receiver))
        assert deliver_all(config, Clock()) == 1
        assert receiver.ids() == [message_id]  # sent again by the next daemon, same id
    finally:
        receiver.close()


def test_a_message_sent_but_not_markable_is_never_sent_again(receiver, make_config, caplog):
    config = make_config([], body=webhook_sub(receiver))
    message_id = enqueue_notice(config)
    clock = Clock()

    async def run() -> list[int]:
        with open_store(config, sync=False) as store:
            async with open_channels(config) as channels:
                deliverer = Deliverer(config, store, channels, clock)
                store.db.execute("PRAGMA query_only = ON")  # what a full disk looks like here
                sent = [await deliverer.deliver_due() for _ in range(5)]
                clock.now += timedelta(minutes=10)
                sent.append(await deliverer.deliver_due())
                store.db.execute("PRAGMA query_only = OFF")
                sent.append(await deliverer.deliver_due())
                return sent

    with caplog.at_level(logging.ERROR, logger="watcher.deliver"):
        assert asyncio.run(run()) == [1, 0, 0, 0, 0, 0, 0]
    assert receiver.ids() == [message_id]
    assert rows(config, "SELECT status FROM outbox") == [{"status": "sent"}]
    errors = [r for r in caplog.records if "cannot write delivery results" in r.getMessage()]
    assert len(errors) == 1  # one line, not one per tick


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)


def test_webhook_alert_carries_the_explanation(receiver, make_config):
    config = make_config([], body=webhook_sub(receiver))
    enqueue_alerts(config, ["Treaty signed"], name="hook")
    deliver_all(config, Clock())
    [payload] = receiver.payloads()
    assert "decided from the headline alone" in payload["article"]["reasons"]
    assert json.dumps(payload["article"]["explanation"])


def test_closing_the_email_channel_hangs_up_on_a_server_that_never_answers():
    """A server that accepts the connection and says nothing would hold the daemon's exit
    until the SMTP timeout (Python waits for the send thread); closing hangs up instead, and
    the message stays unsent (the next start sends it)."""
    import socket

    from watcher.config import SmtpConfig
    from watcher.deliver.email import EmailSender, EmailSettings
    from watcher.errors import DeliveryError
    from watcher.models import OutboxItem

    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody ever answers
    sender = EmailSender(
        SmtpConfig(host="127.0.0.1", port=silent.getsockname()[1], security="none")
    )
    now = datetime.now(UTC)
    item = OutboxItem("msg_1", "analyst", "email", "notice", "s", b"body", "pending", 0, now, now)

    async def scenario() -> str:
        send = asyncio.ensure_future(sender.send(item, EmailSettings(type="email", to="a@b.org")))
        while not any(c.sock is not None for c in sender._open):  # connected, awaiting the banner
            await asyncio.sleep(0.01)
        await sender.aclose()
        with pytest.raises(DeliveryError) as failed:
            await asyncio.wait_for(send, timeout=20)  # the SMTP timeout is 30 s
        return str(failed.value)

    try:
        reason = asyncio.run(scenario())
    finally:
        silent.close()
    assert "SMTPServerDisconnected" in reason and "timed out" not in reason
    assert not sender._open
