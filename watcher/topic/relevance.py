"""The relevance model for a configured watcher: built from the topic files and stored feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watcher.config import Config
from watcher.store import Store
from watcher.topic import Example, RelevanceModel, build_model


def feedback_examples(store: Store) -> list[Example]:
    return [
        Example(
            title=row["title"], text=row["text"], label=row["label"], source=f"feedback:{row['id']}"
        )
        for row in store.feedback()
    ]


def current_model(config: Config, store: Store) -> RelevanceModel:
    return build_model(config, feedback_examples(store))


@dataclass(frozen=True)
class Change:
    article_id: int
    title: str
    before: float | None
    after: float
    now_relevant: bool


def rescore(
    config: Config, store: Store, since: datetime | None, *, dry_run: bool, now: datetime
) -> tuple[list[Change], int]:
    """Judge stored articles again with the current model; return the flips and the count."""
    model = current_model(config, store)
    rows = store.articles_since(since)
    changes: list[Change] = []
    results = []
    for row in rows:
        verdict = model.classify(row["title"], row["text"], row["language"])
        results.append((row["id"], verdict))
        was = bool(row["relevant"]) if row["relevant"] is not None else None
        if was is not verdict.relevant and (was is not None or verdict.relevant):
            changes.append(
                Change(row["id"], row["title"], row["score"], verdict.score, verdict.relevant)
            )
    if not dry_run:
        store.save_verdicts(results, now)
    return changes, len(rows)
