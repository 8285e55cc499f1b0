"""Digests: which subscribers are due, and what goes in theirs (each article exactly once)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from watcher.config import SubscriberConfig
from watcher.models import Message
from watcher.notify.messages import Renderer
from watcher.notify.render import group_digest
from watcher.store import Store
from watcher.timing import digest_due


def due_subscribers(
    subscribers: Iterable[SubscriberConfig], store: Store, now: datetime
) -> list[SubscriberConfig]:
    """Digest subscribers whose next slot has passed. A new subscriber starts counting now."""
    due = []
    for subscriber in subscribers:
        if subscriber.mode != "digest":
            continue
        last = store.last_digest(subscriber.name)
        if last is None:
            store.set_last_digest(subscriber.name, now)
            continue
        if digest_due(subscriber.digest, subscriber.timezone, last, now):
            due.append(subscriber)
    return due


def build_digest(
    store: Store,
    renderer: Renderer,
    subscriber: SubscriberConfig,
    now: datetime,
    *,
    dry_run: bool = False,
) -> Message | None:
    """Render the subscriber's digest and, unless dry_run, enqueue it and close its items in
    one transaction. Returns None when there is nothing to send (and send_empty is off)."""
    items = store.pending_digest(subscriber.name)
    since = store.last_digest(subscriber.name) or now
    if not items and not subscriber.send_empty:
        if not dry_run:
            store.set_last_digest(subscriber.name, now)
        return None
    message = renderer.digest(subscriber, group_digest(items), since, now)
    if not dry_run:
        with store.transaction():
            store.enqueue(message, now)
            store.close_digest(subscriber.name, [i.article.id for i in items], message.id, now)
    return message
