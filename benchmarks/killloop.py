"""Kill loop: the daemon is SIGKILLed at random moments, 100 times, while alerts flow.

New relevant stories appear in the feed between kills; three subscribers hear of them: a
webhook (slow, sometimes failing), an email address (aiosmtpd) and an Apprise json:// URL.
At the end: every story has exactly one alert per subscriber, every alert reached its
receiver, and the only duplicates are re-sends of in-flight messages with the same id.

    .venv/bin/python benchmarks/killloop.py --cycles 100
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.feedgen import relevant_item  # noqa: E402
from tests.feeds import rss20  # noqa: E402
from tests.servers import FeedServer, MailServer, WebhookReceiver  # noqa: E402

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
APPRISE_URL = ""  # json://… of the Apprise receiver, set in main()


def received_ids(
    receiver: WebhookReceiver, mail: MailServer, apprise: WebhookReceiver
) -> list[str]:
    """Every delivered message id, once per delivery (webhook-id, Message-ID, Apprise body)."""
    ids = receiver.ids() + [m["X-Watcher-Id"] for _, m in mail.messages]
    for payload in apprise.payloads():
        ids += re.findall(r"message (msg_[0-9a-f]{32})", payload["message"])
    return ids


def start(config: Path) -> subprocess.Popen[bytes]:
    log = (config.parent / "daemon.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "WATCHER_KILL_SECRET": SECRET, "WATCHER_KILL_APPRISE": APPRISE_URL},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    global APPRISE_URL
    feeds, receiver = FeedServer(), WebhookReceiver(delay=0.05)
    mail, apprise = MailServer(), WebhookReceiver()
    APPRISE_URL = apprise.url.replace("http://", "json://")
    items = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "w.toml"
        config.write_text(
            '[web]\nlisten = ""\n'  # no console: daemons here would all want port 8080
            f'[storage]\npath = "w.db"\n[polling]\ntick = "0.5s"\n'
            f'[topic]\npath = "{REPO}/config/topic.toml"\nseeds = "{REPO}/seeds"\n'
            f'[[feeds]]\nurl = "{feeds.url("/f")}"\ninterval = "30s"\n'
            f'[[subscribers]]\nname = "hook"\nwebhook = "{receiver.url}"\n'
            'secret_env = "WATCHER_KILL_SECRET"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
            '[[subscribers]]\nname = "mail"\nchannel = { type = "email", to = "a@example.org" }\n'
            '[[subscribers]]\nname = "phones"\n'
            'channel = { type = "apprise", urls_env = "WATCHER_KILL_APPRISE" }\n'
            '[delivery]\nbase_backoff = "1s"\n'
            'max_backoff = "5s"\ntick = "0.5s"\n'
        )
        started = time.monotonic()
        for cycle in range(args.cycles):
            for _ in range(rng.randint(0, 3)):
                items.insert(0, relevant_item(len(items)))
            feeds.set("/f", body=rss20(items))
            receiver.fail_with = [503] if rng.random() < 0.2 else []
            daemon = start(config)
            up_until = time.monotonic() + 60  # kill once it is working, however slow the start
            log = config.parent / "daemon.log"
            while (
                time.monotonic() < up_until and log.read_bytes().count(b"daemon started") <= cycle
            ):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.2, 5.0))
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            # make the feed due again so the next run polls at once
            db = sqlite3.connect(Path(tmp) / "w.db", timeout=10)
            with contextlib.suppress(sqlite3.OperationalError):  # killed before it made any
                db.execute("UPDATE feeds SET next_poll_at = '2000-01-01T00:00:00+00:00'")
                db.commit()
            db.close()
            if cycle % 10 == 9:
                print(
                    f"cycle {cycle + 1}: {len(items)} items, "
                    f"{len(received_ids(receiver, mail, apprise))} deliveries"
                )
        receiver.fail_with = []
        daemon = start(config)
        db = sqlite3.connect(Path(tmp) / "w.db", timeout=10)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone():
                time.sleep(0.5)  # the daemon has not created its database yet
                continue
            pending = db.execute("SELECT COUNT(*) FROM outbox WHERE status != 'sent'").fetchone()[0]
            articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            unclassified = db.execute(
                "SELECT COUNT(*) FROM articles WHERE classified_at IS NULL"
            ).fetchone()[0]
            if articles == len(items) and not unclassified and not pending:
                break
            time.sleep(0.5)
        time.sleep(1)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        stories = db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        relevant = db.execute("SELECT COUNT(*) FROM articles WHERE relevant = 1").fetchone()[0]
        storyless = db.execute(
            "SELECT COUNT(*) FROM articles WHERE relevant = 1 AND story_id IS NULL"
        ).fetchone()[0]
        outbox = dict(db.execute("SELECT id, status FROM outbox").fetchall())
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        db.close()
    feeds.close()
    delivered = Counter(received_ids(receiver, mail, apprise))
    receiver.close()
    mail.close()
    apprise.close()
    lost = set(outbox) - set(delivered)
    unknown = set(delivered) - set(outbox)
    resent = sum(n - 1 for n in delivered.values())
    print(f"{args.cycles} kill/restart cycles in {time.monotonic() - started:.0f}s")
    print(
        f"items in feed {len(items)}, articles stored {articles}, relevant {relevant}, "
        f"stories {stories} (near-duplicates grouped)"
    )
    print(
        f"alerts enqueued {len(outbox)}, delivered {len(delivered)}, lost {len(lost)}, "
        f"unknown {len(unknown)}, re-sent with the same id {resent}"
    )
    ok = (
        articles == len(items)
        and not storyless
        and stories * 3 == len(outbox)
        and not lost
        and not unknown
        and set(outbox.values()) == {"sent"}
    )
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
