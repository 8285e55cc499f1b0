"""SQL for subscriber state: subscribers disabled because their receiver is gone."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from watcher.store.db import iso


def disabled(db: sqlite_utils.Database) -> dict[str, str]:
    return {
        r["subscriber"]: r["disabled_reason"]
        for r in db.query("SELECT * FROM subscriber_state WHERE disabled_reason IS NOT NULL")
    }


def disable(db: sqlite_utils.Database, name: str, reason: str, now: datetime) -> None:
    db.execute(
        "INSERT INTO subscriber_state (subscriber, disabled_reason, disabled_at) VALUES (?, ?, ?)"
        " ON CONFLICT(subscriber) DO UPDATE SET disabled_reason = excluded.disabled_reason,"
        " disabled_at = excluded.disabled_at",
        [name, reason, iso(now)],
    )
