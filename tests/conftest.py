from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import FeedServer, MailServer, WebhookReceiver
from watcher.config import Config, load_config
from watcher.config import load_config as _load
from watcher.topic import build_model
from watcher.workers import Workers

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model():
    return build_model(_load(REPO / "config" / "watcher.toml"))


@pytest.fixture(scope="session")
def executor(model) -> Iterator[Workers]:
    """One worker pool for the session: starting processes per test would be slow."""
    pool = Workers(model, 2)
    yield pool
    pool.shutdown()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The command line installs its own log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def webhook_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """The signing secret that `helpers.webhook_sub` subscribers name, set in the environment."""
    from tests.helpers import SECRET

    monkeypatch.setenv("WATCHER_TEST_SECRET", SECRET)
    return SECRET


ConfigFactory = Callable[..., Config]


@pytest.fixture
def make_config(tmp_path: Path) -> ConfigFactory:
    """Write a config file into tmp_path and load it; `body` is extra TOML."""

    def factory(
        feeds: tuple[str | dict[str, Any], ...] | list[Any] = (), body: str = "", **polling: Any
    ) -> Config:
        settings = {"connect_timeout": "2s", "read_timeout": "2s", "deadline": "5s", **polling}
        lines = ["[storage]", 'path = "watcher.db"', "[polling]"]
        lines += [f'{key} = "{value}"' for key, value in settings.items()]
        lines += [
            "[topic]",
            f'path = "{REPO / "config" / "topic.toml"}"',
            f'seeds = "{REPO / "seeds"}"',
        ]
        for feed in feeds:
            spec = {"url": feed} if isinstance(feed, str) else feed
            lines.append("[[feeds]]")
            lines += [f'{k} = "{v}"' for k, v in spec.items()]
        if "[web]" not in body:  # daemons under test serve no console unless a test asks
            lines += ["[web]", 'listen = ""']
        path = tmp_path / "watcher.toml"
        path.write_text("\n".join(lines) + "\n" + textwrap.dedent(body), encoding="utf-8")
        return load_config(path)

    return factory
