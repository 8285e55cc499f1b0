"""What a channel module provides, and the few helpers several channels share."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from watcher.config import ChannelSettings, Config
from watcher.models import OutboxItem
from watcher.notify.render import Note

if TYPE_CHECKING:  # Jinja2 loads when templates are built, not when a config is read
    import jinja2

S = TypeVar("S", bound=ChannelSettings)

REPLY_LIMIT = 64 * 1024  # bytes of a receiver's reply read at most (the rest is not read)
ANSWER_CHARS = 200  # characters of a reply kept in logs and outbox.last_error


@dataclass(frozen=True, slots=True)
class Templates:
    """What rendering needs besides the note: the Jinja2 environment and the sender address."""

    env: jinja2.Environment
    sender: str


class Sender(Protocol):
    """Sends rendered bytes; opened once per daemon (or command) and closed at the end."""

    async def send(self, item: OutboxItem, target: Any) -> str:
        """Deliver the item's bytes; return the receiver's answer or raise DeliveryError."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Channel(Generic[S]):
    """A channel as the registry lists it.

    `render` is pure and runs once, at enqueue: every retry sends the same bytes.
    `check` runs at start-up and raises ConfigError for settings that can never work.
    """

    type: str
    settings: builtins.type[S]
    render: Callable[[Note, S, Templates], bytes]
    open: Callable[[Config], Sender]
    check: Callable[[S], None] = lambda _settings: None
    example: str = ""


def answer_text(raw: bytes | str) -> str:
    """A receiver's reply, shortened to one line for logs and the outbox."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:ANSWER_CHARS]
