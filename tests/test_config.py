"""Every kind of configuration error gives one clear line naming the file, the key and the fix."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from watcher.config import Config, load_config
from watcher.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

CASES = {
    "unknown key": ("[storage]\npaht = 'x.db'\n", "storage.paht: unknown key"),
    "bad url": ("[[feeds]]\nurl = 'ftp://example.org/feed'\n", "feeds[0].url: invalid URL"),
    "relative url": ("[[feeds]]\nurl = 'example.org/feed'\n", "use an absolute http"),
    "bad duration": (
        "[[feeds]]\nurl = 'https://e.org/f'\ninterval = 'soon'\n",
        "feeds[0].interval: invalid duration 'soon'",
    ),
    "negative duration": ("[polling]\ndeadline = '-5s'\n", "polling.deadline: invalid duration"),
    "zero duration": ("[polling]\ndeadline = 0\n", "must be positive"),
    "bad size": ("[polling]\nmax_body = 'huge'\n", "polling.max_body: invalid size"),
    "out of range": ("[polling]\nconcurrency = 0\n", "polling.concurrency: Input should be"),
    "wrong type": ("[polling]\nper_host = 'many'\n", "polling.per_host"),
    "missing feed url": ("[[feeds]]\nname = 'x'\n", "feeds[0].url: required key is missing"),
    "toml syntax": ("[storage\npath = 1\n", "TOML syntax error"),
    "bad timezone": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@example.org'\ntimezone = 'Mars/Olympus'\n",
        "subscribers[0].timezone: unknown time zone 'Mars/Olympus'",
    ),
    "hour out of range": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\ndigest = 'daily 25:00'\n",
        "digest schedule 'daily 25:00' is not valid (25:00 is not a time of day",
    ),
    "minute out of range": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\ndigest = 'weekly mon 08:60'\n",
        "digest schedule 'weekly mon 08:60' is not valid (08:60 is not a time of day",
    ),
    "bad weekday": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\ndigest = 'weekly someday 08:00'\n",
        "a cron line has five fields",
    ),
    "bad cron field": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\ndigest = '0 99 * * *'\n",
        "digest schedule '0 99 * * *' is not valid",
    ),
    "bad max_age": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\nmax_age = 'a while'\n",
        "subscribers[0].max_age: invalid duration 'a while'",
    ),
    "no channel": ("[[subscribers]]\nname = 'a'\n", "needs exactly one channel"),
    "two channels": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\nwebhook = 'https://h.example.org/'\n",
        "needs exactly one channel",
    ),
    "unknown channel type": (
        "[[subscribers]]\nname = 'a'\nchannel = { type = 'pigeon', to = 'x' }\n",
        "subscribers[0].channel: unknown channel type 'pigeon'; use one of email, webhook",
    ),
    "channel without type": (
        "[[subscribers]]\nname = 'a'\nchannel = { to = 'a@e.org' }\n",
        "subscribers[0].channel: says no type; add type = one of",
    ),
    "apprise without urls_env": (
        "[[subscribers]]\nname = 'a'\nchannel = { type = 'apprise' }\n",
        "subscribers[0].channel: urls_env: required key is missing; add it (e.g. channel = {",
    ),
    "apprise urls in the file": (
        "[[subscribers]]\nname = 'a'\nchannel = { type = 'apprise', urls_env = 'tgram://1:x/2' }\n",
        "urls_env: 'tgram://1:x/2' is not an environment variable name",
    ),
    "email key on a webhook channel": (
        "[[subscribers]]\nname = 'a'\nchannel = { type = 'webhook', to = 'a@e.org' }\n",
        "channel: url: required key is missing",
    ),
    "legacy and new channel": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\nchannel = { type = 'email', to = 'a@e.org' }\n",
        "needs exactly one channel",
    ),
    "header in an address": (
        "[[subscribers]]\nname = 'a'\nchannel = { type = 'email', to = \"a@e.org\\nBcc: x@y\" }\n",
        "channel: to: 'a@e.org\\nBcc: x@y' is not one email address",
    ),
    "secret in config": (
        "[smtp]\npassword_env = 'hunter2 is my password'\n",
        "smtp.password_env: 'hunter2 is my password' is not an environment variable name",
    ),
    "bad security": ("[smtp]\nsecurity = 'tls13'\n", "smtp.security: Input should be"),
    "duplicate subscriber": (
        "[[subscribers]]\nname = 'a'\nemail = 'a@e.org'\n"
        "[[subscribers]]\nname = 'a'\nemail = 'b@e.org'\n",
        "subscriber name 'a' is used twice",
    ),
    "feed listed twice": (
        "[[feeds]]\nurl = 'https://e.org/f'\n[[feeds]]\nname = 'b'\nurl = 'https://e.org/f'\n",
        "feeds: feeds[1] and feeds[0] have the same url 'https://e.org/f'; remove one of them",
    ),
    "feed name used twice": (
        "[[feeds]]\nname = 'Wire'\nurl = 'https://e.org/a'\n"
        "[[feeds]]\nname = 'Wire'\nurl = 'https://e.org/b'\n",
        "feeds: feeds[1] and feeds[0] are both named 'Wire'; give each feed its own name",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_error_names_file_key_and_fix(tmp_path, case):
    text, expected = CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_an_unknown_key_names_the_example_file_that_lists_every_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[storage]\npaht = 'x.db'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    named = re.search(r"\((\S+) lists every key\)", str(info.value))
    assert named, info.value
    example = Path(named.group(1))
    assert example.is_file() and "[storage]" in example.read_text(encoding="utf-8")


def test_old_channel_keys_still_work(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text(
        "[smtp]\nhost = 'mail.example.org'\n[[subscribers]]\nname = 'm'\nemail = 'm@e.org'\n"
        "[[subscribers]]\nname = 'h'\nwebhook = 'https://h.example.org/'\nsecret_env = 'S'\n"
        "[[subscribers]]\nname = 's'\nwebhook = 'https://h.example.org/'\nformat = 'slack'\n",
        encoding="utf-8",
    )
    mail, hook, slack = (s.channel for s in load_config(path).subscribers)
    assert (mail.type, mail.to) == ("email", "m@e.org")  # type: ignore[attr-defined]
    assert (hook.type, hook.secret_names()) == ("webhook", ("S",))
    assert slack.type == "slack"


def test_missing_config_file_says_how_to_fix(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found; pass --config FILE"):
        load_config(tmp_path / "nope.toml")
    monkeypatch.chdir(tmp_path)  # no --config and no WATCHER_CONFIG: say where it looked
    with pytest.raises(ConfigError) as info:
        load_config(None, env={})
    assert str(info.value).startswith(
        "no config file here (watcher.toml or config/watcher.toml); pass --config FILE"
    )


def test_watcher_config_env_is_used(tmp_path):
    path = tmp_path / "env.toml"
    path.write_text("[polling]\nconcurrency = 7\n", encoding="utf-8")
    assert load_config(None, env={"WATCHER_CONFIG": str(path)}).polling.concurrency == 7


def test_cli_exits_2_with_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[polling]\nconcurency = 3\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(path), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "polling.concurency: unknown key" in lines[0] and str(path) in lines[0]


def test_config_is_frozen(tmp_path):
    config = load_config(REPO / "config" / "watcher.toml")
    with pytest.raises(Exception, match="frozen"):
        config.polling.concurrency = 3  # type: ignore[misc]


def test_default_and_example_configs_are_valid():
    default = load_config(REPO / "config" / "watcher.toml")
    assert len(default.feeds) >= 8
    assert any("news.google.com/rss/search" in f.url and "hl=ru" in f.url for f in default.feeds)
    example = load_config(REPO / "config" / "example.toml")
    assert example.subscribers


def _keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    found = []
    for name, field in model.model_fields.items():
        if name == "source":
            continue
        key = f"{prefix}{field.alias or name}"
        found.append((key, field.description))
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        for candidate in inner:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found += _keys(candidate, f"{key}.")
    return found


def test_every_key_has_a_doc_and_appears_in_the_example():
    example_text = (REPO / "config" / "example.toml").read_text(encoding="utf-8")
    tomllib.loads(example_text)
    missing_docs = [key for key, doc in _keys(Config) if not doc]
    assert missing_docs == []
    undocumented = []
    for key, _doc in _keys(Config):
        leaf = key.rsplit(".", 1)[-1]
        if (
            f"{leaf} =" not in example_text
            and f"[{key}]" not in example_text
            and (f"[[{key}]]" not in example_text)
        ):
            undocumented.append(key)
    assert undocumented == []
