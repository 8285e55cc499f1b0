"""Notes → messages: the subscriber's channel renders the note into the bytes the outbox keeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from watcher.config import Config, SubscriberConfig
from watcher.deliver.base import Templates
from watcher.deliver.registry import channel_for
from watcher.models import Article, Message, Verdict
from watcher.notify.render import (
    AlertNote,
    DigestStory,
    JudgeLinks,
    Note,
    alert_note,
    digest_note,
    environment,
    notice_note,
)

JudgeLinksFor = Callable[[int, str, datetime], JudgeLinks | None]


def _no_links(_article_id: int, _subscriber: str, _now: datetime) -> JudgeLinks | None:
    return None


@dataclass(frozen=True)
class Renderer:
    templates: Templates
    topic: str
    judge_links: JudgeLinksFor = _no_links  # signed one-click judgements (watcher.web.links)

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
        links = self.judge_links(article.id, subscriber.name, now)
        note = alert_note(
            self.topic, subscriber.name, article, verdict, story_id, now, links, subscriber.timezone
        )
        return self.message(note, subscriber)

    def digest(
        self,
        subscriber: SubscriberConfig,
        stories: tuple[DigestStory, ...],
        since: datetime,
        now: datetime,
    ) -> Message:
        stories = tuple(
            replace(s, judge_links=self.judge_links(s.lead.id, subscriber.name, now))
            for s in stories
        )
        note = digest_note(self.topic, subscriber.name, stories, since, now, subscriber.timezone)
        return self.message(note, subscriber)

    def notice(
        self, subscriber: SubscriberConfig, event: str, headline: str, text: str, now: datetime
    ) -> Message:
        note = notice_note(
            self.topic, subscriber.name, event, headline, text, now, subscriber.timezone
        )
        return self.message(note, subscriber, kind=event)


def make_renderer(config: Config, topic_name: str) -> Renderer:
    override = config.resolve(config.delivery.templates) if config.delivery.templates else None
    from watcher.web.links import signer_for

    templates = Templates(environment(override), config.smtp.from_)
    return Renderer(templates, topic_name, signer_for(config.web))
