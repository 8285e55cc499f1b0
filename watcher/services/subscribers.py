"""Subscribers as the console shows them: where their messages go (never a secret), and the
HTML of an email exactly as the mailbox would show it."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from urllib.parse import urlsplit

from watcher.config import SubscriberConfig


def describe_channel(subscriber: SubscriberConfig) -> str:
    """Webhook and Apprise URLs often carry their token in the path: only the scheme and host
    of a URL are shown."""
    settings = subscriber.channel
    to = getattr(settings, "to", None)
    if isinstance(to, str):
        return f"{settings.type} to {to}"
    url = getattr(settings, "url", None)
    if isinstance(url, str):
        parts = urlsplit(url)
        return f"{settings.type} to {parts.scheme}://{parts.hostname or '?'}/…"
    return settings.type


def email_html(body: bytes) -> str | None:
    """The HTML part of a rendered email, or None when it has none."""
    parsed = message_from_bytes(body, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("html",))
    return None if part is None else str(part.get_content())
