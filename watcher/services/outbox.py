"""The outbox as people see it: what is queued, sent and dead; re-queueing dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from watcher.errors import InputError, NotFoundError
from watcher.models import OutboxItem

if TYPE_CHECKING:
    from watcher.store import Store


@dataclass(frozen=True, slots=True)
class OutboxListing:
    items: tuple[OutboxItem, ...]
    queue_depth: int
    dead_letters: int
    sent: int


def list_outbox(store: Store, *, dead_only: bool = False, limit: int = 50) -> OutboxListing:
    items = store.outbox_items("dead" if dead_only else None, limit)
    summary = store.queue_summary()
    return OutboxListing(
        items=tuple(items),
        queue_depth=summary["queue_depth"],
        dead_letters=summary["dead_letters"],
        sent=summary["sent"],
    )


def resolve_message_id(store: Store, prefix: str) -> str:
    """The one message id that begins with `prefix`; NotFoundError or InputError otherwise."""
    prefix = prefix.strip()
    if not prefix:
        raise InputError("give a message id (or the start of one) from `watcher outbox`")
    found = store.outbox_ids_starting(prefix, limit=3)
    if not found:
        raise NotFoundError(f"no message id starts with {prefix!r}; see `watcher outbox`")
    if len(found) > 1:
        raise InputError(
            f"{prefix!r} is the start of several message ids ({', '.join(found[:2])}, …); "
            "give more of the id"
        )
    return found[0]


def retry(store: Store, message_id: str | None, now: datetime) -> int:
    """Re-queue one dead message (by id or unique prefix), or every dead one when
    `message_id` is None. Messages keep their ids, so receivers can drop duplicates."""
    if message_id is None:
        return store.requeue(None, now)
    full = resolve_message_id(store, message_id)
    count = store.requeue(full, now)
    if count == 0:
        raise InputError(f"message {full} is not dead (only dead letters are re-queued)")
    return count
