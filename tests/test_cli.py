"""The command line, in process (Click's CliRunner) against a real feed server, real
receivers and a real database; the daemon and its signals as a real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests import feeds as fx
from tests.helpers import SECRET, Clock, deliver_all, enqueue_notice, mail_body, rows, webhook_sub
from watcher.cli import cli

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}


def run(config_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", **(env or {})})
    return runner.invoke(cli, ["--config", str(config_path), *args], catch_exceptions=False)


def one_error_line(done: Result) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# help and start-up ------------------------------------------------------------------------
def test_help_lists_every_command():
    done = CliRunner().invoke(cli, ["--help"])
    assert done.exit_code == 0
    for command in (
        "init",
        "run",
        "poll",
        "feeds",
        "status",
        "articles",
        "outbox",
        "digest",
        "preview",
        "notify-test",
        "classify",
        "eval",
        "feedback",
        "rescore",
    ):
        assert f"  {command} " in done.stdout, command


HEAVY = ("pydantic", "sqlite_utils", "numpy", "httpx", "jinja2", "rich", "apscheduler")


SUBSCRIBED = """
[smtp]
host = "127.0.0.1"
[[subscribers]]
name = "mail"
channel = { type = "email", to = "desk@example.org" }
[[subscribers]]
name = "hook"
channel = { type = "webhook", url = "https://hooks.example.org/w", secret_env = "HOOK_KEY" }
[[subscribers]]
name = "chat"
channel = { type = "slack", url = "https://hooks.example.org/s" }
[[subscribers]]
name = "many"
channel = { type = "apprise", urls_env = "SOME_APPRISE_URLS" }
"""


def test_help_and_status_import_only_what_they_need(tmp_path):
    """`--help` loads no heavy library; the read-only commands load neither the model nor
    the network, even with a subscriber of every channel to validate."""
    probe = (
        "import sys\n"
        "from watcher.cli import cli\n"
        "try:\n"
        "    cli(sys.argv[1:], prog_name='watcher')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    )
    helped = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=True
    )
    loaded = set(helped.stderr.split())
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    config = tmp_path / "watcher.toml"
    config.write_text('[storage]\npath = "w.db"\n', encoding="utf-8")
    from watcher.config import load_config
    from watcher.services.database import open_store

    with open_store(load_config(config)):
        pass  # a migrated database for `status` to read
    config.write_text(config.read_text(encoding="utf-8") + SUBSCRIBED, encoding="utf-8")
    for command in ("status", "articles", "outbox"):
        done = subprocess.run(
            [sys.executable, "-c", probe, "--config", str(config), command],
            capture_output=True,
            text=True,
            check=True,
        )
        modules = set(done.stderr.strip().splitlines()[-1].split())
        heavy = {"numpy", "httpx", "jinja2", "apscheduler", "py3langid", "apprise", "rich"}
        assert not modules & heavy, (command, modules & heavy)


# refusing bad setups ------------------------------------------------------------------------
def _corrupt(path: Path) -> None:
    """A database whose header is intact but whose schema page is garbage."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[100:200] = b"\xff" * 100
    path.write_bytes(bytes(data))


BAD_DATABASES = {
    "missing directory": (lambda p: None, "nowhere/w.db", "directory"),
    "a directory": (lambda p: p.mkdir(), "w.db", "is a directory"),
    "not SQLite": (lambda p: p.write_text("hello, I am a text file"), "w.db", "not an SQLite"),
    "corrupt": (_corrupt, "w.db", "not a usable SQLite database"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATABASES))
@pytest.mark.parametrize("command", ["status", "poll"])
def test_bad_database_path_is_refused_with_one_line(tmp_path, case, command):
    make, name, expected = BAD_DATABASES[case]
    make(tmp_path / name)
    config = tmp_path / "watcher.toml"
    config.write_text(f'[storage]\npath = "{name}"\n', encoding="utf-8")
    done = run(config, command)
    assert done.exit_code == 2
    line = one_error_line(done)
    assert "[storage] path" in line and expected in line


@pytest.fixture
def shared_dir():
    """A folder another user may enter (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="watcher-ro-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.iterdir():
        path.chmod(0o644)
    folder.chmod(0o755)
    shutil.rmtree(folder)


def as_ordinary_user(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Root may write a read-only file, so the check runs as `nobody` when the tests are root."""
    command = [sys.executable, "-m", "watcher", "--config", str(config), *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=ENV)


