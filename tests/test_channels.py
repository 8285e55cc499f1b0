"""Channels as plug-ins: the registry, and Apprise end to end against loopback receivers."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tests import feeds as fx
from tests.helpers import poll, rows
from tests.servers import WebhookReceiver
from tests.test_notify import SECRET, TREATY, Clock, deliver_all, enqueue_notice
from watcher.config import ChannelSettings
from watcher.deliver.apprise import load_apprise
from watcher.deliver.registry import CHANNELS, secret_values

REPO = Path(__file__).resolve().parent.parent


def apprise_sub(name: str = "phones", env: str = "WATCHER_TEST_APPRISE", extra: str = "") -> str:
    return (
        f'[[subscribers]]\nname = "{name}"\n'
        f'channel = {{ type = "apprise", urls_env = "{env}" }}\n{extra}\n'
    )


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)


def test_every_channel_documents_its_keys_in_the_example_config():
    example = (REPO / "config" / "example.toml").read_text(encoding="utf-8")
    tomllib.loads(example)
    for channel in CHANNELS:
        assert f'type = "{channel.type}"' in example, channel.type
        for key, field in channel.settings.model_fields.items():
            assert field.description, f"{channel.type}.{key} has no description"
            assert f"{key} =" in example, f"{channel.type}.{key} is not in example.toml"
        assert issubclass(channel.settings, ChannelSettings)


def test_apprise_json_alert_end_to_end(feed_server, receiver, make_config, executor, monkeypatch):
    monkeypatch.setenv("WATCHER_TEST_APPRISE", receiver.url.replace("http://", "json://"))
    url = feed_server.set("/f", body=fx.rss20([TREATY]))
    config = make_config([url], body=apprise_sub())
    poll(config, executor)
    [payload] = receiver.payloads()
    assert payload["title"] == TREATY.title
    message_id = rows(config, "SELECT id FROM outbox WHERE status = 'sent'")[0]["id"]
    assert f"message {message_id}" in payload["message"]  # the id a receiver can drop repeats by
    assert "Why this matched:" in payload["message"] and "Iran" in payload["message"]
    assert TREATY.link in payload["message"]


def test_apprise_ntfy_notice_end_to_end(receiver, make_config, monkeypatch):
    port = receiver.url.split(":")[2].split("/")[0]
    monkeypatch.setenv("WATCHER_TEST_APPRISE", f"ntfy://127.0.0.1:{port}/watcher-alerts")
    config = make_config([], body=apprise_sub())
    enqueue_notice(config, name="phones", text="Feed <b> went quiet")
    assert deliver_all(config, Clock()) == 1
    [payload] = receiver.payloads()
    assert payload["topic"] == "watcher-alerts" and payload["title"] == "Test"
    assert payload["message"].startswith("Feed <b> went quiet")


def test_apprise_500_then_200_is_retried_to_delivery_with_the_same_id(
    receiver, make_config, monkeypatch
):
    monkeypatch.setenv("WATCHER_TEST_APPRISE", receiver.url.replace("http://", "json://"))
    config = make_config([], body=apprise_sub() + '[delivery]\nbase_backoff = "10s"\n')
    message_id = enqueue_notice(config, name="phones")
    receiver.fail_with = [500]
    clock = Clock()
    assert deliver_all(config, clock) == 0
    [row] = rows(config, "SELECT status, attempts, last_error FROM outbox")
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "error=500" in row["last_error"]
    clock.now += timedelta(minutes=5)
    assert deliver_all(config, clock) == 1
    [payload] = receiver.payloads()
    assert f"message {message_id}" in payload["message"]


def test_apprise_failing_for_good_ends_in_a_dead_letter_with_the_reason(
    receiver, make_config, monkeypatch
):
    monkeypatch.setenv("WATCHER_TEST_APPRISE", receiver.url.replace("http://", "json://"))
    body = apprise_sub() + '[delivery]\nmax_attempts = 2\nbase_backoff = "1s"\n'
    config = make_config([], body=body)
    enqueue_notice(config, name="phones")
    receiver.fail_with = [503, 503]
    clock = Clock()
    deliver_all(config, clock)
    clock.now += timedelta(minutes=5)
    deliver_all(config, clock)
    [row] = rows(config, "SELECT status, last_error FROM outbox")
    assert row["status"] == "dead"
    assert "error=503" in row["last_error"] and "gave up after 2 attempts" in row["last_error"]


def test_a_retry_goes_only_to_the_apprise_services_that_failed(receiver, make_config, monkeypatch):
    """Two services; the second answers 500 once. The retry must not send the first a copy."""
    second = WebhookReceiver()
    try:
        urls = [r.url.replace("http://", "json://") for r in (receiver, second)]
        monkeypatch.setenv("WATCHER_TEST_APPRISE", " ".join(urls))
        config = make_config([], body=apprise_sub() + '[delivery]\nbase_backoff = "10s"\n')
        message_id = enqueue_notice(config, name="phones")
        second.fail_with = [500]
        clock = Clock()
        assert deliver_all(config, clock) == 0
        [row] = rows(config, "SELECT status, attempts, last_error, delivered_to FROM outbox")
        assert row["status"] == "pending" and row["attempts"] == 1
        assert row["last_error"].startswith("apprise phones: 1 of 2 service(s) failed: URL 2:")
        assert len(row["delivered_to"].split()) == 1
        assert "127.0.0.1" not in row["delivered_to"]  # a fingerprint, never the URL
        clock.now += timedelta(minutes=5)
        assert deliver_all(config, clock) == 1
        assert len(receiver.payloads()) == 1  # not sent twice
        [payload] = second.payloads()
        assert f"message {message_id}" in payload["message"]
        [row] = rows(config, "SELECT status, attempts FROM outbox")
        assert row["status"] == "sent" and row["attempts"] == 2
    finally:
        second.close()


def test_each_apprise_failure_keeps_its_own_reason_when_sends_overlap(make_config, monkeypatch):
    """Two subscribers fail at once with different errors; each message's last_error names
    its own (the later send's capture must not hear the earlier one's warning)."""
    quick, slow = WebhookReceiver(delay=0.2), WebhookReceiver(delay=0.8)
    try:
        monkeypatch.setenv("APPRISE_QUICK", quick.url.replace("http://", "json://"))
        monkeypatch.setenv("APPRISE_SLOW", slow.url.replace("http://", "json://"))
        body = apprise_sub("quick", "APPRISE_QUICK") + apprise_sub("slow", "APPRISE_SLOW")
        config = make_config([], body=body)
        enqueue_notice(config, name="quick")
        enqueue_notice(config, name="slow")
        quick.fail_with, slow.fail_with = [500], [503]
        assert deliver_all(config, Clock()) == 0
        errors = {r["subscriber"]: r["last_error"] for r in rows(config, "SELECT * FROM outbox")}
        assert "error=500" in errors["quick"] and "error=503" not in errors["quick"]
        assert "error=503" in errors["slow"] and "error=500" not in errors["slow"]
    finally:
        quick.close()
        slow.close()


class TelegramApi:
    """Stands in for api.telegram.org at Apprise's own request layer (requests.post)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def post(self, url: str, **kwargs: object) -> requests.Response:
        data = kwargs.get("data")
        self.calls.append((url, json.loads(data) if isinstance(data, str | bytes) else {}))
        reply = requests.Response()
        reply.status_code = 200
        reply._content = b'{"ok": true, "result": {"message_id": 1}}'
        return reply


