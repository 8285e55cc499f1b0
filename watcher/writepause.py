"""Pure: whether the database takes writes, and when polling may try again when it does not.

A disk that is full or a database file that went read-only cannot save a feed's next poll
time: polling on regardless re-polled every feed on every tick (14.5x the configured rate)
and logged each failure (51,000 lines a minute). Instead polling pauses, one feed probes
after a growing wait, and one line a minute says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_WAIT = timedelta(seconds=5)
LONGEST_WAIT = timedelta(seconds=60)
LOG_EVERY = timedelta(seconds=60)


@dataclass
class WritePause:
    failing_since: datetime | None = None
    error: str | None = None
    failures: int = 0
    last_failure: datetime | None = None
    logged_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.failing_since is not None

    def next_try(self) -> datetime | None:
        if self.last_failure is None:
            return None
        wait: timedelta = min(FIRST_WAIT * 2 ** max(self.failures - 1, 0), LONGEST_WAIT)
        return self.last_failure + wait

    def may_write(self, now: datetime) -> bool:
        """Writes may be tried now: the database took the last one, or the wait is over."""
        next_try = self.next_try()
        return not self.paused or next_try is None or now >= next_try

    def failed(self, error: str, now: datetime) -> bool:
        """Record a refused write; True when it deserves a log line (one a minute)."""
        if self.failing_since is None:
            self.failing_since = now
        self.error = error
        self.failures += 1
        self.last_failure = now
        if self.logged_at is None or now - self.logged_at >= LOG_EVERY:
            self.logged_at = now
            return True
        return False

    def succeeded(self) -> bool:
        """Record a write the database took; True when that ends a pause."""
        was_paused = self.paused
        self.failing_since = self.error = self.last_failure = self.logged_at = None
        self.failures = 0
        return was_paused
