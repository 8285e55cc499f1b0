"""Judgements: record one (or take it back), rebuild the model, and show what it changes.

The console, the signed links in alerts and `watcher feedback` all record through here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.config import Config
from watcher.errors import NotFoundError
from watcher.models import Verdict
from watcher.services.judging import clear_feedback, record_feedback
from watcher.store import Store
from watcher.store.matches import recent_for_preview, verdict_row

PREVIEW_WINDOW = timedelta(days=30)
PREVIEW_LIMIT = 2000


def _unknown(article_id: int) -> NotFoundError:
    return NotFoundError(f"no article with id {article_id}; see `watcher articles`")


def stored_verdict(store: Store, article_id: int) -> Verdict | None:
    """The verdict stored with the article, as the model gave it (None before any)."""
    row = verdict_row(store.db, article_id)
    if row is None or row["score"] is None:
        return None
    return Verdict(
        score=row["score"],
        relevant=bool(row["relevant"]),
        aspects=tuple(json.loads(row["aspects"] or "[]")),
        language=None,
        explanation=json.loads(row["explanation"] or "{}"),
        model_version=row["model_version"] or "",
    )


@dataclass(frozen=True, slots=True)
class Flip:
    article_id: int
    title: str
    before: float | None
    after: float
    now_relevant: bool


def record_judgement(
    config: Config, store: Store, article_id: int, relevant: bool | None, now: datetime
) -> Verdict:
    """Record that the article is relevant or not (None takes the judgement back), rebuild
    the model with it, and store the article's new verdict, which is returned."""
    from watcher.topic.relevance import current_model

    articles = store.articles([article_id])
    if not articles:
        raise _unknown(article_id)
    if relevant is None:
        clear_feedback(store, article_id)
    else:
        record_feedback(store, article_id, relevant, now)
    article = articles[0]
    model = current_model(config, store)
    verdict: Verdict = model.classify(article.title, article.text, article.language)
    store.save_verdicts([(article_id, verdict)], now)
    return verdict


def preview_judgement(
    config: Config, store: Store, article_id: int, relevant: bool, now: datetime
) -> list[Flip]:
    """What judging the article would change among recent articles; stores nothing."""
    from watcher.topic import Example, build_model
    from watcher.topic.relevance import feedback_examples

    articles = store.articles([article_id])
    if not articles:
        raise _unknown(article_id)
    article = articles[0]
    examples = [e for e in feedback_examples(store) if e.source != f"feedback:{article_id}"]
    examples.append(
        Example(article.title, article.text, int(relevant), source=f"feedback:{article_id}")
    )
    model = build_model(config, examples)
    flips = []
    for row in recent_for_preview(store.db, now - PREVIEW_WINDOW, PREVIEW_LIMIT):
        verdict = model.classify(row["title"], row["text"], row["language"])
        was = None if row["relevant"] is None else bool(row["relevant"])
        if was is not verdict.relevant and (was is not None or verdict.relevant):
            flips.append(
                Flip(row["id"], row["title"], row["score"], verdict.score, verdict.relevant)
            )
    return flips
