"""Table tests for the pure notification decisions: filters, routing, story grouping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watcher.config import SubscriberConfig
from watcher.models import Article, Verdict
from watcher.notify import route, stories
from watcher.notify.render import clean_line

NOW = datetime(2025, 1, 17, 12, tzinfo=UTC)
ARTICLE = Article(
    id=1,
    feed_id=1,
    url="https://wire.example.org/1",
    title="Russia and Iran sign treaty",
    text="",
    author=None,
    published=NOW,
    first_seen=NOW,
    language=None,
    content_hash="h",
    feed_name="Wire",
    feed_url="https://wire.example.org/rss",
)
VERDICT = Verdict(0.7, True, ("signing",), "en", {}, "test")


def subscriber(**keys: Any) -> SubscriberConfig:
    return SubscriberConfig.model_validate({"name": "s", "email": "s@example.org", **keys})


FILTERS = [
    # (subscriber keys, article changes, verdict changes, wanted, why)
    ({}, {}, {}, True, "no filter: the topic threshold decides"),
    ({}, {}, {"score": 0.49}, False, "below the topic threshold (0.5)"),
    ({"min_score": 0.8}, {}, {}, False, "below the subscriber's own floor"),
    ({"min_score": 0.3}, {}, {"score": 0.4}, True, "a lower floor than the topic's"),
    ({"min_score": 0.7}, {}, {}, True, "the floor itself passes"),
    ({"aspects": ["signing"]}, {}, {}, True, "a wanted aspect"),
    ({"aspects": ["ratification"]}, {}, {}, False, "no wanted aspect"),
    ({"aspects": ["x", "signing"]}, {}, {}, True, "any one wanted aspect is enough"),
    ({"aspects": ["signing"]}, {}, {"aspects": ()}, False, "an article without aspects"),
    ({"languages": ["en"]}, {}, {}, True, "the verdict's detected language"),
    ({"languages": ["ru"]}, {}, {}, False, "another language"),
    ({"languages": ["ru"]}, {"language": "ru"}, {}, True, "the feed's declared language wins"),
    ({"languages": ["en"]}, {"language": "ru"}, {}, False, "declared ru, detected en"),
    ({"languages": ["en"]}, {}, {"language": None}, False, "language unknown"),
    ({"feeds": ["Wire"]}, {}, {}, True, "feed by name"),
    ({"feeds": ["https://wire.example.org/rss"]}, {}, {}, True, "feed by URL"),
    ({"feeds": ["Paper"]}, {}, {}, False, "another feed"),
    ({"feeds": ["wire"]}, {}, {}, False, "feed names are exact"),
    ({}, {"published": NOW - timedelta(days=2)}, {}, True, "published 2 days before found"),
    ({}, {"published": NOW - timedelta(days=4)}, {}, False, "older than the default 3 days"),
    ({"max_age": "12h"}, {"published": NOW - timedelta(hours=13)}, {}, False, "own limit"),
    ({"max_age": "off"}, {"published": NOW - timedelta(days=900)}, {}, True, "no age limit"),
    ({}, {"published": NOW + timedelta(days=30)}, {}, True, "dated in the future: not old"),
    (
        {"min_score": 0.6, "aspects": ["signing"], "languages": ["en"], "feeds": ["Wire"]},
        {},
        {},
        True,
        "every filter passes",
    ),
    (
        {"min_score": 0.6, "aspects": ["signing"], "languages": ["en"], "feeds": ["Paper"]},
        {},
        {},
        False,
        "one filter fails",
    ),
]


@pytest.mark.parametrize(("keys", "article", "verdict", "wanted", "why"), FILTERS)
def test_subscriber_filters(keys, article, verdict, wanted, why):
    chosen = route.wants(
        subscriber(**keys), replace(ARTICLE, **article), replace(VERDICT, **verdict), 0.5
    )
    assert chosen is wanted, why


DECISIONS = [
    # (mode, new story, disabled, expected routes, why)
    ("immediate", True, False, ["alert"], "the first article of a story alerts"),
    ("immediate", False, False, [], "a copy of a known story never re-alerts"),
    ("digest", True, False, ["digest"], "a digest gets the first article"),
    ("digest", False, False, ["digest"], "… and every copy, grouped at render time"),
    ("immediate", True, True, [], "a disabled subscriber hears nothing"),
    ("digest", True, True, [], "a disabled digest subscriber collects nothing"),
]


@pytest.mark.parametrize(("mode", "new", "disabled", "expected", "why"), DECISIONS)
def test_decide_to_alert(mode, new, disabled, expected, why):
    target = subscriber(mode=mode)
    chosen = route.interested([target], ARTICLE, VERDICT, 0.5, ["s"] if disabled else [])
    assert [r.kind for r in route.route(chosen, new)] == expected, why


def test_the_filter_runs_once_per_subscriber_and_article(monkeypatch):
    calls = []
    original = route.wants

    def counting(*args: Any) -> bool:
        calls.append(args[0].name)
        return original(*args)

    monkeypatch.setattr(route, "wants", counting)
    subs = [subscriber(), subscriber(mode="digest").model_copy(update={"name": "d"})]
    routes = route.route(route.interested(subs, ARTICLE, VERDICT, 0.5), True)
    assert calls == ["s", "d"] and [r.kind for r in routes] == ["alert", "digest"]


SAME_STORY = [
    # (first title, lead, second title, lead, same story?, why)
    (
        "Putin and Pezeshkian sign strategic partnership treaty",
        "The presidents signed the twenty-year treaty in the Kremlin on Friday.",
        "Russia, Iran sign strategic partnership treaty",
        "The presidents signed the twenty-year treaty in the Kremlin on Friday.",
        True,
        "the same lead told by two outlets",
    ),
    (
        "Putin and Pezeshkian sign strategic partnership treaty in Moscow",
        "",
        "Pezeshkian and Putin sign strategic partnership treaty in Moscow",
        "",
        True,
        "headlines sharing most of their words",
    ),
    (
        "Putin and Pezeshkian sign strategic partnership treaty",
        "The presidents signed the treaty in the Kremlin.",
        "Iran's parliament ratifies the partnership treaty with Russia",
        "Lawmakers in Tehran voted to ratify; the Guardian Council must approve.",
        False,
        "a later step of the same topic is a new story",
    ),
    (
        "Treaty signed",
        "",
        "Gas deal signed",
        "",
        False,
        "short headlines sharing one word",
    ),
]


@pytest.mark.parametrize(("title_a", "lead_a", "title_b", "lead_b", "same", "why"), SAME_STORY)
def test_story_grouping(title_a, lead_a, title_b, lead_b, same, why):
    known = [(41, stories.signature(title_a, lead_a), title_a)]
    found = stories.match(title_b, stories.signature(title_b, lead_b), known)
    assert (found == 41) is same, why


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain title", "plain title"),
        ("two\r\nlines", "two lines"),
        ("nul\x00byte", "nul byte"),
        ("=?utf-8?q?Stra=C3=9Fe?=", "Straße"),
        ("=?utf-8?q?x=0D=0ABcc:_a@b?=", "x Bcc: a@b"),
        ("=?bogus-charset?q?x?=", "= ?bogus-charset?q?x?="),
        ("line\u2028separator", "line separator"),
    ],
)
def test_clean_line_leaves_no_header_syntax(text, expected):
    assert clean_line(text, 100) == expected
