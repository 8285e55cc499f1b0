"""One daemon per database, however the database file is reached."""

from __future__ import annotations

import os

import pytest

from watcher.errors import StoreLockedError
from watcher.store import DaemonLock, Store


@pytest.mark.parametrize("link", ["hard link", "symlink", "other spelling"])
def test_the_lock_holds_across_links_to_the_same_database(tmp_path, link):
    database = tmp_path / "data" / "watcher.db"
    database.parent.mkdir()
    Store.open(database).close()
    other = tmp_path / "other.db"
    if link == "hard link":
        os.link(database, other)
    elif link == "symlink":
        other.symlink_to(database)
    else:
        other = tmp_path / "data" / ".." / "data" / "watcher.db"
    with (
        DaemonLock(database),
        pytest.raises(StoreLockedError, match="another watcher is already using"),
    ):
        DaemonLock(other).acquire()
    with DaemonLock(other):  # released: the next daemon may start
        pass


def test_the_lock_leaves_no_file_beside_the_database_and_sqlite_keeps_working(tmp_path):
    database = tmp_path / "watcher.db"
    with DaemonLock(database):
        store = Store.open(database)
        store.db.execute("CREATE TABLE t (x)")
        store.db.execute("INSERT INTO t VALUES (1)")
        store.close()
        reader = Store.open(database)
        assert reader.db.execute("SELECT x FROM t").fetchall() == [(1,)]
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "lock" in p.name) == []
