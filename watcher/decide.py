"""Pure decisions about a feed after a fetch: its next state, given the reply and `now`."""

from __future__ import annotations

from datetime import datetime, timedelta

from watcher.config import PollingConfig
from watcher.models import Feed, FeedUpdate, FetchResult, Outcome, ParsedFeed, Reply
from watcher.reply import read_reply
from watcher.timing import next_poll_after_error, next_poll_after_success

GONE_FOREVER = timedelta(days=3650)


def read_fetch(result: FetchResult, now: datetime) -> Reply:
    """A transport failure is an error reply; otherwise the HTTP reply decides."""
    if result.error is not None or result.status is None:
        return Reply(Outcome.ERROR, message=result.error or "no reply")
    return read_reply(result.status, result.headers, now)


def after_parse(reply: Reply, parsed: ParsedFeed | None) -> Reply:
    """A 200 whose body is not a feed is an error, and its validators must not be kept."""
    if reply.outcome is Outcome.NEW_CONTENT and parsed is not None and parsed.error:
        return Reply(Outcome.ERROR, message=parsed.error)
    return reply


def decide(
    feed: Feed,
    result: FetchResult,
    reply: Reply,
    parsed: ParsedFeed | None,
    now: datetime,
    polling: PollingConfig,
    jitter: float,
) -> FeedUpdate:
    moved = result.permanent_url if result.permanent_url != feed.url else None
    if reply.outcome in (Outcome.NEW_CONTENT, Outcome.NOT_MODIFIED):
        hints = [h for h in (reply.freshness, parsed.ttl if parsed else None) if h is not None]
        return FeedUpdate(
            next_poll_at=next_poll_after_success(
                now, feed.interval, max(hints) if hints else None, polling.max_stretch, jitter
            ),
            last_polled_at=now,
            last_status=reply.outcome.value,
            error_count=0,
            last_http_status=result.status,
            last_success_at=now,
            url=moved,
            etag=result.headers.get("etag"),
            last_modified=result.headers.get("last-modified"),
            save_validators=reply.save_validators,
            title=parsed.title if parsed else None,
            skipped=parsed.skipped if parsed else None,
        )
    if reply.outcome is Outcome.GONE:
        return FeedUpdate(
            next_poll_at=now + GONE_FOREVER,
            last_polled_at=now,
            last_status=reply.outcome.value,
            error_count=feed.error_count,
            last_http_status=result.status,
            last_error=reply.message,
            failing_since=feed.failing_since,
            gone_reason=reply.message or "gone",
        )
    errors = feed.error_count + 1
    return FeedUpdate(
        next_poll_at=next_poll_after_error(
            now, errors, feed.interval, polling.max_backoff, reply.retry_after, jitter
        ),
        last_polled_at=now,
        last_status=reply.outcome.value,
        error_count=errors,
        last_http_status=result.status,
        last_error=reply.message,
        failing_since=feed.failing_since or now,
        url=moved,
    )
