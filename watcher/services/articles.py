"""Listing stored articles with their verdicts, and checking the filters a user gives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watcher.errors import InputError
from watcher.models import ArticleFilter, ArticleSummary

if TYPE_CHECKING:
    from watcher.store import Store


def list_articles(store: Store, wanted: ArticleFilter) -> list[ArticleSummary]:
    """Newest first; the search text is taken as plain words, whatever quotes it holds."""
    return store.list_articles(wanted)


def check_language(code: str) -> str:
    """An ISO 639-1 code such as 'en' or 'fa', lower-cased; InputError otherwise."""
    from watcher.config import check_language as check

    try:
        return check(code)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
