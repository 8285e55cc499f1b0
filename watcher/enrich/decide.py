"""Pure decisions about article pages: which entries to read, the budget, what a read means.

Nothing here touches the network, the clock or global settings: `now` and the config are
passed in, and every outcome is a value.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from watcher.config import EnrichConfig
from watcher.models import Entry, Page, PageOutcome, PageRead, Verdict

# Aggregator links that reach the article only by running the aggregator's script: a plain
# HTTP client lands on the aggregator's own page, never on the article.
AGGREGATORS = {"news.google.com": ("/rss/articles/", "/articles/", "/read/")}
_CONSENT_HOSTS = ("consent.", "privacy.", "cmp.")
_CONSENT_WORDS = ("cookie", "consent", "privacy settings", "accept all", "reject all")
_PAYWALL_WORDS = ("subscribe", "subscription", "sign in to read", "log in to read")


def wants_page(
    entry: Entry, verdict: Verdict | None, mode: str, config: EnrichConfig, threshold: float
) -> bool:
    """Whether reading this entry's page could change its outcome or improve its alert."""
    if mode == "never" or verdict is None or not entry.url:
        return False
    if urlsplit(entry.url).scheme not in ("http", "https"):
        return False
    if mode == "always":
        return True
    if len(entry.text) >= config.short_text:
        return False
    uncertain = abs(verdict.score - threshold) <= config.band or _leads(verdict) >= 2
    return uncertain or (verdict.relevant and config.relevant)


def _leads(verdict: Verdict) -> int:
    """How many of the topic's handles a headline names: each party found, and the
    instrument. A headline naming two of them is uncertain whatever its score: with no text,
    the model can only be confidently unsure ("Moscow, Tehran ink document" scores 0.06 on
    its own and 0.998 on its article)."""
    explanation = verdict.explanation
    parties = explanation.get("entities")
    found = len(parties) if isinstance(parties, dict) else 0
    return found + int(bool(explanation.get("instrument") or explanation.get("anchors")))


def choose(
    entries: Sequence[Entry],
    verdicts: Sequence[Verdict | None],
    mode: str,
    config: EnrichConfig,
    threshold: float,
) -> list[int]:
    """Indexes of the entries whose pages to read, most promising (highest score) first,
    at most `per_poll` of them."""
    wanted = [
        (verdict.score, i)
        for i, (entry, verdict) in enumerate(zip(entries, verdicts, strict=True))
        if verdict is not None and wants_page(entry, verdict, mode, config, threshold)
    ]
    wanted.sort(key=lambda pair: -pair[0])
    return [i for _, i in wanted[: config.per_poll]]


class Budget:
    """At most `limit` pages per sliding `window` seconds, for all feeds together."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = timedelta(seconds=window)
        self._taken: deque[datetime] = deque()
        self.refused = 0  # pages wanted but not read for lack of budget

    def restore(self, taken: Iterable[datetime]) -> None:
        """Count reads an earlier run made within the window, so a restart does not refill
        the budget (oldest first)."""
        self._taken.extend(taken)

    def take(self, wanted: int, now: datetime) -> int:
        while self._taken and now - self._taken[0] >= self.window:
            self._taken.popleft()
        granted = max(0, min(wanted, self.limit - len(self._taken)))
        self._taken.extend([now] * granted)
        self.refused += wanted - granted
        return granted


def unresolved_aggregator(url: str) -> bool:
    """Whether a URL is still an aggregator's wrapper link (the article was not reached)."""
    parts = urlsplit(url)
    prefixes = AGGREGATORS.get((parts.hostname or "").lower(), ())
    return any(parts.path.startswith(prefix) for prefix in prefixes)


def judge_page(page: Page, config: EnrichConfig) -> str | None:
    """Why an extracted page is no article to judge on (None: it is one)."""
    host = (urlsplit(page.final_url).hostname or "").lower()
    if unresolved_aggregator(page.final_url):
        return (
            f"the aggregator link could not be resolved over HTTP ({host} reaches the article "
            "only by running its script)"
        )
    lowered = page.text.casefold()
    if host.startswith(_CONSENT_HOSTS):
        return f"the page is a consent wall ({host})"
    if len(page.text) < config.min_text:
        if any(word in lowered for word in _CONSENT_WORDS):
            return "the page is a consent wall (cookie or privacy prompt, no article)"
        if any(word in lowered for word in _PAYWALL_WORDS):
            return "the page is behind a paywall (a subscription prompt, no article)"
        return f"the page holds too little text to judge ({len(page.text)} characters)"
    return None


def annotate(verdict: Verdict, read: PageRead | None) -> Verdict:
    """The verdict with a note saying what it was judged on, and a `page` record."""
    if read is None:
        return verdict
    explanation = dict(verdict.explanation)
    given = explanation.get("notes")
    notes = [n for n in given if isinstance(n, str)] if isinstance(given, list) else []
    if read.outcome is PageOutcome.READ:
        where = read.page.final_url if read.page else read.url
        notes = [n for n in notes if not n.startswith("decided from the title")]
        notes.insert(0, f"judged on the article page ({where})")
    else:
        notes.insert(0, f"judged on the headline: {read.reason or 'the article page was not read'}")
    explanation["notes"] = notes
    explanation["page"] = {
        "outcome": read.outcome.value,
        "url": read.url,
        "final_url": read.page.final_url if read.page else None,
        "reason": read.reason,
    }
    return dataclasses.replace(verdict, explanation=explanation)
