"""Opening the store for a command: read-only for commands that only look."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from watcher.config import Config

if TYPE_CHECKING:
    from watcher.store import Store


def _import_sqlite_utils_lean() -> None:
    """sqlite-utils imports numpy (and pandas) when installed, only to map their scalar types
    to column types when it creates tables from Python values; the store writes plain SQL
    and never needs that. Measured, numpy is a third of a read-only command's start-up, so
    when nothing has imported it yet, sqlite-utils is imported without it."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    hidden = ("numpy", "pandas")
    saved = {name: sys.modules.get(name) for name in hidden}
    for name in hidden:  # a None entry makes "import numpy" raise ImportError
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        importlib.import_module("sqlite_utils")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextmanager
def unless_daemon(config: Config) -> Iterator[bool]:
    """True, holding the daemon's lock, when no daemon runs on the database, so that this
    process may send queued messages itself; False when one runs: it sends them (two
    senders reading the same due rows could send one message twice)."""
    from watcher.errors import StoreLockedError
    from watcher.store import DaemonLock

    lock = DaemonLock(config.database)
    try:
        lock.acquire()
    except StoreLockedError:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


@contextmanager
def open_store(config: Config, *, sync: bool = True, readonly: bool = False) -> Iterator[Store]:
    """The configured database; `sync` first brings its feed list in line with the config,
    `readonly` writes nothing at all (works on a read-only copy and beside a running daemon)."""
    _import_sqlite_utils_lean()
    from watcher.store import Store

    store = Store.open(config.database, readonly=readonly)
    try:
        if sync and not readonly:
            from watcher.sources import feed_sources

            store.sync_feeds(feed_sources(config), datetime.now(UTC))
        yield store
    finally:
        store.close()