def test_a_telegram_url_produces_the_message_apprise_would_send(make_config, monkeypatch):
    load_apprise()
    import apprise.plugins.telegram as telegram

    api = TelegramApi()
    monkeypatch.setattr(telegram.requests, "post", api.post)
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    monkeypatch.setenv("WATCHER_TEST_APPRISE", f"tgram://{token}/-1001234567890")
    config = make_config([], body=apprise_sub())
    message_id = enqueue_notice(config, name="phones", text="Wire failed since <12:00> & more")
    assert deliver_all(config, Clock()) == 1
    [(url, sent)] = api.calls
    assert url == f"https://api.telegram.org/bot{token}/sendMessage"
    assert sent["chat_id"] == -1001234567890
    assert "Test" in str(sent["text"]) and message_id in str(sent["text"])
    assert "&lt;12:00&gt; &amp; more" in str(sent["text"])  # escaped for Telegram's HTML mode


def test_apprise_urls_are_masked_as_secrets(make_config, monkeypatch):
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    monkeypatch.setenv("WATCHER_TEST_APPRISE", f"tgram://{token}/42, json://127.0.0.1:9/x")
    config = make_config([], body=apprise_sub())
    masked = secret_values(config)
    assert f"tgram://{token}/42" in masked and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" in masked


def watcher(config, *args: str, env: dict[str, str] | None = None):
    import os

    return subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(config.source), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ("foo://nothing/here", "Apprise URL 1 in WATCHER_TEST_APPRISE (foo://…) cannot be parsed"),
        ("json://ok.example json://", "Apprise URL 2 in WATCHER_TEST_APPRISE (json://…)"),
        ("", "environment variable WATCHER_TEST_APPRISE is not set; export it"),
    ],
)
def test_a_bad_apprise_setup_is_one_line_at_start_up(make_config, urls, expected):
    config = make_config([], body=apprise_sub())
    done = watcher(config, "run", env={"WATCHER_TEST_APPRISE": urls})
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "subscriber 'phones'" in errors[0] and expected in errors[0]
    assert "Traceback" not in done.stderr
    assert "nothing/here" not in done.stderr  # the URL itself may carry a token