def test_read_only_database_refuses_writers_and_serves_readers(shared_dir, feed_server, executor):
    url = feed_server.set("/f", body=fx.rss20(fx.items(2)))
    config = shared_dir / "watcher.toml"
    config.write_text(
        f'[storage]\npath = "w.db"\n[[feeds]]\nname = "local"\nurl = "{url}"\n', "utf-8"
    )
    from tests.helpers import poll
    from watcher.config import load_config

    poll(load_config(config), executor)
    database = shared_dir / "w.db"
    before = database.read_bytes()
    database.chmod(0o444)
    config.chmod(0o444)
    shared_dir.chmod(0o555)
    refused = as_ordinary_user(config, "poll")
    assert refused.returncode == 2, refused.stderr
    assert "[storage] path" in refused.stderr and "is read-only" in refused.stderr
    looked = as_ordinary_user(config, "status")
    assert looked.returncode == 0, looked.stderr
    assert "local" in looked.stdout and "articles: 2" in looked.stdout
    listed = as_ordinary_user(config, "articles", "--search", "story")
    assert listed.returncode == 0 and "Story number 1" in listed.stdout, listed.stderr
    assert database.read_bytes() == before


def test_unset_secret_stops_run_and_poll_but_not_status(make_config, receiver, monkeypatch):
    monkeypatch.delenv("WATCHER_TEST_SECRET", raising=False)
    config = make_config([], body=webhook_sub(receiver))
    from watcher.services.database import open_store

    with open_store(config):
        pass  # a database for `status` to look at
    for command in ("run", "poll"):
        done = run(config.source, command)
        assert done.exit_code == 2, command
        line = one_error_line(done)
        assert "subscriber 'hook' secret_env" in line and "WATCHER_TEST_SECRET is not set" in line
    assert run(config.source, "status").exit_code == 0


SETUP_ERRORS = {
    "email subscriber without [smtp]": (
        '[[subscribers]]\nname = "a"\nemail = "a@example.org"\n',
        "subscriber 'a' is sent email but there is no [smtp] section",
    ),
    "address that is not an email": (
        '[smtp]\nhost = "mail.example.org"\n[[subscribers]]\nname = "a"\n'
        'email = "analyst at example.org"\n',
        "'analyst at example.org' is not one email address",
    ),
    "language that is not ISO 639-1": (
        '[smtp]\nhost = "m.example.org"\n[[subscribers]]\nname = "a"\nemail = "a@e.org"\n'
        'languages = ["english"]\n',
        "'english' is not an ISO 639-1 language code",
    ),
    "aspect the topic does not have": (
        '[[subscribers]]\nname = "a"\nwebhook = "https://h.example.org/"\naspects = ["sports"]\n',
        "subscriber 'a': aspects: the topic has no aspect 'sports'",
    ),
    "feed that is not configured": (
        '[[subscribers]]\nname = "a"\nwebhook = "https://h.example.org/"\nfeeds = ["BBC"]\n',
        "subscriber 'a': feeds: no configured feed is named 'BBC'",
    ),
}


@pytest.mark.parametrize("case", sorted(SETUP_ERRORS))
def test_bad_setup_is_refused_at_start_with_one_line(make_config, tmp_path, case):
    body, expected = SETUP_ERRORS[case]
    make_config([])
    config = tmp_path / "watcher.toml"
    config.write_text(config.read_text() + body, encoding="utf-8")
    done = run(config, "poll")
    assert done.exit_code == 2
    assert expected in one_error_line(done)


def test_section_names_survive_in_messages(tmp_path):
    """Square brackets are text, not markup: "[storage]" reaches the terminal."""
    config = tmp_path / "watcher.toml"
    config.write_text('[storage]\npath = "missing/w.db"\n', encoding="utf-8")
    line = one_error_line(run(config, "status"))
    assert f"[storage] path {tmp_path / 'missing' / 'w.db'}: directory" in line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no labelled records"),
        (b"\n  \n", "no labelled records"),
        ('{"title": "Caf\u00e9", "label": 1}\n'.encode("latin-1"), "not UTF-8"),
        (b'{"title": "a", "text": "", "label": 1}\n{"title": oops}\n', ":2: not valid JSON"),
    ],
)
def test_eval_input_errors_name_the_line(tmp_path, make_config, content, expected):
    config = make_config([])
    records = tmp_path / "records.jsonl"
    records.write_bytes(content)
    done = run(config.source, "eval", str(records))
    assert done.exit_code == 2
    line = one_error_line(done)
    assert str(records) in line and expected in line


