"""The outbox worker: sends due messages, retries transient failures, buries permanent ones.

At-least-once: a message is marked sent only after the receiver accepted it, so a daemon
killed mid-send sends it again after restart, with the same id (webhook-id, Message-ID)
for the receiver to recognise.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime

from watcher.config import Config
from watcher.deliver import Channel
from watcher.errors import DeliveryError
from watcher.models import OutboxItem
from watcher.store import Store
from watcher.timing import next_delivery_attempt

log = logging.getLogger("watcher.deliver")
BATCH = 100


class Deliverer:
    def __init__(
        self,
        config: Config,
        store: Store,
        channels: Mapping[str, Channel],
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.channels = channels
        self.clock = clock
        self.rng = rng or random.Random()
        self._lock = asyncio.Lock()
        self._again = False
        self._tasks: set[asyncio.Task[int]] = set()

    def kick(self) -> None:
        """New messages are waiting: send them now rather than at the next tick."""
        if self._lock.locked():
            self._again = True
            return
        task = asyncio.get_running_loop().create_task(self.deliver_due())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def deliver_due(self) -> int:
        sent = 0
        async with self._lock:
            while True:
                self._again = False
                items = self.store.due_outbox(self.clock(), BATCH)
                for item in items:
                    sent += await self.deliver(item)
                if not self._again and len(items) < BATCH:
                    return sent

    async def deliver(self, item: OutboxItem) -> int:
        subscriber = next((s for s in self.config.subscribers if s.name == item.subscriber), None)
        if subscriber is None:
            self.store.mark_dead(item.id, f"subscriber {item.subscriber!r} is no longer configured")
            return 0
        disabled = self.store.disabled_subscribers().get(subscriber.name)
        if disabled:
            self.store.mark_dead(item.id, f"subscriber disabled: {disabled}")
            return 0
        channel = self.channels[item.channel]
        try:
            answer = await channel.send(item, subscriber)
        except DeliveryError as exc:
            self._failed(item, exc)
            return 0
        except Exception as exc:  # a bug must not stop the queue; the message is retried
            log.exception("unexpected error delivering %s", item.id)
            self._failed(item, DeliveryError(item.channel, repr(exc), retryable=True))
            return 0
        self.store.mark_sent(item.id, self.clock())
        log.info("sent id=%s to=%s kind=%s: %s", item.id, item.subscriber, item.kind, answer)
        return 1

    def _failed(self, item: OutboxItem, exc: DeliveryError) -> None:
        now = self.clock()
        attempts = item.attempts + 1
        limit = self.config.delivery.max_attempts
        if exc.gone:
            self.store.disable_subscriber(item.subscriber, exc.reason, now)
            self.store.mark_dead(item.id, exc.reason)
            log.error("subscriber %s disabled: %s", item.subscriber, exc.reason)
        elif not exc.retryable or attempts >= limit:
            reason = str(exc) if not exc.retryable else f"{exc} (gave up after {attempts} attempts)"
            self.store.mark_dead(item.id, reason)
            log.error("dead letter id=%s to=%s: %s", item.id, item.subscriber, reason)
        else:
            when = next_delivery_attempt(
                now,
                attempts,
                self.config.delivery.base_backoff,
                self.config.delivery.max_backoff,
                exc.retry_after,
                self.rng.random(),
            )
            self.store.mark_retry(item.id, str(exc), when)
            log.warning(
                "retry id=%s to=%s attempt=%d next=%s: %s",
                item.id,
                item.subscriber,
                attempts,
                when.isoformat(timespec="seconds"),
                exc,
            )
