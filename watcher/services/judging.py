"""The relevance model as configured, judgements from people, and rescoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from watcher.config import Config
from watcher.errors import NotFoundError

if TYPE_CHECKING:
    from watcher.store import Store
    from watcher.topic import RelevanceModel
    from watcher.topic.relevance import Change


def current_model(config: Config) -> RelevanceModel:
    """The model the daemon would use now: topic, seeds and any feedback stored so far."""
    from watcher.topic import build_model
    from watcher.topic.relevance import current_model as with_feedback

    if config.database.exists():
        from watcher.services.database import open_store

        with open_store(config, sync=False) as store:
            return with_feedback(config, store)
    return build_model(config)


def record_feedback(store: Store, article_id: int, relevant: bool, now: datetime) -> int:
    """Store a person's judgement of an article; returns how many judgements there are."""
    if not store.article_exists(article_id):
        raise NotFoundError(f"no article with id {article_id}; see `watcher articles`")
    store.record_feedback(article_id, relevant, now)
    return len(store.feedback())


def clear_feedback(store: Store, article_id: int) -> int:
    """Take back a person's judgement of an article; returns how many judgements remain."""
    if not store.clear_feedback(article_id):
        raise NotFoundError(f"article {article_id} has no judgement; see `watcher feedback --list`")
    return len(store.feedback())


@dataclass(frozen=True, slots=True)
class Judgement:
    article: int
    judgement: str
    at: str
    title: str


def list_feedback(store: Store) -> list[Judgement]:
    """Every judgement, oldest first."""
    return [
        Judgement(r["id"], "relevant" if r["label"] else "irrelevant", r["at"], r["title"])
        for r in store.feedback()
    ]


@dataclass(frozen=True, slots=True)
class RescoreResult:
    rescored: int
    dry_run: bool
    changes: tuple[Change, ...]


def rescore(
    config: Config, store: Store, since: datetime | None, *, dry_run: bool, now: datetime
) -> RescoreResult:
    """Judge stored articles again with the current model; report the ones that flip."""
    from watcher.topic.relevance import rescore as judge_again

    changes, total = judge_again(config, store, since, dry_run=dry_run, now=now)
    return RescoreResult(rescored=total, dry_run=dry_run, changes=tuple(changes))