@pytest.mark.parametrize(
    ("content", "expected"), [(b"", "nothing to classify"), (b"\xff\xfe bad", "not UTF-8")]
)
def test_classify_input_errors(tmp_path, make_config, content, expected):
    config = make_config([])
    article = tmp_path / "article.txt"
    article.write_bytes(content)
    done = run(config.source, "classify", str(article))
    assert done.exit_code == 2
    assert expected in one_error_line(done)


# showing what matters -----------------------------------------------------------------------
RELEVANT = fx.Item(
    title="Duma ratifies the Russia-Iran comprehensive strategic partnership treaty",
    link="https://news.example.org/duma",
    guid="duma",
    summary="Russia's State Duma voted to ratify the comprehensive strategic partnership treaty "
    "with Iran, signed in Moscow by Putin and Pezeshkian.",
    published=fx.BASE_DATE,
)


@pytest.fixture
def polled(feed_server, make_config, executor):
    from tests.helpers import poll

    url = feed_server.set("/f", body=fx.rss20([RELEVANT, *fx.items(3, start=1)]))
    config = make_config([{"url": url, "name": "Local news"}])
    poll(config, executor)
    return config


def test_articles_show_scores_verdicts_and_filter(polled):
    table = run(polled.source, "articles").stdout
    assert "score" in table and "verdict" in table
    duma = next(line for line in table.splitlines() if "Duma ratifies" in line)
    assert "relevant" in duma and re.search(r"\b[01]\.\d\d\b", duma)
    found = json.loads(run(polled.source, "articles", "--relevant", "--json").stdout)
    assert [a["title"] for a in found] == [RELEVANT.title]
    assert isinstance(found[0]["aspects"], list) and "ratification" in found[0]["aspects"]
    assert found[0]["relevant"] is True and found[0]["published"] == "2025-01-17T09:00:00+00:00"
    by_aspect = json.loads(
        run(polled.source, "articles", "--aspect", "ratification", "--json").stdout
    )
    assert [a["id"] for a in by_aspect] == [found[0]["id"]]
    others = json.loads(run(polled.source, "articles", "--irrelevant", "--json").stdout)
    assert len(others) == 3 and all(a["relevant"] is False for a in others)
    assert json.loads(run(polled.source, "articles", "--language", "fa", "--json").stdout) == []
    assert (
        len(json.loads(run(polled.source, "articles", "--feed", "Local news", "--json").stdout))
        == 4
    )
    by_url = run(polled.source, "articles", "--feed", polled.feeds[0].url, "--json")
    assert len(json.loads(by_url.stdout)) == 4


def test_articles_refuse_a_feed_that_is_not_known(polled):
    done = run(polled.source, "articles", "--feed", "Elsewhere", "--json")
    assert done.exit_code == 2 and done.stdout == ""
    assert "no feed named 'Elsewhere' (known: Local news)" in one_error_line(done)


def test_articles_refuse_unknown_aspect_and_language(polled):
    bad_aspect = run(polled.source, "articles", "--aspect", "sports")
    assert bad_aspect.exit_code == 2 and "no aspect 'sports'" in one_error_line(bad_aspect)
    bad_language = run(polled.source, "articles", "--language", "english")
    assert bad_language.exit_code == 2
    assert "not an ISO 639-1 language code" in one_error_line(bad_language)


@pytest.mark.parametrize("text", ['"', '"treaty', "treaty)", "NEAR(", "*", "AND OR NOT"])
def test_search_text_that_is_not_fts_syntax_is_searched_as_words(polled, text):
    done = run(polled.source, "articles", "--search", text, "--json")
    assert done.exit_code == 0, done.stderr
    titles = [a["title"] for a in json.loads(done.stdout)]
    assert titles == ([RELEVANT.title] if "treaty" in text else [])


