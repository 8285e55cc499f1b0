"""Pure rendering: notifications → email (MIME) or webhook bodies, rendered once at enqueue.

Templates are Jinja2: HTML autoescaped, overridable from a folder. Webhook bodies follow a
versioned JSON format (docs/webhook.schema.json) or Slack's incoming-webhook format.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from watcher.config import SubscriberConfig
from watcher.models import Article, Message, Verdict
from watcher.normalize import one_line

WEBHOOK_VERSION = 1
SUBJECT_LIMIT = 180


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _safe_url(value: str | None) -> str:
    """Only http(s) links reach a mailbox: no javascript:, data: or relative tricks."""
    if value and urlsplit(value).scheme in ("http", "https"):
        return value
    return "#"


def _date(value: datetime | str | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def environment(override: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.PackageLoader("watcher", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["safe_url"] = _safe_url
    env.filters["date"] = _date
    return env


@dataclass(frozen=True)
class DigestStory:
    lead: dict[str, Any]
    others: list[dict[str, Any]] = field(default_factory=list)
    aspects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Renderer:
    env: jinja2.Environment
    topic: str
    sender: str

    def alert(
        self,
        subscriber: SubscriberConfig,
        article: Article,
        verdict: Verdict,
        story_id: int,
        now: datetime,
    ) -> Message:
        message_id = new_message_id()
        context = {
            "article": article,
            "verdict": verdict,
            "aspects": list(verdict.aspects),
            "explanation": verdict.explanation,
            "topic": self.topic,
            "message_id": message_id,
        }
        subject = one_line(article.title)[:SUBJECT_LIMIT]
        payload = {
            "type": "alert",
            "article": {
                "id": article.id,
                "title": article.title,
                "url": article.url,
                "feed": article.feed_name,
                "published": article.published.isoformat(),
                "language": article.language or verdict.language,
                "score": verdict.score,
                "aspects": list(verdict.aspects),
                "explanation": verdict.explanation,
                "story_id": story_id,
                "summary": article.text[:600],
            },
        }
        mrkdwn = (
            f"*<{_safe_url(article.url)}|{_slack_escape(subject)}>*\n"
            f"{_slack_escape(article.feed_name)} · score {verdict.score:.2f}"
            + (f" · {', '.join(verdict.aspects)}" if verdict.aspects else "")
        )
        body = self._encode(subscriber, message_id, subject, "alert", context, payload, mrkdwn, now)
        return Message(
            message_id,
            subscriber.name,
            _channel(subscriber),
            "alert",
            subject,
            body,
            article_id=article.id,
            story_id=story_id,
        )

    def digest(
        self,
        subscriber: SubscriberConfig,
        stories: list[DigestStory],
        since: datetime,
        now: datetime,
    ) -> Message:
        message_id = new_message_id()
        count = len(stories)
        subject = f"{self.topic}: {count} {'story' if count == 1 else 'stories'}"
        context = {
            "stories": stories,
            "since": since,
            "topic": self.topic,
            "message_id": message_id,
        }
        payload = {
            "type": "digest",
            "since": since.isoformat(),
            "stories": [
                {
                    "title": s.lead["title"],
                    "url": s.lead["url"],
                    "feed": s.lead["feed_name"],
                    "score": s.lead["score"],
                    "aspects": s.aspects,
                    "also_reported_by": [
                        {"feed": o["feed_name"], "title": o["title"], "url": o["url"]}
                        for o in s.others
                    ],
                }
                for s in stories
            ],
        }
        lines = [f"*{_slack_escape(subject)}*"] + [
            f"• <{_safe_url(s.lead['url'])}|{_slack_escape(s.lead['title'])}>" for s in stories
        ]
        body = self._encode(
            subscriber, message_id, subject, "digest", context, payload, "\n".join(lines), now
        )
        return Message(message_id, subscriber.name, _channel(subscriber), "digest", subject, body)

    def notice(
        self, subscriber: SubscriberConfig, event: str, headline: str, text: str, now: datetime
    ) -> Message:
        message_id = new_message_id()
        subject = one_line(headline)[:SUBJECT_LIMIT]
        context = {"headline": subject, "body": text, "message_id": message_id}
        payload = {"type": "notice", "event": event, "notice": {"headline": subject, "body": text}}
        mrkdwn = f"*{_slack_escape(subject)}*\n{_slack_escape(text)}"
        body = self._encode(
            subscriber, message_id, subject, "notice", context, payload, mrkdwn, now
        )
        return Message(message_id, subscriber.name, _channel(subscriber), event, subject, body)

    def _encode(
        self,
        subscriber: SubscriberConfig,
        message_id: str,
        subject: str,
        template: str,
        context: dict[str, Any],
        payload: dict[str, Any],
        mrkdwn: str,
        now: datetime,
    ) -> bytes:
        if subscriber.email is not None:
            return self._email(subscriber.email, message_id, subject, template, context, now)
        if subscriber.format == "slack":
            text = self.env.get_template("slack.json.j2").render(text=subject, mrkdwn=mrkdwn)
            return text.strip().encode("utf-8")
        document = {
            "version": WEBHOOK_VERSION,
            "id": message_id,
            "created_at": now.isoformat(),
            "topic": self.topic,
            "subscriber": subscriber.name,
            **payload,
        }
        return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")

    def _email(
        self,
        recipient: str,
        message_id: str,
        subject: str,
        template: str,
        context: dict[str, Any],
        now: datetime,
    ) -> bytes:
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = recipient
        # one_line() already removed CR/LF; the SMTP policy refuses any that slipped through.
        message["Subject"] = f"[watcher] {subject}"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{message_id}@watcher>"
        message["X-Watcher-Id"] = message_id
        message.set_content(self.env.get_template(f"{template}.txt.j2").render(**context))
        message.add_alternative(
            self.env.get_template(f"{template}.html.j2").render(**context), subtype="html"
        )
        return message.as_bytes()


def _channel(subscriber: SubscriberConfig) -> str:
    return "email" if subscriber.email is not None else "webhook"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
