"""Digests: which subscribers are due, and what goes in theirs (each article exactly once)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watcher.config import Config, SubscriberConfig
from watcher.models import Message
from watcher.render import DigestStory, Renderer
from watcher.store import Store
from watcher.timing import digest_due


def group_stories(items: Sequence[dict[str, Any]]) -> list[DigestStory]:
    """Pure: one entry per story, its best-scored article first, ordered by score."""
    grouped: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()
    for item in sorted(items, key=lambda r: (-(r["score"] or 0.0), r["id"])):
        grouped.setdefault(item["story_id"], []).append(item)
    stories = []
    for members in grouped.values():
        lead, *others = members
        aspects: list[str] = []
        for member in members:
            for aspect in json.loads(member["aspects"] or "[]"):
                if aspect not in aspects:
                    aspects.append(aspect)
        stories.append(DigestStory(lead=lead, others=others, aspects=aspects))
    return stories


def due_subscribers(config: Config, store: Store, now: datetime) -> list[SubscriberConfig]:
    """Digest subscribers whose next slot has passed. A new subscriber starts counting now."""
    due = []
    for subscriber in config.subscribers:
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
    message = renderer.digest(subscriber, group_stories(items), since, now)
    if not dry_run:
        with store.transaction():
            store.enqueue(message, now)
            store.close_digest(subscriber.name, [i["id"] for i in items], message.id, now)
    return message
