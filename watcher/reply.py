"""One small object reads HTTP replies for the poller: what a status and its headers mean."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from watcher.models import Outcome, Reply

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\b", re.IGNORECASE)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def retry_after(value: str | None, now: datetime) -> float | None:
    """RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def freshness(headers: Mapping[str, str], now: datetime) -> float | None:
    """RFC 9111 §4.2.1: max-age wins over Expires; no-cache/no-store mean no freshness."""
    control = headers.get("cache-control", "")
    if _NO_CACHE.search(control):
        return None
    match = _MAX_AGE.search(control)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if expires is not None:
        when = _http_date(expires)
        if when is None:  # RFC 9111 §5.3: an invalid Expires means already expired.
            return 0.0
        origin_now = _http_date(headers.get("date")) or now
        return max(0.0, (when - origin_now).total_seconds())
    return None


def read_reply(status: int, headers: Mapping[str, str], now: datetime) -> Reply:
    """Classify a reply. Headers must be keyed in lower case."""
    fresh = freshness(headers, now)
    if 200 <= status < 300:
        if status == 204:
            return Reply(Outcome.ERROR, message="HTTP 204: the server sent no feed body")
        return Reply(Outcome.NEW_CONTENT, freshness=fresh, save_validators=True)
    if status == 304:
        return Reply(Outcome.NOT_MODIFIED, freshness=fresh)
    if status == 410:
        return Reply(
            Outcome.GONE, message="HTTP 410 Gone: the publisher removed this feed; polling stopped"
        )
    if status in (429, 503):
        wait = retry_after(headers.get("retry-after"), now)
        return Reply(
            Outcome.RATE_LIMITED,
            retry_after=wait,
            message=f"HTTP {status}: server asked us to slow down"
            + (f" (Retry-After {wait:.0f}s)" if wait is not None else ""),
        )
    if status in (401, 403):
        return Reply(Outcome.ERROR, message=f"HTTP {status}: access denied; check the feed URL")
    if status == 404:
        return Reply(Outcome.ERROR, message="HTTP 404: feed not found; check the feed URL")
    return Reply(Outcome.ERROR, message=f"HTTP {status}: unexpected reply from the server")
