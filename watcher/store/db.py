"""Opening the database: pragmas, migrations and the single-daemon lock."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import sqlite_utils

from watcher.errors import ConfigError, StoreLockedError
from watcher.store.migrations import migrations


def iso(value: datetime | None) -> str | None:
    """Datetimes are stored as UTC ISO-8601 strings, which sort in time order."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


SQLITE_HEADER = b"SQLite format 3\x00"


def open_database(path: Path, *, readonly: bool = False) -> sqlite_utils.Database:
    """Open (and migrate) the database, or refuse at once with one line that names the fix.

    `readonly` opens without writing anything, not even a migration: commands that only look
    work on a read-only copy and while a daemon writes."""
    check_database_path(path, writable=not readonly)
    try:
        if readonly:
            return _open_readonly(path)
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 10000")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"[storage] path {path}: not a usable SQLite database ({exc}); "
            "restore it from a backup or point [storage] path at a new file"
        ) from exc
    return db


def _open_readonly(path: Path) -> sqlite_utils.Database:
    if not path.exists():
        raise ConfigError(
            f"[storage] path {path}: no database yet; run `watcher poll` or `watcher run` first"
        )
    # A WAL database needs its -shm file to be readable; `immutable` reads a copy in a
    # read-only place (where no writer can exist) without one.
    writable_dir = os.access(path.parent, os.W_OK)
    mode = "mode=ro" if writable_dir else "immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA query_only = ON")
    if migrations.pending(db):
        db.close()
        raise ConfigError(
            f"[storage] path {path}: the database is from an older watcher; "
            "run `watcher poll` once to upgrade it"
        )
    return db


def check_database_path(path: Path, *, writable: bool) -> None:
    """Bad database paths are refused before SQLite sees them, with the fix in the message."""
    where = f"[storage] path {path}"
    if not path.parent.is_dir():
        raise ConfigError(
            f"{where}: directory {path.parent} does not exist; create it or fix the path"
        )
    if path.is_dir():
        raise ConfigError(f"{where}: is a directory; name a database file inside it")
    if not path.exists():
        if writable and not os.access(path.parent, os.W_OK):
            raise ConfigError(f"{where}: cannot create the file (directory is read-only)")
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it ({exc.strerror}); fix its permissions") from exc
    if header and header != SQLITE_HEADER:
        raise ConfigError(f"{where}: is not an SQLite database; point [storage] path at a new file")
    if writable and not os.access(path, os.W_OK):
        raise ConfigError(
            f"{where}: is read-only; make it writable (chmod u+w) or use a copy you may write"
        )


class DaemonLock:
    """An advisory lock beside the database so that two daemons never share it."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        check_database_path(self.database, writable=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreLockedError(
                f"another watcher (pid {holder}) is already using {self.path.with_suffix('')}; "
                "stop it first or point [storage] path at another database"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
