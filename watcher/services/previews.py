"""What a subscriber would receive next: their alert and their digest, rendered exactly as the
renderer renders them for the outbox, and sent nowhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

from watcher.config import Config, SubscriberConfig
from watcher.models import Message, Verdict
from watcher.store import Store
from watcher.store.matches import MatchFilter, matches, verdict_row


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str  # "alert" or "digest"
    message: Message | None
    note: str = ""

    @property
    def html(self) -> str | None:
        """The HTML part of an email, as the mailbox would show it."""
        if self.message is None or self.message.channel != "email":
            return None
        parsed = message_from_bytes(self.message.body, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("html",))
        return None if part is None else str(part.get_content())

    @property
    def text(self) -> str | None:
        """The plain-text part of an email, or the body another channel posts (JSON indented)."""
        if self.message is None:
            return None
        if self.message.channel != "email":
            body = self.message.body.decode("utf-8", errors="replace")
            try:
                return json.dumps(json.loads(body), ensure_ascii=False, indent=2)
            except ValueError:
                return body
        parsed = message_from_bytes(self.message.body, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        return None if part is None else str(part.get_content())


def describe_channel(subscriber: SubscriberConfig) -> str:
    """Where the subscriber's messages go, without any secret: webhook and Apprise URLs often
    carry their token in the path, so only the scheme and host are shown."""
    settings = subscriber.channel
    to = getattr(settings, "to", None)
    if isinstance(to, str):
        return f"{settings.type} to {to}"
    url = getattr(settings, "url", None) or getattr(settings, "urls", None)
    if isinstance(url, str):
        parts = urlsplit(url)
        return f"{settings.type} to {parts.scheme}://{parts.hostname or '?'}/…"
    return settings.type


def stored_verdict(store: Store, article_id: int) -> Verdict | None:
    row = verdict_row(store.db, article_id)
    if row is None or row["score"] is None:
        return None
    return Verdict(
        score=row["score"],
        relevant=bool(row["relevant"]),
        aspects=tuple(json.loads(row["aspects"] or "[]")),
        language=None,
        explanation=json.loads(row["explanation"] or "{}"),
        model_version=row["model_version"] or "",
    )


def preview_alert(
    config: Config, store: Store, subscriber: SubscriberConfig, now: datetime
) -> Preview:
    """The alert the subscriber would get for the newest match, rendered once, not enqueued."""
    from watcher.notify.messages import make_renderer

    newest = matches(store.db, MatchFilter(limit=1))
    if not newest:
        return Preview("alert", None, "no relevant article yet: nothing to preview")
    row = newest[0]
    article = store.articles([row.id])[0]
    verdict = stored_verdict(store, row.id)
    assert verdict is not None
    renderer = make_renderer(config, _topic_name(config))
    message = renderer.alert(subscriber, article, verdict, row.story_id or 0, now)
    return Preview("alert", message, f"the newest match, article {row.id}")


def preview_digest(
    config: Config, store: Store, subscriber: SubscriberConfig, now: datetime
) -> Preview:
    """The subscriber's next digest with what is pending now (build_digest's dry run)."""
    from watcher.notify.digest import build_digest
    from watcher.notify.messages import make_renderer

    renderer = make_renderer(config, _topic_name(config))
    forced = subscriber.model_copy(update={"send_empty": True})
    message = build_digest(store, renderer, forced, now, dry_run=True)
    pending = len(store.pending_digest(subscriber.name))
    return Preview("digest", message, f"{pending} article(s) waiting for the next digest")


def _topic_name(config: Config) -> str:
    from watcher.topic.definition import load_topic

    return load_topic(config.resolve(config.topic.path)).topic.name
