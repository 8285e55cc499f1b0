"""Pure feed-health decisions for ops subscribers: failing too long, silent, recovered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from watcher.config import HealthConfig
from watcher.models import FeedHealth
from watcher.notify.render import date

OK, FAILING, SILENT = "ok", "failing", "silent"
MIN_HISTORY = 4


def usual_gap(first_seen: Sequence[datetime]) -> timedelta | None:
    """The median time between a feed's recent new items, once there is enough history."""
    if len(first_seen) < MIN_HISTORY:
        return None
    ordered = sorted(first_seen)
    gaps = [(b - a).total_seconds() for a, b in pairwise(ordered)]
    return timedelta(seconds=median(gaps))


def assess(
    feed: FeedHealth, first_seen: Sequence[datetime], now: datetime, health: HealthConfig
) -> str:
    if feed.retired:
        return OK  # not watched any more: nothing to alert about
    if feed.failing_since and now - feed.failing_since > timedelta(seconds=health.failing_after):
        return FAILING
    gap = usual_gap(first_seen)
    if gap is not None and feed.last_new_at:
        allowed = max(timedelta(seconds=health.silent_min), gap * health.silent_factor)
        if now - feed.last_new_at > allowed:
            return SILENT
    return OK


def notice(
    feed: FeedHealth, before: str, after: str, zone: str = "UTC"
) -> tuple[str, str, str] | None:
    """(event, headline, text) for a change of state worth telling, else None; times are
    shown in `zone`, the reader's time zone."""
    name = feed.name
    if after == FAILING:
        return (
            "feed.failing",
            f"Feed failing: {name}",
            f"{name} ({feed.url}) has failed since {date(feed.failing_since, zone)}: "
            f"{feed.last_error}. It is retried with backoff and never dropped.",
        )
    if after == SILENT:
        return (
            "feed.silent",
            f"Feed silent: {name}",
            f"{name} ({feed.url}) has had no new item since {date(feed.last_new_at, zone)}, "
            "far longer than its usual rhythm.",
        )
    if after == OK and before in (FAILING, SILENT):
        return "feed.recovered", f"Feed recovered: {name}", f"{name} ({feed.url}) works again."
    return None
