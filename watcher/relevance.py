"""The relevance model for a configured watcher: built from the topic files and stored feedback."""

from __future__ import annotations

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
