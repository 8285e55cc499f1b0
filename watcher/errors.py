"""One error hierarchy: every failure names what failed and, where possible, the fix."""

from __future__ import annotations


class WatcherError(Exception):
    """Root of every error watcher raises on purpose."""

    retryable: bool = False


class ConfigError(WatcherError):
    """The configuration cannot be used; the message names the file, the key and the fix."""


class InputError(WatcherError):
    """What a person asked for cannot be done as asked (a bad argument or form field)."""


class NotFoundError(InputError):
    """The thing asked for (an article, a message, a subscriber) does not exist."""


class StoreLockedError(WatcherError):
    """Another daemon already owns the database."""


class DeliveryError(WatcherError):
    """A notification could not be delivered over a channel."""

    def __init__(
        self,
        channel: str,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        gone: bool = False,
        delivered_to: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.reason = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.gone = gone
        # services of a multi-service channel that accepted the message before the failure
        self.delivered_to = delivered_to


class StoreWriteError(WatcherError):
    """The database refused a write (disk full, read-only file, I/O error)."""

    retryable = True
