"""From verdicts to messages: group into stories, route to subscribers, render, enqueue.

Runs inside the transaction that stores the verdicts, so an alert exists if and only if its
verdict does. Also turns feed-health changes and due digests into messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from watcher import digest as digests
from watcher import health, route, stories
from watcher.config import Config
from watcher.models import Article, StoryRef, Verdict
from watcher.render import Renderer, environment
from watcher.store import Store

log = logging.getLogger("watcher.notify")


def make_renderer(config: Config, topic_name: str) -> Renderer:
    override = config.resolve(config.delivery.templates) if config.delivery.templates else None
    return Renderer(environment(override), topic_name, config.smtp.from_)


class Notifier:
    def __init__(
        self,
        config: Config,
        store: Store,
        renderer: Renderer,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.renderer = renderer
        self.on_enqueued = on_enqueued

    def route_verdicts(self, judged: Sequence[tuple[Article, Verdict]], now: datetime) -> int:
        """Call inside the verdicts' transaction. Returns the number of messages enqueued."""
        if not judged:
            return 0
        disabled = list(self.store.disabled_subscribers())
        threshold = self.config.topic.threshold
        enqueued = 0
        for article, verdict in judged:
            interested = [
                s
                for s in self.config.subscribers
                if route.wants(s, article, verdict, threshold, article.feed_url)
            ]
            if not verdict.relevant and not interested:
                continue
            story = self._story(article, now)
            for target in route.route(
                article, verdict, story.is_new, interested, threshold, article.feed_url, disabled
            ):
                if target.kind == "digest":
                    self.store.add_digest_item(target.subscriber.name, article.id, story.id, now)
                    continue
                message = self.renderer.alert(target.subscriber, article, verdict, story.id, now)
                enqueued += self.store.enqueue(message, now)
        return enqueued

    def _story(self, article: Article, now: datetime) -> StoryRef:
        sig = stories.signature(article.title, article.text)
        found = stories.match(article.title, sig, self.store.recent_stories(now))
        if found is None:
            return StoryRef(
                self.store.create_story(article.title, sig, article.id, now), article.title, True
            )
        self.store.join_story(found, article.id, now)
        return StoryRef(found, article.title, False)

    def check_health(self, now: datetime) -> int:
        """Tell ops subscribers about feeds that started failing or went silent, or recovered."""
        ops = [s for s in self.config.subscribers if s.ops]
        states = self.store.health_states()
        enqueued = 0
        for feed in self.store.feed_status():
            first_seen = [
                datetime.fromisoformat(t) for t in self.store.recent_first_seen(feed["id"])
            ]
            before = states.get(feed["id"], health.OK)
            after = health.assess(feed, first_seen, now, self.config.health)
            if after == before:
                continue
            change = health.notice(feed, before, after)
            with self.store.transaction():
                self.store.set_health(feed["id"], after, now)
                for subscriber in ops if change else []:
                    assert change is not None
                    event, headline, text = change
                    enqueued += self.store.enqueue(
                        self.renderer.notice(subscriber, event, headline, text, now), now
                    )
        if enqueued:
            self.on_enqueued()
        return enqueued

    def send_due_digests(self, now: datetime) -> int:
        sent = 0
        for subscriber in digests.due_subscribers(self.config, self.store, now):
            if digests.build_digest(self.store, self.renderer, subscriber, now) is not None:
                sent += 1
        if sent:
            self.on_enqueued()
        return sent
