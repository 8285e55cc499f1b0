"""Is the watcher working? The scheduler ticks and the database takes writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watcher.store import Store
from watcher.store.metrics import last_beat, writable

MISSED_TICKS = 3
WRITE_WAIT = 2.0  # longer than the daemon's longest write transaction, measured at ~0.5 s


@dataclass(frozen=True, slots=True)
class Health:
    last_tick: datetime | None
    tick_seconds: float | None
    database_writable: bool
    now: datetime

    @property
    def scheduler_ticking(self) -> bool:
        if self.last_tick is None or self.tick_seconds is None:
            return False
        return (self.now - self.last_tick).total_seconds() <= MISSED_TICKS * self.tick_seconds

    @property
    def healthy(self) -> bool:
        return self.scheduler_ticking and self.database_writable

    def as_dict(self) -> dict[str, object]:
        since = None if self.last_tick is None else (self.now - self.last_tick).total_seconds()
        return {
            "status": "ok" if self.healthy else "failing",
            "scheduler": {
                "ticking": self.scheduler_ticking,
                "last_tick": self.last_tick.isoformat() if self.last_tick else None,
                "seconds_since_last_tick": since,
                "tick_seconds": self.tick_seconds,
            },
            "database": {"writable": self.database_writable},
        }


def check(store: Store, now: datetime) -> Health:
    at, interval = last_beat(store.db)
    return Health(at, interval, writable(store.db, WRITE_WAIT), now)


def record_tick(store: Store, now: datetime, interval: float) -> None:
    """Called by the daemon's scheduler on every poll tick."""
    from watcher.store.metrics import beat

    with store.transaction():
        beat(store.db, now, interval)
