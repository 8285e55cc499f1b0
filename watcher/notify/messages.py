"""Notes → messages: the subscriber's channel renders the note into the bytes the outbox keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watcher.config import Config, SubscriberConfig
from watcher.deliver.base import Templates
from watcher.deliver.registry import channel_for
from watcher.models import Article, Message, Verdict
from watcher.notify.render import (
    AlertNote,
    DigestStory,
    Note,
    alert_note,
    digest_note,
    environment,
    notice_note,
)


@dataclass(frozen=True)
class Renderer:
    templates: Templates
    topic: str

    def message(self, note: Note, subscriber: SubscriberConfig, kind: str | None = None) -> Message:
        channel = channel_for(subscriber.channel)
        alert = note if isinstance(note, AlertNote) else None
        return Message(
            note.id,
            subscriber.name,
            channel.type,
            kind or note.kind,
            note.subject,
            channel.render(note, subscriber.channel, self.templates),
            article_id=alert.article.id if alert else None,
            story_id=alert.story_id if alert else None,
        )

    def alert(
        self,
        subscriber: SubscriberConfig,
        article: Article,
        verdict: Verdict,
        story_id: int,
        now: datetime,
    ) -> Message:
        note = alert_note(self.topic, subscriber.name, article, verdict, story_id, now)
        return self.message(note, subscriber)

    def digest(
        self,
        subscriber: SubscriberConfig,
        stories: tuple[DigestStory, ...],
        since: datetime,
        now: datetime,
    ) -> Message:
        note = digest_note(self.topic, subscriber.name, stories, since, now)
        return self.message(note, subscriber)

    def notice(
        self, subscriber: SubscriberConfig, event: str, headline: str, text: str, now: datetime
    ) -> Message:
        note = notice_note(self.topic, subscriber.name, event, headline, text, now)
        return self.message(note, subscriber, kind=event)


def make_renderer(config: Config, topic_name: str) -> Renderer:
    override = config.resolve(config.delivery.templates) if config.delivery.templates else None
    return Renderer(Templates(environment(override), config.smtp.from_), topic_name)