def test_articles_search_since_limit(polled):
    found = json.loads(run(polled.source, "articles", "--search", "ratify", "--json").stdout)
    assert [a["title"] for a in found] == [RELEVANT.title]
    assert len(json.loads(run(polled.source, "articles", "--limit", "2", "--json").stdout)) == 2
    recent = json.loads(
        run(polled.source, "articles", "--since", "2025-01-17T09:01:30", "--json").stdout
    )
    assert {a["title"] for a in recent} == {"Story number 2", "Story number 3"}
    bad = run(polled.source, "articles", "--since", "last tuesday")
    assert bad.exit_code == 2 and "is not a date; use YYYY-MM-DD" in bad.stderr


def test_status_says_never_polled_and_shows_health(feed_server, make_config):
    ok = feed_server.set("/ok", body=fx.rss20(fx.items(3)))
    broken = feed_server.set("/broken", body=b"<html><body>not a feed</body></html>")
    config = make_config([{"url": ok, "name": "ok"}, {"url": broken, "name": "broken"}])
    assert run(config.source, "status").exit_code == 2  # no database yet: says to poll first
    from watcher.services.database import open_store

    with open_store(config):
        pass  # the feeds are in the database, none polled yet
    fresh = run(config.source, "status").stdout
    assert fresh.count("never polled") >= 2 and "ago" not in fresh and "due now" in fresh
    run(config.source, "poll")
    status = {
        f["name"]: f for f in json.loads(run(config.source, "status", "--json").stdout)["feeds"]
    }
    assert status["ok"]["articles"] == 3 and status["ok"]["error_count"] == 0
    assert status["ok"]["state"] == "ok" and status["ok"]["last_success_at"]
    assert status["broken"]["error_count"] == 1 and "HTML page" in status["broken"]["last_error"]
    table = run(config.source, "status").stdout
    assert "broken" in table and "error" in table and "never polled" not in table
    assert not re.search(r"None|True|False|\d\d:\d\d:\d\d\.\d{6}", table)


def test_outbox_shows_full_ids_and_retry_takes_a_unique_prefix(
    receiver, make_config, webhook_secret
):
    config = make_config([], body=webhook_sub(receiver))
    ids = [enqueue_notice(config, text=str(i)) for i in range(2)]
    receiver.fail_with = [400, 400]  # permanent: both dead at once
    deliver_all(config, Clock())
    listing = run(config.source, "outbox").stdout
    assert all(message_id in listing for message_id in ids)
    dead = json.loads(run(config.source, "outbox", "--dead", "--json").stdout)
    assert sorted(i["id"] for i in dead["items"]) == sorted(ids) and dead["dead_letters"] == 2
    assert "body" not in dead["items"][0]
    ambiguous = run(config.source, "outbox", "retry", "msg_")
    assert ambiguous.exit_code == 2 and "several message ids" in one_error_line(ambiguous)
    unknown = run(config.source, "outbox", "retry", "msg_nope")
    assert unknown.exit_code == 2 and "no message id starts with" in one_error_line(unknown)
    target = ids[0]
    done = run(config.source, "outbox", "retry", target.removeprefix("msg_")[:12])
    assert done.exit_code == 0 and "re-queued 1 message" in done.stdout
    state = {r["id"]: r["status"] for r in rows(config, "SELECT id, status FROM outbox")}
    assert state == {ids[0]: "pending", ids[1]: "dead"}
    again = run(config.source, "outbox", "retry", target)
    assert again.exit_code == 2 and "is not dead" in one_error_line(again)


WHOLE = fx.rss20(fx.items(2))
CUT_OFF = WHOLE[: WHOLE.index(b"<item>") + 30]  # broken before its first whole entry


