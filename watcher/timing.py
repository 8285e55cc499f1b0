"""Pure timing decisions: next poll, backoff, retry waits. Every function takes `now`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # APScheduler loads when a trigger is built, not when a config is read
    from apscheduler.triggers.cron import CronTrigger

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
    return max(MIN_DELAY, _backoff(error_count, interval, max_backoff, jitter))


def _backoff(attempt: int, base: float, cap: float, jitter: float) -> float:
    """base × 2^(attempt-1), capped, times a factor in [0.5, 1) ('equal jitter')."""
    return min(cap, base * (2.0 ** min(max(0, attempt - 1), 30))) * (0.5 + 0.5 * jitter)


def _not_before(delay: float, retry_after: float | None, cap: float) -> float:
    """Retry-After is a floor on the wait, itself capped so a server cannot park us forever."""
    return delay if retry_after is None else max(delay, min(retry_after, cap))


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
    return now + timedelta(seconds=_not_before(delay, retry_after, max_backoff))


def next_delivery_attempt(
    now: datetime,
    attempts: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> datetime:
    """When to try a failed message again (attempts so far ≥ 1)."""
    delay = _backoff(attempts, base, cap, jitter)
    return now + timedelta(seconds=_not_before(delay, retry_after, cap))


_DAILY = re.compile(r"^daily\s+(\d{1,2}):(\d{2})$", re.IGNORECASE)
_WEEKLY = re.compile(r"^weekly\s+(mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$", re.IGNORECASE)


def check_digest_schedule(schedule: str, timezone: str) -> None:
    """ValueError unless the schedule is one `digest_trigger` accepts. The daily and weekly
    forms are checked here, so reading a config loads APScheduler only for a cron line."""
    ZoneInfo(timezone)
    text = schedule.strip()
    match = _DAILY.match(text) or _WEEKLY.match(text)
    if match is None:
        digest_trigger(text, timezone)
        return
    hour, minute = (int(part) for part in match.groups()[-2:])
    if hour > 23 or minute > 59:
        raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day (00:00 to 23:59)")


def digest_trigger(schedule: str, timezone: str) -> CronTrigger:
    """'daily HH:MM', 'weekly mon HH:MM' or a five-field cron line, in a time zone."""
    from apscheduler.triggers.cron import CronTrigger

    zone = ZoneInfo(timezone)
    text = schedule.strip()
    if match := _DAILY.match(text):
        return CronTrigger(hour=int(match[1]), minute=int(match[2]), timezone=zone)
    if match := _WEEKLY.match(text):
        return CronTrigger(
            day_of_week=match[1].lower(), hour=int(match[2]), minute=int(match[3]), timezone=zone
        )
    fields = text.split()
    if len(fields) != 5:
        raise ValueError("a cron line has five fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_cron_weekdays(weekday),
        timezone=zone,
    )


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _cron_weekdays(field: str) -> str:
    """Standard cron counts weekdays from Sunday = 0 (or 7); APScheduler 3 from Monday = 0,
    so numbers are turned into names, which both read the same way."""
    return re.sub(r"\d", lambda m: _CRON_DAYS[int(m[0])], field)


def next_digest(schedule: str, timezone: str, after: datetime) -> datetime:
    """The first digest slot strictly after `after` (DST-correct in the subscriber's zone)."""
    trigger = digest_trigger(schedule, timezone)
    moment: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    assert moment is not None
    return moment.astimezone(UTC)


def digest_due(schedule: str, timezone: str, last: datetime, now: datetime) -> bool:
    """Due when a slot has passed since the last digest: however many slots were missed
    while the daemon was down, this is true once, and one catch-up digest covers them all."""
    return next_digest(schedule, timezone, last) <= now
