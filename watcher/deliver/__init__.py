"""Delivery: one module per channel behind one small protocol, and the outbox worker."""

from __future__ import annotations

from typing import Protocol

from watcher.config import SubscriberConfig
from watcher.models import OutboxItem


class Channel(Protocol):
    async def send(self, item: OutboxItem, subscriber: SubscriberConfig) -> str:
        """Deliver the item's bytes; return the receiver's answer or raise DeliveryError."""
        ...

    async def aclose(self) -> None: ...