def test_feeds_check_shows_verdicts_and_fails_on_a_broken_feed(feed_server, make_config):
    good = feed_server.set("/good", body=fx.atom([RELEVANT, *fx.items(2, start=1)]))
    config = make_config([])
    done = run(config.source, "feeds", "check", good)
    assert done.exit_code == 0, done.stderr
    assert "3 entries, 1 of the first 3 would alert" in done.stdout
    line = next(line for line in done.stdout.splitlines() if "Duma ratifies" in line)
    assert "relevant" in line and "ratification" in line
    report = json.loads(run(config.source, "feeds", "check", good, "--json").stdout)
    assert report["ok"] and report["total_entries"] == 3 and report["format"] == "atom10"
    assert [e["relevant"] for e in report["entries"]] == [True, False, False]
    assert not config.database.exists()
    for body, status, words in (
        (b"<html><body>a web page</body></html>", 200, "HTML page"),
        (b"gone", 404, "404"),
        (CUT_OFF, 200, "not a readable feed (SAXParseException"),
    ):
        bad = feed_server.set(f"/bad{status}-{len(body)}", body=body, status=status)
        failed = run(config.source, "feeds", "check", bad)
        assert failed.exit_code == 1 and words in failed.stdout, failed.stdout
    small = make_config([], max_body="1KB")
    big = feed_server.set("/big", body=fx.rss20(fx.items(30)))
    failed = run(small.source, "feeds", "check", big)
    assert failed.exit_code == 1, failed.stdout
    assert failed.stdout.startswith(f"{big} → error: feed body exceeds 1.0 KB")
    refused = run(config.source, "feeds", "check", "not-a-url")
    assert refused.exit_code == 2 and "invalid URL" in refused.stderr


def test_digest_dry_run_and_preview_print_readable_text(polled, mail, tmp_path):
    config_path = polled.source
    config_path.write_text(
        config_path.read_text()
        + mail_body(mail, extra='mode = "digest"\ntimezone = "Asia/Tehran"'),
        encoding="utf-8",
    )
    run(config_path, "poll", "--all")  # nothing new: the digest subscriber gets the old ones?
    alert = run(config_path, "preview", "analyst")
    assert alert.exit_code == 0, alert.stderr
    text = alert.stdout
    assert RELEVANT.title in text and "Content-Transfer-Encoding" not in text
    assert "Subject: [watcher]" in text and "Why this matched" in text
    chosen = run(config_path, "preview", "analyst", str(1))
    assert chosen.exit_code == 0
    missing = run(config_path, "preview", "analyst", "999")
    assert missing.exit_code == 2 and "no article with id 999" in one_error_line(missing)
    nobody = run(config_path, "preview", "ghost")
    assert nobody.exit_code == 2 and "no subscriber named 'ghost'" in one_error_line(nobody)
    dry = run(config_path, "digest", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "base64" not in dry.stdout and "MIME-Version" not in dry.stdout
    assert not re.search(r"None|True|False|\d\d:\d\d:\d\d\.\d{6}", dry.stdout)
    assert mail.messages == []


def test_preview_says_when_the_subscribers_filters_leave_the_article_out(polled, mail):
    base = polled.source.read_text(encoding="utf-8")
    found = json.loads(run(polled.source, "articles", "--json").stdout)
    relevant = next(a["id"] for a in found if a["relevant"])
    other = next(a["id"] for a in found if not a["relevant"])
    polled.source.write_text(base + mail_body(mail, extra="min_score = 0.6"), encoding="utf-8")
    old_news = run(polled.source, "preview", "analyst", str(relevant)).stdout
    assert "(not sent to analyst: it was published more than max_age (3d) before" in old_news
    low = run(polled.source, "preview", "analyst", str(other)).stdout.splitlines()[1]
    assert re.fullmatch(r"\(not sent to analyst: its score 0\.\d\d is below 0\.60\)", low)
    any_age = mail_body(mail, extra='min_score = 0.6\nmax_age = "off"')
    polled.source.write_text(base + any_age, encoding="utf-8")
    sent = run(polled.source, "preview", "analyst", str(relevant)).stdout
    assert "not sent" not in sent and RELEVANT.title in sent


def test_notify_test_sends_a_realistic_alert(receiver, make_config, monkeypatch):
    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)
    config = make_config([], body=webhook_sub(receiver))
    done = run(config.source, "notify-test", "hook")
    assert done.exit_code == 0, done.stderr
    assert "sent a sample alert" in done.stdout
    (payload,) = receiver.payloads()
    assert payload["type"] == "alert"
    article = payload["article"]
    assert article["title"].startswith("[test] ") and len(article["summary"]) > 100
    assert article["score"] > 0.5 and article["explanation"]["nearest_seed"]
    receiver.fail_with = [500]
    failed = run(config.source, "notify-test", "hook")
    assert failed.exit_code == 1 and "500" in one_error_line(failed)


