"""What a subscriber would receive: previews of alerts and digests, a realistic test alert,
and digests built on demand. Messages are rendered exactly as they would be sent; `readable`
turns the bytes into text a person can check."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import TYPE_CHECKING

from watcher.config import Config
from watcher.errors import InputError, NotFoundError
from watcher.models import Article, ArticleFilter, Message, OutboxItem

if TYPE_CHECKING:
    from watcher.notify.messages import Renderer
    from watcher.store import Store
    from watcher.topic import RelevanceModel

SAMPLE_FEED = "watcher test"


@dataclass(frozen=True, slots=True)
class Preview:
    subscriber: str
    channel: str
    kind: str
    subject: str
    body: bytes  # exactly what would be sent
    text: str  # the same, readable: the plain-text part of an email, indented JSON otherwise
    left_out: str | None = None  # why the subscriber's filters would not send it, if so


@dataclass(frozen=True, slots=True)
class DigestRun:
    subscriber: str
    message: Message | None  # None: nothing new and send_empty is off


def readable(message: Message | OutboxItem) -> str:
    """The message as a person reads it: no MIME, no base64, no one-line JSON."""
    if message.channel == "email":
        parsed = message_from_bytes(message.body, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
        headers = "".join(f"{h}: {parsed[h]}\n" for h in ("From", "To", "Subject") if parsed[h])
        return f"{headers}\n{text}"
    try:
        return json.dumps(json.loads(message.body), ensure_ascii=False, indent=2) + "\n"
    except ValueError:
        return message.body.decode("utf-8", errors="replace")


def renderer_for(config: Config) -> Renderer:
    from watcher.notify.messages import make_renderer
    from watcher.topic.definition import load_topic

    return make_renderer(config, load_topic(config.topic_file).topic.name)


def _preview(message: Message) -> Preview:
    return Preview(
        subscriber=message.subscriber,
        channel=message.channel,
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        text=readable(message),
    )


def _headline(line: str) -> bool:
    """Seed files are often saved web pages whose first line is navigation, not a title."""
    words = line.split()
    return 4 <= len(words) <= 20 and not line.rstrip().endswith((".", ":"))


def sample_article(config: Config, now: datetime) -> Article:
    """A realistic article for test messages: a seed article of the topic (the first whose
    first line reads as a headline), marked as a test."""
    from watcher.topic.definition import load_seeds, load_topic

    seeds = load_seeds(config.seeds_dir)
    seed = next((s for s in seeds if _headline(s.title)), None)
    if seed is None:
        title, text = load_topic(config.topic_file).topic.name, seeds[0].text
    else:
        title, text = seed.title, seed.text
    return Article(
        id=0,
        feed_id=0,
        url="https://example.org/watcher-test-message",
        title=f"[test] {title}",
        text=text,
        author=None,
        published=now,
        first_seen=now,
        language=None,
        content_hash="test",
        feed_name=SAMPLE_FEED,
    )


def _chosen_article(store: Store | None, article_id: int | None) -> Article | None:
    if article_id is None:
        if store is None:
            return None
        newest = store.list_articles(ArticleFilter(relevant=True, limit=1))
        article_id = newest[0].id if newest else None
        if article_id is None:
            return None
    found = store.articles([article_id]) if store is not None else []
    if not found:
        raise NotFoundError(f"no article with id {article_id}; see `watcher articles`")
    return found[0]


def preview_alert(
    config: Config,
    store: Store | None,
    model: RelevanceModel,
    subscriber: str,
    article_id: int | None,
    now: datetime,
) -> Preview:
    """The alert SUBSCRIBER would get for the article (default: the newest relevant one, or
    the sample article when none is stored), judged by the current model."""
    from watcher.notify.route import left_out

    target = config.subscriber(subscriber)
    stored = _chosen_article(store, article_id)
    article = stored or sample_article(config, now)
    verdict = model.classify(article.title, article.text, article.language)
    message = renderer_for(config).alert(target, article, verdict, 0, now)
    if stored is None:
        return _preview(message)
    why = left_out(target, article, verdict, config.topic.threshold)
    return replace(_preview(message), left_out=why)


def preview_digest(config: Config, store: Store, subscriber: str, now: datetime) -> Preview:
    """The digest SUBSCRIBER would get now (their pending items), changing nothing."""
    from watcher.notify.digest import build_digest

    target = config.subscriber(subscriber)
    renderer = renderer_for(config)
    message = build_digest(store, renderer, target, now, dry_run=True)
    if message is None:  # nothing pending: show the empty digest rather than nothing
        message = renderer.digest(target, (), store.last_digest(target.name) or now, now)
    return _preview(message)


def run_digests(
    config: Config, store: Store, subscriber: str | None, now: datetime, *, dry_run: bool
) -> list[DigestRun]:
    """Build digests now, outside their schedule (all digest subscribers, or one). Unless
    `dry_run`, each goes to the outbox with its items closed, in one transaction."""
    from watcher.notify.digest import build_digest

    if subscriber is not None:
        chosen = [config.subscriber(subscriber)]
        if chosen[0].mode != "digest":
            raise InputError(
                f"{subscriber} gets immediate alerts, not digests (mode = "
                f'"{chosen[0].mode}"); see `watcher preview {subscriber}`'
            )
    else:
        chosen = [s for s in config.subscribers if s.mode == "digest"]
    if not chosen:
        raise InputError('no digest subscribers are configured (mode = "digest")')
    renderer = renderer_for(config)
    return [
        DigestRun(s.name, build_digest(store, renderer, s, now, dry_run=dry_run)) for s in chosen
    ]


async def send_queued(config: Config, store: Store, now: datetime) -> int:
    """Send every due message in the outbox once; what fails stays queued for the daemon.
    Only where no daemon runs (`database.unless_daemon`): nothing claims a row being sent."""
    from watcher.app import open_channels
    from watcher.deliver.worker import Deliverer

    async with open_channels(config) as channels:
        return await Deliverer(config, store, channels, lambda: now).deliver_due()


@dataclass(frozen=True, slots=True)
class TestDelivery:
    message_id: str
    subscriber: str
    answer: str  # what the receiving server said


async def send_test(
    config: Config, model: RelevanceModel, subscriber: str, now: datetime
) -> TestDelivery:
    """Send SUBSCRIBER a real alert about the sample article, now, bypassing the outbox.
    Raises DeliveryError with the server's answer when it fails."""
    from watcher.app import open_channels

    target = config.subscriber(subscriber)
    article = sample_article(config, now)
    verdict = model.classify(article.title, article.text)
    message = renderer_for(config).alert(target, article, verdict, 0, now)
    item = OutboxItem(
        id=message.id,
        subscriber=target.name,
        channel=message.channel,
        kind="test",
        subject=message.subject,
        body=message.body,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    async with open_channels(config) as channels:
        answer = await channels[target.channel.type].send(item, target.channel)
    return TestDelivery(item.id, target.name, answer)
