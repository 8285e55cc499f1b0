"""The webhook channel: a versioned JSON document (docs/webhook.schema.json), POSTed and
signed the Standard Webhooks way. The reply is read within a small budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import Field
from standardwebhooks.webhooks import Webhook

from watcher import USER_AGENT
from watcher.config import ChannelSettings, Config, EnvName, HttpUrl, secret
from watcher.deliver.base import REPLY_LIMIT, Channel, Templates, answer_text
from watcher.errors import ConfigError, DeliveryError
from watcher.models import OutboxItem
from watcher.notify.render import AlertNote, ArticleView, DigestNote, Note, NoticeNote
from watcher.reply import retry_after

VERSION = 1


class WebhookSettings(ChannelSettings):
    type: Literal["webhook"] = Field(description="POST a signed JSON document to a URL.")
    url: HttpUrl = Field(description="The receiver's URL.")
    secret_env: EnvName | None = Field(
        None, description="Environment variable holding the signing secret (whsec_…)."
    )

    def secret_names(self) -> tuple[str, ...]:
        return (self.secret_env,) if self.secret_env else ()


def _article(view: ArticleView) -> dict[str, Any]:
    return {"title": view.title, "url": view.url, "feed": view.feed}


def _links(note_links: Any) -> dict[str, Any]:
    if note_links is None:
        return {}
    return {"judge_links": {"relevant": note_links.relevant, "irrelevant": note_links.irrelevant}}


def document(note: Note) -> dict[str, Any]:
    """The webhook body as a dict: the same for every retry of the message."""
    head = {
        "version": VERSION,
        "id": note.id,
        "created_at": note.created_at.isoformat(),
        "topic": note.topic,
        "subscriber": note.subscriber,
        "type": note.kind,
    }
    if isinstance(note, AlertNote):
        view = note.article
        article = {
            "id": view.id,
            **_article(view),
            "published": view.published.isoformat(),
            "language": view.language,
            "score": note.score,
            "aspects": list(note.aspects),
            "reasons": list(note.reasons),
            "explanation": note.explanation,
            "story_id": note.story_id,
            "summary": view.summary,
            "lead": view.lead,
            **_links(note.judge_links),
        }
        return {**head, "article": article}
    if isinstance(note, DigestNote):
        stories = [
            {
                **_article(s.lead),
                "score": s.score,
                "aspects": list(s.aspects),
                "also_reported_by": [_article(o) for o in s.others],
                **_links(s.judge_links),
            }
            for s in note.stories
        ]
        return {**head, "since": note.since.isoformat(), "stories": stories}
    assert isinstance(note, NoticeNote)
    return {**head, "event": note.event, "notice": {"headline": note.subject, "body": note.body}}


def render(note: Note, target: WebhookSettings, templates: Templates) -> bytes:
    return json.dumps(document(note), ensure_ascii=False, default=str).encode("utf-8")


class HttpSender:
    """POSTs rendered bodies; shared by the HTTP channels (webhook, Slack)."""

    def __init__(self, timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, item: OutboxItem, target: Any) -> str:
        where = f"{target.type} {item.subscriber}"
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": item.id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        try:
            key = secret(target.secret_env)
        except ConfigError as exc:
            raise DeliveryError(where, str(exc), retryable=True) from exc
        if key:
            headers["webhook-signature"] = Webhook(key).sign(
                item.id, datetime.fromtimestamp(int(now.timestamp()), UTC), item.body.decode()
            )
        try:
            async with self._client.stream(
                "POST", target.url, content=item.body, headers=headers
            ) as response:
                reply = b""
                async for chunk in response.aiter_raw():
                    reply += chunk
                    if len(reply) >= REPLY_LIMIT:
                        break  # the rest is never read: closing the stream drops it
        except httpx.HTTPError as exc:
            raise DeliveryError(where, f"{type(exc).__name__}: {exc}", retryable=True) from exc
        status = response.status_code
        answer = f"HTTP {status} {answer_text(reply)}".strip()
        if 200 <= status < 300:
            return answer
        if status == 410:
            raise DeliveryError(where, f"{answer}: receiver is gone", retryable=False, gone=True)
        if status in (408, 429) or status >= 500:
            wait = retry_after(response.headers.get("retry-after"), now)
            raise DeliveryError(where, answer, retryable=True, retry_after=wait)
        raise DeliveryError(where, answer, retryable=False)


def open_http(config: Config) -> HttpSender:
    return HttpSender()


CHANNEL = Channel(
    type="webhook",
    settings=WebhookSettings,
    render=render,
    open=open_http,
    example='channel = { type = "webhook", url = "https://…", secret_env = "HOOK_SECRET" }',
)