# set-up -------------------------------------------------------------------------------------
def test_init_writes_a_starter_config_that_works(tmp_path):
    target = tmp_path / "site"
    done = CliRunner().invoke(cli, ["init", str(target)])
    assert done.exit_code == 0, done.stderr
    assert "feeds check URL" in done.stdout and "watcher --config" in done.stdout
    from watcher.config import load_config

    written = target / "watcher.toml"
    config = load_config(written)
    assert config.feeds and not config.subscribers
    assert config.topic_file.name == "topic.toml" and config.topic_file.is_file()
    # the commented examples are valid too, once uncommented
    text = written.read_text(encoding="utf-8")
    uncommented = re.sub(r"^# (\[|\w+ = )", r"\1", text, flags=re.MULTILINE)
    written.write_text(uncommented, encoding="utf-8")
    full = load_config(written)
    assert [s.name for s in full.subscribers] == ["analyst", "newsroom"]
    again = CliRunner().invoke(cli, ["init", str(target)])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_init_topic_copies_the_shipped_topic_and_seeds_to_edit(tmp_path):
    from watcher.config import load_config, shipped

    target = tmp_path / "site"
    done = CliRunner().invoke(cli, ["init", str(target), "--topic"])
    assert done.exit_code == 0, done.stderr
    config = load_config(target / "watcher.toml")
    assert config.topic_file == (target / "topic.toml").resolve()
    assert config.seeds_dir == (target / "seeds").resolve()
    assert config.topic_file.read_bytes() == shipped("topic.toml").read_bytes()
    shipped_seeds = sorted(p.name for p in shipped("seeds").glob("*.txt"))
    assert shipped_seeds and sorted(p.name for p in config.seeds_dir.glob("*.txt")) == shipped_seeds
    judged = run(config.source, "classify", "--title", "Duma ratifies Iran treaty")
    assert judged.exit_code == 0 and judged.stdout.startswith("relevant")
    # an edited topic is never overwritten, not even with --force
    config.topic_file.write_text("# mine\n", encoding="utf-8")
    before = (target / "watcher.toml").read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["init", str(target), "--topic", "--force"])
    assert again.exit_code == 2 and "topic.toml already exists" in again.stderr
    assert config.topic_file.read_text(encoding="utf-8") == "# mine\n"
    assert (target / "watcher.toml").read_text(encoding="utf-8") == before


def test_init_in_the_current_folder_needs_no_config_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WATCHER_CONFIG", raising=False)
    done = CliRunner().invoke(cli, ["init"])
    assert done.exit_code == 0 and "watcher feeds check URL" in done.stdout
    listed = CliRunner().invoke(cli, ["feeds", "list", "--json"])
    assert listed.exit_code == 0, listed.stderr
    assert [f["name"] for f in json.loads(listed.stdout)] == ["Tehran Times", "TASS"]


def test_default_topic_is_used_when_the_config_names_none(tmp_path):
    config = tmp_path / "watcher.toml"
    config.write_text('[storage]\npath = "w.db"\n', encoding="utf-8")
    done = CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "classify",
            "-",
            "--title",
            "Russia and Iran ratify partnership treaty",
        ],
    )
    assert done.exit_code == 0 and "relevant" in done.stdout


