"""How every feed is doing, and how much is stored and queued."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.store import Store


NEVER_POLLED = "never polled"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    id: int
    name: str
    url: str
    state: str  # ok, not_modified, error, rate_limited, gone, disabled or "never polled"
    last_success_at: datetime | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None  # None when the feed is no longer polled (gone, disabled)
    error_count: int
    last_error: str | None
    http_status: int | None
    articles: int
    pages: dict[str, Any] | None = None  # article pages read, failed, refused (and why)


@dataclass(frozen=True, slots=True)
class StatusReport:
    feeds: tuple[FeedStatus, ...]
    articles: int
    queue_depth: int
    dead_letters: int
    sent: int
    database: str | None = None  # set while the daemon cannot write to it (polling paused)
    pages: dict[str, int] = field(default_factory=dict)  # article pages, all feeds


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _health(row: dict[str, Any], pages: dict[str, Any] | None = None) -> FeedStatus:
    stopped = row["disabled_reason"] or row["gone_reason"]
    state = (row["disabled_reason"] and "disabled") or (row["gone_reason"] and "gone")
    if not state:
        state = row["last_status"] if row["last_polled_at"] else NEVER_POLLED
    return FeedStatus(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        state=state,
        last_success_at=_when(row["last_success_at"]),
        last_polled_at=_when(row["last_polled_at"]),
        next_poll_at=None if stopped else _when(row["next_poll_at"]),
        error_count=row["error_count"],
        last_error=(
            row["last_error"] or row["gone_reason"] or row["disabled_reason"] or _skipped(row)
        ),
        http_status=row["last_http_status"],
        articles=row["articles"],
        pages=pages,
    )


def _skipped(row: dict[str, Any]) -> str | None:
    """Entries of the last document that could not be read (the others were stored)."""
    count = row["skipped_entries"]
    if not count:
        return None
    return f"{count} {'entry' if count == 1 else 'entries'} skipped: {row['skip_reason']}"


def status(store: Store) -> StatusReport:
    """Reads only: safe on a read-only store."""
    queue = store.queue_summary()
    marks = store.page_marks()
    return StatusReport(
        feeds=tuple(_health(row, marks.get(row["id"])) for row in store.feed_status()),
        articles=store.article_count(),
        queue_depth=queue["queue_depth"],
        dead_letters=queue["dead_letters"],
        sent=queue["sent"],
        database=_refused(store),
        pages=store.page_counts(),
    )


def _refused(store: Store) -> str | None:
    refused = store.write_failure()
    if refused is None:
        return None
    since = refused["since"][:19].replace("T", " ")
    return f"cannot be written since {since} UTC ({refused['error']}); polling paused"
