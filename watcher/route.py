"""Pure routing: which subscribers hear about an article, and how (alert now or digest later)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from watcher.config import SubscriberConfig
from watcher.models import Article, Verdict


@dataclass(frozen=True)
class Route:
    subscriber: SubscriberConfig
    kind: str  # "alert" (immediate) or "digest"


def wants(
    subscriber: SubscriberConfig,
    article: Article,
    verdict: Verdict,
    threshold: float,
    feed_url: str,
) -> bool:
    """Whether the article passes the subscriber's filters."""
    floor = subscriber.min_score if subscriber.min_score is not None else threshold
    if verdict.score < floor:
        return False
    if subscriber.aspects and not set(subscriber.aspects) & set(verdict.aspects):
        return False
    language = article.language or verdict.language
    if subscriber.languages and language not in subscriber.languages:
        return False
    return not subscriber.feeds or bool({article.feed_name, feed_url} & set(subscriber.feeds))


def route(
    article: Article,
    verdict: Verdict,
    new_story: bool,
    subscribers: Iterable[SubscriberConfig],
    threshold: float,
    feed_url: str,
    disabled: Sequence[str] = (),
) -> list[Route]:
    """Immediate subscribers get one alert per story; digest subscribers get every article."""
    routes = []
    for subscriber in subscribers:
        if subscriber.name in disabled or not wants(
            subscriber, article, verdict, threshold, feed_url
        ):
            continue
        if subscriber.mode == "digest":
            routes.append(Route(subscriber, "digest"))
        elif new_story:
            routes.append(Route(subscriber, "alert"))
    return routes
