"""The command line, run as a real subprocess against a real server and database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests import feeds as fx
from tests.helpers import rows

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}


def watcher(config_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(config_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def test_help_lists_every_command():
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "poll", "feeds", "status", "articles"):
        assert f"  {command} " in done.stdout


def test_poll_json_counts_and_exit_zero_when_a_feed_fails(feed_server, make_config):
    good = feed_server.set("/good", body=fx.rss20(fx.items(4)), etag='"1"')
    bad = feed_server.set("/bad", status=500)
    config = make_config([good, bad])
    done = watcher(config.source, "poll", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"bytes": 0} == {
        "feeds_polled": 2,
        "updated": 1,
        "not_modified": 0,
        "failed": 1,
        "gone": 0,
        "new_articles": 4,
        "bytes": 0,
    }
    again = json.loads(watcher(config.source, "poll", "--all", "--json").stdout)
    assert again["not_modified"] == 1 and again["new_articles"] == 0


def test_poll_table_summary(feed_server, make_config):
    url = feed_server.set("/good", body=fx.rss20(fx.items(2)))
    config = make_config([{"url": url, "name": "Good feed"}])
    done = watcher(config.source, "poll")
    assert done.returncode == 0
    assert "Good feed" in done.stdout
    assert "1 feeds polled: 1 updated, 0 not modified, 0 failed; 2 new articles" in done.stdout


def test_status_shows_per_feed_health(feed_server, make_config):
    ok = feed_server.set("/ok", body=fx.rss20(fx.items(3)))
    broken = feed_server.set("/broken", body=b"<html><body>not a feed</body></html>")
    config = make_config([{"url": ok, "name": "ok"}, {"url": broken, "name": "broken"}])
    watcher(config.source, "poll")
    done = watcher(config.source, "status", "--json")
    status = {f["name"]: f for f in json.loads(done.stdout)["feeds"]}
    assert status["ok"]["articles"] == 3 and status["ok"]["error_count"] == 0
    assert status["ok"]["last_success_at"] is not None
    assert status["broken"]["error_count"] == 1
    assert "HTML page" in status["broken"]["last_error"]
    assert status["broken"]["next_poll_at"] > status["broken"]["last_polled_at"]
    table = watcher(config.source, "status").stdout
    assert "broken" in table and "error" in table


def test_articles_search_since_limit(feed_server, make_config):
    entries = [*fx.items(3), fx.Item(title="Duma ratifies the treaty", link="https://n.e/duma")]
    url = feed_server.set("/f", body=fx.rss20(entries))
    config = make_config([url])
    watcher(config.source, "poll")
    found = json.loads(watcher(config.source, "articles", "--search", "ratifies", "--json").stdout)
    assert [a["title"] for a in found] == ["Duma ratifies the treaty"]
    limited = json.loads(watcher(config.source, "articles", "--limit", "2", "--json").stdout)
    assert len(limited) == 2
    recent = json.loads(
        watcher(config.source, "articles", "--since", "2025-01-17T09:01:30", "--json").stdout
    )
    assert {a["title"] for a in recent} == {"Story number 2", "Duma ratifies the treaty"}


def test_bad_cli_argument_is_a_clear_error(make_config):
    config = make_config([])
    done = watcher(config.source, "articles", "--since", "last tuesday")
    assert done.returncode == 2
    assert "is not a date; use YYYY-MM-DD" in done.stderr


def test_feeds_list_export_and_opml_import(tmp_path, feed_server, make_config):
    url = feed_server.set("/f", body=fx.rss20([]))
    opml = tmp_path / "more.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="folder">'
        '<outline text="From OPML" xmlUrl="https://opml.example.org/rss"/></outline></body></opml>',
        encoding="utf-8",
    )
    config = make_config([{"url": url, "name": "Direct"}], body="")
    config.source.write_text(f'opml = "{opml}"\n' + config.source.read_text(), encoding="utf-8")
    listed = json.loads(watcher(config.source, "feeds", "list", "--json").stdout)
    assert [f["name"] for f in listed] == ["Direct", "From OPML"]
    exported = watcher(config.source, "feeds", "export").stdout
    assert 'xmlUrl="https://opml.example.org/rss"' in exported and f'xmlUrl="{url}"' in exported
    roundtrip = tmp_path / "out.opml"
    roundtrip.write_text(exported, encoding="utf-8")
    from watcher.sources import read_opml

    assert [s.url for s in read_opml(roundtrip)] == [url, "https://opml.example.org/rss"]


def test_feeds_check_shows_entries_without_storing(feed_server, make_config):
    url = feed_server.set("/f", body=fx.atom(fx.items(3)))
    config = make_config([])
    done = watcher(config.source, "feeds", "check", url, "--json")
    report = json.loads(done.stdout)
    assert report["entries"] == 3 and report["format"] == "atom10"
    assert report["sample"][0]["title"] == "Story number 0"
    assert not config.database.exists() or rows(config, "SELECT * FROM articles") == []
    bad = watcher(config.source, "feeds", "check", "not-a-url")
    assert bad.returncode == 2 and "invalid URL" in bad.stderr


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except sqlite3.OperationalError:
            pass  # the daemon has created the file but not yet its tables
        time.sleep(0.2)
    return False


def test_daemon_polls_refuses_a_twin_and_stops_gracefully(feed_server, make_config):
    url = feed_server.set("/f", body=fx.rss20(fx.items(5)))
    config = make_config([url], tick="1s")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config.source), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert _wait_for(
            lambda: config.database.exists() and len(rows(config, "SELECT id FROM articles")) == 5
        )
        # the next tick adds them to the search index (in a batch, not per insert)
        assert _wait_for(
            lambda: (
                rows(config, "SELECT indexed_upto FROM search_index_state")[0]["indexed_upto"] == 5
            )
        )
        twin = watcher(config.source, "run", timeout=30)
        assert twin.returncode == 1
        assert "another watcher" in twin.stderr and "is already using" in twin.stderr
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, err
        assert "daemon stopped" in err
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_classify_eval_feedback_rescore(tmp_path, feed_server, make_config):
    article = tmp_path / "a.txt"
    article.write_text(
        "Duma ratifies Iran treaty\nRussia's State Duma ratified the comprehensive strategic "
        "partnership treaty with Iran. The Federation Council votes next.",
        encoding="utf-8",
    )
    config = make_config([])
    verdict = json.loads(watcher(config.source, "classify", str(article), "--json").stdout)
    assert verdict["relevant"] is True and "ratification" in verdict["aspects"]
    assert verdict["explanation"]["nearest_seed"]
    text = watcher(config.source, "classify", "-", "--title", "Bakery opens").stdout
    assert "irrelevant" in text
    heldout = Path(__file__).parent / "data" / "heldout.jsonl"
    report = json.loads(watcher(config.source, "eval", str(heldout), "--json").stdout)
    assert report["f1"] >= 0.95 and "languages" in report and "groups" in report
    assert report["confusion"]["tp"] + report["confusion"]["fn"] > 0

    url = feed_server.set(
        "/f",
        body=fx.rss20(
            [
                fx.Item(
                    title="Russia and Iran hold talks",
                    link="https://n.e/1",
                    summary="Lavrov met Araghchi.",
                )
            ]
        ),
    )
    config = make_config([url])
    watcher(config.source, "poll")
    article_id = rows(config, "SELECT id FROM articles")[0]["id"]
    done = watcher(config.source, "feedback", str(article_id), "relevant")
    assert done.returncode == 0 and "recorded" in done.stdout
    missing = watcher(config.source, "feedback", "99999", "relevant")
    assert missing.returncode == 2 and "no article with id 99999" in missing.stderr
    dry = json.loads(watcher(config.source, "rescore", "--dry-run", "--json").stdout)
    assert dry["rescored"] == 1 and dry["dry_run"] is True
    assert (
        rows(config, "SELECT relevant FROM articles")[0]["relevant"] == 0
    )  # dry run stored nothing
    wet = json.loads(watcher(config.source, "rescore", "--json").stdout)
    stored = rows(config, "SELECT relevant FROM articles")[0]["relevant"]
    assert stored == (1 if wet["now_relevant"] else 0)
