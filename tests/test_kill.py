"""The daemon killed with SIGKILL in the middle of delivery loses nothing; re-sends keep their ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests import feeds as fx
from tests.helpers import SECRET, rows, webhook_sub
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
