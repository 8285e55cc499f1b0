"""The daemon killed with SIGKILL in the middle of delivery loses nothing; re-sends keep their ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests import feeds as fx
from tests import hostile
from tests.helpers import SECRET, feed_row, rows, webhook_sub
from tests.servers import WebhookReceiver
from tests.stories import STORIES

ENV = {**os.environ, "WATCHER_TEST_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}


def start(config):
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config.source), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
        start_new_session=True,  # its workers share its process group: we can look for them
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_during_delivery_loses_nothing_and_resends_with_the_same_id(
    feed_server, make_config
):
    receiver = WebhookReceiver(delay=0.5)
    try:
        url = feed_server.set("/f", body=fx.rss20(STORIES))
        config = make_config([url], tick="1s", body=webhook_sub(receiver))
        daemon = start(config)
        try:
            assert wait_for(lambda: len(receiver.started) >= 2), "no delivery started"
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        # its parse workers notice they are orphans and exit
        assert wait_for(lambda: not group_alive(daemon.pid), timeout=10)
        time.sleep(1.0)  # let the receiver finish the request the daemon abandoned
        daemon = start(config)
        try:
            assert wait_for(lambda: len(set(receiver.ids())) == len(STORIES)), receiver.ids()
            time.sleep(1.0)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(30)
        outbox = {r["id"]: r["status"] for r in rows(config, "SELECT id, status FROM outbox")}
        assert len(outbox) == len(STORIES)
        assert set(outbox.values()) == {"sent"}
        assert set(receiver.ids()) == set(outbox)
        duplicates = len(receiver.ids()) - len(set(receiver.ids()))
        # only the messages in flight at the kill (one subscriber lane), with the same id
        assert duplicates <= config.delivery.per_subscriber
    finally:
        receiver.close()


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sigterm_to_the_process_group_mid_parse_finishes_the_feed_not_fails_it(
    feed_server, make_config
):
    """systemd stops a service by sending SIGTERM to every process in it: the parse workers
    must not die mid-document (the feed then recorded "internal error")."""
    url = feed_server.set("/big", body=hostile.heavy(3000))
    config = make_config([url], tick="1s")
    daemon = start(config)
    try:
        assert wait_for(lambda: feed_server.hits("/big"), timeout=60), "never polled"
        workers = [pid for pid in group_members(daemon.pid) if pid != daemon.pid]
        before = {pid: cpu_seconds(pid) for pid in workers}
        assert wait_for(
            lambda: any(cpu_seconds(pid) > before[pid] + 0.2 for pid in workers), timeout=60
        ), "no worker started on the document"
        os.killpg(daemon.pid, signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    feed = feed_row(config, url)
    assert feed["last_status"] == "ok", feed["last_error"]
    assert rows(config, "SELECT COUNT(*) AS n FROM articles")[0]["n"] == 3002