def test_systemd_unit_is_valid(tmp_path):
    unit = REPO / "contrib" / "watcher.service"
    text = unit.read_text(encoding="utf-8")
    for setting in (
        "DynamicUser=yes",
        "StateDirectory=watcher",
        "ProtectSystem=strict",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
    ):
        assert setting in text
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here; only the unit's settings were checked")
    # verify wants ExecStart's program to exist: point it at this environment's watcher
    local = tmp_path / "watcher.service"
    program = Path(sys.executable).parent / "watcher"
    local.write_text(text.replace("/usr/local/bin/watcher", str(program)), encoding="utf-8")
    done = subprocess.run(
        [tool, "verify", "--man=no", str(local)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "watcher.service" not in done.stderr, done.stderr


def test_secrets_never_reach_the_logs(receiver, make_config, webhook_secret, capsys):
    """The command line masks every secret its config names, in every log line."""
    import logging

    from watcher.cli import Context

    config = make_config([], body=webhook_sub(receiver))
    assert Context(config.source, "DEBUG").config.subscribers  # the CLI's own logging set-up
    logging.getLogger("watcher.test").warning("leaking %s", webhook_secret)
    try:
        raise RuntimeError(f"a failure quoting {webhook_secret}")
    except RuntimeError:
        logging.getLogger("watcher.test").exception("with a traceback")
    enqueue_notice(config)
    receiver.fail_with = [500]
    deliver_all(config, Clock())
    logged = capsys.readouterr().err
    assert webhook_secret not in logged
    assert logged.count("***") >= 2 and "with a traceback" in logged


# polling, feeds and judging -----------------------------------------------------------------
def test_poll_json_counts_and_exit_zero_when_a_feed_fails(feed_server, make_config):
    good = feed_server.set("/good", body=fx.rss20(fx.items(4)), etag='"1"')
    bad = feed_server.set("/bad", status=500)
    config = make_config([good, bad])
    done = run(config.source, "poll", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) | {"bytes": 0} == {
        "feeds_polled": 2,
        "updated": 1,
        "not_modified": 0,
        "failed": 1,
        "gone": 0,
        "new_articles": 4,
        "bytes": 0,
    }
    again = json.loads(run(config.source, "poll", "--all", "--json").stdout)
    assert again["not_modified"] == 1 and again["new_articles"] == 0
    table = run(config.source, "poll", "--all").stdout
    assert "2 feeds polled: 0 updated, 1 not modified, 1 failed; 0 new articles" in table


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
    listed = json.loads(run(config.source, "feeds", "list", "--json").stdout)
    assert [f["name"] for f in listed] == ["Direct", "From OPML"]
    assert "15m" in run(config.source, "feeds", "list").stdout
    exported = run(config.source, "feeds", "export").stdout
    assert 'xmlUrl="https://opml.example.org/rss"' in exported and f'xmlUrl="{url}"' in exported
    roundtrip = tmp_path / "out.opml"
    roundtrip.write_text(exported, encoding="utf-8")
    from watcher.sources import read_opml

    assert [s.url for s in read_opml(roundtrip)] == [url, "https://opml.example.org/rss"]


def test_classify_eval_feedback_rescore(tmp_path, polled):
    article = tmp_path / "a.txt"
    article.write_text(
        "Duma ratifies Iran treaty\nRussia's State Duma ratified the comprehensive strategic "
        "partnership treaty with Iran. The Federation Council votes next.",
        encoding="utf-8",
    )
    verdict = json.loads(run(polled.source, "classify", str(article), "--json").stdout)
    assert verdict["relevant"] is True and "ratification" in verdict["aspects"]
    assert verdict["explanation"]["nearest_seed"]
    assert "irrelevant" in run(polled.source, "classify", "-", "--title", "Bakery opens").stdout
    heldout = Path(__file__).parent / "data" / "heldout.jsonl"
    report = json.loads(run(polled.source, "eval", str(heldout), "--json").stdout)
    assert report["f1"] >= 0.95 and "languages" in report and "groups" in report
    story = next(
        r["id"] for r in rows(polled, "SELECT id, title FROM articles") if "number 1" in r["title"]
    )
    done = run(polled.source, "feedback", str(story), "relevant")
    assert done.exit_code == 0 and "recorded" in done.stdout
    missing = run(polled.source, "feedback", "99999", "relevant")
    assert missing.exit_code == 2 and "no article with id 99999" in one_error_line(missing)
    before = rows(polled, "SELECT id, relevant FROM articles ORDER BY id")
    dry = json.loads(run(polled.source, "rescore", "--dry-run", "--json").stdout)
    assert dry["rescored"] == 4 and dry["dry_run"] is True
    assert rows(polled, "SELECT id, relevant FROM articles ORDER BY id") == before
    wet = json.loads(run(polled.source, "rescore", "--json").stdout)
    flipped = {c["article_id"] for c in wet["now_relevant"] + wet["no_longer_relevant"]}
    was = {r["id"]: r["relevant"] for r in before}
    now = {r["id"]: r["relevant"] for r in rows(polled, "SELECT id, relevant FROM articles")}
    assert {i for i in now if now[i] != was[i]} == flipped


# the daemon, as a real process ----------------------------------------------------------------
def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except sqlite3.OperationalError:
            pass  # the daemon has created the file but not yet its tables
        time.sleep(0.1)
    return False


def _daemon(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _read_until(daemon: subprocess.Popen[str], words: str, timeout: float = 60.0) -> list[str]:
    """Lines of the daemon's log up to the first holding `words` (blocking reads, no sleep)."""
    assert daemon.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = daemon.stderr.readline()
        if not line:
            break
        lines.append(line)
        if words in line:
            return lines
    raise AssertionError(f"{words!r} never logged:\n{''.join(lines)}")


def test_daemon_logs_start_and_ready_refuses_a_twin_and_stops_on_sigterm(feed_server, make_config):
    url = feed_server.set("/f", body=fx.rss20(fx.items(5)))
    config = make_config([url], tick="1s")
    daemon = _daemon(config.source)
    try:
        started = _read_until(daemon, "ready in")
        assert any("loading:" in line for line in started)
        assert any("no subscriber is configured: alerts go nowhere" in line for line in started)
        assert re.search(r"ready in \d+\.\ds: 1 feeds, 0 subscribers", started[-1])
        # one summary line per tick, at info; no line per feed (that is debug)
        polled = _read_until(daemon, "polled 1 feed:")
        assert "polled 1 feed: 1 updated, 0 not modified, 0 failed; 5 new articles" in polled[-1]
        assert len(rows(config, "SELECT id FROM articles")) == 5
        twin = subprocess.run(
            [sys.executable, "-m", "watcher", "--config", str(config.source), "run"],
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
        )
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


def test_the_wheel_installs_anywhere_with_the_default_topic(tmp_path):
    """A real build and install (no editable link to this checkout): the default topic and
    seeds travel inside the package, so a config written anywhere works."""
    uv = REPO / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is installed by `make`; run the tests through `make test`")
    subprocess.run(
        [str(uv), "build", "--wheel", "-q", "-o", str(tmp_path / "dist"), str(REPO)],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("watcher-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        timeout=600,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    watcher = str(venv / "bin" / "watcher")
    subprocess.run([watcher, "init", "site"], cwd=elsewhere, check=True, timeout=60)
    judged = subprocess.run(
        [
            watcher,
            "--config",
            "site/watcher.toml",
            "classify",
            "-",
            "--title",
            "Russia and Iran sign comprehensive strategic partnership treaty",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert judged.returncode == 0, judged.stderr
    assert judged.stdout.startswith("relevant")
    installed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import watcher.config as c; print(c.shipped('seeds'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=elsewhere,
    )
    assert str(venv) in installed.stdout and "defaults" in installed.stdout


def test_messages_show_times_in_the_subscribers_time_zone(polled, mail):
    """An alert for a reader in Tehran says Tehran time, in words; a health notice for one in
    Berlin, Berlin time; no Python value reaches either."""
    config_path = polled.source
    config_path.write_text(
        config_path.read_text() + mail_body(mail, name="tehran", extra='timezone = "Asia/Tehran"'),
        encoding="utf-8",
    )
    from watcher.config import load_config
    from watcher.services.database import open_store
    from watcher.services.messages import preview_alert
    from watcher.topic import build_model

    config = load_config(config_path)
    with open_store(config, sync=False) as store:
        shown = preview_alert(config, store, build_model(config), "tehran", None, fx.BASE_DATE)
    assert "Fri 17 Jan 2025, 12:30 +0330" in shown.text  # 09:00 UTC, published
    from watcher.models import FeedHealth
    from watcher.notify.health import notice

    failing = FeedHealth(1, "Wire", "https://w.example.org/", fx.BASE_DATE, "HTTP 500", None, False)
    _event, _headline, text = notice(failing, "ok", "failing", "Europe/Berlin")  # type: ignore[misc]
    assert "since Fri 17 Jan 2025, 10:00 CET" in text
    assert not re.search(r"None|True|False|\d\d:\d\d:\d\d|\+00:00", text)


@pytest.mark.parametrize("moment", ["loading:", "ready in"])
def test_ctrl_c_stops_the_daemon_with_exit_0_and_no_traceback(feed_server, make_config, moment):
    """Ctrl-C reaches every process of the terminal's group: the workers ignore it, the
    daemon stops in order (or, while still loading, at once), and nothing prints a traceback."""
    url = feed_server.set("/f", body=fx.rss20(fx.items(2)))
    config = make_config([url], tick="1s", parse_workers="2")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config.source), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,  # a terminal's Ctrl-C reaches the whole process group
    )
    try:
        _read_until(daemon, moment)
        os.killpg(daemon.pid, signal.SIGINT)
        _out, err = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err
        assert "daemon stopped" in err or "stopped before the daemon was ready" in err
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
