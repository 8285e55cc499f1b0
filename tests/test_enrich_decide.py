"""Pure decisions about article pages: which to read, the budget, what a page is worth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.config import EnrichConfig
from watcher.enrich.decide import Budget, annotate, choose, judge_page, unresolved_aggregator
from watcher.enrich.extract import lead
from watcher.models import Entry, Page, PageOutcome, PageRead, Verdict

NOW = datetime(2025, 1, 17, 9, 0, tzinfo=UTC)
SETTINGS = EnrichConfig()


def entry(text: str = "", url: str | None = "https://news.example.org/a") -> Entry:
    return Entry(("k",), url, "headline", text, None, None, None, "h")


def verdict(score: float, parties: int = 0, instrument: bool = False) -> Verdict:
    names = ["Russia", "Iran"][:parties]
    explanation: dict[str, object] = {
        "entities": {name: [name.lower()] for name in names},
        "instrument": ["treaty"] if instrument else [],
        "anchors": [],
        "notes": ["decided from the title and summary only: no article text was available"],
    }
    return Verdict(score, score >= 0.5, (), "en", explanation, "v1")


WANTS = {
    # entry text, verdict, mode → read the page?
    "short text, uncertain score": ("", verdict(0.4), "auto", True),
    "short text, confident no, names nothing": ("", verdict(0.02), "auto", False),
    "short text, confident no, names both parties": ("", verdict(0.03, parties=2), "auto", True),
    "short text, one party and the instrument": ("", verdict(0.03, 1, True), "auto", True),
    "short text, one party only": ("", verdict(0.03, parties=1), "auto", False),
    "short text, relevant (the alert carries the lead)": ("", verdict(0.97), "auto", True),
    "long text, uncertain": ("x" * 500, verdict(0.45), "auto", False),
    "never": ("", verdict(0.45), "never", False),
    "always, long text, confident no": ("x" * 5000, verdict(0.01), "always", True),
}


@pytest.mark.parametrize("case", sorted(WANTS))
def test_which_entries_deserve_their_page(case):
    text, judged, mode, expected = WANTS[case]
    assert (choose([entry(text)], [judged], mode, SETTINGS, 0.5) == [0]) is expected


def test_entries_without_a_web_link_or_verdict_are_never_read():
    entries = [entry(url=None), entry(url="ftp://x.example/a"), entry()]
    assert choose(entries, [verdict(0.5), verdict(0.5), None], "always", SETTINGS, 0.5) == []


def test_per_poll_keeps_the_highest_scores_first():
    scores = [0.3, 0.9, 0.5, 0.7]
    settings = EnrichConfig(per_poll=2)
    chosen = choose([entry()] * 4, [verdict(s) for s in scores], "auto", settings, 0.5)
    assert chosen == [1, 3]


def test_the_budget_is_a_sliding_window_for_all_feeds():
    budget = Budget(limit=3, window=3600)
    assert budget.take(2, NOW) == 2
    assert budget.take(5, NOW + timedelta(minutes=1)) == 1
    assert budget.take(1, NOW + timedelta(minutes=59)) == 0
    assert budget.take(4, NOW + timedelta(minutes=60)) == 2  # the first two expired
    assert budget.refused == 4 + 1 + 2


PAGES = {
    # final URL, text → why not (None: an article)
    "article": ("https://wire.example.org/a", "word " * 100, None),
    "unresolved google link": (
        "https://news.google.com/rss/articles/CBMiXyz?oc=5",
        "word " * 100,
        "could not be resolved over HTTP",
    ),
    "consent host": ("https://consent.example.com/?continue=x", "word " * 100, "consent wall"),
    "cookie prompt": ("https://wire.example.org/a", "We use cookies. Accept all", "consent wall"),
    "paywall": ("https://wire.example.org/a", "Subscribe to read this article", "paywall"),
    "too little": ("https://wire.example.org/a", "Loading", "too little text"),
}


@pytest.mark.parametrize("case", sorted(PAGES))
def test_what_a_page_is_worth(case):
    url, text, expected = PAGES[case]
    reason = judge_page(Page(final_url=url, text=text), SETTINGS)
    assert reason is None if expected is None else expected in (reason or "")


def test_google_news_links_are_recognised_only_on_google_news():
    assert unresolved_aggregator("https://news.google.com/rss/articles/CBMi?oc=5")
    assert not unresolved_aggregator("https://news.google.com/")
    assert not unresolved_aggregator("https://wire.example.org/rss/articles/1")


def test_the_explanation_says_what_the_verdict_was_judged_on():
    read = PageRead("https://a", PageOutcome.READ, page=Page(final_url="https://b"))
    noted = annotate(verdict(0.9), read).explanation
    assert noted["notes"] == ["judged on the article page (https://b)"]
    assert noted["page"] == {
        "outcome": "read",
        "url": "https://a",
        "final_url": "https://b",
        "reason": None,
    }
    failed = PageRead("https://a", PageOutcome.FAILED, "the article page failed: HTTP 403")
    notes = annotate(verdict(0.9), failed).explanation["notes"]
    assert notes[0] == "judged on the headline: the article page failed: HTTP 403"
    assert notes[1].startswith("decided from the title")


def test_the_lead_is_whole_sentences_within_the_limit():
    text = "First sentence here. Second one follows! " * 30
    opening = lead(text, 100)
    assert len(opening) <= 100 and opening.endswith(("here.", "follows!"))
    assert lead("short text") == "short text"
    assert lead("word " * 200, 50).endswith(" …")
