"""The Apprise channel: Telegram, Matrix, ntfy, Discord, Teams, Signal … through Apprise URLs.

The URLs carry tokens, so they come from an environment variable (`urls_env`), several
separated by spaces, commas or new lines. Every URL is checked at start-up (a URL Apprise
cannot parse is a config error). Apprise is synchronous: sends run in a small thread pool,
off the event loop. Each URL is a service of its own: when some accept a message and others
fail, the outbox remembers which accepted it (by a fingerprint, never the URL) and the retry
goes only to the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import Field

from watcher.config import ChannelSettings, Config, EnvName, secret
from watcher.deliver.base import Channel, Templates, answer_text
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem
from watcher.notify.render import AlertNote, DigestNote, JudgeLinks, Note, NoticeNote, date

APPRISE_THREADS = 4
_SEPARATORS = re.compile(r"[\s,]+")


class AppriseSettings(ChannelSettings):
    type: Literal["apprise"] = Field(description="Send through Apprise (Telegram, ntfy, Matrix …).")
    urls_env: EnvName = Field(
        description="Environment variable holding the Apprise URLs (they carry tokens)."
    )

    def secret_names(self) -> tuple[str, ...]:
        return (self.urls_env,)


def service_urls(target: AppriseSettings) -> list[str]:
    value = secret(target.urls_env) or ""
    return [url for url in _SEPARATORS.split(value) if url]


def fingerprint(url: str) -> str:
    """How the outbox names a service that accepted a message: the URL carries tokens."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _judge(links: JudgeLinks | None, indent: str = "") -> list[str]:
    if links is None:
        return []
    return [
        f"{indent}Relevant: {links.relevant}",
        f"{indent}Not about the topic: {links.irrelevant}",
    ]


def text(note: Note) -> str:
    """The plain-text body (Apprise converts it for services that want HTML or Markdown)."""
    lines: list[str] = []
    if isinstance(note, AlertNote):
        view = note.article
        facts = [
            view.feed,
            date(view.published, note.zone),
            f"score {note.score:.2f}",
            *note.aspects,
        ]
        lines += [view.title, " · ".join(f for f in facts if f), view.url or "(no link)", ""]
        lines += ["Why this matched:"] + [f"- {reason}" for reason in note.reasons]
        lines += _judge(note.judge_links)
    elif isinstance(note, DigestNote):
        count = len(note.stories)
        noun = "story" if count == 1 else "stories"
        lines.append(f"{count} {noun} since {date(note.since, note.zone)}")
        for number, story in enumerate(note.stories, 1):
            lead = story.lead
            lines += [
                "",
                f"{number}. {lead.title}",
                f"   {lead.feed} · score {story.score:.2f}",
                f"   {lead.url or '(no link)'}",
            ]
            if story.others:
                lines.append("   also reported by: " + ", ".join(o.feed for o in story.others))
            lines += _judge(story.judge_links, "   ")
        if not note.stories:
            lines.append("Nothing new this time.")
    else:
        assert isinstance(note, NoticeNote)
        lines.append(note.body)
    lines += ["", f"watcher · {note.topic} · message {note.id}"]
    return "\n".join(lines)


def render(note: Note, target: AppriseSettings, templates: Templates) -> bytes:
    document = {"title": note.subject, "body": text(note), "format": "text"}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def load_apprise() -> Any:
    """The apprise module, imported on first use (it is large), without the warning that its
    plug-ins' lazy import of imghdr raises on Python 3.11."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import imghdr  # noqa: F401  (loaded once here, so Apprise's later import is silent)

        import apprise
    return apprise


def check(target: AppriseSettings) -> None:
    """Every URL must be one Apprise can parse; the error names the variable, never the URL."""
    apprise = load_apprise()
    urls = service_urls(target)
    if not urls:
        raise ConfigError(f"environment variable {target.urls_env} holds no Apprise URL")
    quiet = logging.getLogger("apprise")
    for number, url in enumerate(urls, 1):
        quiet.disabled = True  # it would log the URL it cannot parse; our error says enough
        try:
            parsed = apprise.Apprise.instantiate(url)
        finally:
            quiet.disabled = False
        if parsed is None:
            scheme = url.split("://", 1)[0] if "://" in url else "(no scheme)"
            raise ConfigError(
                f"Apprise URL {number} in {target.urls_env} ({scheme}://…) cannot be parsed; "
                "check it against https://github.com/caronc/apprise/wiki"
            )


class AppriseSender:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(APPRISE_THREADS, thread_name_prefix="apprise")

    async def send(self, item: OutboxItem, target: AppriseSettings) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._send, item, target)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _send(self, item: OutboxItem, target: AppriseSettings) -> str:
        apprise = load_apprise()
        where = f"apprise {item.subscriber}"
        try:
            urls = service_urls(target)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        message = json.loads(item.body)
        waiting = [
            (n, url) for n, url in enumerate(urls, 1) if fingerprint(url) not in item.delivered_to
        ]
        accepted: set[str] = set()
        failures = []
        for number, url in waiting:
            notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
            if not notifier.add(url):
                raise DeliveryError(where, f"URL {number} cannot be parsed", retryable=False)
            with _ThreadWarnings() as warned:
                done = notifier.notify(
                    body=message["body"],
                    title=message["title"],
                    body_format=message.get("format", "text"),
                )
            if done:
                accepted.add(fingerprint(url))
            else:
                failures.append(f"URL {number}: {_why(warned.lines)}")
        earlier = len(urls) - len(waiting)
        if not failures:
            before = f" ({earlier} had it from an earlier attempt)" if earlier else ""
            return f"accepted by {len(accepted)} service(s){before}"
        reason = f"{len(failures)} of {len(urls)} service(s) failed: " + "; ".join(failures)
        raise DeliveryError(
            where, answer_text(reason), retryable=True, delivered_to=frozenset(accepted)
        )


class _ThreadWarnings(logging.Handler):
    """Apprise's warnings about this thread's send: Apprise says only yes or no, and logs why.
    Its own LogCapture hears every thread, so the reason for one subscriber's failure could
    be another's (sends for several subscribers run at once)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())

    def __enter__(self) -> _ThreadWarnings:
        logging.getLogger("apprise").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("apprise").removeHandler(self)


def _why(lines: list[str]) -> str:
    return answer_text("; ".join(lines[-3:])) or "the service did not accept the message"


def _open(config: Config) -> AppriseSender:
    return AppriseSender()


CHANNEL = Channel(
    type="apprise",
    settings=AppriseSettings,
    render=render,
    open=_open,
    check=check,
    example='channel = { type = "apprise", urls_env = "WATCHER_APPRISE_URLS" }',
)
