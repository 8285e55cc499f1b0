"""Opening the database: pragmas, migrations and the single-daemon lock."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from watcher.errors import ConfigError, StoreLockedError, StoreWriteError
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


# Primary result codes meaning "this database cannot take writes now", whatever the data:
# SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN. Any other error (a
# constraint, a bug) is about one write and must not pause all polling.
_UNWRITABLE = frozenset({8, 10, 13, 14})


@contextmanager
def unwritable_as_store_error() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNWRITABLE:
            raise StoreWriteError(f"the database cannot be written: {exc}") from exc
        raise


def write_failure_note(database: Path) -> Path:
    """Where the daemon says, for `status` and the web console, that writes are refused."""
    return database.with_name(database.name + ".unwritable.json")


def save_write_failure(database: Path, since: datetime, error: str) -> None:
    """Best effort: a full disk may refuse this small file too; a read-only database does not."""
    note = write_failure_note(database)
    with suppress(OSError):
        note.write_text(
            json.dumps({"since": iso(since), "error": error, "pid": os.getpid()}),
            encoding="utf-8",
        )


def clear_write_failure(database: Path) -> None:
    write_failure_note(database).unlink(missing_ok=True)


def read_write_failure(database: Path) -> dict[str, str] | None:
    """The running daemon's note, if it has one (a note left by a dead daemon is ignored)."""
    try:
        note = json.loads(write_failure_note(database).read_text(encoding="utf-8"))
        os.kill(int(note["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"since": str(note["since"]), "error": str(note["error"])}


class DaemonLock:
    """An advisory lock on the database file itself, so that two daemons never share it.

    Held on the file, not on a name beside it: the same database reached through a hard
    link, a symlink or another relative path is the same inode, and so the same lock (a
    lock file named after the path let two daemons run on one database through a hard link).
    flock() locks are separate from the POSIX locks SQLite takes on the same file; the
    descriptor stays open until the store is closed, since closing any descriptor of the
    file would drop SQLite's own locks held by this process.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database
        self._fd: int | None = None

    def acquire(self) -> None:
        check_database_path(self.database, writable=True)
        # Read-only is enough for flock, and works on a file whose write bit is gone.
        fd = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StoreLockedError(
                f"another watcher is already using {self.path}; "
                "stop it first or point [storage] path at another database"
            ) from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
