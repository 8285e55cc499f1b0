"""Every channel's wire output for an alert, a digest and a notice, against tests/golden/.

After an intended change, refresh the files and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import email
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from watcher.deliver.base import Templates
from watcher.deliver.registry import CHANNELS, parse_settings
from watcher.models import Article, DigestItem, Verdict
from watcher.notify.render import (
    JudgeLinks,
    Note,
    alert_note,
    digest_note,
    environment,
    group_digest,
    notice_note,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = datetime(2025, 1, 17, 12, 30, tzinfo=UTC)
ZONE = "Asia/Tehran"  # every time in a message is shown in the subscriber's zone
TEMPLATES = Templates(environment(), "watcher@example.org")
TARGETS = {
    "email": {"type": "email", "to": "reader@example.org"},
    "webhook": {"type": "webhook", "url": "https://hooks.example.org/watcher"},
    "slack": {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/X"},
    "apprise": {"type": "apprise", "urls_env": "WATCHER_APPRISE_URLS"},
}
LINKS = JudgeLinks(
    relevant="https://watcher.example.org/judge/7?v=relevant&sig=abc",
    irrelevant="https://watcher.example.org/judge/7?v=off-topic&sig=abc",
)


def article(number: int, title: str, feed: str) -> Article:
    return Article(
        id=number,
        feed_id=number,
        url=f"https://{feed.lower()}.example.org/news/{number}",
        title=title,
        text="Russia and Iran signed a twenty-year partnership treaty in Moscow on Friday, "
        "covering energy, transport and security, without a mutual defence clause.",
        author=None,
        published=datetime(2025, 1, 17, 9, 15, tzinfo=UTC),
        first_seen=NOW,
        language="en",
        content_hash=str(number),
        feed_name=feed,
        feed_url=f"https://{feed.lower()}.example.org/rss",
    )


VERDICT = Verdict(
    score=0.87,
    relevant=True,
    aspects=("signing", "security"),
    language="en",
    explanation={
        "entities": {"Russia": ["russia", "moscow"], "Iran": ["iran"]},
        "instrument": ["partnership treaty"],
        "anchors": ["comprehensive strategic partnership"],
        "nearest_seed": "signing.txt",
        "seed_similarity": 0.41,
        "pushed_down_by": [],
        "topic_sentences": ["Russia and Iran signed a twenty-year partnership treaty."],
        "notes": ["decided from the title and summary only: no article text was available"],
    },
    model_version="golden",
)


def notes() -> dict[str, Note]:
    lead = article(7, "Russia & Iran sign <strategic> partnership treaty", "Wire")
    alert = alert_note(
        "Russia–Iran treaty", "reader", lead, VERDICT, 3, NOW, judge_links=LINKS, zone=ZONE
    )
    items = [
        DigestItem(lead, 3, 0.87, ("signing",)),
        DigestItem(article(8, "Treaty signed in Moscow", "Paper"), 3, 0.71, ("security",)),
        DigestItem(article(9, "Majlis to debate the treaty", "Desk"), 4, 0.64, ()),
    ]
    stories = group_digest(items)
    stories = (replace(stories[0], judge_links=LINKS), *stories[1:])
    digest = digest_note(
        "Russia–Iran treaty", "reader", stories, NOW.replace(hour=8), NOW, zone=ZONE
    )
    notice = notice_note(
        "Russia–Iran treaty",
        "reader",
        "feed.failing",
        "Feed failing: Wire",
        "Wire (https://wire.example.org/rss) has failed since 2025-01-17 06:00 UTC: HTTP 503.",
        NOW,
        zone=ZONE,
    )
    fixed = "msg_" + "0" * 31
    return {
        "alert": replace(alert, id=fixed + "1"),
        "digest": replace(digest, id=fixed + "2"),
        "notice": replace(notice, id=fixed + "3"),
    }


def shown(channel: str, body: bytes) -> tuple[str, str]:
    """(file suffix, readable text) of a channel's bytes."""
    if channel == "email":
        message = email.message_from_bytes(body, policy=policy.default)
        head = "".join(f"{k}: {message[k]}\n" for k in ("From", "To", "Subject", "Message-ID"))
        plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        text = f"{head}\n--- text/plain ---\n{plain}\n--- text/html ---\n{html}"
        return "eml.txt", text.replace("\r\n", "\n")
    document = json.loads(body)
    if channel == "apprise":
        head = f"title: {document['title']}\nformat: {document['format']}\n"
        return "txt", f"{head}\n{document['body']}\n"
    return "json", json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_an_alert_quotes_no_line_it_shows_anyway():
    feed_item = article(5, "Duma ratifies the treaty with Iran", "Wire")
    sentences = [feed_item.title, feed_item.text, "The Federation Council votes next week."]
    verdict = replace(VERDICT, explanation={**VERDICT.explanation, "topic_sentences": sentences})
    note = alert_note("Russia–Iran treaty", "reader", feed_item, verdict, 3, NOW, zone=ZONE)
    email_channel = next(c for c in CHANNELS if c.type == "email")
    body = email_channel.render(note, parse_settings(TARGETS["email"]), TEMPLATES)
    _, text = shown("email", body)
    plain, html = text.split("--- text/html ---")
    assert plain.count(feed_item.title) == 2  # the subject and the heading, not a quote
    assert plain.count(feed_item.text) == 1 and html.count(feed_item.text) == 1
    assert "> The Federation Council votes next week." in plain
    assert html.count("<blockquote>") == 1


@pytest.mark.parametrize("kind", ["alert", "digest", "notice"])
@pytest.mark.parametrize("channel", [c.type for c in CHANNELS])
def test_wire_output_matches_the_golden_file(channel, kind):
    assert channel in TARGETS, f"add a sample target for the {channel} channel to TARGETS"
    target = parse_settings(TARGETS[channel])
    plugin = next(c for c in CHANNELS if c.type == channel)
    suffix, text = shown(channel, plugin.render(notes()[kind], target, TEMPLATES))
    path = GOLDEN / channel / f"{kind}.{suffix}"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; see the module docstring"
