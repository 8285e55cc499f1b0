"""Pure routing: which subscribers hear about an article, and how (alert now or digest later)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from watcher.config import SubscriberConfig
from watcher.display import duration
from watcher.models import Article, Verdict


@dataclass(frozen=True, slots=True)
class Route:
    subscriber: SubscriberConfig
    kind: Literal["alert", "digest"]  # alert: immediate, one per story; digest: every article


def wants(
    subscriber: SubscriberConfig, article: Article, verdict: Verdict, threshold: float
) -> bool:
    """Whether the article passes the subscriber's filters (score, aspects, language, feed)."""
    return left_out(subscriber, article, verdict, threshold) is None


def left_out(
    subscriber: SubscriberConfig, article: Article, verdict: Verdict, threshold: float
) -> str | None:
    """Which of the subscriber's filters keeps the article from them, in words; None: none."""
    floor = subscriber.min_score if subscriber.min_score is not None else threshold
    if verdict.score < floor:
        return f"its score {verdict.score:.2f} is below {floor:.2f}"
    if subscriber.aspects and not set(subscriber.aspects) & set(verdict.aspects):
        return f"it has none of the aspects {', '.join(subscriber.aspects)}"
    if subscriber.max_age and stale(article, subscriber.max_age):
        age = duration(subscriber.max_age)
        return f"it was published more than max_age ({age}) before it was found"
    language = article.language or verdict.language
    if subscriber.languages and language not in subscriber.languages:
        wanted = ", ".join(subscriber.languages)
        return f"its language {language or 'unknown'} is not one of {wanted}"
    if subscriber.feeds and not {article.feed_name, article.feed_url} & set(subscriber.feeds):
        return f"its feed {article.feed_name} is not in their feeds"
    return None


def stale(article: Article, max_age: float) -> bool:
    """Published longer than `max_age` seconds before it was found: old news (a back
    catalogue, a feed re-listing its archive), not something that just appeared."""
    return article.first_seen - article.published > timedelta(seconds=max_age)


def interested(
    subscribers: Iterable[SubscriberConfig],
    article: Article,
    verdict: Verdict,
    threshold: float,
    disabled: Collection[str] = (),
) -> list[SubscriberConfig]:
    """The subscribers whose filters the article passes; disabled ones hear nothing."""
    return [
        s for s in subscribers if s.name not in disabled and wants(s, article, verdict, threshold)
    ]


def route(interested: Sequence[SubscriberConfig], new_story: bool) -> list[Route]:
    """Immediate subscribers get one alert per story; digest subscribers get every article."""
    routes = []
    for subscriber in interested:
        if subscriber.mode == "digest":
            routes.append(Route(subscriber, "digest"))
        elif new_story:
            routes.append(Route(subscriber, "alert"))
    return routes
