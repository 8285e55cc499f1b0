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


def check_feed(store: Store, name_or_url: str) -> None:
    """InputError naming the known feeds when no stored feed has this name or URL (a typo
    would otherwise list nothing, as if the feed had no articles)."""
    found, names = store.feed_known(name_or_url)
    if not found:
        known = ", ".join(names) or "none yet"
        raise InputError(f"no feed named {name_or_url!r} (known: {known}); see `watcher status`")


def check_language(code: str) -> str:
    """An ISO 639-1 code such as 'en' or 'fa', lower-cased; InputError otherwise."""
    from watcher.config import check_language as check

    try:
        return check(code)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
