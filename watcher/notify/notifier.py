"""From verdicts to messages: group into stories, route to subscribers, render, enqueue.

Runs inside the transaction that stores the verdicts, so an alert exists if and only if its
verdict does. Also turns feed-health changes and due digests into messages. The decisions
live in the pure modules beside this one (route, stories, health, digest, render).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from watcher.config import Config
from watcher.models import Article, StoryRef, Verdict
from watcher.notify import digest, health, route, stories
from watcher.notify.messages import Renderer
from watcher.store import Store

log = logging.getLogger("watcher.notify")


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
        disabled = self.store.disabled_subscribers()
        threshold = self.config.topic.threshold
        enqueued = 0
        old_news = sum(1 for a, v in judged if v.relevant and self._too_old(a))
        if old_news:
            log.info(
                "%d relevant article(s) published more than max_age before they were found "
                "(a back catalogue?): stored, not sent to subscribers with that limit",
                old_news,
            )
        for article, verdict in judged:
            interested = route.interested(
                self.config.subscribers, article, verdict, threshold, disabled
            )
            if not verdict.relevant and not interested:
                continue
            story = self._story(article, now)
            for target in route.route(interested, story.is_new):
                if target.kind == "digest":
                    self.store.add_digest_item(target.subscriber.name, article.id, story.id, now)
                    continue
                message = self.renderer.alert(target.subscriber, article, verdict, story.id, now)
                enqueued += self.store.enqueue(message, now)
        return enqueued

    def _too_old(self, article: Article) -> bool:
        limits = [s.max_age for s in self.config.subscribers if s.max_age]
        return bool(limits) and route.stale(article, min(limits))

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
        for feed in self.store.feed_health():
            before = states.get(feed.id, health.OK)
            after = health.assess(
                feed, self.store.recent_first_seen(feed.id), now, self.config.health
            )
            if after == before:
                continue
            change = health.notice(feed, before, after)
            with self.store.transaction():
                self.store.set_health(feed.id, after, now)
                for subscriber in ops if change else []:
                    told = health.notice(feed, before, after, subscriber.timezone)
                    assert told is not None
                    event, headline, text = told
                    enqueued += self.store.enqueue(
                        self.renderer.notice(subscriber, event, headline, text, now), now
                    )
        if enqueued:
            self.on_enqueued()
        return enqueued

    def send_due_digests(self, now: datetime) -> int:
        sent = 0
        for subscriber in digest.due_subscribers(self.config.subscribers, self.store, now):
            if digest.build_digest(self.store, self.renderer, subscriber, now) is not None:
                sent += 1
        if sent:
            self.on_enqueued()
        return sent
