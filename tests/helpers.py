from __future__ import annotations

import sqlite3
from typing import Any

from watcher.app import poll_once
from watcher.config import Config
from watcher.models import PollReport
from watcher.workers import Workers


def poll(config: Config, executor: Workers, everything: bool = True) -> dict[str, PollReport]:
    reports = poll_once(config, everything=everything, workers=executor)
    return {r.url: r for r in reports}


def rows(config: Config, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(config.database)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def feed_row(config: Config, source_url: str) -> dict[str, Any]:
    return rows(config, "SELECT * FROM feeds WHERE source_url = ?", (source_url,))[0]


def titles(config: Config) -> list[str]:
    return [r["title"] for r in rows(config, "SELECT title FROM articles ORDER BY id")]
