"""The webhook channel: a versioned JSON document (docs/webhook.schema.json), POSTed and
signed the Standard Webhooks way. The reply is read within a small budget."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from watcher.config import ChannelSettings, Config, EnvName, HttpUrl
from watcher.deliver.base import Channel, Sender, Templates
from watcher.notify.render import AlertNote, ArticleView, DigestNote, Note, NoticeNote

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


def open_http(config: Config) -> Sender:
    """The HTTP channels' sender; httpx loads here, not when a config is read."""
    from watcher.deliver.http import HttpSender

    return HttpSender()


CHANNEL = Channel(
    type="webhook",
    settings=WebhookSettings,
    render=render,
    open=open_http,
    example='channel = { type = "webhook", url = "https://…", secret_env = "HOOK_SECRET" }',
)
