"""Pure timing decisions: next poll, backoff, retry waits. Every function takes `now`."""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_DELAY = 30.0


def next_poll_after_success(
    now: datetime,
    interval: float,
    freshness: float | None,
    max_stretch: float,
    jitter: float = 0.0,
) -> datetime:
    """The feed's interval, stretched by <ttl>/max-age when they ask for more, within a bound.

    `jitter` in [0, 1) spreads polls by up to 5% so feeds added together drift apart.
    """
    delay = interval
    if freshness is not None and freshness > interval:
        delay = min(freshness, max(max_stretch, interval))
    delay *= 1.0 + 0.05 * jitter
    return now + timedelta(seconds=max(MIN_DELAY, delay))


def backoff_delay(
    error_count: int, interval: float, max_backoff: float, jitter: float = 0.0
) -> float:
    """Exponential backoff from the feed's interval, capped, with 'equal jitter'.

    error_count is the number of consecutive failures including this one (≥ 1).
    The feed is never abandoned: at the cap it is still tried once per max_backoff.
    """
    exponent = max(0, error_count - 1)
    base = min(max_backoff, interval * (2.0 ** min(exponent, 30)))
    return max(MIN_DELAY, base * (0.5 + 0.5 * jitter))


def next_poll_after_error(
    now: datetime,
    error_count: int,
    interval: float,
    max_backoff: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> datetime:
    """When to try a failing feed again: backoff, but never sooner than Retry-After asks."""
    delay = backoff_delay(error_count, interval, max_backoff, jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_backoff))
    return now + timedelta(seconds=delay)
