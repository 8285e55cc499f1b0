"""The outbox worker: sends due messages, retries transient failures, buries permanent ones.

At-least-once: a message is marked sent only after the receiver accepted it, so a daemon
killed mid-send sends it again after restart, with the same id (webhook-id, Message-ID)
for the receiver to recognise.

Each subscriber has its own lane: at most `per_subscriber` sends at once, each within a
total `deadline`, so a stuck receiver delays only its own messages. A message that was sent
but whose fate cannot be written (disk full, read-only database) is held in memory and never
sent again until the write succeeds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from watcher.config import Config, SubscriberConfig
from watcher.deliver.base import Sender
from watcher.deliver.registry import mask, secret_values
from watcher.display import counted
from watcher.errors import DeliveryError, StoreWriteError
from watcher.models import OutboxItem
from watcher.store import Store
from watcher.timing import next_delivery_attempt

log = logging.getLogger("watcher.deliver")
BATCH = 100
LANE_DEPTH = 4  # a lane holds this many times `per_subscriber` messages waiting to be sent
WRITE_ERROR_EVERY = 60.0  # seconds between two log lines about the same unwritable database


@dataclass(frozen=True, slots=True)
class _Fate:
    """An outcome not yet written: sent, retry at `next_at`, or dead."""

    status: str
    at: datetime
    error: str | None = None
    delivered_to: frozenset[str] = frozenset()


class Deliverer:
    def __init__(
        self,
        config: Config,
        store: Store,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.senders = senders
        self.clock = clock
        self.rng = rng or random.Random()
        self.subscribers = {s.name: s for s in config.subscribers}
        self.secrets = secret_values(config)
        self._lanes: dict[str, asyncio.Semaphore] = {}
        self._inflight: dict[str, asyncio.Task[int]] = {}
        self._unwritten: dict[str, _Fate] = {}
        self._write_error_logged = -WRITE_ERROR_EVERY
        self._queued: dict[str, int] = {}
        self._stopping = False

    def kick(self) -> None:
        """New messages are waiting: start sending them now rather than at the next tick."""
        self.start_due()

    async def tick(self) -> None:
        """The daemon's delivery tick: start what is due, do not wait for it."""
        self.start_due()

    def start_due(self) -> list[asyncio.Task[int]]:
        """Start a send for every due message not already in flight; returns the new tasks."""
        self._write_fates()
        if self._stopping or len(self._unwritten) >= BATCH:
            return []  # shutting down, or the database cannot record what we would send
        depth = self.config.delivery.per_subscriber * LANE_DEPTH
        try:
            items = self.store.due_outbox(self.clock(), BATCH, per_subscriber=depth)
        except StoreWriteError as exc:
            self._write_failed(exc)
            return []
        started = []
        for item in items:
            if item.id in self._inflight or item.id in self._unwritten:
                continue
            task = asyncio.get_running_loop().create_task(self._lane(item), name=item.id)
            self._inflight[item.id] = task
            self._queued[item.subscriber] = self._queued.get(item.subscriber, 0) + 1
            task.add_done_callback(functools.partial(self._forget, item.id))
            started.append(task)
        return started

    def _forget(self, item_id: str, _task: asyncio.Task[int]) -> None:
        self._inflight.pop(item_id, None)

    async def deliver_due(self) -> int:
        """Send everything due now and wait for it; returns how many were sent."""
        sent = 0
        self.start_due()
        while self._inflight:
            sent += sum(await asyncio.gather(*self._inflight.values()))
            self.start_due()
        return sent

    async def drain(self, grace: float | None = None) -> None:
        """Wait for sends in flight, at most `grace` seconds; the rest stay due and are sent
        again (same id) by the next daemon."""
        self._stopping = True
        if self._inflight:
            limit = self.config.delivery.shutdown_grace if grace is None else grace
            _done, pending = await asyncio.wait(list(self._inflight.values()), timeout=limit)
            for task in pending:
                task.cancel()
            if pending:
                log.warning(
                    "stopped waiting for %d message(s) after %.0fs; they stay due",
                    len(pending),
                    limit,
                )
                await asyncio.gather(*pending, return_exceptions=True)
        self._write_fates()

    async def _lane(self, item: OutboxItem) -> int:
        lane = self._lanes.setdefault(
            item.subscriber, asyncio.Semaphore(self.config.delivery.per_subscriber)
        )
        try:
            async with lane:
                return await self.deliver(item)
        finally:
            self._queued[item.subscriber] -= 1
            if not self._queued[item.subscriber]:
                self.start_due()  # this lane is empty: fetch its next messages, if any

    async def deliver(self, item: OutboxItem) -> int:
        subscriber = self.subscribers.get(item.subscriber)
        if subscriber is None:
            self._record(item, _Fate("dead", self.clock(), "subscriber is no longer configured"))
            return 0
        disabled = self.store.disabled_subscribers().get(subscriber.name)
        if disabled:
            self._record(item, _Fate("dead", self.clock(), f"subscriber disabled: {disabled}"))
            return 0
        target = subscriber.channel
        if item.channel != target.type and (item.channel, target.type) != ("webhook", "slack"):
            reason = f"rendered for {item.channel}, but the subscriber now uses {target.type}"
            self._record(item, _Fate("dead", self.clock(), reason))
            return 0
        try:
            async with asyncio.timeout(self.config.delivery.deadline):
                answer = await self.senders[target.type].send(item, target)
        except DeliveryError as exc:
            self._failed(item, subscriber, exc)
            return 0
        except TimeoutError:
            deadline = self.config.delivery.deadline
            late = DeliveryError(target.type, f"no answer within {deadline:.0f}s", retryable=True)
            self._failed(item, subscriber, late)
            return 0
        except Exception as exc:  # a bug must not stop the queue; the message is retried
            log.exception("unexpected error delivering %s", item.id)
            self._failed(item, subscriber, DeliveryError(target.type, repr(exc), retryable=True))
            return 0
        self._record(item, _Fate("sent", self.clock()))
        log.info(
            "sent id=%s to=%s kind=%s: %s",
            item.id,
            item.subscriber,
            item.kind,
            mask(answer, self.secrets),
        )
        return 1

    def _failed(self, item: OutboxItem, subscriber: SubscriberConfig, exc: DeliveryError) -> None:
        now = self.clock()
        attempts = item.attempts + 1
        limit = self.config.delivery.max_attempts
        reason = mask(str(exc), self.secrets)
        if exc.gone:
            try:
                self.store.disable_subscriber(item.subscriber, mask(exc.reason, self.secrets), now)
            except StoreWriteError as error:
                self._write_failed(error)
            self._record(item, _Fate("dead", now, reason))
            log.error("subscriber %s disabled: %s", item.subscriber, reason)
        elif not exc.retryable or attempts >= limit:
            if exc.retryable:
                reason = f"{reason} (gave up after {counted(attempts, 'attempt')})"
            self._record(item, _Fate("dead", now, reason, exc.delivered_to))
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
            self._record(item, _Fate("retry", when, reason, exc.delivered_to))
            log.warning(
                "retry id=%s to=%s via=%s attempt=%d next=%s: %s",
                item.id,
                item.subscriber,
                subscriber.channel.type,
                attempts,
                when.isoformat(timespec="seconds"),
                reason,
            )

    def _record(self, item: OutboxItem, fate: _Fate) -> None:
        """Write the outcome; if the database refuses, hold it (the message is not sent again
        meanwhile) and write it on a later tick."""
        self._unwritten[item.id] = fate
        self._write_fates()

    def _write_fates(self) -> None:
        for item_id, fate in list(self._unwritten.items()):
            try:
                if fate.status == "sent":
                    self.store.mark_sent(item_id, fate.at)
                elif fate.status == "retry":
                    self.store.mark_retry(item_id, fate.error or "", fate.at, fate.delivered_to)
                else:
                    self.store.mark_dead(item_id, fate.error or "", fate.delivered_to)
            except StoreWriteError as exc:
                self._write_failed(exc)
                return
            del self._unwritten[item_id]

    def _write_failed(self, exc: StoreWriteError) -> None:
        now = time.monotonic()
        if now - self._write_error_logged >= WRITE_ERROR_EVERY:
            self._write_error_logged = now
            log.error(
                "cannot write delivery results to the database (%s); %d message(s) held, "
                "none sent twice; retrying every tick",
                exc,
                len(self._unwritten),
            )
